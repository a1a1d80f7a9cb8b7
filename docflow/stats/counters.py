"""Kept in step by the document events, in the document's own transaction (registry/events.py).

A completed letter's handling (its local completion day and working days from arrival) is measured
once, here, so the figures are aggregate queries; `rebuild()` measures every completed letter again
(`flask docflow stats rebuild`, after an upgrade, a restore or a change of the holidays).
"""

import sqlalchemy as sa

from docflow.core import calendar
from docflow.core.timeutil import to_local
from docflow.extensions import db
from docflow.incoming.models import IncomingDocument
from docflow.registry import events
from docflow.registry.models import Document
from docflow.stats.models import StatHandling

BATCH = 5000


def _measure(received, completed_at, off) -> tuple | None:
    if completed_at is None or received is None:
        return None
    day = to_local(completed_at).date()
    return day, calendar.working_days_between(received, day, off)


def _write(document_id: int, measured) -> None:
    db.session.execute(sa.delete(StatHandling).where(StatHandling.document_id == document_id))
    if measured is not None:
        db.session.execute(sa.insert(StatHandling).values(document_id=document_id, completed_on=measured[0],
                                                          working_days=measured[1]))


def on_completed(doc, **kwargs) -> None:
    if doc.direction != "incoming":
        return
    _write(doc.id, _measure(doc.received_date, getattr(doc, "completed_at", None), calendar.holidays()))


def on_updated(doc, changes=None, **kwargs) -> None:
    """A corrected arrival date changes the handling time of a completed letter."""
    if doc.direction != "incoming" or doc.status != "completed":
        return
    if changes is not None and "received_date" not in changes:
        return
    _write(doc.id, _measure(doc.received_date, getattr(doc, "completed_at", None), calendar.holidays()))


def connect() -> None:
    events.document_completed.connect(on_completed, weak=False)
    events.document_updated.connect(on_updated, weak=False)


def rebuild(progress=None) -> int:
    """Measure every completed incoming letter again; `progress(n)` after each batch. The caller commits."""
    off = calendar.holidays()
    db.session.execute(sa.delete(StatHandling))
    stmt = (sa.select(Document.id, Document.received_date, IncomingDocument.completed_at)
            .where(Document.direction == "incoming", Document.status == "completed")
            .order_by(Document.id))
    done = 0
    last = 0
    while True:
        rows = db.session.execute(stmt.where(Document.id > last).limit(BATCH)).all()
        if not rows:
            break
        values = []
        for doc_id, received, at in rows:
            measured = _measure(received, at, off)
            if measured is not None:
                values.append({"document_id": doc_id, "completed_on": measured[0], "working_days": measured[1]})
        if values:
            db.session.execute(sa.insert(StatHandling), values)
        last = rows[-1][0]
        done += len(rows)
        if progress:
            progress(len(rows))
    return done
