"""Menus and dashboards: "awaiting my approval" only for approvers, the approver's dashboard card,
the workflows under Administration, check-box pickers, and `make run PORT=...`."""

import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from docflow.outgoing import services as outgoing
from docflow.outgoing import workflows
from docflow.outgoing.models import Workflow
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


def _nav(html: str) -> str:
    return html.split('id="mainnav"', 1)[1].split("</nav>", 1)[0]


def _dropdown(nav: str, label: str) -> str:
    return nav.split(f">{label}</a>", 1)[1].split("</ul>", 1)[0]


def test_awaiting_my_approval_only_for_approvers(as_user, users, make_user, db):
    for role in ("specialist", "clerk", "archivist", "admin"):
        html = as_user(users[role]).get("/dashboard").get_data(as_text=True)
        assert "/outgoing/awaiting" not in _nav(html), role
        assert 'id="card-awaiting"' not in html, role
    for role in ("unit_head", "leader"):
        assert "/outgoing/awaiting" in _nav(as_user(users[role]).get("/dashboard").get_data(as_text=True)), role

    named = make_user("specialist", unit="VX")
    assert not workflows.is_approver(named)
    workflows.save_workflow({"name": "Thẩm định riêng", "steps": [{"name": "Chuyên viên thẩm định",
                                                                     "user_id": named.id}]})
    db.session.commit()
    assert workflows.is_approver(named)
    assert "/outgoing/awaiting" in _nav(as_user(named).get("/dashboard").get_data(as_text=True))


def test_the_leader_dashboard_shows_the_drafts_awaiting_them(as_user, users, db):
    spec = users["specialist"]
    wf = db.session.scalar(sa.select(Workflow).where(Workflow.is_default.is_(True)))
    wf.steps[0].kind, wf.steps[0].role = "role", "leader"  # straight to a leader
    db.session.commit()
    from tests.outgoing.test_drafting_ux import _docx

    for i in range(7):
        doc = outgoing.create_draft({"doc_type": "CV", "subject": f"V/v dự thảo chờ duyệt {i}"}, actor=spec)
        file, name = _docx()
        from werkzeug.datastructures import FileStorage

        outgoing.add_version(doc, FileStorage(file, filename=name), actor=spec)
        outgoing.submit(doc, actor=spec)
    db.session.commit()

    html = as_user(users["leader"]).get("/dashboard").get_data(as_text=True)
    card = html.split('id="card-awaiting"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r'class="badge[^"]*count">7<', card)
    assert len(re.findall(r'href="/outgoing/\d+"', card)) == 5  # the first rows
    assert "V/v dự thảo chờ duyệt" in card and "/outgoing/awaiting" in card


def test_the_workflows_sit_under_administration(as_user, users):
    nav = _nav(as_user(users["admin"]).get("/dashboard").get_data(as_text=True))
    assert "/outgoing/workflows" in _dropdown(nav, "Quản trị" if "Quản trị" in nav else "Administration")
    assert "/outgoing/workflows" not in _dropdown(nav, "Văn bản đi" if "Văn bản đi" in nav else "Outgoing")


def test_the_assign_form_and_the_workflow_form_use_check_boxes(as_user, users, db):
    from datetime import timedelta

    from docflow.core.timeutil import today
    from docflow.incoming import services

    doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "9/SNV",
                                      "issued_date": (today() - timedelta(days=1)).isoformat(),
                                      "received_date": today().isoformat(), "doc_type": "CV",
                                      "subject": "V/v thi đua"}, actor=users["clerk"])
    db.session.commit()
    html = as_user(users["leader"]).get(f"/incoming/{doc.id}").get_data(as_text=True)
    form = html.split('id="assign-form"', 1)[1].split("</form>", 1)[0]
    assert " multiple" not in form
    assert re.search(r'type="checkbox" name="assign-coordinators" value="user:\d+"', form)
    assert re.search(r'type="checkbox" name="assign-informed" value="unit:\d+"', form)
    assert "picker-filter" in form

    html = as_user(users["admin"]).get("/outgoing/workflows/new").get_data(as_text=True)
    assert " multiple" not in html and re.search(r'type="checkbox" name="doc_types" value="CV"', html)


def test_the_picker_script_is_served_locally(client):
    response = client.get("/static/js/picker.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert "http" not in response.get_data(as_text=True)  # no call-out
    response.close()


def test_make_run_takes_a_port():
    out = subprocess.run(["make", "-n", "run", "PORT=5001"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "--port 5001" in out and "127.0.0.1:5001" in out
    assert "--port 5000" in subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                                           check=True).stdout
