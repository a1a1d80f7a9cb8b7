"""The inter-agency exchange (issue 8/9, domain.md §6): edXML envelopes (QCVN 102:2016) read into
registered incoming documents and written from issued outgoing ones, and the status messages that
follow a document."""

import logging

import sqlalchemy as sa
from blinker import Namespace
from flask import Flask, current_app, has_request_context
from sqlalchemy.orm import Session

from docflow import jobs
from docflow.exchange.models import ExchangeMessage
from docflow.extensions import db
from docflow.incoming.models import ProgressNote
from docflow.registry import events

logger = logging.getLogger(__name__)

_signals = Namespace()
#: the exchange's own after-commit work: (sender: document id; kwargs: codes, actor_id)
_status_due = _signals.signal("exchange-status-due")
#: (sender: document id; kwargs: recipient_ids, actor_id)
_envelopes_due = _signals.signal("exchange-envelopes-due")

#: the status messages each document event produces (domain.md §6.2); a completion with no progress
#: note before it is also the start of handling (05, once)
_CODES = {"registered": ("01", "03"), "assigned": ("04",), "progress": ("05",), "completed": ("05", "06")}


def _actor_id(kwargs) -> int | None:
    return getattr(kwargs.get("actor"), "id", None)


#: whether a letter came by edXML: its ExchangeMessage (in, document) row (ix_exchange_messages_document)
_CAME_BY_EDXML = (sa.select(sa.literal(1)).select_from(ExchangeMessage.__table__)
                  .where(ExchangeMessage.document_id == sa.bindparam("doc_id"), ExchangeMessage.kind == "document",
                         ExchangeMessage.direction == "in").limit(1))


def _due(doc, codes, kwargs) -> None:
    """Queue the status messages for after the commit, only for a letter that came by edXML."""
    if getattr(doc, "direction", None) != "incoming":
        return
    if db.session.execute(_CAME_BY_EDXML, {"doc_id": doc.id}).first() is None:
        return
    _status_due.send(doc.id, codes=codes, actor_id=_actor_id(kwargs))


def _on_envelope_recorded(mapper, connection, message):
    """The registration of an edXML letter, 01 and 03: the importer records the envelope just after it
    registered the letter, in the same transaction (document_registered comes before the row exists,
    and listening to it would cost every registration by hand a query)."""
    if message.direction == "in" and message.kind == "document" and message.document_id is not None:
        _status_due.send(message.document_id, codes=_CODES["registered"], actor_id=message.created_by_id)


def _on_assigned(doc, **kwargs):
    _due(doc, _CODES["assigned"], kwargs)


def _on_completed(doc, **kwargs):
    _due(doc, _CODES["completed"], kwargs)


def _on_dispatched(doc, **kwargs):
    if kwargs.get("channel") == "electronic":
        _envelopes_due.send(doc.id, recipient_ids=list(kwargs.get("recipient_ids") or []),
                            actor_id=_actor_id(kwargs))


def _on_progress_note(mapper, connection, note):
    """A progress note or an opinion: the handling started (no document event says so)."""
    if connection.execute(_CAME_BY_EDXML, {"doc_id": note.document_id}).first() is None:
        return
    _status_due.send(note.document_id, codes=_CODES["progress"], actor_id=note.author_id)


_PENDING = "docflow_exchange_jobs"


def _later(name: str, *args) -> None:
    """Run the job once the document's transaction has committed: a request's at its end (teardown), a
    worker's with Redis; elsewhere (CLI, jobs, tests) as soon as the committed transaction has given its
    connection back (_run_pending), in its own app context and so its own session and transaction."""
    if has_request_context() or not jobs.is_inline():
        jobs.enqueue(name, *args)
        return
    db.session().info.setdefault(_PENDING, []).append((name, args))


def _run_pending(session, transaction) -> None:
    if transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for name, args in pending:
        fn = jobs.resolve(name)
        with current_app._get_current_object().app_context():
            try:
                fn(*args)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("exchange job %s%r failed", name, args)


def _run_status(doc_id, *, codes, actor_id=None):
    _later("exchange_status", doc_id, list(codes), actor_id)


def _run_envelopes(doc_id, *, recipient_ids, actor_id=None):
    _later("exchange_envelopes", doc_id, recipient_ids, actor_id)


_connected: list = []


def init_app(app: Flask) -> None:
    """Connect the exchange to the document events (once per process): the status messages follow a
    letter that came by edXML, and an electronic dispatch writes its envelopes; both after the
    transaction commits (jobs), never for one that rolled back. The pages' helpers and the download."""
    # lazy: this package is imported with its models by docflow.models (the model registry); the pages
    # (and through them the flows' services) load with the app
    from docflow.exchange import pages

    jobs.register("exchange_status", "docflow.exchange.outbox:produce_status")
    jobs.register("exchange_envelopes", "docflow.exchange.outbox:send_envelopes")
    if not _connected:
        events.document_assigned.connect(_on_assigned)
        events.document_completed.connect(_on_completed)
        events.document_dispatched.connect(_on_dispatched)
        events.connect_after_commit(_status_due, _run_status)
        events.connect_after_commit(_envelopes_due, _run_envelopes)
        sa.event.listen(ProgressNote, "after_insert", _on_progress_note)
        sa.event.listen(ExchangeMessage, "after_insert", _on_envelope_recorded)
        sa.event.listen(Session, "after_transaction_end", _run_pending)
        _connected.append(True)
    pages.init_app(app)
