"""Reading edXML envelopes (issue 8/9): six+ shapes real senders emit each map every field onto a
registered incoming document (through the clerk's registration: numbering, duplicate check, audit);
ResponseFor links our outgoing document; closed codes resolve to their successor; the API, the upload
page and the CLI import; a Status message is kept on our outgoing document; a refusal can answer the
sender with a 02 status message."""

import hashlib
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from docflow.core.errors import Conflict
from docflow.core.models import AuditEvent
from docflow.core.timeutil import today
from docflow.exchange.importer import import_envelope, import_status
from docflow.exchange.models import ExchangeMessage
from docflow.incoming.models import IncomingDocument
from docflow.registry.models import Attachment, Organization
from docflow.registry.reference import save_organization
from tests.conftest import csrf_token_from
from tests.exchange.conftest import counts
from tests.exchange.envelopes import ISSUED, NS, SENDER_CODE, SENDER_NAME, SHAPES, envelope, status_envelope


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_maps_every_field(db, clerk, files, shape):
    due = today() + timedelta(days=10)
    data = envelope(**SHAPES[shape], files=[("cong-van.pdf", files["pdf"]), ("phu-luc.docx", files["docx"])],
                    due=due, priority=2, pages=3, copies=4)
    doc = import_envelope(data, actor=clerk, filename=f"{shape}.edxml")
    db.session.commit()
    doc = db.session.get(IncomingDocument, doc.id)
    assert (doc.number_symbol, doc.issued_date, doc.subject) == (
        "7816/VPCP-TTĐT", ISSUED, "Về việc triển khai Nghị định 30/2020/NĐ-CP về công tác văn thư")
    assert (doc.sender_org.code, doc.sender_org.name, doc.sender_name) == (SENDER_CODE, SENDER_NAME, SENDER_NAME)
    assert (doc.doc_type.code, doc.urgency, doc.signer, doc.due_date, doc.pages, doc.copies) == (
        "CV", "very_urgent", "Nguyễn Văn Tín", due, 3, 4)
    assert (doc.medium, doc.status, doc.number, doc.received_date) == ("electronic", "registered", 1, today())
    stored = db.session.scalars(sa.select(Attachment).where(Attachment.document_id == doc.id)
                                .order_by(Attachment.id)).all()
    assert [(a.filename, a.sha256) for a in stored] == [("cong-van.pdf", sha(files["pdf"])),
                                                        ("phu-luc.docx", sha(files["docx"]))]
    message = db.session.scalars(sa.select(ExchangeMessage).where(ExchangeMessage.direction == "in")).one()
    assert (message.direction, message.kind, message.document_id, message.party_code, message.filename) == (
        "in", "document", doc.id, SENDER_CODE, f"{shape}.edxml")
    assert message.document_key == f"{SENDER_CODE},2025/09/30,7816/VPCP-TTĐT"
    assert message.sha256 == sha(data) and message.size == len(data)
    logged = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "documents",
                                                                   AuditEvent.object_id == str(doc.id))).all()
    assert {"incoming.register", "attachment.add", "exchange.import"} <= set(logged)


def test_response_for_successor_type_priority_and_duplicate(db, clerk, users, our_outgoing):
    successor = save_organization({"name": "Ủy ban nhân dân thành phố Huế", "code": "000.00.00.H57"})
    save_organization({"name": "Ủy ban nhân dân tỉnh Thừa Thiên Huế (cũ)", "code": "000.00.00.H46",
                       "active": False, "successor_id": successor.id})
    db.session.commit()
    data = envelope(prefixed=False, date_format="dmy", organ_id="000.00.00.H46", organ_name="UBND tỉnh TT Huế",
                    number="45", notation="QĐ-UBND", type_name="Quyết định", priority=3, signer=None,
                    response_for=[{"code": our_outgoing.number_symbol, "date": our_outgoing.issued_date}])
    doc = import_envelope(data, actor=clerk)
    db.session.commit()
    assert doc.sender_org_id == successor.id and doc.sender_name == successor.name
    assert (doc.doc_type.code, doc.urgency, doc.signer, doc.number_symbol) == ("QĐ", "flash", None, "45/QĐ-UBND")
    message = db.session.scalars(sa.select(ExchangeMessage).where(ExchangeMessage.direction == "in")).one()
    assert message.response_for_id == our_outgoing.id
    # the same envelope again: the clerk's duplicate check, 409 naming the document registered
    with pytest.raises(Conflict) as caught:
        import_envelope(data, actor=clerk)
    assert caught.value.extra["existing_id"] == doc.id
    db.session.rollback()
    # an unknown sender is added to the registry by its code; an unknown type name is Công văn, noted
    other = import_envelope(envelope(organ_id="000.00.00.G12", organ_name="Bộ Tài chính", type_name="Văn bản liên tịch",
                                     number="9"), actor=clerk)
    db.session.commit()
    org = db.session.scalar(sa.select(Organization).where(Organization.code == "000.00.00.G12"))
    assert other.sender_org_id == org.id and org.name == "Bộ Tài chính"
    assert other.doc_type.code == "CV" and "Văn bản liên tịch" in other.notes and other.number == 2


def test_status_message_about_our_document(db, clerk, our_outgoing):
    message = import_status(status_envelope(code="04", about_code=our_outgoing.number_symbol,
                                            about_date=our_outgoing.issued_date, description="Đã phân công"),
                            actor=clerk)
    db.session.commit()
    assert (message.direction, message.kind, message.document_id, message.status_code, message.description,
            message.party_code) == ("in", "status", our_outgoing.id, "04", "Đã phân công", SENDER_CODE)


def test_api_imports_refuses_and_answers_the_sender(app, db, api, users, clerk, files, our_outgoing, tmp_path):
    app.config["EXCHANGE_OUTBOX"] = str(tmp_path / "outbox")
    as_clerk = api(clerk)
    data = envelope(files=[("cong-van.pdf", files["pdf"])])
    answer = as_clerk.post("/incoming/edxml", data=data, content_type="application/xml")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["kind"], body["number_symbol"], body["issued_date"], body["medium"], body["urgency"]) == (
        "document", "7816/VPCP-TTĐT", "2025-09-30", "electronic", "urgent")
    # the same envelope as a multipart file: the duplicate check
    again = as_clerk.post("/incoming/edxml", data={"file": (io.BytesIO(data), "x.edxml")},
                          content_type="multipart/form-data")
    assert again.status_code == 409 and again.get_json()["existing_id"] == body["id"]
    # a status message about our outgoing document
    status = as_clerk.post("/incoming/edxml", data=status_envelope(
        code="06", about_code=our_outgoing.number_symbol, about_date=our_outgoing.issued_date),
        content_type="application/xml")
    assert status.status_code == 201 and status.get_json()["kind"] == "status"
    assert status.get_json()["document_id"] == our_outgoing.id
    # JSON is not an envelope; a specialist may not import
    wrong = as_clerk.post("/incoming/edxml", json={"not": "an envelope"})
    assert wrong.status_code in (415, 422) and wrong.mimetype == "application/problem+json"
    assert api(users["specialist"]).post("/incoming/edxml", data=data,
                                         content_type="application/xml").status_code == 403
    before = counts()
    # a refusal names what is wrong and, asked for, carries the 02 status message for the sender
    refused = as_clerk.post("/incoming/edxml?status=1", data=envelope(omit=("Subject",), number="77"),
                            content_type="application/xml")
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert "Subject" in problem["errors"]
    status_xml = etree.fromstring(problem["status_message"].encode())
    assert status_xml.findtext(f".//{{{NS}}}StatusCode") == "02"
    assert status_xml.findtext(f".//{{{NS}}}ResponseFor/{{{NS}}}Code") == "77/VPCP-TTĐT"
    assert status_xml.findtext(f".//{{{NS}}}ResponseFor/{{{NS}}}OrganId") == SENDER_CODE
    assert len(list((tmp_path / "outbox").glob("*-02.edxml"))) == 1
    after = counts()
    assert after == {**before, "exchange": before["exchange"] + 1}  # the 02 message alone
    sent = db.session.scalars(sa.select(ExchangeMessage).where(ExchangeMessage.status_code == "02")).one()
    assert (sent.direction, sent.kind, sent.document_id, sent.party_code) == ("out", "status", None, SENDER_CODE)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "exchange.refuse")) == 2  # the JSON body and this


def test_upload_page_imports_several_files(app, db, client, login_as, clerk, users, files):
    login_as(users["specialist"])
    assert client.get("/exchange/import").status_code == 403
    assert 'id="nav-edxml-import"' not in client.get("/dashboard").get_data(as_text=True)
    client.post("/auth/logout")
    login_as(clerk)
    assert 'href="/exchange/import" id="nav-edxml-import"' in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/exchange/import")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    answer = client.post("/exchange/import", content_type="multipart/form-data", data={
        "csrf_token": token,
        "files": [(io.BytesIO(envelope(files=[("a.pdf", files["pdf"])])), "../in\x07box/o\x07ne.edxml"),
                  (io.BytesIO(envelope(number="8", date_format="dmy", prefixed=False)), "two.edxml"),
                  (io.BytesIO(b"not xml at all"), "three.edxml")]})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.count('class="edxml-ok"') == 2 and html.count('class="edxml-refused"') == 1
    assert "7816/VPCP-TTĐT" in html and "8/VPCP-TTĐT" in html and "three.edxml" in html
    numbers = db.session.scalars(sa.select(IncomingDocument.number).order_by(IncomingDocument.number)).all()
    assert numbers == [1, 2]
    names = db.session.scalars(sa.select(ExchangeMessage.filename).where(ExchangeMessage.direction == "in")
                               .order_by(ExchangeMessage.id)).all()
    assert names == ["one.edxml", "two.edxml"]  # a display name: no path, no control character
    empty = client.post("/exchange/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 422


def test_cli_imports_a_folder(app, db, clerk, files, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.edxml").write_bytes(envelope(files=[("a.pdf", files["pdf"])]))
    (folder / "b.edxml").write_bytes(envelope(number="9", business="Business"))
    (folder / "c.edxml").write_bytes(envelope(number="10", issued="2025/02/30"))
    (folder / "notes.txt").write_text("ignored")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["docflow", "exchange", "import", str(folder), "--as", clerk.username])
    assert result.exit_code == 1, result.output
    assert "a.edxml: registered as incoming no. 1" in result.output
    assert "b.edxml: registered as incoming no. 2" in result.output
    assert "c.edxml: refused (422): PromulgationDate" in result.output
    assert "2 imported, 1 refused." in result.output
    ok = runner.invoke(args=["docflow", "exchange", "import", str(folder / "b.edxml"), "--as", clerk.username])
    assert ok.exit_code == 1 and "refused (409)" in ok.output and "existing document id" in ok.output
    assert runner.invoke(args=["docflow", "exchange", "import", str(folder), "--as", "nobody"]).exit_code == 2


def test_upload_page_is_named_as_its_menu_entry_and_says_its_error_keys_in_words(client, login_as, clerk):
    """The menu said "Tiếp nhận gói tin edXML" and the page "Nhập gói tin edXML"; a refused file's reasons
    were headed by the importer's internal key ("envelope") on the Vietnamese page."""
    login_as(clerk)
    with client.session_transaction() as session:
        session["lang"] = "vi"
    page = client.get("/exchange/import").get_data(as_text=True)
    assert 'id="nav-edxml-import">Tiếp nhận gói tin edXML</a>' in page
    assert '<h1 class="h3 mb-3">Tiếp nhận gói tin edXML</h1>' in page
    answer = client.post("/exchange/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token_from(page), "files": [(io.BytesIO(b"not xml at all"), "junk.edxml")]})
    html = answer.get_data(as_text=True)
    refused = html[html.index('class="edxml-refused"'):]
    assert "<strong>Gói tin</strong>:" in refused and "<strong>envelope</strong>" not in refused


def test_a_status_message_received_names_our_document_by_its_number(client, login_as, clerk, our_outgoing):
    """The upload page said the status was kept on our outgoing document "#412" (its database id)."""
    login_as(clerk)
    page = client.get("/exchange/import").get_data(as_text=True)
    data = status_envelope(code="04", about_code=our_outgoing.number_symbol, about_date=our_outgoing.issued_date)
    html = client.post("/exchange/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token_from(page), "files": [(io.BytesIO(data), "status.edxml")]}).get_data(as_text=True)
    row = html[html.index('class="edxml-ok"'):]
    row = row[:row.index("</tr>")]
    assert f'<a href="/outgoing/{our_outgoing.id}">{our_outgoing.number_symbol}</a>' in row
    assert f">#{our_outgoing.id}<" not in row
