"""Assignments of incoming documents: who handles, coordinates or is informed, by when."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.timeutil import utcnow
from docflow.extensions import db
from docflow.registry.models import Document


class IncomingDocument(Document):
    """A letter received from another agency (văn bản đến): the document kernel plus what the
    incoming flow records — the duplicate key, the presentation to a leader, the direction, the result."""

    __mapper_args__ = {"polymorphic_identity": "incoming"}

    #: folded sender + symbol + date: the duplicate check of Decree 30 App. VI
    dup_key: Mapped[str | None] = mapped_column(sa.String(400), index=True)
    #: the leader it was presented to, and the leader's direction (ý kiến chỉ đạo)
    presented_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    presented_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    instruction: Mapped[str | None] = mapped_column(sa.Text)
    directed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    directed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    result: Mapped[str | None] = mapped_column(sa.Text)
    reply_number_symbol: Mapped[str | None] = mapped_column(sa.String(60))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    presented_to = relationship("User", foreign_keys=[presented_to_id])
    directed_by = relationship("User", foreign_keys=[directed_by_id])


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    #: a person, or a unit (whose head may hand it on to a specialist: a child assignment)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignments.id"))
    #: primary (xử lý chính), coordinate (phối hợp), inform (để biết)
    role: Mapped[str] = mapped_column(sa.String(12))
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    #: open, done (completed / opinion given / read), delegated (handed on to a child), cancelled,
    #: closed (still open when the document was completed: no longer work)
    state: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    instruction: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[str | None] = mapped_column(sa.Text)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    last_urged_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    document = relationship("Document")
    user = relationship("User", foreign_keys=[user_id])
    unit = relationship("Unit")
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])
    parent: Mapped["Assignment | None"] = relationship(remote_side="Assignment.id")

    __table_args__ = (
        sa.CheckConstraint(sa.text("role IN ('primary','coordinate','inform')"), name="role"),
        sa.CheckConstraint(sa.text("user_id IS NOT NULL OR unit_id IS NOT NULL"), name="target"),
        # a user's / a unit's tasks of one state in due-date order (incoming.services.tasks, task_branches)
        sa.Index("ix_assignments_unit_tasks", "unit_id", "state", "due_date", "id"),
        sa.Index("ix_assignments_user_tasks", "user_id", "state", "due_date", "id"),
        # the inbox's "done" tab, newest first (walked backwards)
        sa.Index("ix_assignments_unit_done", "unit_id", "state", "done_at", "id"),
        sa.Index("ix_assignments_user_done", "user_id", "state", "done_at", "id"),
    )


class ProgressNote(db.Model):
    """A handler's progress note or a coordinator's opinion."""

    __tablename__ = "progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignments.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(12), default="progress")  # progress, opinion
    note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    author = relationship("User")
