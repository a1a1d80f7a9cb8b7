"""Writing edXML (domain.md §6.1): the envelope of an issued outgoing document, read back with a plain
XML parser field by field and through the importer into another office's fresh database; electronic dispatch writes one
envelope per electronic recipient into the outbox; the download on the document's page."""

import base64
import hashlib
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from lxml import etree

from docflow.auth import services as people
from docflow.core.models import AuditEvent
from docflow.core.timeutil import today
from docflow.exchange import importer
from docflow.exchange.models import ExchangeMessage
from docflow.incoming import services as incoming
from docflow.office import init_office
from docflow.outgoing import services as outgoing
from docflow.registry import reference, storage
from tests.conftest import login
from tests.exchange import envelopes
from tests.fixtures.files import docx_bytes

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
E = {"e": NS}
AGENCY_CODE = "000.00.00.H19"  # the office fixture's agency (Ủy ban nhân dân tỉnh Đồng Nai, UBND)


@pytest.fixture
def outbox_dir(app, tmp_path):
    path = tmp_path / "outbox"
    app.config["EXCHANGE_OUTBOX"] = str(path)
    return path


@pytest.fixture
def issued(db, users):
    """An issued công văn (urgent, KT. signed, 3 pages) answering a letter from Bộ Tài chính, to
    Văn phòng Chính phủ and Bộ Nội vụ (electronic codes), a named Sở and an internal unit."""
    btc = reference.save_organization({"name": "Bộ Tài chính", "abbr": "BTC", "code": "000.00.00.G12"})
    vpcp = reference.save_organization({"name": "Văn phòng Chính phủ", "abbr": "VPCP", "code": "000.00.00.G22"})
    bnv = reference.save_organization({"name": "Bộ Nội vụ", "abbr": "BNV", "code": "000.00.00.G09"})
    letter = incoming.register_incoming({"sender_id": btc.id, "number_symbol": "45/BTC-NSNN",
                                         "issued_date": (today() - timedelta(days=3)).isoformat(),
                                         "subject": "Đề nghị báo cáo ngân sách", "doc_type": "CV"},
                                        actor=users["clerk"])
    drafter = users["specialist"]
    incoming.assign(letter, actor=users["leader"], instruction="Trả lời",
                    assignees=[{"user_id": drafter.id, "role": "primary"}])
    doc = outgoing.create_draft({"doc_type": "CV", "subject": "Về việc báo cáo tình hình thực hiện ngân sách",
                                 "signer_id": users["leader"].id, "signing_capacity": "KT.", "urgency": "urgent",
                                 "reply_to": [letter.id],
                                 "recipients": [{"organization_id": vpcp.id}, {"organization_id": bnv.id},
                                                {"name": "Sở Tài chính tỉnh Đồng Nai"},
                                                {"unit_id": drafter.unit_id}]}, actor=drafter)
    outgoing.add_version(doc, io.BytesIO(docx_bytes(paragraphs=("Báo cáo ngân sách",))), actor=drafter,
                         filename="bao-cao.docx")
    outgoing.submit(doc, actor=drafter)
    if doc.current_step == 1:
        outgoing.approve(doc, actor=users["unit_head"])
    outgoing.approve(doc, actor=users["leader"])
    outgoing.issue(doc, actor=users["clerk"], issued_date=today(), complete_replies=False)
    doc.pages = 3
    db.session.commit()
    return {"doc": doc, "letter": letter, "vpcp": vpcp, "bnv": bnv}


def _text(node, path):
    return node.findtext(path, namespaces=E)


def test_the_envelope_read_with_a_plain_parser_matches_the_issued_document(db, users, issued, api):
    doc, letter = issued["doc"], issued["letter"]
    answer = api(users["specialist"]).get(f"/outgoing/{doc.id}/edxml")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/xml" and "attachment" in answer.headers["Content-Disposition"]
    root = etree.fromstring(answer.data, etree.XMLParser(resolve_entities=False, no_network=True))
    # every element is in the QCVN namespace, written with the edXML prefix
    assert {el.prefix for el in root.iter()} == {"edXML"} and {etree.QName(el).namespace for el in root.iter()} == {NS}
    head = root.find("e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader", E)
    assert _text(head, "e:From/e:OrganId") == AGENCY_CODE
    assert _text(head, "e:From/e:OrganName") == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert [(_text(t, "e:OrganId"), _text(t, "e:OrganName")) for t in head.findall("e:To", E)] == [
        ("000.00.00.G22", "Văn phòng Chính phủ"), ("000.00.00.G09", "Bộ Nội vụ"), ("", "Sở Tài chính tỉnh Đồng Nai")]
    day = doc.issued_date.strftime("%Y/%m/%d")
    assert _text(head, "e:DocumentId") == f"{AGENCY_CODE},{day},{doc.number_symbol}"
    number, notation = doc.number_symbol.split("/", 1)
    assert (_text(head, "e:Code/e:CodeNumber"), _text(head, "e:Code/e:CodeNotation")) == (number, notation)
    assert notation.startswith("UBND")
    assert _text(head, "e:PromulgationInfo/e:PromulgationDate") == day
    assert _text(head, "e:DocumentType/e:TypeName") == doc.doc_type.name
    assert _text(head, "e:Subject") == "Về việc báo cáo tình hình thực hiện ngân sách"
    assert _text(head, "e:SignerInfo/e:Competence") == "KT."
    assert _text(head, "e:SignerInfo/e:FullName") == users["leader"].full_name == doc.signer
    assert [p.text for p in head.findall("e:ToPlaces/e:Place", E)] == [
        "Văn phòng Chính phủ", "Bộ Nội vụ", "Sở Tài chính tỉnh Đồng Nai", "Phòng Kinh tế"]
    assert _text(head, "e:OtherInfo/e:Priority") == "1"
    assert _text(head, "e:OtherInfo/e:PageAmount") == "3"
    assert _text(head, "e:OtherInfo/e:PromulgationAmount") == "4"
    replies = head.findall("e:ResponseFor", E)
    assert len(replies) == 1
    assert _text(replies[0], "e:OrganId") == "000.00.00.G12" and _text(replies[0], "e:Code") == "45/BTC-NSNN"
    assert _text(replies[0], "e:PromulgationDate") == letter.issued_date.strftime("%Y/%m/%d")
    assert _text(replies[0], "e:DocumentId") == f"000.00.00.G12,{letter.issued_date:%Y/%m/%d},45/BTC-NSNN"
    trace = root.find("e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:TraceHeader", E)
    assert _text(trace, "e:OrganId") == AGENCY_CODE and _text(trace, "e:Timestamp")
    reference_ = root.find("e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference", E)
    assert reference_.get("{http://www.w3.org/1999/xlink}href") == "cid:1"
    assert _text(reference_, "e:AttachmentName") == "bao-cao.docx"
    attachment = root.find("e:AttachmentEncoded/e:Attachment", E)
    data = base64.b64decode(_text(attachment, "e:ContentTransferEncoded"))
    assert hashlib.sha256(data).hexdigest() == doc.issued_sha256
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "exchange.export", AuditEvent.object_id == str(doc.id))) == 1

    # only an issued document has one; a document the caller cannot see is not there
    draft = outgoing.create_draft({"doc_type": "CV", "subject": "Dự thảo"}, actor=users["specialist"])
    db.session.commit()
    assert api(users["specialist"]).get(f"/outgoing/{draft.id}/edxml").status_code == 409
    assert api(users["leader"]).get(f"/outgoing/{draft.id}/edxml").status_code == 404
    assert api(users["clerk"]).get("/outgoing/999999/edxml").status_code == 404


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """An empty database of the same engine beside the test's own: the receiving office's."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/receiver.db"
        return
    base, name = database_url.rsplit("/", 1)
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")

    def drop_and(create: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_receiver" WITH (FORCE)')
            if create:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}_receiver"')

    drop_and(create=True)
    yield f"{base}/{name}_receiver"
    drop_and(create=False)
    admin.dispose()


def test_export_then_import_into_a_fresh_database_gives_back_the_document(db, users, issued, api, make_app,
                                                                          fresh_database, tmp_path):
    doc = issued["doc"]
    data = api(users["clerk"]).get(f"/outgoing/{doc.id}/edxml").data
    expected = {"number_symbol": doc.number_symbol, "issued_date": doc.issued_date, "subject": doc.subject,
                "signer": doc.signer, "urgency": "urgent", "pages": 3}
    issued_sha = doc.issued_sha256
    db.session.remove()
    # the receiving office: another agency on its own, empty database and file store
    receiver = make_app(SQLALCHEMY_DATABASE_URI=fresh_database,
                        STORAGE_DIR=str(tmp_path / "receiver-files"))
    with receiver.app_context():
        upgrade()
        init_office("Văn phòng Chính phủ", "VPCP", "000.00.00.G22")
        people.create_unit({"code": "VT", "name": "Phòng Văn thư"})
        clerk = people.create_user({"username": "vanthu", "password": "Receiver-Passw0rd-2026", "roles": ["clerk"],
                                    "unit_code": "VT", "full_name": "Văn thư VPCP"})
        db.session.commit()
        received = importer.import_envelope(data, actor=clerk, filename="export.edxml")
        db.session.commit()
        assert {k: getattr(received, k) for k in expected} == expected
        assert received.direction == "incoming" and received.medium == "electronic" and received.number == 1
        assert received.sender_org.code == AGENCY_CODE and received.sender_name == "Ủy ban nhân dân tỉnh Đồng Nai"
        [attachment] = received.attachments
        assert (attachment.filename, attachment.sha256) == ("bao-cao.docx", issued_sha)
        stored = storage.path_for(attachment.sha256)
        assert str(stored).startswith(str(tmp_path / "receiver-files"))
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == issued_sha
        db.session.remove()
        db.engine.dispose()


def test_electronic_dispatch_writes_one_envelope_per_electronic_recipient(app, db, users, issued, outbox_dir, api,
                                                                           login_as):
    doc, vpcp, bnv = issued["doc"], issued["vpcp"], issued["bnv"]
    recipients = {r.name: r.id for r in outgoing.recipients_of(doc)}
    # a dispatch that rolls back writes nothing
    outgoing.dispatch(doc, actor=users["clerk"], channel="electronic", recipient_ids=[recipients[vpcp.name]])
    db.session.rollback()
    assert not list(outbox_dir.glob("*.edxml"))
    # paper to the Sở: no envelope; electronic to the two ministries: one each
    caller = api(users["clerk"])
    paper = caller.post(f"/outgoing/{doc.id}/dispatch", json={"channel": "paper",
                                                              "recipients": [recipients["Sở Tài chính tỉnh Đồng Nai"]]})
    assert paper.status_code == 200, paper.get_data(as_text=True)
    assert not list(outbox_dir.glob("*.edxml"))
    sent = caller.post(f"/outgoing/{doc.id}/dispatch", json={"channel": "electronic",
                                                             "recipients": [recipients[vpcp.name], recipients[bnv.name]]})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    files = sorted(outbox_dir.glob("*.edxml"))
    key = f"{AGENCY_CODE},{doc.issued_date:%Y/%m/%d},{doc.number_symbol}"
    assert [p.name.rsplit("-", 1)[-1] for p in files] == ["000.00.00.G09.edxml", "000.00.00.G22.edxml"]
    for path in files:
        root = etree.fromstring(path.read_bytes())
        to = root.findall("e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:To", E)
        assert len(to) == 1 and path.name.endswith(f"-{_text(to[0], 'e:OrganId')}.edxml")
        assert _text(root, "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:DocumentId") == key
    db.session.rollback()
    rows = db.session.scalars(sa.select(ExchangeMessage).where(ExchangeMessage.document_id == doc.id)
                              .order_by(ExchangeMessage.party_code)).all()
    assert [(r.direction, r.kind, r.party_code, r.document_key) for r in rows] == [
        ("out", "document", "000.00.00.G09", key), ("out", "document", "000.00.00.G22", key)]
    assert [r.filename for r in rows] == [p.name for p in files]
    assert all(r.sha256 == hashlib.sha256(p.read_bytes()).hexdigest() for r, p in zip(rows, files, strict=True))

    # the page: the download button, and the envelopes sent in the exchange history
    client = login_as(users["clerk"])
    page = client.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert 'id="edxml-download"' in page and page.count("exchange-out-document") == 2
    # a status message the receiver sent back shows on the document too
    importer.import_status(envelopes.status_envelope(code="04", about_code=doc.number_symbol,
                                                     about_date=doc.issued_date), actor=users["clerk"])
    db.session.commit()
    page = client.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert page.count("exchange-in-status") == 1 and "04 –" in page
    download = client.get(f"/exchange/outgoing/{doc.id}.edxml")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert etree.fromstring(download.data).findtext(".//e:Subject", namespaces=E) == doc.subject
    draft = outgoing.create_draft({"doc_type": "CV", "subject": "Dự thảo"}, actor=users["specialist"])
    db.session.commit()
    spec = app.test_client()
    login(spec, users["specialist"].username)
    draft_page = spec.get(f"/outgoing/{draft.id}")
    assert draft_page.status_code == 200 and 'id="edxml-download"' not in draft_page.get_data(as_text=True)
    assert spec.get(f"/exchange/outgoing/{draft.id}.edxml").status_code == 409
