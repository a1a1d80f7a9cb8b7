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
