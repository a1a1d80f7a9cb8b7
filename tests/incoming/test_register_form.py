"""The register form as a new clerk meets it: required fields marked, the service's lengths as
maxlength, an issuer not in the organisations list asked about (never stored silently), and no
"cancel the registration" on a completed letter."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.errors import Conflict
from docflow.core.timeutil import today
from docflow.incoming import services
from docflow.registry.models import Document, Organization
from tests.conftest import login


@pytest.fixture
def clerk(app, users, db):
    from docflow.registry import reference

    reference.save_organization({"name": "Sở Nội vụ", "abbr": "SNV", "code": "000.00.01.H19"})
    db.session.commit()
    client = app.test_client()
    login(client, users["clerk"].username)
    return client


def _form(**over):
    data = {"sender_name": "Sở Nội vụ", "number_symbol": "125/SNV-VP",
            "issued_date": (today() - timedelta(days=3)).isoformat(), "received_date": today().isoformat(),
            "doc_type": "CV", "subject": "Về việc cử cán bộ dự tập huấn", "urgency": "normal",
            "confidentiality": "normal", "medium": "paper", "submit": "Save"}
    data.update(over)
    return data


def _docs(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Document).where(Document.direction == "incoming")).all()


def _input(html: str, name: str) -> str:
    return re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)


def test_required_fields_are_marked_and_lengths_are_the_services(clerk):
    html = clerk.get("/incoming/new").get_data(as_text=True)
    for name in ("sender_name", "number_symbol", "issued_date", "subject"):
        assert " required" in _input(html, name), name
        label = re.search(rf'<label[^>]*for="{name}"[^>]*>(.*?)</label>', html, flags=re.S).group(1)
        assert 'class="text-danger required-mark"' in label and "*" in label, name
    for name in ("signer", "notes", "received_date"):
        assert " required" not in _input(html, name), name
    for name, limit in (("subject", 1000), ("number_symbol", 60), ("signer", 120), ("sender_name", 250),
                        ("notes", 2000)):
        assert f'maxlength="{limit}"' in _input(html, name), name


def test_an_issuer_not_in_the_list_is_asked_about(clerk, db):
    response = clerk.post("/incoming/new", data=_form(sender_name="Trường Đại học X", subject=""))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="sender-unknown"' in html and "not in the organisations list" in html
    assert re.search(r'type="radio"[^>]*name="sender_choice"[^>]*value="add"|name="sender_choice" type="radio" '
                     r'value="add"', html)
    assert "Enter the subject (trích yếu)." in html  # the other errors at the same time
    assert _docs(db) == []

    response = clerk.post("/incoming/new", data=_form(sender_name="Trường Đại học X", sender_choice="free"))
    assert response.status_code == 302
    (doc,) = _docs(db)
    assert doc.sender_org_id is None and doc.sender_name == "Trường Đại học X"
    assert db.session.scalar(sa.select(Organization).where(Organization.name == "Trường Đại học X")) is None


def test_the_issuer_can_be_added_to_the_list(clerk, db):
    response = clerk.post("/incoming/new", data=_form(sender_name="Công an tỉnh Đồng Nai", sender_choice="add"))
    assert response.status_code == 302
    (doc,) = _docs(db)
    org = db.session.scalar(sa.select(Organization).where(Organization.name == "Công an tỉnh Đồng Nai"))
    assert org is not None and doc.sender_org_id == org.id


def test_an_issuer_picked_from_the_list_is_stored_by_id(clerk, db):
    org_id = db.session.scalar(sa.select(Organization.id).where(Organization.abbr == "SNV"))
    response = clerk.post("/incoming/new", data=_form(sender_id=str(org_id)))
    assert response.status_code == 302
    (doc,) = _docs(db)
    assert doc.sender_org_id == org_id and doc.sender_name == "Sở Nội vụ"


def test_a_completed_letter_offers_no_cancel_and_the_service_refuses(clerk, db, users):
    response = clerk.post("/incoming/new", data=_form())
    doc_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert 'id="cancel-form"' in clerk.get(f"/incoming/{doc_id}").get_data(as_text=True)
    doc = db.session.get(Document, doc_id)
    services.assign(doc, actor=users["leader"], instruction="Xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    services.complete(doc, "Đã xử lý", actor=users["specialist"])
    db.session.commit()
    assert not services.may_cancel(users["clerk"], doc)

    assert 'id="cancel-form"' not in clerk.get(f"/incoming/{doc_id}").get_data(as_text=True)
    response = clerk.post(f"/incoming/{doc_id}/cancel", data={"cancel-reason": "Nhầm"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Document, doc_id).status == "completed"
    with pytest.raises(Conflict):
        services.cancel_incoming(db.session.get(Document, doc_id), "Nhầm", actor=users["clerk"])
    db.session.rollback()
