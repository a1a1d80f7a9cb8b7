"""Reference data of the registry: document types, registers, external organisations."""

from datetime import datetime

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
