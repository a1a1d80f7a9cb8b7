"""search tags: the filters' values in the full-text index, so that a filter narrows the hits inside it

search_index gains `tags` (docflow.search.indexer.tags: `#y2026 #dincoming #sassigned #cnormal #unormal #t3
#r5 #m202601`): the year, direction, status, confidentiality, urgency, type, register and month of the
document's date, as words no query can name. The search asks them of the engine beside the user's words
(query.engine_query), so `thực hiện` + type QĐ + year 2026 is one walk of three doclists that skip each other
(FTS5's AND, GIN's fast scan) instead of every one of the word's 490k hits looked up and tested.

SQLite: search_fts is made again with a third column `tags` (the user's words are matched only in the
other two: `{body attachments_text} : ...`), its triggers with it, rebuilt and merged into one segment.
PostgreSQL: the stored `tsv` is made again with the tags as lexemes beginning with `#` (array_to_tsvector:
taken as they are; the 'simple' parser never makes such a lexeme of text), and its GIN index built again.
The tags are filled from the documents here; later the document events keep them in step.

At 1M documents the rebuild reads every row: SQLite ~3-4 min, PostgreSQL ~4-6 min on 2 cores, during
which the database is locked for writers.

Revision ID: 0021_search_tags
Revises: 0020_assignments_done_indexes
Create Date: 2026-12-01 05:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021_search_tags'
down_revision = '0020_assignments_done_indexes'
branch_labels = None
depends_on = None

PREFIXES = "2 3 4"
TRIGGERS = ("search_index_ai", "search_index_ad", "search_index_au")


def _sqlite_triggers(columns: tuple[str, ...]) -> tuple[str, ...]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    # column names of this file only
    return (
        f"""CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
  INSERT INTO search_fts(rowid, {names}) VALUES (new.document_id, {new});
END""",  # noqa: S608
        f"""CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.document_id, {old});
END""",  # noqa: S608
        f"""CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.document_id, {old});
  INSERT INTO search_fts(rowid, {names}) VALUES (new.document_id, {new});
END""")  # noqa: S608


def _sqlite_fts(columns: tuple[str, ...]) -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(f"""CREATE VIRTUAL TABLE search_fts USING fts5({", ".join(columns)}, content='search_index',
  content_rowid='document_id', tokenize="unicode61 remove_diacritics 2", prefix='{PREFIXES}')""")
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    for ddl in _sqlite_triggers(columns):
        op.execute(ddl)


def tags_sql(dialect: str) -> str:
    """The tags of documents `d`, as docflow.search.indexer.tags makes them (this migration's own copy: a
    migration must not change when the code does). tests/search/test_tags.py compares the two."""
    day = "coalesce(d.issued_date, d.received_date)"
    month = (f"substr({day}, 1, 4) || substr({day}, 6, 2)" if dialect == "sqlite"
             else f"to_char({day}, 'YYYYMM')")
    parts = [("d.year", "'#y' || d.year"), ("d.direction", "'#d' || d.direction"),
             ("d.status", "'#s' || replace(d.status, '_', '')"),
             ("d.confidentiality", "'#c' || replace(d.confidentiality, '_', '')"),
             ("d.urgency", "'#u' || replace(d.urgency, '_', '')"), ("d.doc_type_id", "'#t' || d.doc_type_id"),
             ("d.register_id", "'#r' || d.register_id"), (day, "'#m' || " + month)]
    pieces = " || ".join(f"CASE WHEN {value} IS NOT NULL THEN ' ' || {text} ELSE '' END" for value, text in parts)
    return f"ltrim({pieces}, ' ')"


def _pg_tsv(with_tags: bool) -> str:
    tags = " ||\n  array_to_tsvector(string_to_array(tags, ' '))" if with_tags else ""
    return f"""ALTER TABLE search_index ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
  setweight(to_tsvector('simple'::regconfig, regexp_replace(attachments_text, '[^[:alnum:]]+', ' ', 'g')), 'B'){tags})
  STORED"""


PG_GIN = "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
        op.execute("ALTER TABLE search_index DROP COLUMN IF EXISTS tsv")
    op.add_column('search_index', sa.Column('tags', sa.Text(), server_default='', nullable=False))
    if dialect == "sqlite":
        for name in TRIGGERS:  # the rows are indexed once, by the rebuild below
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"UPDATE search_index SET tags = (SELECT {tags_sql(dialect)} FROM documents d "  # noqa: S608
                   "WHERE d.id = search_index.document_id)")
        _sqlite_fts(("body", "attachments_text", "tags"))
    else:
        op.execute(f"UPDATE search_index SET tags = {tags_sql(dialect)} FROM documents d "  # noqa: S608
                   "WHERE d.id = search_index.document_id")
        op.execute(_pg_tsv(True))
        op.execute(PG_GIN)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
        op.execute("ALTER TABLE search_index DROP COLUMN IF EXISTS tsv")
        op.drop_column('search_index', 'tags')
        op.execute(_pg_tsv(False))
        op.execute(PG_GIN)
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        with op.batch_alter_table('search_index') as batch:
            batch.drop_column('tags')
        _sqlite_fts(("body", "attachments_text"))
