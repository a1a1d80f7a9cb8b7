"""Who takes part in a document: the one table the visibility rule reads (registry/access.py),
written by the flows through these functions only."""

import sqlalchemy as sa

from docflow.extensions import db
from docflow.registry.models import Document, Participant


def add(doc: Document, role: str, *, user_id: int | None = None, unit_id: int | None = None) -> None:
    """A person, a unit, or a person within a unit takes part in the document in `role`
    (primary, coordinate, inform, drafter, approver, clerk, recipient ...)."""
    db.session.add(Participant(document_id=doc.id, user_id=user_id, unit_id=unit_id, role=role))


def remove(doc: Document, roles) -> None:
    """Remove the document's participants in these roles (a new direction replaces the old one)."""
    db.session.execute(sa.delete(Participant).where(Participant.document_id == doc.id, Participant.role.in_(roles)))


def user_ids(doc: Document, role: str | None = None) -> set[int]:
    """The people taking part (in `role`), from the table: `doc.participants` goes stale when rows
    are added by id in the same transaction."""
    db.session.flush()
    stmt = sa.select(Participant.user_id).where(Participant.document_id == doc.id, Participant.user_id.is_not(None))
    if role is not None:
        stmt = stmt.where(Participant.role == role)
    return set(db.session.scalars(stmt))


def takes_part(doc: Document, user_id: int) -> bool:
    return db.session.scalar(sa.select(sa.literal(True)).where(Participant.document_id == doc.id,
                                                               Participant.user_id == user_id).limit(1)) is not None
