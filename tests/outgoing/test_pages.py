"""The outgoing pages: drafting with a DOCX, the approval ladder through the pages, issuing with the
number and symbol, dispatch, visibility, and the workflow administration."""

import io
import re

import pytest
import sqlalchemy as sa
from docx import Document as DocxDocument

from docflow.auth.models import Unit
from docflow.outgoing.models import ApprovalAction, DraftVersion, Recipient, Workflow
from docflow.registry import reference
from docflow.registry.models import Document
from tests.conftest import login


def docx_file(text="Dự thảo công văn", name="du-thao.docx"):
    out = io.BytesIO()
    doc = DocxDocument()
    doc.add_paragraph(text)
    doc.save(out)
    out.seek(0)
    return out, name


@pytest.fixture
def as_user(app):
    """A separate logged-in client per user."""

    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


def outgoing_docs(db):
    db.session.expire_all()
    return db.session.scalars(sa.select(Document).where(Document.direction == "outgoing")
                              .order_by(Document.id)).all()


def reload(db, doc_id) -> Document:
    db.session.expire_all()
    return db.session.get(Document, doc_id)


def draft(client, db, *, doc_type="CV", subject="V/v báo cáo tình hình kinh tế quý I", file=True, **extra):
    data = {"doc_type": doc_type, "subject": subject, "urgency": "normal", "confidentiality": "normal",
            "signing_capacity": "KT.", "recipient_names": "Như trên\nLưu: VT", **extra}
    if file:
        data["file"] = docx_file()
    before = {d.id for d in outgoing_docs(db)}
    response = client.post("/outgoing/new", data=data, content_type="multipart/form-data")
    created = [d for d in outgoing_docs(db) if d.id not in before]
    return response, (created[0] if created else None)


def submitted_draft(as_user, db, users, **kw):
    spec = as_user(users["specialist"])
    response, doc = draft(spec, db, **kw)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert spec.post(f"/outgoing/{doc.id}/submit").status_code == 302
    assert reload(db, doc.id).status == "in_review"
    return spec, doc


# ---- the whole ladder ----------------------------------------------------------------------------

@pytest.mark.parametrize(("doc_type", "symbol"), [("CV", "01/UBND-KT"), ("QĐ", "01/QĐ-UBND")])
def test_full_ladder_through_the_pages(as_user, db, users, make_user, doc_type, symbol):
    org = reference.save_organization({"name": "Sở Tài chính tỉnh Đồng Nai", "abbr": "STC"})
    vx = db.session.scalar(sa.select(Unit).where(Unit.code == "VX"))
    db.session.commit()
    org_id, vx_id = org.id, vx.id

    spec = as_user(users["specialist"])
    page = spec.get("/outgoing/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sở Tài chính tỉnh Đồng Nai" in html and users["leader"].full_name in html

    response, doc = draft(spec, db, doc_type=doc_type, recipients=[f"org:{org_id}", f"unit:{vx_id}"],
                          signer_id=str(users["leader"].id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/outgoing/{doc.id}")
    assert doc.status == "draft" and doc.drafter_id == users["specialist"].id
    assert doc.signer == users["leader"].full_name and doc.signing_capacity == "KT."
    versions = db.session.scalars(sa.select(DraftVersion).where(DraftVersion.document_id == doc.id)).all()
    assert [v.number for v in versions] == [1]
    assert versions[0].attachment.content_type.endswith("wordprocessingml.document")
    names = {r.name for r in db.session.scalars(sa.select(Recipient).where(Recipient.document_id == doc.id))}
    assert names == {"Sở Tài chính tỉnh Đồng Nai", "Phòng Văn hóa - Xã hội", "Lưu: VT"}  # "Như trên" is no recipient

    detail = spec.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert f"/files/attachments/{versions[0].attachment_id}" in detail
    assert f"/outgoing/{doc.id}/submit" in detail
    assert f"/outgoing/{doc.id}/approve" not in detail  # the drafter is not shown the decision
    download = spec.get(f"/files/attachments/{versions[0].attachment_id}")
    assert download.status_code == 200 and download.get_data().startswith(b"PK")
    download.close()

    assert spec.post(f"/outgoing/{doc.id}/submit").status_code == 302
    doc = reload(db, doc.id)
    assert (doc.status, doc.current_step) == ("in_review", 1)
    assert versions[0].attachment.text_status == "done"  # the extraction job ran after the commit
    assert "Dự thảo công văn" in versions[0].attachment.text

    head = as_user(users["unit_head"])
    assert doc.subject in head.get("/outgoing/awaiting").get_data(as_text=True)
    assert f"/outgoing/{doc.id}/approve" in head.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert head.post(f"/outgoing/{doc.id}/approve", data={"approve-comment": "Đồng ý"}).status_code == 302
    doc = reload(db, doc.id)
    assert (doc.status, doc.current_step) == ("in_review", 2)
    assert doc.subject not in head.get("/outgoing/awaiting").get_data(as_text=True)

    leader = as_user(users["leader"])
    assert doc.subject in leader.get("/outgoing/awaiting").get_data(as_text=True)
    assert leader.post(f"/outgoing/{doc.id}/approve").status_code == 302
    doc = reload(db, doc.id)
    assert doc.status == "approved" and doc.number_symbol is None

    clerk = as_user(users["clerk"])
    assert doc.subject in clerk.get("/outgoing/tracking").get_data(as_text=True)
    page = clerk.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert f"/outgoing/{doc.id}/issue" in page
    response = clerk.post(f"/outgoing/{doc.id}/issue", data={"issue-issued_date": ""})
    assert response.status_code == 302
    doc = reload(db, doc.id)
    assert doc.status == "issued" and doc.number == 1 and doc.number_symbol == symbol
    assert doc.issued_sha256 == versions[0].attachment.sha256
    page = clerk.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert re.search(r'id="number-symbol">\s*' + re.escape(symbol), page)
    assert f"/outgoing/{doc.id}/dispatch" in page
    assert symbol in spec.get("/outgoing/").get_data(as_text=True)

    recipients = db.session.scalars(sa.select(Recipient).where(Recipient.document_id == doc.id)
                                    .order_by(Recipient.id)).all()
    unit_recipient = next(r for r in recipients if r.unit_id == vx_id)
    # issued but not yet dispatched: not in the recipient unit's inbox (its head is notified on dispatch)
    early = as_user(make_user("specialist", unit="VX"))
    assert symbol not in early.get("/outgoing/internal").get_data(as_text=True)
    response = clerk.post(f"/outgoing/{doc.id}/dispatch",
                          data={"dispatch-channel": "paper", "dispatch-envelopes": "2",
                                "dispatch-recipient_ids": [str(recipients[0].id), str(unit_recipient.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    sent = {r.id: r for r in db.session.scalars(sa.select(Recipient).where(Recipient.document_id == doc.id))}
    assert sent[recipients[0].id].channel == "paper" and sent[recipients[0].id].envelopes == 2
    assert sent[unit_recipient.id].dispatched_at is not None
    assert all(r.dispatched_at is None for rid, r in sent.items() if rid not in (recipients[0].id, unit_recipient.id))

    vx_user = as_user(make_user("specialist", unit="VX"))
    inbox = vx_user.get("/outgoing/internal").get_data(as_text=True)
    assert symbol in inbox
    # issued documents: no step is due, so the list has no column for it (the drafts' lists keep theirs)
    assert "<th>Status</th>" in inbox and "Step due" not in inbox
    assert "<th>Step due</th>" in clerk.get("/outgoing/tracking").get_data(as_text=True)
    assert symbol not in as_user(make_user("specialist", unit="VP")).get("/outgoing/internal").get_data(as_text=True)


# ---- return, resubmit ---------------------------------------------------------------------------

def test_return_requires_a_comment_and_resumes_at_the_returning_step(as_user, db, users):
    spec, doc = submitted_draft(as_user, db, users)
    head = as_user(users["unit_head"])
    assert head.post(f"/outgoing/{doc.id}/approve").status_code == 302
    leader = as_user(users["leader"])
    before = reload(db, doc.id)
    version, actions = before.version, db.session.scalar(sa.select(sa.func.count(ApprovalAction.id)))

    response = leader.post(f"/outgoing/{doc.id}/return", data={"return-comment": "   "})
    assert response.status_code == 200
    assert "A comment is required." in response.get_data(as_text=True)
    after = reload(db, doc.id)
    assert (after.status, after.current_step, after.version) == ("in_review", 2, version)
    assert db.session.scalar(sa.select(sa.func.count(ApprovalAction.id))) == actions

    response = leader.post(f"/outgoing/{doc.id}/return", data={"return-comment": "Bổ sung số liệu quý I."})
    assert response.status_code == 302
    doc = reload(db, doc.id)
    assert (doc.status, doc.current_step) == ("returned", 2)

    page = spec.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert "Returned for revision" in page and "Bổ sung số liệu quý I." in page
    file, name = docx_file("Dự thảo lần 2", "du-thao-2.docx")
    response = spec.post(f"/outgoing/{doc.id}/versions", data={"upload-file": (file, name), "upload-note": "Bổ sung"},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalars(sa.select(DraftVersion.number).where(DraftVersion.document_id == doc.id)
                              .order_by(DraftVersion.number)).all() == [1, 2]
    assert spec.post(f"/outgoing/{doc.id}/submit").status_code == 302
    doc = reload(db, doc.id)
    assert (doc.status, doc.current_step) == ("in_review", 2)  # not back to the unit head
    assert doc.subject in leader.get("/outgoing/awaiting").get_data(as_text=True)
    assert doc.subject not in head.get("/outgoing/awaiting").get_data(as_text=True)
    actions = db.session.scalars(sa.select(ApprovalAction.action).where(ApprovalAction.document_id == doc.id)
                                 .order_by(ApprovalAction.id)).all()
    assert actions == ["submit", "approve", "return", "resubmit"]


def test_reject_needs_a_reason_and_is_final(as_user, db, users):
    spec, doc = submitted_draft(as_user, db, users)
    head = as_user(users["unit_head"])
    response = head.post(f"/outgoing/{doc.id}/reject", data={"reject-comment": ""})
    assert response.status_code == 200 and "A comment is required." in response.get_data(as_text=True)
    assert reload(db, doc.id).status == "in_review"
    assert head.post(f"/outgoing/{doc.id}/reject", data={"reject-comment": "Không cần ban hành."}).status_code == 302
    assert reload(db, doc.id).status == "rejected"
    page = spec.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert "Không cần ban hành." in page and f"/outgoing/{doc.id}/submit" not in page


# ---- who may act ---------------------------------------------------------------------------------

def test_wrong_approver_and_the_drafter_get_403(as_user, db, users, make_user):
    spec, doc = submitted_draft(as_user, db, users)
    state = reload(db, doc.id)
    version = state.version

    assert spec.post(f"/outgoing/{doc.id}/approve").status_code == 403  # own draft
    assert spec.post(f"/outgoing/{doc.id}/return", data={"return-comment": "x"}).status_code == 403
    assert reload(db, doc.id).version == version

    head = as_user(users["unit_head"])
    assert head.post(f"/outgoing/{doc.id}/approve").status_code == 302
    doc = reload(db, doc.id)
    assert doc.current_step == 2
    # the unit head still sees the draft, but the leader's step is not theirs
    assert head.get(f"/outgoing/{doc.id}").status_code == 200
    assert f"/outgoing/{doc.id}/approve" not in head.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    assert head.post(f"/outgoing/{doc.id}/approve").status_code == 403
    assert head.post(f"/outgoing/{doc.id}/reject", data={"reject-comment": ""}).status_code == 403
    assert (reload(db, doc.id).status, reload(db, doc.id).current_step) == ("in_review", 2)

    # the head of another unit does not even see it
    other_head = as_user(make_user("unit_head", unit="VX"))
    assert other_head.post(f"/outgoing/{doc.id}/approve").status_code == 404
    assert reload(db, doc.id).current_step == 2


def test_a_drafter_who_heads_the_unit_cannot_approve_own_draft(as_user, db, users):
    head = as_user(users["unit_head"])
    response, doc = draft(head, db)
    assert response.status_code == 302
    assert head.post(f"/outgoing/{doc.id}/submit").status_code == 302
    doc = reload(db, doc.id)
    assert (doc.status, doc.current_step) == ("in_review", 2)  # the unit-head step is skipped
    assert head.post(f"/outgoing/{doc.id}/approve").status_code == 403
    assert reload(db, doc.id).status == "in_review"


def test_the_skipped_steps_reason_is_said_in_the_readers_language(as_user, db, users):
    """The reason of a skipped step is written by the system when the draft is submitted, in the submitter's
    language: a draft submitted from the English pages showed "The drafter heads the unit." on the Vietnamese
    ones (and the demo's Vietnamese reason on the English ones)."""
    head = as_user(users["unit_head"])
    head.post("/auth/lang/en", data={"next": "/"})
    response, doc = draft(head, db)
    assert head.post(f"/outgoing/{doc.id}/submit").status_code == 302
    html = head.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    approvals = html[html.index('id="approvals"'):]
    assert "Skipped" in approvals and "The drafter heads the unit." in approvals
    head.post("/auth/lang/vi", data={"next": "/"})
    html = head.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    approvals = html[html.index('id="approvals"'):]
    assert "Người soạn thảo là trưởng đơn vị." in approvals
    assert "The drafter heads the unit." not in approvals


def test_the_cancel_card_is_named_for_the_document_not_the_forms_way_back(as_user, db, users):
    """The card that cancels a draft reused the msgid "Cancel" of the forms' "leave this form" link."""
    spec = as_user(users["specialist"])
    response, doc = draft(spec, db)
    html = spec.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    card = html[:html.index(f'action="/outgoing/{doc.id}/cancel"')]
    assert re.findall(r'<h2 class="h6">([^<]+)</h2>', card)[-1] == "Cancel the document"


def test_issuing_before_approval_is_refused_and_changes_nothing(as_user, db, users, make_user):
    clerk_drafter = as_user(make_user("specialist", "clerk", unit="KT"))
    response, doc = draft(clerk_drafter, db)
    assert response.status_code == 302
    version = reload(db, doc.id).version
    response = clerk_drafter.post(f"/outgoing/{doc.id}/issue", data={"issue-issued_date": ""})
    assert response.status_code == 409
    assert "Only an approved draft can be issued." in response.get_data(as_text=True)
    doc = reload(db, doc.id)
    assert (doc.status, doc.number, doc.number_symbol, doc.version) == ("draft", None, None, version)

    _spec, other = submitted_draft(as_user, db, users, subject="Công văn đang duyệt")
    clerk = as_user(users["clerk"])
    response = clerk.post(f"/outgoing/{other.id}/issue")  # the clerk sees a draft in review, cannot issue it
    assert response.status_code == 409
    assert "Only an approved draft can be issued." in response.get_data(as_text=True)
    assert reload(db, other.id).number is None

    assert as_user(users["specialist"]).post(f"/outgoing/{other.id}/issue").status_code == 403
    assert reload(db, other.id).status == "in_review"


def test_another_units_specialist_cannot_see_the_draft(as_user, db, users, make_user):
    spec = as_user(users["specialist"])
    response, doc = draft(spec, db, subject="Dự thảo riêng của phòng Kinh tế")
    assert response.status_code == 302
    assert "Dự thảo riêng của phòng Kinh tế" in spec.get("/outgoing/").get_data(as_text=True)

    stranger = as_user(make_user("specialist", unit="VX"))
    assert stranger.get(f"/outgoing/{doc.id}").status_code == 404
    assert stranger.get(f"/outgoing/{doc.id}/edit").status_code == 404
    assert stranger.post(f"/outgoing/{doc.id}/submit").status_code == 404
    assert "Dự thảo riêng của phòng Kinh tế" not in stranger.get("/outgoing/").get_data(as_text=True)
    assert stranger.get("/outgoing/999999").status_code == 404
    assert stranger.get("/outgoing/99999999999").status_code == 404


# ---- the draft form ------------------------------------------------------------------------------

def test_new_draft_errors_show_on_the_fields_and_nothing_is_saved(as_user, db, users):
    spec = as_user(users["specialist"])
    response, doc = draft(spec, db, subject="", file=False, doc_type="NOPE")
    assert response.status_code == 200 and doc is None
    html = response.get_data(as_text=True)
    assert "Enter the subject (trích yếu)." in html
    assert "Unknown document type." in html
    assert "Choose the draft&#39;s file (DOCX or PDF)." in html or "Choose the draft's file" in html

    png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    response = spec.post("/outgoing/new", data={"doc_type": "CV", "subject": "Ảnh", "file": (png, "anh.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    assert "A draft version must be a DOCX or PDF file." in response.get_data(as_text=True)
    assert outgoing_docs(db) == []

    response, doc = draft(spec, db, recipients=["org:999999", "unit:abc"], reply_to=["123456"])
    assert response.status_code == 200 and doc is None
    html = response.get_data(as_text=True)
    assert "Choose a known organisation." in html and "Choose an active unit." in html
    assert "is unknown to you" in html


def test_roles_that_do_not_draft_get_403(as_user, users):
    for role in ("clerk", "archivist", "admin"):
        client = as_user(users[role])
        assert client.get("/outgoing/new").status_code == 403
        assert client.post("/outgoing/new", data={"subject": "x"}).status_code == 403


def test_edit_saves_and_a_stale_version_overwrites_nothing(as_user, db, users):
    spec = as_user(users["specialist"])
    response, doc = draft(spec, db)
    page = spec.get(f"/outgoing/{doc.id}/edit")
    assert page.status_code == 200
    shown = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True)).group(1)
    assert int(shown) == reload(db, doc.id).version
    base = {"doc_type": "CV", "urgency": "urgent", "confidentiality": "normal", "recipient_names": "Như trên"}
    response = spec.post(f"/outgoing/{doc.id}/edit", data={**base, "subject": "Tiêu đề mới", "version": shown})
    assert response.status_code == 302
    doc = reload(db, doc.id)
    assert doc.subject == "Tiêu đề mới" and doc.urgency == "urgent"

    response = spec.post(f"/outgoing/{doc.id}/edit", data={**base, "subject": "Ghi đè", "version": shown})
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert reload(db, doc.id).subject == "Tiêu đề mới"

    other = as_user(users["unit_head"])
    assert other.get(f"/outgoing/{doc.id}/edit").status_code in (403, 404)


def test_stale_decision_is_refused(as_user, db, users):
    _spec, doc = submitted_draft(as_user, db, users)
    head = as_user(users["unit_head"])
    stale = reload(db, doc.id).version - 1
    response = head.post(f"/outgoing/{doc.id}/approve", data={"approve-version": str(stale)})
    assert response.status_code == 409
    assert "Someone else changed this document" in response.get_data(as_text=True)
    assert reload(db, doc.id).current_step == 1


def test_bad_input_is_never_a_500(as_user, db, users):
    spec = as_user(users["specialist"])
    assert spec.get("/outgoing/?status=nonsense&year=abc&page=zz").status_code == 200
    assert spec.get("/outgoing/?year=99999").status_code == 200
    _spec, doc = submitted_draft(as_user, db, users)
    head = as_user(users["unit_head"])
    assert head.post(f"/outgoing/{doc.id}/approve", data={"approve-version": "x"}).status_code in (200, 422)
    assert head.post(f"/outgoing/{doc.id}/approve").status_code == 302
    assert as_user(users["leader"]).post(f"/outgoing/{doc.id}/approve").status_code == 302
    clerk = as_user(users["clerk"])
    response = clerk.post(f"/outgoing/{doc.id}/issue", data={"issue-issued_date": "2999-01-01"})
    assert response.status_code == 200 and "cannot be in the future" in response.get_data(as_text=True)
    response = clerk.post(f"/outgoing/{doc.id}/issue", data={"issue-issued_date": "31/02/2026"})
    assert response.status_code == 200 and "Enter a real date" in response.get_data(as_text=True)
    assert reload(db, doc.id).status == "approved"
    assert clerk.post(f"/outgoing/{doc.id}/issue").status_code == 302
    response = clerk.post(f"/outgoing/{doc.id}/issue")
    assert response.status_code == 409 and "already issued" in response.get_data(as_text=True)
    response = clerk.post(f"/outgoing/{doc.id}/dispatch", data={"dispatch-channel": "pigeon",
                                                                 "dispatch-envelopes": "abc"})
    assert response.status_code == 200
    response = clerk.post(f"/outgoing/{doc.id}/dispatch", data={"dispatch-channel": "pigeon"})
    assert response.status_code == 200 and "One of paper, electronic, email." in response.get_data(as_text=True)
    response = clerk.post(f"/outgoing/{doc.id}/dispatch", data={"dispatch-channel": "email",
                                                                 "dispatch-recipient_ids": ["99999"]})
    assert response.status_code == 200 and "Some recipients are not on this document." in response.get_data(
        as_text=True)


def test_cancel_an_issued_document_keeps_its_number(as_user, db, users):
    _spec, doc = submitted_draft(as_user, db, users)
    as_user(users["unit_head"]).post(f"/outgoing/{doc.id}/approve")
    as_user(users["leader"]).post(f"/outgoing/{doc.id}/approve")
    clerk = as_user(users["clerk"])
    assert clerk.post(f"/outgoing/{doc.id}/issue").status_code == 302
    response = clerk.post(f"/outgoing/{doc.id}/cancel", data={"cancel-reason": ""})
    assert response.status_code == 200 and "Give the reason for cancelling." in response.get_data(as_text=True)
    assert clerk.post(f"/outgoing/{doc.id}/cancel", data={"cancel-reason": "Sai thể thức"}).status_code == 302
    doc = reload(db, doc.id)
    assert doc.status == "cancelled" and doc.number_symbol == "01/UBND-KT"


# ---- inboxes -----------------------------------------------------------------------------------

def test_awaiting_highlights_overdue_steps_and_tracking_is_for_leaders_and_clerks(as_user, db, users):
    _spec, doc = submitted_draft(as_user, db, users)
    row = reload(db, doc.id)
    row.step_due_date = row.step_due_date.replace(year=row.step_due_date.year - 1)
    db.session.commit()
    head = as_user(users["unit_head"])
    page = head.get("/outgoing/awaiting").get_data(as_text=True)
    assert doc.subject in page and "table-danger overdue" in page and 'id="overdue-count"' in page
    assert head.get("/outgoing/tracking").status_code == 403
    assert as_user(users["specialist"]).get("/outgoing/tracking").status_code == 403
    assert as_user(users["leader"]).get("/outgoing/tracking").status_code == 200


# ---- workflow administration -----------------------------------------------------------------------

def workflow_data(name, *, doc_types=(), steps=(), **extra):
    data = {"name": name, "doc_types": list(doc_types), "active": "y", **extra}
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
    return data


def test_workflow_pages_are_for_admins(as_user, db, users):
    wf_id = db.session.scalar(sa.select(Workflow.id))
    for role in ("specialist", "leader", "clerk", "unit_head"):
        client = as_user(users[role])
        assert client.get("/outgoing/workflows").status_code == 403
        assert client.get("/outgoing/workflows/new").status_code == 403
        assert client.post("/outgoing/workflows/new", data=workflow_data("X")).status_code == 403
        assert client.get(f"/outgoing/workflows/{wf_id}").status_code == 403
    admin = as_user(users["admin"])
    assert admin.get("/outgoing/workflows").status_code == 200
    assert admin.get(f"/outgoing/workflows/{wf_id}").status_code == 200
    assert admin.get("/outgoing/workflows/99999").status_code == 404


def test_a_bound_type_uses_its_workflow(as_user, db, users):
    admin = as_user(users["admin"])
    response = admin.post("/outgoing/workflows/new", data=workflow_data("Quyết định", doc_types=["QĐ"]))
    assert response.status_code == 200 and "Give at least one step." in response.get_data(as_text=True)
    response = admin.post("/outgoing/workflows/new", data=workflow_data(
        "Quyết định", doc_types=["QĐ"], steps=[{"name": "Lãnh đạo", "kind": "role", "role": "", "days": "1"}]))
    assert response.status_code == 200 and "step-error" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Workflow.id))) == 1

    response = admin.post("/outgoing/workflows/new", data=workflow_data(
        "Quyết định", doc_types=["QĐ"],
        steps=[{"name": "Chánh văn phòng", "kind": "user", "user_id": str(users["clerk"].id), "days": "1"},
               {"name": "Lãnh đạo ký", "kind": "role", "role": "leader", "days": "2"}]))
    assert response.status_code == 302
    db.session.expire_all()
    wf = db.session.scalar(sa.select(Workflow).where(Workflow.name == "Quyết định"))
    assert [b.doc_type.code for b in wf.bindings] == ["QĐ"]
    assert [(s.kind, s.user_id, s.role, s.days) for s in wf.steps] == [
        ("user", users["clerk"].id, None, 1), ("role", None, "leader", 2)]
    assert "Quyết định" in admin.get("/outgoing/workflows").get_data(as_text=True)

    spec = as_user(users["specialist"])
    _r, qd = draft(spec, db, doc_type="QĐ", subject="Quyết định khen thưởng")
    _r, cv = draft(spec, db, doc_type="CV", subject="Công văn thường")
    assert qd.workflow_id == wf.id and cv.workflow_id != wf.id
    assert spec.post(f"/outgoing/{qd.id}/submit").status_code == 302
    clerk = as_user(users["clerk"])
    assert "Quyết định khen thưởng" in clerk.get("/outgoing/awaiting").get_data(as_text=True)
    assert "Quyết định khen thưởng" not in as_user(users["unit_head"]).get("/outgoing/awaiting").get_data(
        as_text=True)
    assert "Chánh văn phòng" in spec.get(f"/outgoing/{qd.id}").get_data(as_text=True)

    # editing: the form comes back filled; a stale version overwrites nothing
    page = admin.get(f"/outgoing/workflows/{wf.id}").get_data(as_text=True)
    assert 'value="Chánh văn phòng"' in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    edit = workflow_data("Quyết định (2 bước)", doc_types=["QĐ"], version=version,
                         steps=[{"name": "Lãnh đạo ký", "kind": "role", "role": "leader", "days": "3"}])
    assert admin.post(f"/outgoing/workflows/{wf.id}", data=edit).status_code == 302
    response = admin.post(f"/outgoing/workflows/{wf.id}", data={**edit, "name": "Ghi đè"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Workflow, wf.id).name == "Quyết định (2 bước)"


def test_a_reply_completes_the_incoming_document_it_answers(as_user, db, users, make_user):
    from datetime import date

    from docflow.incoming import services as incoming

    letter = incoming.register_incoming({"sender_name": "Sở Tài chính", "number_symbol": "15/STC-NS",
                                         "issued_date": date.today().isoformat(), "doc_type": "CV",
                                         "subject": "Đề nghị báo cáo số liệu"}, actor=users["clerk"])
    incoming.assign(letter, actor=users["leader"], instruction="Phòng Kinh tế trả lời",
                    assignees=[{"role": "primary", "user_id": users["specialist"].id}])
    db.session.commit()
    letter_id = letter.id

    spec = as_user(users["specialist"])
    assert "15/STC-NS" in spec.get("/outgoing/new").get_data(as_text=True)  # offered as a document to answer
    stranger = as_user(make_user("specialist", unit="VX"))
    assert "15/STC-NS" not in stranger.get("/outgoing/new").get_data(as_text=True)
    response, doc = draft(stranger, db, reply_to=[str(letter_id)])  # not theirs to answer
    assert response.status_code == 200 and doc is None and "is unknown to you" in response.get_data(as_text=True)

    _spec, doc = submitted_draft(as_user, db, users, reply_to=[str(letter_id)])
    assert "15/STC-NS" in spec.get(f"/outgoing/{doc.id}").get_data(as_text=True)
    as_user(users["unit_head"]).post(f"/outgoing/{doc.id}/approve")
    as_user(users["leader"]).post(f"/outgoing/{doc.id}/approve")
    assert as_user(users["clerk"]).post(f"/outgoing/{doc.id}/issue").status_code == 302
    letter = reload(db, letter_id)
    assert letter.status == "completed" and letter.reply_number_symbol == "01/UBND-KT"


def test_the_nav_include_renders_per_role(app, users):
    from flask import render_template_string
    from flask_login import login_user

    # "awaiting my approval" only for approvers; the workflows live in the Administration menu (base.html)
    for role, shown, hidden in (("specialist", ["/outgoing/new"], ["/outgoing/awaiting", "/outgoing/workflows"]),
                                ("unit_head", ["/outgoing/new", "/outgoing/awaiting"], ["/outgoing/workflows"]),
                                ("admin", [], ["/outgoing/new", "/outgoing/tracking", "/outgoing/workflows"]),
                                ("clerk", ["/outgoing/tracking"], ["/outgoing/new"])):
        with app.test_request_context("/"):
            login_user(users[role])
            html = render_template_string('{% include "outgoing/_nav.html" %}')
        assert all(link in html for link in shown), role
        assert not any(link in html for link in hidden), role
