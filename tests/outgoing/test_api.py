"""Outgoing correspondence through /api/v1: drafting, versions, the approval ladder, issuing with the
Decree 30 number-symbol (domain.md §1.2, §1.3, §3), replies, dispatch, workflows and visibility."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from docflow.outgoing.models import OutgoingDocument
from tests.fixtures.files import docx_bytes


def _docx(text="Dự thảo công văn"):
    return docx_bytes(paragraphs=(text, "Kính gửi: Sở Tài chính tỉnh Đồng Nai"))


@pytest.fixture
def people(users, make_user):
    """The users fixture plus a second leader and a specialist of another unit."""
    return {**users,
            "leader2": make_user("leader", unit="VP", clearance="secret", username="leader2"),
            "other_spec": make_user("specialist", unit="VX", username="spec_vx")}


@pytest.fixture
def calls(api, people):
    """One API caller per person (tokens made once)."""
    return {name: api(user) for name, user in people.items()}


def _register(db):
    from docflow.registry.models import Register

    db.session.expire_all()
    return db.session.scalar(sa.select(Register).where(Register.direction == "outgoing",
                                                      Register.is_confidential.is_(False),
                                                      Register.year == today().year))


def _state(db, doc_id):
    """What must not change when an action is refused: the document and the register's counter."""
    from docflow.registry.models import Document

    db.session.expire_all()
    doc = db.session.get(Document, doc_id)
    return (doc.status, doc.version, doc.number, doc.number_symbol, doc.current_step, doc.issued_sha256,
            _register(db).last_number)


def _draft(caller, doc_type="CV", subject="V/v báo cáo tình hình kinh tế quý I", **extra):
    body = {"doc_type": doc_type, "subject": subject,
            "recipients": [{"name": "Sở Tài chính tỉnh Đồng Nai"}, {"name": "Sở Nội vụ tỉnh Đồng Nai"}], **extra}
    response = caller.post("/outgoing", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _version(caller, doc_id, text="Dự thảo", expect=201):
    response = caller.post(f"/outgoing/{doc_id}/versions", data={"file": (io.BytesIO(_docx(text)), "du-thao.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _to_approved(calls, drafter="specialist", **draft):
    doc = _draft(calls[drafter], **draft)
    _version(calls[drafter], doc["id"])
    _ok(calls[drafter].post(f"/outgoing/{doc['id']}/submit"))
    _ok(calls["unit_head"].post(f"/outgoing/{doc['id']}/approve", json={}))
    out = _ok(calls["leader"].post(f"/outgoing/{doc['id']}/approve", json={"comment": "Đồng ý"}))
    assert out["status"] == "approved"
    return out


# ---- the full ladder ---------------------------------------------------------------------------

def test_full_ladder_issues_cong_van_with_unit_symbol(db, calls, people):
    spec, head, leader, clerk = calls["specialist"], calls["unit_head"], calls["leader"], calls["clerk"]
    doc = _draft(spec)
    assert doc["status"] == "draft" and doc["number"] is None and doc["number_symbol"] is None
    assert doc["drafter_id"] == people["specialist"].id
    assert [r["name"] for r in doc["recipients"]] == ["Sở Tài chính tỉnh Đồng Nai", "Sở Nội vụ tỉnh Đồng Nai"]

    v1 = _version(spec, doc["id"], "Bản 1")
    assert v1["number"] == 1 and len(v1["attachment"]["sha256"]) == 64

    submitted = _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    assert submitted["status"] == "in_review" and submitted["current_step"] == 1
    assert submitted["step_due_date"] is not None

    step2 = _ok(head.post(f"/outgoing/{doc['id']}/approve", json={"comment": "Được"}))
    assert step2["status"] == "in_review" and step2["current_step"] == 2

    approved = _ok(leader.post(f"/outgoing/{doc['id']}/approve", json={}))
    assert approved["status"] == "approved" and approved["current_step"] is None
    assert [a["action"] for a in approved["approvals"]] == ["submit", "approve", "approve"]

    last_before = _register(db).last_number
    issued = _ok(clerk.post(f"/outgoing/{doc['id']}/issue", json={}))
    assert issued["status"] == "issued"
    assert issued["number"] == last_before + 1 == 1
    assert issued["number_symbol"] == "01/UBND-KT"
    assert issued["issued_date"] == today().isoformat()
    assert issued["year"] == today().year
    assert issued["register"]["id"] == _register(db).id
    assert _register(db).last_number == 1
    # the issued version is frozen: its SHA-256 is the last version's
    assert issued["issued_sha256"] == issued["versions"][-1]["attachment"]["sha256"] == v1["attachment"]["sha256"]
    before = _state(db, doc["id"])
    response = spec.post(f"/outgoing/{doc['id']}/versions", data={"file": (io.BytesIO(_docx("sửa")), "x.docx")},
                         content_type="multipart/form-data")
    assert response.status_code == 409
    assert _state(db, doc["id"]) == before
    # issued documents are visible office-wide
    assert calls["archivist"].get(f"/outgoing/{doc['id']}").status_code == 200


def test_named_type_symbol_and_padding(db, calls):
    qd = _to_approved(calls, doc_type="QĐ", subject="Quyết định thành lập Tổ công tác")
    assert _ok(calls["clerk"].post(f"/outgoing/{qd['id']}/issue", json={}))["number_symbol"] == "01/QĐ-UBND"
    from docflow.registry.models import Register

    reg = _register(db)
    db.session.execute(sa.update(Register).where(Register.id == reg.id).values(last_number=8))
    db.session.commit()
    ninth = _to_approved(calls, subject="Công văn số chín")
    tenth = _to_approved(calls, doc_type="TB", subject="Thông báo số mười")
    assert _ok(calls["clerk"].post(f"/outgoing/{ninth['id']}/issue", json={}))["number_symbol"] == "09/UBND-KT"
    assert _ok(calls["clerk"].post(f"/outgoing/{tenth['id']}/issue", json={}))["number_symbol"] == "10/TB-UBND"


# ---- return, resubmit, reject ----------------------------------------------------------------

def test_return_needs_comment_and_resubmit_resumes_at_returning_step(db, calls, people):
    spec, head, leader = calls["specialist"], calls["unit_head"], calls["leader"]
    doc = _draft(spec)
    _version(spec, doc["id"], "Bản 1")
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    _ok(head.post(f"/outgoing/{doc['id']}/approve", json={}))

    before = _state(db, doc["id"])
    assert leader.post(f"/outgoing/{doc['id']}/return", json={"comment": ""}).status_code == 422
    assert leader.post(f"/outgoing/{doc['id']}/return", json={"comment": "   "}).status_code == 422
    assert leader.post(f"/outgoing/{doc['id']}/return", json={}).status_code == 422
    assert _state(db, doc["id"]) == before

    returned = _ok(leader.post(f"/outgoing/{doc['id']}/return", json={"comment": "Sửa lại đoạn 2"}))
    assert returned["status"] == "returned"
    assert returned["approvals"][-1]["action"] == "return"
    assert returned["approvals"][-1]["comment"] == "Sửa lại đoạn 2"
    from docflow.core.models import Notification

    assert db.session.scalar(sa.select(Notification.id).where(Notification.user_id == people["specialist"].id,
                                                              Notification.kind == "returned"))
    # nobody approves a returned draft
    assert leader.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 409

    v2 = _version(spec, doc["id"], "Bản 2")
    assert v2["number"] == 2
    resumed = _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    assert resumed["status"] == "in_review" and resumed["current_step"] == 2
    assert resumed["approvals"][-1]["action"] == "resubmit"
    # the unit head already approved; step 2 is the leader's
    assert head.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 403
    approved = _ok(leader.post(f"/outgoing/{doc['id']}/approve", json={}))
    assert approved["status"] == "approved"
    issued = _ok(calls["clerk"].post(f"/outgoing/{doc['id']}/issue", json={}))
    assert issued["issued_sha256"] == v2["attachment"]["sha256"]


def test_return_at_step_one_resumes_at_step_one(db, calls):
    spec, head = calls["specialist"], calls["unit_head"]
    doc = _draft(spec)
    _version(spec, doc["id"])
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    _ok(head.post(f"/outgoing/{doc['id']}/return", json={"comment": "Bổ sung số liệu"}))
    _version(spec, doc["id"], "Bản 2")
    assert _ok(spec.post(f"/outgoing/{doc['id']}/submit"))["current_step"] == 1


def test_reject_is_final(db, calls):
    spec, head = calls["specialist"], calls["unit_head"]
    doc = _draft(spec)
    _version(spec, doc["id"])
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    assert head.post(f"/outgoing/{doc['id']}/reject", json={"comment": ""}).status_code == 422
    rejected = _ok(head.post(f"/outgoing/{doc['id']}/reject", json={"comment": "Không cần ban hành"}))
    assert rejected["status"] == "rejected"
    before = _state(db, doc["id"])
    assert spec.post(f"/outgoing/{doc['id']}/submit").status_code == 409
    _version(spec, doc["id"], expect=409)
    assert _state(db, doc["id"]) == before


def test_submit_needs_a_version(db, calls):
    doc = _draft(calls["specialist"])
    response = calls["specialist"].post(f"/outgoing/{doc['id']}/submit")
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]
    assert _state(db, doc["id"])[0] == "draft"


# ---- who may act -------------------------------------------------------------------------------

def test_wrong_approver_and_drafter_are_refused(db, calls, people):
    spec, head, leader = calls["specialist"], calls["unit_head"], calls["leader"]
    doc = _draft(spec)
    _version(spec, doc["id"])
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    before = _state(db, doc["id"])
    assert spec.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 403  # the drafter
    assert spec.post(f"/outgoing/{doc['id']}/return", json={"comment": "x"}).status_code == 403
    # a leader sees a submitted draft, but may not act before the ladder reaches the leader's step
    assert leader.get(f"/outgoing/{doc['id']}").status_code == 200
    assert leader.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 403
    assert _state(db, doc["id"]) == before
    _ok(head.post(f"/outgoing/{doc['id']}/approve", json={}))
    before = _state(db, doc["id"])
    assert head.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 403  # not their step
    assert head.post(f"/outgoing/{doc['id']}/reject", json={"comment": "x"}).status_code == 403
    assert _state(db, doc["id"]) == before
    # the approver who reaches it sees it; either leader may approve the leader step
    assert leader.get(f"/outgoing/{doc['id']}").status_code == 200
    assert _ok(calls["leader2"].post(f"/outgoing/{doc['id']}/approve", json={}))["status"] == "approved"


def test_unit_head_drafting_skips_own_step_and_never_approves(db, calls, people):
    head, leader = calls["unit_head"], calls["leader"]
    doc = _draft(head, subject="Công văn do trưởng phòng soạn")
    _version(head, doc["id"])
    submitted = _ok(head.post(f"/outgoing/{doc['id']}/submit"))
    assert submitted["status"] == "in_review" and submitted["current_step"] == 2
    assert [a["action"] for a in submitted["approvals"]][:2] == ["submit", "skip"]
    before = _state(db, doc["id"])
    assert head.post(f"/outgoing/{doc['id']}/approve", json={}).status_code == 403
    assert _state(db, doc["id"]) == before
    assert _ok(leader.post(f"/outgoing/{doc['id']}/approve", json={}))["status"] == "approved"


def test_issue_refusals_change_nothing(db, calls, people, make_user):
    from docflow.outgoing import workflows

    spec, clerk = calls["specialist"], calls["clerk"]
    # a ladder whose last step is the clerk's check of the format (thể thức): the clerk sees the draft
    # while it is still in review
    wf = workflows.save_workflow({"name": "Kiểm tra thể thức", "doc_types": ["BC"],
                                  "steps": [{"name": "Văn thư kiểm tra thể thức", "user_id": people["clerk"].id,
                                             "days": 1},
                                            {"name": "Lãnh đạo ký", "role": "leader", "days": 1}]})
    db.session.commit()
    doc = _draft(spec, doc_type="BC", subject="Báo cáo tháng")
    assert doc["workflow_id"] == wf.id
    _version(spec, doc["id"])
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    before = _state(db, doc["id"])
    assert clerk.post(f"/outgoing/{doc['id']}/issue", json={}).status_code == 409  # not approved yet
    assert _state(db, doc["id"]) == before
    _ok(clerk.post(f"/outgoing/{doc['id']}/approve", json={}))
    _ok(calls["leader"].post(f"/outgoing/{doc['id']}/approve", json={}))
    before = _state(db, doc["id"])
    # only the clerk issues: the leader who approved it gets 403
    assert calls["leader"].post(f"/outgoing/{doc['id']}/issue", json={}).status_code == 403
    future = (today() + timedelta(days=3)).isoformat()
    assert clerk.post(f"/outgoing/{doc['id']}/issue", json={"issued_date": future}).status_code == 422
    assert clerk.post(f"/outgoing/{doc['id']}/issue", json={"issued_date": "31/02/2026"}).status_code == 422
    assert _state(db, doc["id"]) == before
    issued = _ok(clerk.post(f"/outgoing/{doc['id']}/issue", json={}))
    assert issued["number_symbol"] == "01/BC-UBND"
    before = _state(db, doc["id"])
    assert clerk.post(f"/outgoing/{doc['id']}/issue", json={}).status_code == 409  # twice
    assert _state(db, doc["id"]) == before


def test_clerk_sees_and_issues_approved_drafts(db, calls):
    doc = _to_approved(calls)
    clerk = calls["clerk"]
    assert clerk.get(f"/outgoing/{doc['id']}").status_code == 200
    listed = _ok(clerk.get("/outgoing?status=approved"))
    assert [d["id"] for d in listed["items"]] == [doc["id"]]
    assert _ok(clerk.post(f"/outgoing/{doc['id']}/issue", json={}))["number"] == 1


def test_cancel_keeps_the_number(db, calls):
    doc = _to_approved(calls)
    issued = _ok(calls["clerk"].post(f"/outgoing/{doc['id']}/issue", json={}))
    assert calls["clerk"].post(f"/outgoing/{doc['id']}/cancel", json={"reason": ""}).status_code == 422
    assert calls["specialist"].post(f"/outgoing/{doc['id']}/cancel", json={"reason": "Sai"}).status_code == 403
    cancelled = _ok(calls["clerk"].post(f"/outgoing/{doc['id']}/cancel", json={"reason": "Ban hành nhầm"}))
    assert cancelled["status"] == "cancelled"
    assert cancelled["number"] == issued["number"] == 1
    assert cancelled["number_symbol"] == issued["number_symbol"]
    assert _register(db).last_number == 1
    # the next document takes the next number: a cancelled number is never reused
    nxt = _to_approved(calls, subject="Công văn tiếp theo")
    assert _ok(calls["clerk"].post(f"/outgoing/{nxt['id']}/issue", json={}))["number_symbol"] == "02/UBND-KT"


# ---- workflows ---------------------------------------------------------------------------------

def test_workflow_bound_to_type_is_used(db, calls, people):
    admin = calls["admin"]
    assert calls["clerk"].post("/workflows", json={"name": "x", "steps": [{"role": "leader"}]}).status_code == 403
    created = _ok(admin.post("/workflows", json={"name": "Quyết định: lãnh đạo ký", "doc_types": ["QĐ"],
                                                 "steps": [{"name": "Lãnh đạo ký", "role": "leader", "days": 1}]}),
                  201)
    assert created["doc_types"] == ["QĐ"] and len(created["steps"]) == 1
    assert created["steps"][0]["role"] == "leader"

    qd = _draft(calls["specialist"], doc_type="QĐ", subject="Quyết định khen thưởng")
    cv = _draft(calls["specialist"], doc_type="CV", subject="Công văn thường")
    assert qd["workflow_id"] == created["id"]
    assert cv["workflow_id"] != created["id"]
    _version(calls["specialist"], qd["id"])
    submitted = _ok(calls["specialist"].post(f"/outgoing/{qd['id']}/submit"))
    assert submitted["current_step"] == 1
    assert calls["unit_head"].post(f"/outgoing/{qd['id']}/approve", json={}).status_code in (403, 404)
    assert _ok(calls["leader"].post(f"/outgoing/{qd['id']}/approve", json={}))["status"] == "approved"
    _version(calls["specialist"], cv["id"])
    assert _ok(calls["specialist"].post(f"/outgoing/{cv['id']}/submit"))["status"] == "in_review"
    assert calls["leader"].post(f"/outgoing/{cv['id']}/approve", json={}).status_code == 403  # step 1 first
    assert _ok(calls["unit_head"].post(f"/outgoing/{cv['id']}/approve", json={}))["current_step"] == 2
    # a type bound twice is refused
    again = admin.post("/workflows", json={"name": "Khác", "doc_types": ["QĐ"], "steps": [{"role": "leader"}]})
    assert again.status_code == 422


# ---- visibility --------------------------------------------------------------------------------

def test_draft_visibility(db, calls, people):
    spec, other = calls["specialist"], calls["other_spec"]
    doc = _draft(spec)
    assert spec.get(f"/outgoing/{doc['id']}").status_code == 200
    assert other.get(f"/outgoing/{doc['id']}").status_code == 404
    assert _ok(other.get("/outgoing"))["total"] == 0
    assert _ok(spec.get("/outgoing"))["total"] == 1
    assert calls["leader"].get(f"/outgoing/{doc['id']}").status_code == 404
    assert _ok(calls["leader"].get("/outgoing"))["total"] == 0
    assert other.post(f"/outgoing/{doc['id']}/submit").status_code == 404
    _version(spec, doc["id"])
    _ok(spec.post(f"/outgoing/{doc['id']}/submit"))
    # once submitted, the draft is on its way through the office: leaders and the clerk see it
    assert calls["leader"].get(f"/outgoing/{doc['id']}").status_code == 200
    assert calls["clerk"].get(f"/outgoing/{doc['id']}").status_code == 200
    assert other.get(f"/outgoing/{doc['id']}").status_code == 404
    _ok(calls["unit_head"].post(f"/outgoing/{doc['id']}/approve", json={}))
    assert calls["leader"].get(f"/outgoing/{doc['id']}").status_code == 200
    assert _ok(calls["leader"].get("/outgoing"))["total"] == 1
    awaiting = _ok(calls["leader"].get("/outgoing/awaiting"))
    assert [d["id"] for d in awaiting["items"]] == [doc["id"]]
    assert _ok(calls["unit_head"].get("/outgoing/awaiting"))["total"] == 0
    assert other.get(f"/outgoing/{doc['id']}").status_code == 404


def test_confidential_draft_needs_clearance(db, calls, people, make_user):
    spec = calls["specialist"]  # cleared for normal only
    response = spec.post("/outgoing", json={"doc_type": "CV", "subject": "Mật", "confidentiality": "confidential"})
    assert response.status_code == 422
    head = calls["unit_head"]  # cleared for confidential
    doc = _draft(head, subject="Công văn mật", confidentiality="confidential")
    assert spec.get(f"/outgoing/{doc['id']}").status_code == 404


# ---- replies, dispatch, overdue ----------------------------------------------------------------

def test_issuing_a_reply_completes_the_incoming_assignment(db, calls, people):
    clerk, leader, spec = calls["clerk"], calls["leader"], calls["specialist"]
    incoming = _ok(clerk.post("/incoming", json={
        "sender_name": "Sở Tài chính tỉnh Đồng Nai", "number_symbol": "123/STC-NS",
        "issued_date": today().isoformat(), "doc_type": "CV", "subject": "V/v đề nghị báo cáo số liệu"}), 201)
    _ok(clerk.post(f"/incoming/{incoming['id']}/submit", json={"leader_id": people["leader"].id}))
    _ok(leader.post(f"/incoming/{incoming['id']}/assign", json={
        "instruction": "Phòng Kinh tế chuẩn bị trả lời",
        "assignees": [{"user_id": people["specialist"].id, "role": "primary"}]}))
    assert _ok(spec.get(f"/incoming/{incoming['id']}"))["status"] == "assigned"

    reply = _draft(spec, subject="V/v trả lời đề nghị báo cáo số liệu", reply_to=[incoming["id"]])
    detail = _ok(spec.get(f"/outgoing/{reply['id']}"))
    assert detail["reply_to"] == [incoming["id"]]
    _version(spec, reply["id"])
    _ok(spec.post(f"/outgoing/{reply['id']}/submit"))
    _ok(calls["unit_head"].post(f"/outgoing/{reply['id']}/approve", json={}))
    _ok(leader.post(f"/outgoing/{reply['id']}/approve", json={}))
    issued = _ok(clerk.post(f"/outgoing/{reply['id']}/issue", json={}))
    assert issued["number_symbol"] == "01/UBND-KT"

    after = _ok(clerk.get(f"/incoming/{incoming['id']}"))
    assert after["status"] == "completed"
    assert after["reply_number_symbol"] == "01/UBND-KT"
    primary = [a for a in after["assignments"] if a["role"] == "primary"]
    assert primary and primary[0]["state"] != "open"
    # the reply must be to an incoming document the drafter can see
    assert calls["other_spec"].post("/outgoing", json={"doc_type": "CV", "subject": "x",
                                                       "reply_to": [incoming["id"]]}).status_code == 422


def test_dispatch_records_channel_and_date(db, calls, people):
    from docflow.registry.models import Document, Organization

    org = Organization(name="Bộ Nội vụ", abbr="BNV", code="000.00.00.G09", search_key="bo noi vu")
    db.session.add(org)
    db.session.commit()
    doc = _to_approved(calls, recipients=[{"organization_id": org.id}, {"unit_id": people["other_spec"].unit_id},
                                          {"name": "Lưu: VT, KT"}])
    clerk = calls["clerk"]
    before = _state(db, doc["id"])
    assert clerk.post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "paper"}).status_code == 409
    assert _state(db, doc["id"]) == before
    issued = _ok(clerk.post(f"/outgoing/{doc['id']}/issue", json={}))
    rid = [r["id"] for r in issued["recipients"]]
    assert calls["specialist"].post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "paper"}).status_code == 403
    assert clerk.post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "pigeon"}).status_code == 422
    assert clerk.post(f"/outgoing/{doc['id']}/dispatch",
                      json={"channel": "paper", "recipients": [999999]}).status_code == 422
    sent = _ok(clerk.post(f"/outgoing/{doc['id']}/dispatch",
                          json={"channel": "paper", "recipients": [rid[0]], "envelopes": 2}))
    by_id = {r["id"]: r for r in sent["recipients"]}
    assert by_id[rid[0]]["channel"] == "paper"
    assert by_id[rid[0]]["dispatched_at"][:10] in (today().isoformat(), (today() - timedelta(days=1)).isoformat())
    assert by_id[rid[1]]["channel"] is None and by_id[rid[1]]["dispatched_at"] is None
    sent = _ok(clerk.post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "electronic",
                                                                   "recipients": rid[1:]}))
    assert {r["channel"] for r in sent["recipients"]} == {"paper", "electronic"}
    # the internal recipient unit now sees the issued document
    assert calls["other_spec"].get(f"/outgoing/{doc['id']}").status_code == 200
    # a dispatch on an earlier day records that day (not in the future, not before the issue)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert clerk.post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "email", "recipients": [rid[2]],
                                                              "dispatched_on": tomorrow}).status_code == 422
    from docflow.outgoing.models import Recipient

    db.session.execute(sa.update(Document).where(Document.id == doc["id"])
                       .values(issued_date=today() - timedelta(days=5)))
    db.session.commit()
    day = (today() - timedelta(days=2)).isoformat()
    sent = _ok(clerk.post(f"/outgoing/{doc['id']}/dispatch", json={"channel": "email", "recipients": [rid[2]],
                                                                   "dispatched_on": day}))
    db.session.expire_all()
    from docflow.core.timeutil import to_local

    assert to_local(db.session.get(Recipient, rid[2]).dispatched_at).date().isoformat() == day
    assert {r["channel"] for r in sent["recipients"]} == {"paper", "electronic", "email"}


def test_overdue_approvals(db, calls, people):
    from docflow.outgoing import services

    spec = calls["specialist"]
    late = _draft(spec, subject="Chậm duyệt")
    fresh = _draft(spec, subject="Mới trình")
    for d in (late, fresh):
        _version(spec, d["id"])
        _ok(spec.post(f"/outgoing/{d['id']}/submit"))
    db.session.execute(sa.update(OutgoingDocument).where(OutgoingDocument.id == late["id"])
                       .values(step_due_date=today() - timedelta(days=3)))
    db.session.commit()
    db.session.expire_all()
    head = db.session.get(type(people["unit_head"]), people["unit_head"].id)
    overdue = db.session.scalars(services.overdue_approvals(head)).all()
    assert [d.id for d in overdue] == [late["id"]]
    other = db.session.get(type(people["other_spec"]), people["other_spec"].id)
    assert db.session.scalars(services.overdue_approvals(other)).all() == []
