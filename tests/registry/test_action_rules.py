"""Action rules said once (architecture decision 13): for every user and every state a document can be
in, an action's predicate is True exactly when its service accepts the action, and the page offers
the action's form exactly then."""

import io

import pytest

from docflow.core.errors import DomainError
from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.outgoing import services as outgoing
from tests.conftest import login
from tests.fixtures import files as F


def _accepts(db, call) -> bool:
    """Whether the service accepts the action (tried in a savepoint, always undone)."""
    savepoint = db.session.begin_nested()
    try:
        call()
    except DomainError:
        return False
    finally:
        savepoint.rollback()
    return True


def _letters(db, users):
    """Incoming letters in every state."""
    clerk, leader, spec = users["clerk"], users["leader"], users["specialist"]
    docs = {}
    for i, state in enumerate(("registered", "submitted", "assigned", "completed", "cancelled")):
        doc = incoming.register_incoming({"sender_name": "Sở Tài chính", "number_symbol": f"{i + 1}/STC",
                                          "issued_date": today().isoformat(), "subject": f"Văn bản {state}"},
                                         actor=clerk)
        if state in ("submitted", "assigned", "completed"):
            incoming.present(doc, actor=clerk, leader_id=leader.id)
        if state in ("assigned", "completed"):
            incoming.assign(doc, actor=leader, instruction="Xử lý", assignees=[{"user_id": spec.id,
                                                                                 "role": "primary"}])
        if state == "completed":
            incoming.complete(doc, "Xong", actor=spec)
        if state == "cancelled":
            incoming.cancel_incoming(doc, "Nhầm", actor=clerk)
        docs[state] = doc
    db.session.commit()
    return docs


INCOMING_ACTIONS = {
    "present": (incoming.may_present, lambda d, u, x: incoming.present(d, actor=u, leader_id=x["leader"].id)),
    "assign": (incoming.may_assign, lambda d, u, x: incoming.assign(
        d, actor=u, instruction="Xử lý", assignees=[{"user_id": x["specialist"].id, "role": "primary"}])),
    "edit": (incoming.may_edit, lambda d, u, x: incoming.update_incoming(d, {"subject": "Sửa"}, actor=u)),
    "cancel": (incoming.may_cancel, lambda d, u, x: incoming.cancel_incoming(d, "Lý do", actor=u)),
    "complete": (incoming.may_complete, lambda d, u, x: incoming.complete(d, "Kết quả", actor=u)),
    "progress": (incoming.may_add_progress, lambda d, u, x: incoming.add_progress(d, "Tiến độ", actor=u)),
}


@pytest.mark.parametrize("action", sorted(INCOMING_ACTIONS))
def test_incoming_predicates_agree_with_their_services(db, users, action):
    may, call = INCOMING_ACTIONS[action]
    docs = _letters(db, users)
    checked = 0
    for state, doc in docs.items():
        for role, user in users.items():
            expected = may(user, doc)
            assert _accepts(db, lambda d=doc, u=user: call(d, u, users)) == expected, (action, state, role)
            checked += expected
    assert checked, f"{action}: no user may ever do it; the test would prove nothing"


def _drafts(db, users):
    """Outgoing documents in every state of the ladder."""
    spec, head, leader, clerk = users["specialist"], users["unit_head"], users["leader"], users["clerk"]
    docs = {}
    for state in ("draft", "in_review", "returned", "approved", "issued", "rejected", "cancelled"):
        doc = outgoing.create_draft({"doc_type": "CV", "subject": f"Dự thảo {state}",
                                     "recipients": [{"name": "Sở Nội vụ"}]}, actor=spec)
        outgoing.add_version(doc, io.BytesIO(F.pdf_bytes()), actor=spec, filename="du-thao.pdf")
        if state != "draft" and state != "cancelled":
            outgoing.submit(doc, actor=spec)
        if state == "returned":
            outgoing.return_draft(doc, actor=head, comment="Sửa")
        if state == "rejected":
            outgoing.reject(doc, actor=head, comment="Không")
        if state in ("approved", "issued"):
            outgoing.approve(doc, actor=head)
            outgoing.approve(doc, actor=leader)
        if state == "issued":
            outgoing.issue(doc, actor=clerk)
        if state == "cancelled":
            outgoing.cancel(doc, actor=spec, reason="Thôi")
        docs[state] = doc
    db.session.commit()
    return docs


OUTGOING_ACTIONS = {
    "submit": (outgoing.may_edit, lambda d, u: outgoing.submit(d, actor=u)),
    "edit": (outgoing.may_edit, lambda d, u: outgoing.update_draft(d, {"subject": "Sửa"}, actor=u)),
    "approve": (outgoing.may_decide, lambda d, u: outgoing.approve(d, actor=u)),
    "return": (outgoing.may_decide, lambda d, u: outgoing.return_draft(d, actor=u, comment="Sửa")),
    "issue": (outgoing.may_issue, lambda d, u: outgoing.issue(d, actor=u)),
    "dispatch": (outgoing.may_dispatch, lambda d, u: outgoing.dispatch(d, actor=u, channel="paper")),
    "cancel": (outgoing.may_cancel, lambda d, u: outgoing.cancel(d, actor=u, reason="Lý do")),
}


@pytest.mark.parametrize("action", sorted(OUTGOING_ACTIONS))
def test_outgoing_predicates_agree_with_their_services(db, users, action):
    from docflow.outgoing.workflows import ensure_default_workflow

    ensure_default_workflow()
    may, call = OUTGOING_ACTIONS[action]
    docs = _drafts(db, users)
    checked = 0
    for state, doc in docs.items():
        for role, user in users.items():
            expected = may(user, doc)
            assert _accepts(db, lambda d=doc, u=user: call(d, u)) == expected, (action, state, role)
            checked += expected
    assert checked, f"{action}: no user may ever do it; the test would prove nothing"


def test_the_page_offers_exactly_the_allowed_actions(app, db, users):
    """The incoming page shows an action's form by the same predicate."""
    docs = _letters(db, users)
    forms = {"present": 'id="present-form"', "cancel": 'id="cancel-form"', "assign": 'id="assign-form"'}
    for role in ("clerk", "leader", "specialist"):
        user = users[role]
        client = app.test_client()
        login(client, user.username)
        for state, doc in docs.items():
            page = client.get(f"/incoming/{doc.id}")
            if page.status_code == 404:
                continue
            html = page.get_data(as_text=True)
            for action, marker in forms.items():
                may = INCOMING_ACTIONS[action][0]
                assert (marker in html) == may(user, doc), (action, state, role)
