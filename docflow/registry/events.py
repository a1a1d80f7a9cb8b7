"""Document events (architecture decision 11): the kernel's signals to its wings.

A flow's service sends one named event after its flush, once per change:
`document_issued.send(doc, actor=actor)`. The sender is the document; every event carries the
keyword `actor` (the user, or None for the system) and may carry more (`changes`, `attachment` ...),
so a receiver always takes `**kwargs`.

Two kinds of subscribers (the wings connect in their `init_app`; the flows never import them):

- **In the transaction** — `document_registered.connect(index_document)`: the receiver runs at once,
  inside the sender's transaction, and its rows (index entries, counters) commit or roll back with
  the document.
- **After commit** — `after_commit(document_issued)(send_mail)` (or `connect_after_commit`): the
  receiver is queued on the session and called with `(document_id, **kwargs)` only once the
  transaction commits; a rolled-back transaction drops it. Use it for mail, outbox files and jobs.
  It gets the id, not the instance: the session that flushed the document may be gone.
"""

import logging
from collections.abc import Callable

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Session

from docflow.extensions import db

logger = logging.getLogger(__name__)

_signals = Namespace()

#: incoming: a letter was registered (sender: the document; kwargs: actor)
document_registered = _signals.signal("document-registered")
#: a document's registration fields were corrected (kwargs: actor, changes = {field: (before, after)})
document_updated = _signals.signal("document-updated")
#: incoming: presented (trình) to a leader (kwargs: actor, leader_id)
document_presented = _signals.signal("document-presented")
#: incoming: a leader directed handlers, or a unit head handed it on (kwargs: actor, assignment_ids)
document_assigned = _signals.signal("document-assigned")
#: incoming: handling is complete (kwargs: actor, reply_id when a reply completed it)
document_completed = _signals.signal("document-completed")
#: outgoing: a draft was created (kwargs: actor)
document_drafted = _signals.signal("document-drafted")
#: outgoing: a draft went on (or back on) the approval ladder (kwargs: actor, resumed)
document_submitted = _signals.signal("document-submitted")
#: outgoing: a ladder step approved it (kwargs: actor, step, final = the ladder is done)
document_approved = _signals.signal("document-approved")
#: outgoing: an approver returned it to the drafter (kwargs: actor, step)
document_returned = _signals.signal("document-returned")
#: outgoing: an approver rejected it (kwargs: actor, step)
document_rejected = _signals.signal("document-rejected")
#: outgoing: the clerk issued it with its number and symbol (kwargs: actor)
document_issued = _signals.signal("document-issued")
#: outgoing: sent to (some of) its recipients (kwargs: actor, channel, recipient_ids)
document_dispatched = _signals.signal("document-dispatched")
#: either flow: cancelled (kwargs: actor, reason)
document_cancelled = _signals.signal("document-cancelled")
#: a file was attached (kwargs: actor, attachment_id)
attachment_added = _signals.signal("attachment-added")
#: the text of an attachment was extracted (kwargs: actor=None, attachment_id, status)
attachment_text_ready = _signals.signal("attachment-text-ready")

ALL = {signal.name: signal for signal in (
    document_registered, document_updated, document_presented, document_assigned, document_completed,
    document_drafted, document_submitted, document_approved, document_returned, document_rejected,
    document_issued, document_dispatched, document_cancelled, attachment_added, attachment_text_ready)}

_QUEUE = "docflow_after_commit"


def changes(before: dict, after: dict) -> dict:
    """{field: (before, after)} for the fields whose value changed: the `changes` of document_updated."""
    return {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}


def connect_after_commit(signal, receiver: Callable) -> Callable:
    """Call `receiver(document_id, **kwargs)` after the sender's transaction commits, never when it
    rolls back. Returns the in-transaction relay (keep it to disconnect)."""

    def relay(doc, **kwargs):
        session = db.session()
        session.info.setdefault(_QUEUE, []).append((receiver, getattr(doc, "id", doc), kwargs))

    relay.__name__ = f"after_commit_{getattr(receiver, '__name__', 'receiver')}"
    signal.connect(relay, weak=False)
    return relay


def after_commit(signal):
    """Decorator form of `connect_after_commit`."""

    def decorate(receiver: Callable) -> Callable:
        connect_after_commit(signal, receiver)
        return receiver

    return decorate


def _run_queue(session) -> None:
    queued = session.info.pop(_QUEUE, None)
    for receiver, doc_id, kwargs in queued or ():
        try:
            receiver(doc_id, **kwargs)
        except Exception:  # the transaction is committed: one failing subscriber must not undo it
            logger.exception("After-commit subscriber %s failed for document %s", receiver, doc_id)


def _drop_queue(session, *args) -> None:
    session.info.pop(_QUEUE, None)


def init_session_hooks() -> None:
    """Run queued after-commit work when a session commits; drop it on rollback (idempotent)."""
    if not sa.event.contains(Session, "after_commit", _run_queue):
        sa.event.listen(Session, "after_commit", _run_queue)
        sa.event.listen(Session, "after_rollback", _drop_queue)
