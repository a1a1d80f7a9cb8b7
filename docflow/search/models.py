"""The search index (one row per document, folded text) and users' saved searches.

`search_index` is a plain table; each database indexes it its own way, made by the migration and kept
out of autogenerate (migrations/env.py): SQLite an FTS5 external-content table `search_fts` kept in step
by triggers, PostgreSQL a stored `tsv` column with a GIN index and a pg_trgm index on `symbol_norm`.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
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
    #: PostgreSQL: the first 2, 3 and 4 letters of each word of the body and the attachments' text longer than
    #: that, as position-less lexemes (`~xa ~xay ~xayd`: indexer.prefix_lexemes), which the GIN index holds
    #: beside the words (migration 0029: `docflow_prefixed(tsv, prefixes)`), so that a prefix is one list; never
    #: read row by row. SQLite: empty (FTS5 has its own prefix index)
    prefixes: Mapped[str] = mapped_column(sa.Text().with_variant(TSVECTOR(), "postgresql"), default="",
                                          server_default="")
    # The document's columns that the visibility rule, the filters and the facets read, copied into its row
    # (MIRRORED; migration 0027) so that PostgreSQL counts and facets a result set from this table alone
    # (query._index_statement) instead of joining each hit to `documents`. Kept by triggers: the row's
    # insert takes them from the document when it does not bring them, and an update of a document writes
    # them again; the application never writes them (the seed brings them, as it brings the rest of the row).
    direction: Mapped[str | None] = mapped_column(sa.String(10))
    doc_type_id: Mapped[int | None] = mapped_column(sa.Integer)
    year: Mapped[int | None] = mapped_column(sa.Integer)
    number: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str | None] = mapped_column(sa.String(12))
    confidentiality: Mapped[str | None] = mapped_column(sa.String(12))
    urgency: Mapped[str | None] = mapped_column(sa.String(12))
    register_id: Mapped[int | None] = mapped_column(sa.Integer)
    sender_org_id: Mapped[int | None] = mapped_column(sa.Integer)
    issued_date: Mapped[date | None] = mapped_column(sa.Date)
    received_date: Mapped[date | None] = mapped_column(sa.Date)


#: the documents' columns search_index holds as they are (same names; its document_id is documents.id)
MIRRORED = ("direction", "doc_type_id", "year", "number", "status", "confidentiality", "urgency", "register_id",
            "sender_org_id", "issued_date", "received_date")


class SavedSearch(db.Model):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: the results page's query string (q=...&direction=...)
    query: Mapped[str] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
