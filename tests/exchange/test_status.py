"""Status messages follow a letter that came by edXML (domain.md §6.2): 01 and 03 on registration, 04 on
assignment, 05 when handling starts (the first progress note, or the completion when none came first),
06 on completion — each produced once, as a Status envelope in the outbox with its ExchangeMessage
(out, status), listed by GET /incoming/{id}/edxml-status; nothing for a change that rolled back, nor
for a letter registered by hand."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from docflow.exchange import importer
from docflow.exchange.models import ExchangeMessage
from docflow.incoming import services as incoming
from tests.exchange import envelopes
from tests.fixtures.files import pdf_bytes

NS = {"e": envelopes.NS}


_PDF: list = []


@pytest.fixture
def pdf():
    if not _PDF:
        _PDF.append(pdf_bytes())
    return _PDF[0]


@pytest.fixture
def outbox_dir(app, tmp_path):
    path = tmp_path / "outbox"
    app.config["EXCHANGE_OUTBOX"] = str(path)
    return path


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.glob("*.edxml")) if path.exists() else []


def _codes(db, doc_id) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ExchangeMessage.status_code).where(
        ExchangeMessage.document_id == doc_id, ExchangeMessage.direction == "out",
        ExchangeMessage.kind == "status").order_by(ExchangeMessage.id)))


def _import(db, users, pdf, **shape):
    doc = importer.import_envelope(envelopes.envelope(files=[("cong-van.pdf", pdf)], **shape),
                                   actor=users["clerk"], filename="7816.edxml")
    db.session.commit()
    return doc


def test_status_messages_follow_a_letter_through_assign_progress_complete(db, users, pdf, outbox_dir, api,
                                                                          login_as):
    # an import that rolls back answers nothing
    importer.import_envelope(envelopes.envelope(files=[("cong-van.pdf", pdf)]), actor=users["clerk"])
    db.session.rollback()
    assert not _files(outbox_dir)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeMessage)) == 0

    doc = _import(db, users, pdf)
    doc_id = doc.id
    assert _codes(db, doc_id) == ["01", "03"]
    assert len(_files(outbox_dir)) == 2

    # a change that rolls back produces nothing
    incoming.assign(db.session.get(type(doc), doc_id), actor=users["leader"], instruction="Giao xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.rollback()
    assert _codes(db, doc_id) == ["01", "03"] and len(_files(outbox_dir)) == 2

    letter = db.session.get(type(doc), doc_id)
    incoming.assign(letter, actor=users["leader"], instruction="Giao xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    assert _codes(db, doc_id) == ["01", "03", "04"]
    letter = db.session.get(type(doc), doc_id)
    incoming.add_progress(letter, "Đang tổng hợp số liệu", actor=users["specialist"])
    db.session.commit()
    incoming.add_progress(db.session.get(type(doc), doc_id), "Đã xin ý kiến", actor=users["specialist"])
    db.session.commit()
    assert _codes(db, doc_id) == ["01", "03", "04", "05"]  # the second note: no second 05
    incoming.complete(db.session.get(type(doc), doc_id), "Đã báo cáo", actor=users["specialist"])
    db.session.commit()
    assert _codes(db, doc_id) == ["01", "03", "04", "05", "06"]
    names = _files(outbox_dir)
    assert len(names) == 5 and all("000.00.00.G22_2025_09_30_7816_VPCP-TTDT" in n for n in names), names

    # every file is a Status envelope to the sender about its letter, with its code
    for path in outbox_dir.glob("*.edxml"):
        root = etree.fromstring(path.read_bytes())
        status = root.find("e:edXMLEnvelope/e:edXMLHeader/e:Status", NS)
        assert status.findtext("e:From/e:OrganId", namespaces=NS) == "000.00.00.H19"
        assert status.findtext("e:ResponseFor/e:DocumentId", namespaces=NS) == "000.00.00.G22,2025/09/30,7816/VPCP-TTĐT"
        assert status.findtext("e:ResponseFor/e:Code", namespaces=NS) == "7816/VPCP-TTĐT"
        assert path.name.endswith(f"status{status.findtext('e:StatusCode', namespaces=NS)}.edxml")
    # E's parser reads what we wrote back
    from docflow.exchange import edxml

    parsed = edxml.parse_status(next(outbox_dir.glob("*status04.edxml")).read_bytes())
    assert parsed.status_code == "04" and parsed.response_for.number_symbol == "7816/VPCP-TTĐT"

    # the API lists them, and answers one as its envelope; the audit has each
    caller = api(users["specialist"])
    listed = caller.get(f"/incoming/{doc_id}/edxml-status")
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert [m["code"] for m in listed.get_json()["items"]] == ["01", "03", "04", "05", "06"]
    one = caller.get(f"/incoming/{doc_id}/edxml-status?code=06")
    assert one.status_code == 200 and one.mimetype == "application/xml"
    assert etree.fromstring(one.data).findtext(".//e:StatusCode", namespaces=NS) == "06"
    assert caller.get(f"/incoming/{doc_id}/edxml-status?code=02").status_code == 404
    assert caller.get(f"/incoming/{doc_id}/edxml-status?code=99").status_code == 422
    assert api(users["archivist"]).get("/incoming/999999/edxml-status").status_code == 404
    from docflow.core.models import AuditEvent

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "exchange.status", AuditEvent.object_id == str(doc_id))) == 5

    # the letter's page shows what was sent
    page = login_as(users["clerk"]).get(f"/incoming/{doc_id}").get_data(as_text=True)
    assert 'id="exchange-history"' in page and page.count("exchange-out-status") == 5
    assert page.count("exchange-in-document") == 1


def test_completion_without_a_note_starts_and_ends_handling_and_a_letter_by_hand_gets_nothing(
        db, users, pdf, outbox_dir, api):
    doc = _import(db, users, pdf, number="7817")
    doc_id = doc.id
    letter = db.session.get(type(doc), doc_id)
    incoming.assign(letter, actor=users["leader"], instruction="Giao xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    incoming.complete(db.session.get(type(doc), doc_id), "Đã xong", actor=users["specialist"])
    db.session.commit()
    assert _codes(db, doc_id) == ["01", "03", "04", "05", "06"]

    by_hand = incoming.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "12/SNV-VP",
                                          "issued_date": "2025-09-30", "subject": "Về việc tuyển dụng",
                                          "doc_type": "CV", "medium": "electronic"}, actor=users["clerk"])
    db.session.commit()
    hand_id = by_hand.id
    incoming.assign(db.session.get(type(doc), hand_id), actor=users["leader"], instruction="Giao",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    assert _codes(db, hand_id) == []
    assert len(_files(outbox_dir)) == 5
    listed = api(users["clerk"]).get(f"/incoming/{hand_id}/edxml-status")
    assert listed.status_code == 200 and listed.get_json()["items"] == []


def test_a_status_code_is_kept_once_per_letter_by_the_database(db, users, pdf, outbox_dir):
    """Two jobs producing the same code at the same moment cannot both record it (unique index on the
    produced status rows); statuses received about our documents may repeat (one per recipient)."""
    doc = _import(db, users, pdf)
    produced = db.session.scalar(sa.select(ExchangeMessage).where(ExchangeMessage.document_id == doc.id,
                                                                  ExchangeMessage.status_code == "03"))
    assert produced is not None and produced.direction == "out"
    db.session.add(ExchangeMessage(direction="out", kind="status", document_id=doc.id, status_code="03"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    for _ in range(2):
        db.session.add(ExchangeMessage(direction="in", kind="status", document_id=doc.id, status_code="03"))
    db.session.flush()
    db.session.rollback()
