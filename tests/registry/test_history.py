"""A document's history told as sentences (docflow/registry/history.py): in the page's language,
people by their full names, dates as dd/mm/yyyy, no hash, id or action code; the same on the admin
audit page, and a `text` field next to the machine fields of the API's history."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import login
from tests.fixtures.files import docx_bytes, pdf_bytes

CLERK, LEADER, HEAD, SPEC = "Lê Thị Hoa", "Trần Văn Bình", "Phạm Minh Quân", "Ngô Thị Mai"
USERNAMES = ("vanthu", "lanhdao", "truongkt", "chuyenvien")


@pytest.fixture
def people(make_user, db):
    return {
        "clerk": make_user("clerk", unit="VP", username="vanthu", full_name=CLERK, clearance="secret"),
        "leader": make_user("leader", unit="VP", username="lanhdao", full_name=LEADER, clearance="secret"),
        "head": make_user("unit_head", unit="KT", username="truongkt", full_name=HEAD),
        "spec": make_user("specialist", unit="KT", username="chuyenvien", full_name=SPEC),
        "admin": make_user("admin", unit="VP", username="quantri", full_name="Đỗ Quang Huy"),
    }


@pytest.fixture
def incoming_doc(people, office, db):
    """Registered, a scan attached, presented to the leader, assigned to the economic unit."""
    from docflow.core.timeutil import today
    from docflow.incoming import services
    from docflow.registry.attachments import add_attachment

    clerk, leader = people["clerk"], people["leader"]
    doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "45/SNV-VP",
                                      "issued_date": today().isoformat(), "subject": "V/v báo cáo công tác văn thư"},
                                     actor=clerk)
    attachment = add_attachment(doc, io.BytesIO(pdf_bytes()), actor=clerk, filename="scan.pdf")
    services.present(doc, actor=clerk, leader_id=leader.id)
    due = today() + timedelta(days=10)
    services.assign(doc, actor=leader, instruction="Phòng Kinh tế báo cáo", due_date=due.isoformat(),
                    assignees=[{"unit_id": office["KT"].id, "role": "primary"},
                               {"user_id": people["spec"].id, "role": "inform"}])
    db.session.commit()
    doc.due = due
    doc.sha256 = attachment.sha256
    doc.attachment_id = attachment.id
    return doc


@pytest.fixture
def outgoing_doc(people, office, db):
    """Drafted with a DOCX, approved by the unit head (with a comment) then the leader, issued, dispatched."""
    from docflow.outgoing import services
    from docflow.outgoing.workflows import ensure_default_workflow

    ensure_default_workflow()
    spec = people["spec"]
    doc = services.create_draft({"doc_type": "CV", "subject": "V/v báo cáo kinh tế quý IV",
                                 "recipients": [{"name": "Sở Tài chính"}]}, actor=spec)
    services.add_version(doc, io.BytesIO(docx_bytes()), actor=spec, filename="du-thao.docx")
    services.submit(doc, actor=spec)
    services.approve(doc, actor=people["head"], comment="Đồng ý trình")
    services.approve(doc, actor=people["leader"])
    services.issue(doc, actor=people["clerk"])
    services.dispatch(doc, actor=people["clerk"], channel="electronic")
    db.session.commit()
    return doc


def _texts(app, doc, lang: str) -> dict[str, list[str]]:
    from docflow.registry.history import history_of

    with app.test_request_context(), force_locale(lang):
        out: dict[str, list[str]] = {}
        for entry in history_of(doc):
            out.setdefault(entry.action, []).append(entry.text)
        return out


def _step_name(db, position: int) -> str:
    from docflow.outgoing.models import Workflow, WorkflowStep

    return db.session.scalar(sa.select(WorkflowStep.name).join(Workflow).where(Workflow.is_default.is_(True),
                                                                             WorkflowStep.position == position))


# ---- the sentences ---------------------------------------------------------------------------

def test_incoming_history_in_vietnamese_and_english(app, incoming_doc):
    due = incoming_doc.due.strftime("%d/%m/%Y")
    vi = _texts(app, incoming_doc, "vi")
    assert vi["incoming.register"] == [f"Vào sổ văn bản đến số {incoming_doc.number}"]
    assert vi["attachment.add"] == ["Đính kèm tệp scan.pdf"]
    assert vi["incoming.submit"] == [f"Trình lãnh đạo {LEADER}"]
    assert vi["incoming.assign"] == [f"Giao xử lý: Phòng Kinh tế chủ trì, {SPEC} để biết, hạn {due}. "
                                     "Ý kiến chỉ đạo: Phòng Kinh tế báo cáo"]
    en = _texts(app, incoming_doc, "en")
    assert en["incoming.register"] == [f"Registered as incoming document no. {incoming_doc.number}"]
    assert en["attachment.add"] == ["Attached the file scan.pdf"]
    assert en["incoming.submit"] == [f"Presented to leader {LEADER}"]
    assert en["incoming.assign"] == [f"Assigned: Phòng Kinh tế leads, {SPEC} for information, due {due}. "
                                     "Direction: Phòng Kinh tế báo cáo"]


def test_outgoing_history_in_vietnamese_and_english(app, db, outgoing_doc):
    from docflow.core.timeutil import today

    step1, step2 = _step_name(db, 1), _step_name(db, 2)
    issued = today().strftime("%d/%m/%Y")
    vi = _texts(app, outgoing_doc, "vi")
    assert vi["outgoing.version"] == ["Dự thảo phiên bản 1: tệp du-thao.docx"]
    assert vi["outgoing.submit"] == ["Trình duyệt dự thảo"]
    assert vi["outgoing.approve"] == [f"Phê duyệt bước 1 ({step1}): ý kiến Đồng ý trình",
                                      f"Phê duyệt bước 2 ({step2}); dự thảo đã được duyệt xong"]
    assert vi["outgoing.issue"] == [f"Ban hành văn bản số {outgoing_doc.number_symbol} ngày {issued}"]
    assert vi["outgoing.dispatch"] == ["Phát hành qua hệ thống văn bản điện tử tới Sở Tài chính"]
    en = _texts(app, outgoing_doc, "en")
    assert en["outgoing.approve"] == [f"Approved step 1 ({step1}); comment: Đồng ý trình",
                                      f"Approved step 2 ({step2}); the draft is fully approved"]
    assert en["outgoing.issue"] == [f"Issued as no. {outgoing_doc.number_symbol} of {issued}"]
    assert en["outgoing.dispatch"] == ["Dispatched electronically to Sở Tài chính"]
    assert en["outgoing.version"] == ["Draft version 1: the file du-thao.docx"]


def test_an_unknown_action_gets_a_generic_sentence(app, db, incoming_doc):
    from docflow.core import audit
    from docflow.registry.history import describe

    event = audit.record("incoming.teleport", object_type="documents", object_id=incoming_doc.id,
                         after={"where": "moon", "sha256": "ab" * 32})
    other = audit.record("mystery.thing", object_type="elsewhere", after=["not", "a", "dict"])
    db.session.commit()
    with app.test_request_context():
        with force_locale("vi"):
            assert describe(event) == "Thay đổi văn bản"
            assert describe(other) == "Thực hiện một thao tác trong hệ thống"
        with force_locale("en"):
            assert describe(event) == "Changed a document"


def test_a_correction_names_the_fields_and_values(app, db, people, incoming_doc):
    from docflow.core import audit
    from docflow.registry.history import describe

    event = audit.record("incoming.update", object_type="documents", object_id=incoming_doc.id,
                         actor=people["clerk"],
                         before={"subject": "Cũ", "received_date": "2026-12-01", "urgency": "normal", "register": 3},
                         after={"subject": "Mới", "received_date": "2026-12-02", "urgency": "urgent", "register": 4})
    db.session.commit()
    with app.test_request_context():
        with force_locale("vi"):
            assert describe(event) == "Đính chính: trích yếu «Cũ» → «Mới»; ngày đến 01/12/2026 → 02/12/2026; " \
                                      "độ khẩn Thường → Khẩn"
        with force_locale("en"):
            assert describe(event) == "Corrected: subject «Cũ» → «Mới»; arrival date 01/12/2026 → 02/12/2026; " \
                                      "urgency Normal → Urgent (Khẩn)"


def test_names_are_resolved_with_one_query_for_the_whole_list(app, db, people, incoming_doc, outgoing_doc):
    from docflow.core.models import AuditEvent
    from docflow.extensions import db as _db
    from docflow.registry import history

    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert len(events) > 15
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context(), force_locale("vi"):
            entries = history.entries(events)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", count)
    on_users = [s for s in statements if re.search(r"\bFROM users\b", s)]
    assert len(on_users) == 1, statements
    assert len(statements) <= 3  # users, units, approval steps
    assert {e.actor for e in entries} >= {CLERK, LEADER, HEAD, SPEC}


# ---- the pages -------------------------------------------------------------------------------

def _history_block(html: str) -> str:
    start = html.index('id="history"')
    return html[start:html.index("</ol>", start)]


def _assert_clean(block: str, *secrets: str) -> None:
    for raw in ("attachment.add", "attachment_id", "sha256", "content_type", "incoming.", "outgoing.", *USERNAMES,
                *secrets):
        assert raw not in block, raw
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", block), "an ISO date"
    assert not re.search(r"\b[0-9a-f]{32,}\b", block), "a hash"


def test_incoming_page_history_speaks_the_pages_language(app, client, people, incoming_doc):
    login(client, "vanthu")
    block = _history_block(client.get(f"/incoming/{incoming_doc.id}").get_data(as_text=True))
    assert "Attached the file scan.pdf" in block and f"Presented to leader {LEADER}" in block
    assert CLERK in block and LEADER in block
    assert incoming_doc.due.strftime("%d/%m/%Y") in block
    _assert_clean(block, incoming_doc.sha256, f"#{incoming_doc.attachment_id}")

    client.post("/auth/lang/vi", data={"next": "/"})
    block = _history_block(client.get(f"/incoming/{incoming_doc.id}").get_data(as_text=True))
    assert "Đính kèm tệp scan.pdf" in block and f"Trình lãnh đạo {LEADER}" in block
    assert "Giao xử lý: Phòng Kinh tế chủ trì" in block
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", block)  # when, in the office's time
    _assert_clean(block, incoming_doc.sha256)


def test_outgoing_page_history_has_no_hash(app, client, people, outgoing_doc):
    from docflow.registry.models import Document

    sha = outgoing_doc.issued_sha256 or app.extensions["sqlalchemy"].session.get(Document, outgoing_doc.id).issued_sha256
    login(client, "vanthu")
    client.post("/auth/lang/vi", data={"next": "/"})
    block = _history_block(client.get(f"/outgoing/{outgoing_doc.id}").get_data(as_text=True))
    assert f"Ban hành văn bản số {outgoing_doc.number_symbol}" in block
    assert "Phê duyệt bước 1" in block and "ý kiến Đồng ý trình" in block
    assert SPEC in block and HEAD in block
    _assert_clean(block, sha)


def test_the_history_times_are_local(app, db, incoming_doc):
    from docflow.core.models import AuditEvent
    from docflow.registry.history import history_of

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "incoming.register"))
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id)
                       .values(created_at=event.created_at.replace(hour=20, minute=5)))  # 20:05 UTC
    db.session.commit()
    db.session.expire_all()
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string('{% from "macros/history.html" import history_list %}{{ history_list(h) }}',
                                      h=history_of(incoming_doc))
    day = event.created_at.replace(hour=20, minute=5) + timedelta(hours=7)
    assert f"{day:%d/%m/%Y} 03:05" in html  # Asia/Ho_Chi_Minh, the next morning


def test_api_history_keeps_its_fields_and_gains_the_sentence(app, api, people, incoming_doc, outgoing_doc):
    body = api(people["clerk"]).get(f"/incoming/{incoming_doc.id}").get_json()
    by_action = {h["action"]: h for h in body["history"]}
    assert {"at", "action", "actor", "data", "text"} <= set(by_action["attachment.add"])
    assert by_action["attachment.add"]["text"] == "Attached the file scan.pdf"
    assert by_action["incoming.submit"]["text"] == f"Presented to leader {LEADER}"
    body = api(people["clerk"]).get(f"/outgoing/{outgoing_doc.id}").get_json()
    assert [h["text"] for h in body["history"] if h["action"] == "outgoing.dispatch"] == [
        "Dispatched electronically to Sở Tài chính"]


def test_admin_audit_page_shows_sentences(app, client, people, incoming_doc):
    login(client, "quantri")
    for lang, signed_in, created in (("en", "Signed in", f"Created the account of {LEADER}"),
                                     ("vi", "Đăng nhập", f"Tạo tài khoản cho {LEADER}")):
        client.post(f"/auth/lang/{lang}", data={"next": "/"})
        html = client.get("/admin/audit").get_data(as_text=True)
        table = html[html.index('id="audit-table"'):html.index("</table>")]
        main = re.sub(r"<details>.*?</details>", "", table, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", main)
        assert signed_in in text and created in text
        assert "Đỗ Quang Huy" in text and CLERK in text
        for raw in ("login.success", "user.create", "attachment.add", "sha256", "quantri", "vanthu"):
            assert raw not in text, raw
        assert "<details>" in table  # the raw event stays one click away for the admin


def test_odd_payloads_never_break_the_audit_page(app, client, people, db):
    from docflow.core import audit

    audit.record("incoming.assign", object_type="documents", object_id="x", after={"assignees": 5, "due_date": 7})
    audit.record("outgoing.approve", object_type="documents", object_id="999999999999", before={"current_step": "a"},
                 after={"status": ["approved"], "comment": {"a": 1}})
    audit.record("setting.update", object_type="setting", object_id="holidays_preloaded",
                 before={"value": [{"a": 1}]}, after={"value": "2026"})
    audit.record("login.failure", object_type="user", object_id=None, after={"username": None, "reason": 3})
    db.session.commit()
    login(client, "quantri")
    response = client.get("/admin/audit")
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<details>.*?</details>", "", response.get_data(as_text=True), flags=re.S))
    assert "incoming.assign" not in text and "outgoing.approve" not in text


def test_exchange_events_are_told_not_a_generic_change(app, db, people, outgoing_doc):
    """The edXML envelopes written on electronic dispatch (or downloaded), and the status messages, used to
    read "Thay đổi văn bản" / "Changed a document" in the document's history."""
    from docflow.core import audit
    from docflow.exchange import outbox

    outbox.export(outgoing_doc, actor=people["clerk"])
    audit.record("exchange.status", object_type="documents", object_id=outgoing_doc.id, actor=people["clerk"],
                 after={"exchange_message_id": 1, "direction": "in", "status_code": "03", "from": "000.00.01.H19",
                        "description": None})
    audit.record("exchange.export", object_type="documents", object_id=outgoing_doc.id,
                 after={"recipient": "Sở Tài chính", "code": "000.00.01.H19", "file": "x.edxml", "sha256": "ab"})
    db.session.commit()
    vi = _texts(app, outgoing_doc, "vi")
    assert "Thay đổi văn bản" not in sum(vi.values(), [])
    assert "Tạo gói tin edXML gửi Sở Tài chính (hộp thư đi)" in vi["exchange.export"]
    assert any(t.startswith("Tải gói tin edXML ") and t.endswith(".edxml") for t in vi["exchange.export"])
    assert vi["exchange.status"] == ["Nhận thông điệp trạng thái edXML 03 (Đã tiếp nhận) từ 000.00.01.H19"]
    en = _texts(app, outgoing_doc, "en")
    assert "Changed a document" not in sum(en.values(), [])
    assert "Wrote the edXML envelope for Sở Tài chính into the outbox" in en["exchange.export"]
    assert en["exchange.status"] == ["Received the edXML status 03 (Accepted and registered) from 000.00.01.H19"]


def test_archive_events_are_told_on_the_audit_page(app, client, db, make_user, people, incoming_doc):
    """The archive's events (dossiers, loans...) used to read "Thực hiện một thao tác trong hệ thống"."""
    from docflow.archive import services

    archivist = make_user("archivist", unit="VP", username="luutru", clearance="secret")
    dossier = services.create_dossier({"code": "01.VP", "title": "Hồ sơ văn thư năm nay", "retention_years": 10},
                                      actor=archivist)
    services.add_document(dossier, incoming_doc.id, actor=archivist)
    db.session.commit()
    login(client, "quantri")
    for lang, created, filed, area in (
            ("vi", "Tạo hồ sơ 01.VP – Hồ sơ văn thư năm nay",
             "Đưa văn bản 45/SNV-VP vào hồ sơ 01.VP – Hồ sơ văn thư năm nay", "Hồ sơ"),
            ("en", "Created the dossier 01.VP – Hồ sơ văn thư năm nay",
             "Filed 45/SNV-VP in the dossier 01.VP – Hồ sơ văn thư năm nay", "Dossiers")):
        client.post(f"/auth/lang/{lang}", data={"next": "/"})
        html = client.get("/admin/audit").get_data(as_text=True)
        table = html[html.index('id="audit-table"'):html.index("</table>")]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<details>.*?</details>", "", table, flags=re.S)))
        assert created in text and filed in text
        assert "Thực hiện một thao tác trong hệ thống" not in text and "Did something in the system" not in text
        assert re.search(rf'value="dossier\." *>{area}</option>', html)  # the area filter names the archive's
