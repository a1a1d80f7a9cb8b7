"""What the statistics keep beside the documents: the handling of a completed letter, measured once.

A handling time is in working days (weekends and the configured holidays skipped, core/calendar.py),
which no SQL can count; it is measured in Python once, when the letter is completed (the
`document_completed` event, in the same transaction), and kept here so every figure is one aggregate
query. `flask docflow stats rebuild` measures every completed letter again (after the holidays change).
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from docflow.extensions import db


class StatHandling(db.Model):
    """One completed incoming letter: the office's local day it was completed and the working days
    from its arrival to that day."""

    __tablename__ = "stat_handling"

    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    completed_on: Mapped[date] = mapped_column(sa.Date)
    working_days: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_stat_handling_completed_on", "completed_on", "document_id", "working_days"),)


class StatCount(db.Model):
    """The monthly counts (a rollup): how many documents of one direction and confidentiality fall, in
    month `ym` (year * 100 + month), under one value of one dimension — `dim` and its `key` (and `sub`,
    `sub2` where a figure needs two values). `electronic` counts those of them on the electronic medium.

    The office-wide viewers (admin, clerk, leader, archivist) see every incoming letter and every issued
    document within their clearance (registry/access.py), so their figures are sums over these rows,
    filtered by confidentiality; everyone else's are counted from the documents. What each `dim` holds
    is said once, in stats/counters.py (`contributions`)."""

    __tablename__ = "stat_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(4))
    direction: Mapped[str] = mapped_column(sa.String(10))
    ym: Mapped[int] = mapped_column(sa.Integer)
    confidentiality: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[str] = mapped_column(sa.String(40), default="")
    sub: Mapped[str] = mapped_column(sa.String(12), default="")
    sub2: Mapped[str] = mapped_column(sa.String(8), default="")
    n: Mapped[int] = mapped_column(sa.Integer, default=0)
    electronic: Mapped[int] = mapped_column(sa.Integer, default=0)

    __table_args__ = (sa.Index("ux_stat_counts_cell", "dim", "direction", "ym", "confidentiality", "key", "sub",
                               "sub2", unique=True),
                      # the period report's overdue cells (pu) by completion month: those not completed by the
                      # end of the period are a few, where ym <= end reads the whole history (covering: n)
                      sa.Index("ix_stat_counts_open", "dim", "direction", "sub2", "sub", "ym", "confidentiality",
                               "key", "n"))


class StatDocument(db.Model):
    """What a document now adds to stat_counts, as the compact signature its contributions are computed
    from (JSON; NULL row: it adds nothing): an event recomputes the signature, and when it changed the
    old contributions are taken back and the new ones added, in the document's transaction."""

    __tablename__ = "stat_documents"

    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[str] = mapped_column(sa.Text)


class StatUnitCount(db.Model):
    """The same monthly counts per unit taking part (issue 6/9, the unit heads' and specialists' figures):
    the cells (`dim` ... `sub2`, as in stat_counts) of the documents in which unit `unit_id` takes part,
    `via` "a" when the unit takes part as a unit (a participant row of the unit without a person: its
    specialists see the document too), "p" when only people of the unit take part (its head sees it).

    A unit head's figures are the cells of their unit with via a or p, a specialist's those with via a,
    filtered by confidentiality, plus the few documents they take part in personally outside them, counted
    from the documents (stats/service.py). A row with unit_id 0 (no unit has that id) says the cells are
    not counted yet: migration 0011 writes it into a database holding documents, `flask docflow stats
    rebuild` removes it; until then those figures are counted from the documents."""

    __tablename__ = "stat_unit_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.Integer)
    via: Mapped[str] = mapped_column(sa.String(1))
    dim: Mapped[str] = mapped_column(sa.String(4))
    direction: Mapped[str] = mapped_column(sa.String(10))
    ym: Mapped[int] = mapped_column(sa.Integer)
    confidentiality: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[str] = mapped_column(sa.String(40), default="")
    sub: Mapped[str] = mapped_column(sa.String(12), default="")
    sub2: Mapped[str] = mapped_column(sa.String(8), default="")
    n: Mapped[int] = mapped_column(sa.Integer, default=0)
    electronic: Mapped[int] = mapped_column(sa.Integer, default=0)

    __table_args__ = (sa.Index("ux_stat_unit_counts_cell", "unit_id", "dim", "direction", "ym", "via",
                               "confidentiality", "key", "sub", "sub2", unique=True),
                      sa.Index("ix_stat_unit_counts_open", "unit_id", "dim", "direction", "sub2", "sub", "via", "ym",
                               "confidentiality", "key", "n"))
