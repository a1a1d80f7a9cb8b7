"""The search index (one row per document, folded text) and users' saved searches.

`search_index` is a plain table; each database indexes it its own way, made by the migration and kept
out of autogenerate (migrations/env.py): SQLite an FTS5 external-content table `search_fts` kept in step
by triggers, PostgreSQL a stored `tsv` column with a GIN index and a pg_trgm index on `symbol_norm`.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from docflow.core.timeutil import utcnow
from docflow.extensions import db


class SearchIndex(db.Model):
    __tablename__ = "search_index"

    #: also the FTS5 rowid (SQLite: an INTEGER PRIMARY KEY is the rowid)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    #: folded subject, issuer, number-symbol, signer, notes, direction, recipients
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: folded text of the attachments whose extraction is done
    attachments_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: the number-symbol folded, upper case, without spaces: 15/QD-UBND (exact look-up)
    symbol_norm: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    #: the folded issuer / sender name (substring filter)
    sender_key: Mapped[str | None] = mapped_column(sa.String(250))
    #: the filters' values as words no query can name (indexer.tags: `#y2026 #dincoming #sassigned ...`),
    #: asked of the engine beside the words so that a filter narrows the hits inside the full-text index
    tags: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class SavedSearch(db.Model):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: the results page's query string (q=...&direction=...)
    query: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
