"""Document events (architecture decision 11): each change fires its named event once, with the
document and the actor; after-commit subscribers hear nothing of a rolled-back transaction."""

import io
from contextlib import contextmanager

import pytest

from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.outgoing import services as outgoing
from docflow.registry import events
from tests.fixtures import files as F


@contextmanager
def recording():
    """Every document event sent meanwhile, as (event name, document id, kwargs)."""
    heard = []
    receivers = []
    for name, signal in events.ALL.items():
        def receiver(doc, _name=name, **kwargs):
            heard.append((_name, doc.id, kwargs))

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    try:
        yield heard
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver)


def _names(heard):
    return [name for name, _id, _kw in heard]


def _register(db, clerk, **extra):
    doc = incoming.register_incoming({"sender_name": "Sở Tài chính", "number_symbol": "15/STC-NS",
                                      "issued_date": today().isoformat(), "subject": "Về dự toán ngân sách",
                                      **extra}, actor=clerk)
    db.session.commit()
    return doc


def test_each_incoming_change_fires_its_event_once(db, users):
    clerk, leader, head, spec = users["clerk"], users["leader"], users["unit_head"], users["specialist"]
    with recording() as heard:
        doc = _register(db, clerk)
        assert heard == [("document-registered", doc.id, {"actor": clerk})]
        heard.clear()

        incoming.update_incoming(doc, {"subject": "Về dự toán ngân sách năm sau"}, actor=clerk)
        assert _names(heard) == ["document-updated"]
        assert heard[0][2]["changes"]["subject"] == ("Về dự toán ngân sách", "Về dự toán ngân sách năm sau")
        heard.clear()

        incoming.present(doc, actor=clerk, leader_id=leader.id)
        assert heard == [("document-presented", doc.id, {"actor": clerk, "leader_id": leader.id})]
        heard.clear()

        incoming.assign(doc, actor=leader, instruction="Phòng KT chủ trì",
                        assignees=[{"unit_id": head.unit_id, "role": "primary"}])
        assert _names(heard) == ["document-assigned"] and heard[0][2]["actor"] is leader
        unit_assignment = heard[0][2]["assignment_ids"][0]
        heard.clear()

        child = incoming.delegate(incoming.get_assignment(unit_assignment), actor=head, user_id=spec.id)
        assert heard == [("document-assigned", doc.id, {"actor": head, "assignment_ids": [child.id]})]
        heard.clear()

        incoming.add_progress(doc, "Đang tổng hợp", actor=spec)
        assert heard == []  # a progress note is no change of the document's state

        incoming.complete(doc, "Đã báo cáo", actor=spec)
        assert heard == [("document-completed", doc.id, {"actor": spec, "reply_id": None})]
        heard.clear()
        db.session.commit()

        other = _register(db, clerk, number_symbol="16/STC-NS")
        heard.clear()
        incoming.cancel_incoming(other, "Vào sổ nhầm", actor=clerk)
        assert heard == [("document-cancelled", other.id, {"actor": clerk, "reason": "Vào sổ nhầm"})]


def test_each_outgoing_change_fires_its_event_once(db, users):
    clerk, leader, head, spec = users["clerk"], users["leader"], users["unit_head"], users["specialist"]
    org_reply = _register(db, clerk)
    incoming.assign(org_reply, actor=leader, instruction="Soạn trả lời", assignees=[{"user_id": spec.id,
                                                                                    "role": "primary"}])
    db.session.commit()
    with recording() as heard:
        draft = outgoing.create_draft({"doc_type": "CV", "subject": "V/v báo cáo", "reply_to": [org_reply.id],
                                       "recipients": [{"name": "Sở Tài chính"}, {"unit_id": head.unit_id}]},
                                      actor=spec)
        assert heard == [("document-drafted", draft.id, {"actor": spec})]
        heard.clear()

        outgoing.add_version(draft, io.BytesIO(F.docx_bytes()), actor=spec, filename="du-thao.docx")
        assert _names(heard) == ["attachment-added"]
        heard.clear()

        outgoing.submit(draft, actor=spec)
        assert heard == [("document-submitted", draft.id, {"actor": spec, "resumed": False})]
        heard.clear()

        outgoing.return_draft(draft, actor=head, comment="Sửa lại phần mở đầu")
        assert heard == [("document-returned", draft.id, {"actor": head, "step": 1})]
        heard.clear()

        outgoing.submit(draft, actor=spec)
        assert heard == [("document-submitted", draft.id, {"actor": spec, "resumed": True})]
        heard.clear()

        outgoing.approve(draft, actor=head)
        assert heard == [("document-approved", draft.id, {"actor": head, "step": 1, "final": False})]
        heard.clear()
        outgoing.approve(draft, actor=leader)
        assert heard == [("document-approved", draft.id, {"actor": leader, "step": 2, "final": True})]
        heard.clear()

        outgoing.issue(draft, actor=clerk)
        # issuing a reply completes the letter it answers: that letter's own event, once
        assert heard == [("document-issued", draft.id, {"actor": clerk}),
                         ("document-completed", org_reply.id, {"actor": clerk, "reply_id": draft.id})]
        heard.clear()

        chosen = outgoing.dispatch(draft, actor=clerk, channel="electronic")
        assert heard == [("document-dispatched", draft.id, {"actor": clerk, "channel": "electronic",
                                                            "recipient_ids": [r.id for r in chosen]})]
        heard.clear()

        outgoing.cancel(draft, actor=clerk, reason="Ban hành nhầm")
        assert heard == [("document-cancelled", draft.id, {"actor": clerk, "reason": "Ban hành nhầm"})]
        heard.clear()

        other = outgoing.create_draft({"doc_type": "CV", "subject": "Bản nháp khác",
                                       "recipients": [{"name": "Sở Nội vụ"}]}, actor=spec)
        heard.clear()
        outgoing.add_version(other, io.BytesIO(F.pdf_bytes()), actor=spec, filename="x.pdf")
        outgoing.submit(other, actor=spec)
        heard.clear()
        outgoing.reject(other, actor=head, comment="Không cần ban hành")
        assert heard == [("document-rejected", other.id, {"actor": head, "step": 1})]


def test_a_refused_change_fires_nothing(db, users):
    doc = _register(db, users["clerk"])
    with recording() as heard:
        with pytest.raises(Exception):  # noqa: B017 - any refusal: here the leader may not register
            incoming.register_incoming({"sender_name": "X", "number_symbol": "1/X", "issued_date": "2026-01-01",
                                        "subject": "Y"}, actor=users["leader"])
        with pytest.raises(Exception):  # noqa: B017 - a specialist may not cancel
            incoming.cancel_incoming(doc, "nhầm", actor=users["specialist"])
    assert heard == []


def test_after_commit_subscribers_hear_only_committed_changes(app, db, users):
    heard = []

    def later(doc_id, **kwargs):
        heard.append((doc_id, kwargs["actor"].id))

    relay = events.connect_after_commit(events.document_registered, later)
    try:
        doc = incoming.register_incoming({"sender_name": "Sở Y tế", "number_symbol": "7/SYT", "issued_date":
                                          today().isoformat(), "subject": "Thư mời họp"}, actor=users["clerk"])
        assert heard == []  # not before the commit
        db.session.rollback()
        assert heard == []  # nor ever, once rolled back
        db.session.commit()  # a later commit of other work does not resurrect it
        assert heard == []

        doc = _register(db, users["clerk"])
        assert heard == [(doc.id, users["clerk"].id)]  # once, after the commit
        db.session.commit()
        assert heard == [(doc.id, users["clerk"].id)]
    finally:
        events.document_registered.disconnect(relay)


def test_in_transaction_subscribers_roll_back_with_the_document(app, db, users):
    """A wing's in-transaction rows (here: a notification) go with the document's transaction."""
    from docflow.core.models import Notification
    from docflow.registry.notifications import notify

    def index(doc, **kwargs):
        notify(users["admin"].id, "indexed", doc, "indexed")

    events.document_registered.connect(index)
    try:
        incoming.register_incoming({"sender_name": "Sở Y tế", "number_symbol": "8/SYT", "issued_date":
                                    today().isoformat(), "subject": "Thư mời"}, actor=users["clerk"])
        db.session.rollback()
        assert db.session.query(Notification).filter_by(kind="indexed").count() == 0
        _register(db, users["clerk"])
        assert db.session.query(Notification).filter_by(kind="indexed").count() == 1
    finally:
        events.document_registered.disconnect(index)
