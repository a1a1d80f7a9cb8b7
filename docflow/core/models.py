"""Shared models: the hash-chained audit log and office settings."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.timeutil import utcnow
from docflow.extensions import db


class AuditEvent(db.Model):
    """Append-only. Each event's hash covers the previous event's hash (a chain)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: position in the chain, 1, 2, 3 ... without gaps
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    address: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 (unkeyed) or HMAC-SHA256 under the audit key, hex
    hash: Mapped[str] = mapped_column(sa.String(64))
    #: how `hash` was made: "hmac-sha256" (keyed, the only scheme written now) or "sha256" (events
    #: written before the key existed; a keyed event is never followed by an unkeyed one)
    scheme: Mapped[str] = mapped_column(sa.String(16), server_default="sha256")

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)


class AuditHead(db.Model):
    """The chain's head (one row). Locked while an event is appended, so the chain is serial,
    and compared by `audit verify` so that removing the newest events is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))


class Setting(db.Model):
    """Office settings as JSON values by key (the agency, deadlines, holidays, targets...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict | list | str | int | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)


class Notification(db.Model):
    """An in-app notification (new assignment, urge, deadline tomorrow, overdue)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    #: the assignment a reminder was for: one reminder per (user, kind, assignment)
    assignment_id: Mapped[int | None] = mapped_column(sa.Integer)
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (sa.Index("ix_notifications_unread", "user_id", "read_at"),)
