"""What a new drafter tripped over: "Như trên" stored as a recipient, the signing capacity in the
heading, no way from an incoming letter to a draft answering it, Ctrl-click lists."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from docx import Document as DocxDocument

from docflow.core.timeutil import today
from docflow.outgoing import services as outgoing
from docflow.outgoing.models import Recipient
from docflow.registry.models import Document
from tests.conftest import login


def _docx():
    out = io.BytesIO()
    doc = DocxDocument()
    doc.add_paragraph("Dự thảo")
    doc.save(out)
    out.seek(0)
    return out, "du-thao.docx"


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


@pytest.fixture
def letter(users, db):
    """An incoming letter from a listed organisation, assigned to the specialist."""
    from docflow.incoming import services
    from docflow.registry import reference

    org = reference.save_organization({"name": "Sở Y tế tỉnh Đồng Nai", "abbr": "SYT"})
    doc = services.register_incoming({
        "sender_id": org.id, "sender_name": org.name, "number_symbol": "15/SYT-KHTC",
        "issued_date": (today() - timedelta(days=1)).isoformat(), "received_date": today().isoformat(),
        "doc_type": "CV", "subject": "V/v rà soát trang thiết bị y tế"}, actor=users["clerk"])
    services.assign(doc, actor=users["leader"], instruction="Phòng Kinh tế trả lời",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    return {"id": doc.id, "org_id": org.id}


def _new_draft(client, **extra):
    data = {"doc_type": "CV", "subject": "V/v báo cáo", "urgency": "normal", "confidentiality": "normal",
            "file": _docx(), **extra}
    response = client.post("/outgoing/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


# ---- "Như trên" ----------------------------------------------------------------------------------

@pytest.mark.parametrize("line", ["Như trên", "- Như trên;", "NHƯ TRÊN,", "nhu tren"])
def test_as_above_is_never_a_recipient(as_user, db, users, line):
    doc_id = _new_draft(as_user(users["specialist"]), recipient_names=f"{line}\nSở Tài chính tỉnh Đồng Nai")
    names = db.session.scalars(sa.select(Recipient.name).where(Recipient.document_id == doc_id)).all()
    assert names == ["Sở Tài chính tỉnh Đồng Nai"]


def test_as_above_is_dropped_by_the_service_too(db, users):
    doc = outgoing.create_draft({"doc_type": "CV", "subject": "V/v thử", "recipients": [
        {"name": "Như trên"}, {"name": "Như trên có tên thật"}]}, actor=users["specialist"])
    db.session.commit()
    assert [r.name for r in outgoing.recipients_of(doc)] == ["Như trên có tên thật"]


# ---- the heading ---------------------------------------------------------------------------------

def test_the_heading_is_the_type_not_the_signing_capacity(as_user, users):
    client = as_user(users["specialist"])
    doc_id = _new_draft(client, signing_capacity="KT.", signer_id=str(users["leader"].id))
    html = client.get(f"/outgoing/{doc_id}").get_data(as_text=True)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S).group(1)
    assert re.sub(r"<[^>]+>", "", heading).strip() == "Công văn"
    assert "KT." in html  # still shown, with the signer


# ---- the "draft a reply" button ------------------------------------------------------------------

def test_the_letter_offers_a_reply_to_whoever_may_draft_it(as_user, db, users, letter):
    url = f"/outgoing/new?reply_to={letter['id']}"
    assert url in as_user(users["specialist"]).get(f"/incoming/{letter['id']}").get_data(as_text=True)
    for role in ("archivist", "clerk"):  # they see the letter, they do not draft
        page = as_user(users[role]).get(f"/incoming/{letter['id']}").get_data(as_text=True)
        assert 'id="draft-reply"' not in page, role


def test_the_new_draft_already_answers_the_letter(as_user, db, users, letter):
    client = as_user(users["specialist"])
    html = client.get(f"/outgoing/new?reply_to={letter['id']}").get_data(as_text=True)
    assert re.search(rf'name="reply_to" value="{letter["id"]}"[^>]* checked', html)
    assert re.search(rf'name="recipients" value="org:{letter["org_id"]}"[^>]* checked', html)  # to its issuer


def test_no_reply_to_a_cancelled_or_an_unseen_letter(as_user, db, users, make_user, letter):
    from docflow.incoming import services

    stranger = make_user("specialist", unit="VX")
    html = as_user(stranger).get(f"/outgoing/new?reply_to={letter['id']}").get_data(as_text=True)
    assert "15/SYT-KHTC" not in html and f'value="{letter["id"]}" checked' not in html
    services.cancel_incoming(db.session.get(Document, letter["id"]), "Đăng ký nhầm", actor=users["clerk"])
    db.session.commit()
    client = as_user(users["specialist"])
    assert 'id="draft-reply"' not in client.get(f"/incoming/{letter['id']}").get_data(as_text=True)
    assert not outgoing.may_draft_reply(users["specialist"], db.session.get(Document, letter["id"]))


# ---- check-box pickers ---------------------------------------------------------------------------

def test_the_draft_form_has_check_box_lists_not_ctrl_click(as_user, db, users, letter):
    html = as_user(users["specialist"]).get("/outgoing/new").get_data(as_text=True)
    assert "<select multiple" not in html and " multiple" not in html.split('id="draft-form"', 1)[1]
    assert re.search(r'type="checkbox" name="recipients" value="org:\d+"', html)
    assert re.search(r'type="checkbox" name="reply_to" value="\d+"', html)
    assert "js/picker.js" in html and "<script>" not in html  # a file of our own, no inline script (CSP)


# ---- the postal book -----------------------------------------------------------------------------

def test_the_postal_book_never_lists_internal_units(db, users, office):
    from werkzeug.datastructures import FileStorage

    from docflow.outgoing import reports
    from docflow.registry import reference
    from docflow.registry.books import Period

    org = reference.save_organization({"name": "Sở Xây dựng tỉnh Đồng Nai", "abbr": "SXD"})
    spec = users["specialist"]
    doc = outgoing.create_draft({"doc_type": "CV", "subject": "V/v gửi bưu điện", "recipients": [
        {"organization_id": org.id}, {"unit_id": office["VX"].id}], "signer_id": users["leader"].id}, actor=spec)
    file, name = _docx()
    outgoing.add_version(doc, FileStorage(file, filename=name), actor=spec)
    outgoing.submit(doc, actor=spec)
    outgoing.approve(doc, actor=users["unit_head"])
    outgoing.approve(doc, actor=users["leader"])
    outgoing.issue(doc, actor=users["clerk"])
    outgoing.dispatch(doc, actor=users["clerk"], channel="paper")  # every recipient, the unit too
    db.session.commit()
    book = reports.postal_book(users["clerk"], Period(today(), today()))
    assert [row[2] for row in book.rows] == ["Sở Xây dựng tỉnh Đồng Nai"]
