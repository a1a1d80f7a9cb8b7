"""Approval ladders (workflows), draft versions, approval actions, recipients and reply links."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.timeutil import utcnow
from docflow.extensions import db
from docflow.registry import history
from docflow.registry.models import Document

#: a draft not (or no longer) on the approval ladder is private to its participants (drafter, the
#: drafter's unit head, approvers); once submitted, the office-wide roles see it on its way
PRIVATE_STATES = ("draft", "returned", "rejected")


class OutgoingDocument(Document):
    """A document the office drafts and issues (văn bản đi): the document kernel plus the drafter
    and their unit (its code goes in a công văn's symbol), the proposed signer and signing capacity,
    the approval ladder and its current step, and the frozen issue."""

    __mapper_args__ = {"polymorphic_identity": "outgoing"}

    drafter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    drafting_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    signer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    signing_capacity: Mapped[str | None] = mapped_column(sa.String(8))
    workflow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workflows.id"))
    #: position (1..n) of the ladder step now waiting; the step that returned a draft while returned
    current_step: Mapped[int | None] = mapped_column(sa.Integer)
    step_due_date: Mapped[date | None] = mapped_column(sa.Date)
    issued_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: SHA-256 of the issued version's file: the issued text is frozen
    issued_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    drafter = relationship("User", foreign_keys=[drafter_id])
    signer_user = relationship("User", foreign_keys=[signer_id])
    drafting_unit = relationship("Unit", foreign_keys=[drafting_unit_id])
    #: read-only: a list eager-loads it (selectinload) so a page costs no query per document; the services
    #: write Recipient rows and read them with recipients_of()
    recipients = relationship("Recipient", order_by="Recipient.id", viewonly=True)

    @classmethod
    def office_visible(cls):
        """Seen office-wide once submitted; a draft cancelled before issue (no number) stays private."""
        return sa.and_(Document.status.not_in(PRIVATE_STATES),
                       sa.or_(Document.status != "cancelled", Document.number.is_not(None)))


class Workflow(db.Model):
    """An ordered approval ladder; bound to document types, or the default for the rest."""

    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    steps: Mapped[list["WorkflowStep"]] = relationship(back_populates="workflow", order_by="WorkflowStep.position",
                                                       cascade="all, delete-orphan", lazy="selectin")
    bindings: Mapped[list["WorkflowDocType"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class WorkflowStep(db.Model):
    """One rung: approved by the head of the drafter's unit, by any holder of a role, or by a named user."""

    __tablename__ = "workflow_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(sa.ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: unit_head (of the drafter's unit), role, user
    kind: Mapped[str] = mapped_column(sa.String(10))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: time limit in working days
    days: Mapped[int] = mapped_column(sa.Integer, default=2)

    workflow: Mapped[Workflow] = relationship(back_populates="steps")
    user = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("workflow_id", "position"),
        sa.CheckConstraint(sa.text("kind IN ('unit_head','role','user')"), name="kind"),
    )


class WorkflowDocType(db.Model):
    """A document type bound to a workflow (each type to at most one)."""

    __tablename__ = "workflow_doc_types"

    workflow_id: Mapped[int] = mapped_column(sa.ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True)
    doc_type_id: Mapped[int] = mapped_column(sa.ForeignKey("doc_types.id"), primary_key=True, unique=True)

    doc_type = relationship("DocType", lazy="joined")


class DraftVersion(db.Model):
    """A numbered version of a draft's file (DOCX/PDF); the file is an Attachment."""

    __tablename__ = "draft_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachments.id"))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    attachment = relationship("Attachment", lazy="joined")
    created_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("document_id", "number"),)


class ApprovalAction(db.Model):
    """submit, approve, return, resubmit, reject — the draft's approval history."""

    __tablename__ = "approval_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    step_position: Mapped[int | None] = mapped_column(sa.Integer)
    step_name: Mapped[str | None] = mapped_column(sa.String(120))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    actor = relationship("User")


class Recipient(db.Model):
    """Where an outgoing document goes: an external organisation, an internal unit, or a name."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(sa.String(250))
    #: paper, electronic, email — set on dispatch
    channel: Mapped[str | None] = mapped_column(sa.String(12))
    envelopes: Mapped[int | None] = mapped_column(sa.Integer)
    dispatched_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    dispatched_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organization = relationship("Organization")
    unit = relationship("Unit")


class ReplyLink(db.Model):
    """The incoming documents an outgoing one answers."""

    __tablename__ = "reply_links"

    outgoing_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    incoming_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)


def _step_names(document_ids: set[int]):
    """(document_id, step_position, step_name) of the named approval steps of these documents."""
    return db.session.execute(sa.select(ApprovalAction.document_id, ApprovalAction.step_position,
                                        ApprovalAction.step_name)
                              .where(ApprovalAction.document_id.in_(document_ids),
                                     ApprovalAction.step_name.is_not(None)))


history.register_step_names(_step_names)  # the registry's history names a ladder's steps with it
