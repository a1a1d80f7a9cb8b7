"""search: FTS5 prefix indexes (SQLite), so that `ngân*` reads one doclist instead of merging every word's

SQLite only: search_fts is made again with `prefix='2 3 4'` (FTS5 keeps, beside each word, the doclists of
its first 2, 3 and 4 characters) and rebuilt from search_index. Without them a prefix query merges the
whole doclist of every word that starts with the prefix (`ngan*`: ngan, nganh, ngang ...), per query and,
when the search walks the date index, per row: at 1M documents one row's probe took ~70 ms, the count of
a specialist's `ngân*` seconds; with them ~0.3 ms and ~20 ms. Longer prefixes (5+ characters) match few
words and stay unindexed; one character is too short to be worth it. The index grows by ~18% (2.56 ->
3.02 GB at 1M).

The rebuild reads every search_index row: at 1M documents 136 s (81 s of CPU; load average 3.5 on
2 cores), during which the database is locked for writers. PostgreSQL: nothing to do (a tsquery prefix
`:*` is answered by the GIN index).

Revision ID: 0014_search_prefix_index
Revises: 0013_exchange_status_once
Create Date: 2026-12-01 00:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_search_prefix_index'
down_revision = '0013_exchange_status_once'
branch_labels = None
depends_on = None

#: the prefix lengths indexed; docflow.search.query.FTS5_PREFIXES says the same
PREFIXES = "2 3 4"


def _recreate(prefix: str | None) -> None:
    option = f", prefix='{prefix}'" if prefix else ""
    # the triggers on search_index name search_fts and are resolved when they run: they stay as they are
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(f"""CREATE VIRTUAL TABLE search_fts USING fts5(body, attachments_text, content='search_index',
  content_rowid='document_id', tokenize="unicode61 remove_diacritics 2"{option})""")
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _recreate(PREFIXES)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _recreate(None)
