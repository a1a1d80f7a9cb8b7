"""What the archive keeps (issue 7/9, domain.md §4): the retention table, the year's file plan with its
headings, dossiers (hồ sơ) and the documents filed in them, transfers to the agency archive (nộp lưu),
keep-backs, loans (khai thác) and destruction proposals.

A dossier's own metadata (code, title, retention, dates) is seen by every role that may see the
archive; the documents inside it follow the one visibility rule (registry/access.py): a confidential
document filed in a dossier stays invisible, and uncounted, for a user not cleared for it.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docflow.core.text import fold
from docflow.core.timeutil import utcnow
from docflow.extensions import db

#: a dossier's life: planned (a row of the file plan, not yet opened) → open → closed → archived (in the
#: agency archive) → destroyed (only through an approved disposition; never a permanent one)
DOSSIER_STATUSES = ("planned", "open", "closed", "archived", "destroyed")
#: a loan: requested → approved (by the archive's head) → lent → returned; or refused
LOAN_STATES = ("requested", "approved", "lent", "returned", "refused")
#: a transfer list: drafted by the keeper/archivist → accepted by the archivist (the handover record)
TRANSFER_STATES = ("proposed", "accepted")
#: a keep-back (giữ lại) or a destruction proposal: proposed → approved | refused
DECISION_STATES = ("proposed", "approved", "refused")


class RetentionPeriod(db.Model):
    """One row of the retention table: a period (None years = Vĩnh viễn, permanent) and the document
    categories it applies to (TT 10/2022/TT-BNV); editable, seeded by `flask docflow init`."""

    __tablename__ = "retention_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    #: None: permanent (Vĩnh viễn)
    years: Mapped[int | None] = mapped_column(sa.Integer)
    #: the categories of documents kept this long, one per line
    categories: Mapped[str] = mapped_column(sa.Text, default="")
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=100)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __table_args__ = (sa.CheckConstraint(sa.text("years IS NULL OR years > 0"), name="years"),)


class FilePlan(db.Model):
    """The file plan (danh mục hồ sơ) of one year, approved by the head at the start of the year."""

    __tablename__ = "file_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, unique=True)
    #: draft → approved
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    headings: Mapped[list["FilePlanHeading"]] = relationship(
        back_populates="plan", order_by="FilePlanHeading.sort_order, FilePlanHeading.id",
        cascade="all, delete-orphan")
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    __table_args__ = (sa.CheckConstraint(sa.text("status IN ('draft','approved')"), name="status"),)


class FilePlanHeading(db.Model):
    """A heading of the plan (by unit or by area of work): major headings numbered I, II, III...,
    sub-headings 1, 2, 3 under a major one (parent_id). `abbr` is the major heading's abbreviation
    that dossier codes end with (01.TCCB)."""

    __tablename__ = "file_plan_headings"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("file_plans.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("file_plan_headings.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(300))
    abbr: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=100)

    plan: Mapped[FilePlan] = relationship(back_populates="headings")
    parent: Mapped["FilePlanHeading | None"] = relationship(remote_side="FilePlanHeading.id")
    unit = relationship("Unit")


class Dossier(db.Model):
    """A dossier (hồ sơ, App. VI §III): planned in the year's file plan or opened ad hoc, filled with
    documents, closed, transferred to the agency archive, lent, and destroyed only when its retention
    has expired and a disposition was approved (metadata kept)."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    #: the file number and symbol: ordinal + the major heading's abbreviation (01.TCCB)
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(500))
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("file_plans.id", ondelete="SET NULL"), index=True)
    heading_id: Mapped[int | None] = mapped_column(sa.ForeignKey("file_plan_headings.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: the person who keeps (lập) the dossier
    keeper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: years to keep it, counted from the end of the year it ended; None = permanent (Vĩnh viễn)
    retention_years: Mapped[int | None] = mapped_column(sa.Integer)
    retention_id: Mapped[int | None] = mapped_column(sa.ForeignKey("retention_periods.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    #: paper, electronic or mixed; a paper (or mixed) dossier in the archive has a location
    medium: Mapped[str] = mapped_column(sa.String(10), default="electronic")
    #: the access regime (Rights, App. VI §III)
    rights: Mapped[str | None] = mapped_column(sa.String(30))
    language: Mapped[str] = mapped_column(sa.String(30), default="Tiếng Việt")
    description: Mapped[str | None] = mapped_column(sa.Text)
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    #: set on closing: how many documents and pages (sheets) it holds, and the closing note
    doc_total: Mapped[int | None] = mapped_column(sa.Integer)
    page_total: Mapped[int | None] = mapped_column(sa.Integer)
    closing_note: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: in the agency archive: when, through which transfer, and where the paper sits
    transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfers.id", ondelete="SET NULL"), index=True)
    archived_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    location_box: Mapped[str | None] = mapped_column(sa.String(40))
    location_shelf: Mapped[str | None] = mapped_column(sa.String(40))
    #: kept back by its unit (approved keep-back) until this day, at most 2 years
    kept_back_until: Mapped[date | None] = mapped_column(sa.Date)
    destroyed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    disposition_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dispositions.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    #: the code and title folded (core/text.py fold): "ke hoach" finds "Kế hoạch" (kept by an ORM hook)
    search_key: Mapped[str] = mapped_column(sa.String(600), default="", server_default="")

    plan = relationship("FilePlan")
    heading = relationship("FilePlanHeading")
    unit = relationship("Unit")
    keeper = relationship("User", foreign_keys=[keeper_id])
    retention = relationship("RetentionPeriod")
    transfer = relationship("Transfer", foreign_keys=[transfer_id], back_populates="dossiers")
    entries: Mapped[list["DossierDocument"]] = relationship(
        back_populates="dossier", order_by="DossierDocument.position, DossierDocument.document_id",
        cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("year", "code"),
        sa.CheckConstraint(sa.text("status IN ('planned','open','closed','archived','destroyed')"), name="status"),
        sa.CheckConstraint(sa.text("medium IN ('paper','electronic','mixed')"), name="medium"),
        sa.CheckConstraint(sa.text("retention_years IS NULL OR retention_years > 0"), name="retention_years"),
        sa.Index("ix_dossiers_year_status", "year", "status"),
    )

    @property
    def is_permanent(self) -> bool:
        return self.retention_years is None

    @property
    def retention_ends(self) -> date | None:
        """The last day of keeping: 31/12 of the year it ended + retention years; None if permanent."""
        if self.retention_years is None:
            return None
        ended = (self.end_date.year if self.end_date else self.year)
        return date(ended + self.retention_years, 12, 31)



@sa.event.listens_for(Dossier, "before_insert")
@sa.event.listens_for(Dossier, "before_update")
def _fill_search_key(_mapper, _connection, dossier: Dossier) -> None:
    dossier.search_key = fold(f"{dossier.code or ''} {dossier.title or ''}")[:600]


class DossierDocument(db.Model):
    """A document filed in a dossier (a document may sit in several), in the dossier's order.
    `flag` marks, on closing, what the keeper should take out: a draft or a duplicate."""

    __tablename__ = "dossier_documents"

    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    flag: Mapped[str | None] = mapped_column(sa.String(10))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="entries")
    document = relationship("Document")

    __table_args__ = (sa.Index("ix_dossier_documents_document", "document_id", "dossier_id"),)


class Transfer(db.Model):
    """A transfer (nộp lưu) of closed dossiers to the agency archive: the transfer list (mục lục hồ sơ
    nộp lưu) and, once the archivist accepts it, the handover record (biên bản giao nhận)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="proposed", index=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    dossiers: Mapped[list[Dossier]] = relationship(back_populates="transfer", foreign_keys=[Dossier.transfer_id],
                                                   order_by="Dossier.code")
    unit = relationship("Unit")
    created_by = relationship("User", foreign_keys=[created_by_id])
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])

    __table_args__ = (sa.CheckConstraint(sa.text("status IN ('proposed','accepted')"), name="status"),)


class KeepBack(db.Model):
    """A unit keeps a dossier back from transfer (giữ lại) with the head's approval, at most 2 years."""

    __tablename__ = "keep_backs"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    until: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(10), default="proposed")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    comment: Mapped[str | None] = mapped_column(sa.String(1000))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    dossier = relationship("Dossier")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (sa.CheckConstraint(sa.text("state IN ('proposed','approved','refused')"), name="state"),)


class Loan(db.Model):
    """A use of an archived dossier (khai thác): a reader asks, the archive's head approves or refuses,
    the archivist lends it and takes it back; the loans are the borrowing book (sổ theo dõi sử dụng)."""

    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    borrower_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    due_date: Mapped[date] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(10), default="requested", index=True)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    comment: Mapped[str | None] = mapped_column(sa.String(1000))
    lent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    returned_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    dossier = relationship("Dossier")
    borrower = relationship("User", foreign_keys=[borrower_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lent_by = relationship("User", foreign_keys=[lent_by_id])

    __table_args__ = (
        sa.CheckConstraint(sa.text("state IN ('requested','approved','lent','returned','refused')"), name="state"),
        sa.Index("ix_loans_state_due", "state", "due_date"),
    )


class Disposition(db.Model):
    """A destruction proposal for dossiers whose retention has expired: proposed → approved by a
    leader (the dossiers' files are removed from the store, their metadata and this decision kept)
    or refused. A permanent dossier is never in one."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(10), default="proposed", index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: the head's decision (number, comment) recorded with the approval or refusal
    decision: Mapped[str | None] = mapped_column(sa.String(1000))
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    items: Mapped[list["DispositionDossier"]] = relationship(back_populates="disposition",
                                                             cascade="all, delete-orphan")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (sa.CheckConstraint(sa.text("state IN ('proposed','approved','refused')"), name="state"),)


class DispositionDossier(db.Model):
    """A dossier listed in a destruction proposal."""

    __tablename__ = "disposition_dossiers"

    disposition_id: Mapped[int] = mapped_column(sa.ForeignKey("dispositions.id", ondelete="CASCADE"),
                                                primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)

    disposition: Mapped[Disposition] = relationship(back_populates="items")
    dossier = relationship("Dossier")
