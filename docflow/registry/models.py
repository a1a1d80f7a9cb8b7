"""Reference data of the registry: document types, registers, external organisations."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.timeutil import utcnow
from docflow.extensions import db


class DocType(db.Model):
    """A document type of Decree 30/2020 (or one an admin added) with its abbreviation."""

    __tablename__ = "doc_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the abbreviation exactly as in App. III (QĐ, QyĐ, TTr...); `CV` for công văn
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: False for công văn and thư công, whose symbol carries no type abbreviation
    in_symbol: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_builtin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=100)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)


class Register(db.Model):
    """A register book (sổ) for one year; it holds the counter its numbers are drawn from."""

    __tablename__ = "registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    direction: Mapped[str] = mapped_column(sa.String(10))
    is_confidential: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    year: Mapped[int] = mapped_column(sa.Integer)
    #: the last number drawn; the next document takes last_number + 1 in its own transaction
    last_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("direction", "year", "name"),
        sa.CheckConstraint(sa.text("direction IN ('incoming','outgoing')"), name="direction"),
        sa.CheckConstraint(sa.text("last_number >= 0"), name="last_number"),
        sa.Index("ix_registers_lookup", "direction", "is_confidential", "year"),
    )


class Organization(db.Model):
    """An external agency that sends or receives documents."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(250))
    abbr: Mapped[str | None] = mapped_column(sa.String(30))
    #: electronic identifier (mã định danh), 13 characters: 000.00.00.H19
    code: Mapped[str | None] = mapped_column(sa.String(13), unique=True)
    #: folded name + abbreviation + code, for diacritic-free look-up
    search_key: Mapped[str] = mapped_column(sa.String(400), default="", index=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    successor: Mapped["Organization | None"] = relationship(remote_side="Organization.id")


class Document(db.Model):
    """What every document shares, incoming or outgoing: number, register, dates, subject, type,
    urgency, confidentiality, status, participants, attachments (architecture decision 11).

    Each flow adds its own columns in its own package as a single-table subclass on `direction`
    (`incoming.models.IncomingDocument`, `outgoing.models.OutgoingDocument`): one table, one set of
    indexes, one visibility query. `select(Document)` yields instances of the flows' classes.
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(10), index=True)
    register_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registers.id"), index=True)
    year: Mapped[int | None] = mapped_column(sa.Integer)
    #: incoming: the arrival number (số đến); outgoing: the issuing number. Never reused.
    number: Mapped[int | None] = mapped_column(sa.Integer)
    #: incoming: the sender's number and symbol; outgoing: built on issue (05/QĐ-UBND)
    number_symbol: Mapped[str | None] = mapped_column(sa.String(60))
    doc_type_id: Mapped[int] = mapped_column(sa.ForeignKey("doc_types.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(1000))
    sender_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    sender_name: Mapped[str | None] = mapped_column(sa.String(250))
    issued_date: Mapped[date | None] = mapped_column(sa.Date)
    received_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    signer: Mapped[str | None] = mapped_column(sa.String(120))
    urgency: Mapped[str] = mapped_column(sa.String(12), default="normal")
    confidentiality: Mapped[str] = mapped_column(sa.String(12), default="normal", index=True)
    pages: Mapped[int | None] = mapped_column(sa.Integer)
    copies: Mapped[int | None] = mapped_column(sa.Integer)
    medium: Mapped[str] = mapped_column(sa.String(10), default="paper")
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    #: folded sender + symbol + date: the duplicate check of Decree 30 App. VI
    cancelled_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)

    register: Mapped[Register | None] = relationship(lazy="joined")
    doc_type: Mapped[DocType] = relationship(lazy="joined")
    sender_org: Mapped[Organization | None] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])
    participants: Mapped[list["Participant"]] = relationship(back_populates="document",
                                                             cascade="all, delete-orphan")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="document", order_by="Attachment.id",
                                                           cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("register_id", "number"),
        sa.CheckConstraint(sa.text("direction IN ('incoming','outgoing')"), name="direction"),
        sa.CheckConstraint(sa.text("confidentiality IN ('normal','confidential','secret','top_secret')"),
                           name="confidentiality"),
        sa.CheckConstraint(sa.text("urgency IN ('normal','urgent','very_urgent','flash')"), name="urgency"),
        sa.CheckConstraint(sa.text("medium IN ('paper','electronic')"), name="medium"),
        # the lists' orderings (registry/lists.py), walked backwards: newest arrival first (incoming), newest
        # first (outgoing); the trailing columns let a deep page's OFFSET and a bounded count read the index only
        sa.Index("ix_documents_list_received", "direction", "received_date", "number", "id", "confidentiality",
                 "status"),
        sa.Index("ix_documents_list_status", "direction", "status", "received_date", "number", "id"),
        # (number: the outgoing flow's office-wide condition reads it, so the leader's list reads the index only)
        sa.Index("ix_documents_list_id", "direction", "id", "confidentiality", "status", "number"),
    )
    __mapper_args__ = {"polymorphic_on": "direction"}

    @classmethod
    def office_visible(cls):
        """The SQL condition under which the office-wide roles (leaders, clerks, archivists, admins)
        see a document of this flow without taking part in it; a flow narrows it (registry/access.py
        asks every flow through this hook)."""
        return sa.true()


class Participant(db.Model):
    """Who takes part in a document (a person, a unit, or a person within a unit), written by the
    flows; the one visibility rule (registry/access.py) reads only this table."""

    __tablename__ = "document_participants"
    __table_args__ = (
        # a document's rows with who they name: the rule's probe of one document (registry/access.py: a
        # restricted user's walk of a list or of the search's date order, the search's unit filter) reads
        # the index alone, not each row (migration 0026)
        sa.Index("ix_document_participants_document", "document_id", "unit_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: primary, coordinate, inform, drafter, approver, recipient ...
    role: Mapped[str] = mapped_column(sa.String(20))

    document: Mapped[Document] = relationship(back_populates="participants")


class ParticipationKey(db.Model):
    """Each document a person or a unit takes part in, once per way of taking part (`kind`: "u" the person
    `scope_id`, "a" the unit `scope_id` through any of its rows, "n" the unit as a unit, user_id NULL), with
    the incoming list's order keys copied from the document: what the rule's participant conditions select,
    in the list's order, so a deep page of a restricted user's list finds where it starts by reading one
    range of an index (registry/access.py `_Position`). Written only by the database (migration 0019's
    triggers on document_participants and documents, their DDL in registry/access.py; `flask docflow seed`
    fills it in bulk): never by the application."""

    __tablename__ = "participation_keys"
    __table_args__ = (
        sa.Index("ix_participation_keys_list", "kind", "scope_id", "direction", "received_date", "number",
                 "document_id", "confidentiality"),
    )

    kind: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(10))
    received_date: Mapped[date | None] = mapped_column(sa.Date)
    number: Mapped[int | None]
    confidentiality: Mapped[str] = mapped_column(sa.String(12))


class Attachment(db.Model):
    """A file of a document, stored content-addressed (SHA-256) under STORAGE_DIR."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: extracted text for search (4/6); text_status: pending, done, none (no text / refused), failed
    text: Mapped[str | None] = mapped_column(sa.Text)
    text_status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    #: set when an approved disposition destroyed the file (7/9): the bytes are gone, the row is the record
    destroyed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    document: Mapped[Document] = relationship(back_populates="attachments")
