"""search_index mirrors the document's rule, filter and facet columns

search_index gains the documents' columns that the visibility rule (registry/access.py), the search's filters
and its facets read: direction, doc_type_id, year, number, status, confidentiality, urgency, register_id,
sender_org_id, issued_date, received_date (same names and values; search/models.py MIRRORED). PostgreSQL then
counts and facets a result set from search_index alone: the GIN bitmap's rows are tested where they are read,
instead of each hit being joined to its document by primary key (a leader's count of 10,001 hits of a common
word, of a prefix or of a word in a few percent of the documents: bench/README.md, search round 12).

Kept by triggers; the application never writes these columns (the seed and `reindex` bring them with the rows
they insert, from the same documents):
- an index row inserted without them (confidentiality NULL) takes them from its document;
- an update of any of them on a document writes them into its index row.
SQLite: `search_index_au`, which writes the row's text into search_fts again, now fires only on an update of
that text (body, attachments_text, tags), so an update of the mirrored columns does not touch search_fts.

Filled here from the documents. PostgreSQL: the GIN and trigram indexes are dropped, the rows updated (the
stored `tsv` is computed again with each), the table rewritten compactly (CLUSTER on its primary key, as in
0024) and the indexes built again: a few minutes at 1M documents, during which writers wait.

Revision ID: 0027_search_index_mirror
Revises: 0026_participants_cover
Create Date: 2026-12-03 15:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027_search_index_mirror'
down_revision = '0026_participants_cover'
branch_labels = None
depends_on = None

COLUMNS = (
    ("direction", sa.String(length=10)), ("doc_type_id", sa.Integer()), ("year", sa.Integer()),
    ("number", sa.Integer()), ("status", sa.String(length=12)), ("confidentiality", sa.String(length=12)),
    ("urgency", sa.String(length=12)), ("register_id", sa.Integer()), ("sender_org_id", sa.Integer()),
    ("issued_date", sa.Date()), ("received_date", sa.Date()),
)
NAMES = tuple(name for name, _type in COLUMNS)
_LIST = ", ".join(NAMES)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in NAMES)

# the statements below name only this file's columns
SQLITE = (
    f"""CREATE TRIGGER search_index_mirror_ai AFTER INSERT ON search_index WHEN new.confidentiality IS NULL BEGIN
  UPDATE search_index SET ({_LIST}) = (SELECT {_LIST} FROM documents WHERE id = new.document_id)
  WHERE document_id = new.document_id;
END""",  # noqa: S608
    f"""CREATE TRIGGER search_index_mirror_du AFTER UPDATE OF {_LIST} ON documents WHEN {_CHANGED.replace('OLD.', 'old.').replace('NEW.', 'new.')} BEGIN
  UPDATE search_index SET {', '.join(f'{c} = new.{c}' for c in NAMES)} WHERE document_id = new.id;
END""",  # noqa: S608, E501
)
_FTS = ("body", "attachments_text", "tags")


def _fts_update_trigger(of: bool) -> str:
    names = ", ".join(_FTS)
    new = ", ".join(f"new.{c}" for c in _FTS)
    old = ", ".join(f"old.{c}" for c in _FTS)
    return f"""CREATE TRIGGER search_index_au AFTER UPDATE {'OF ' + names + ' ' if of else ''}ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.document_id, {old});
  INSERT INTO search_fts(rowid, {names}) VALUES (new.document_id, {new});
END"""  # noqa: S608


POSTGRESQL = (
    f"""
CREATE OR REPLACE FUNCTION search_index_mirror_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT {', '.join(f'd.{c}' for c in NAMES)} INTO {', '.join(f'NEW.{c}' for c in NAMES)}
  FROM documents d WHERE d.id = NEW.document_id;
  RETURN NEW;
END $$""",  # noqa: S608
    """
CREATE TRIGGER search_index_mirror_insert BEFORE INSERT ON search_index FOR EACH ROW
  WHEN (NEW.confidentiality IS NULL) EXECUTE FUNCTION search_index_mirror_insert()""",
    f"""
CREATE OR REPLACE FUNCTION search_index_mirror_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE search_index SET {', '.join(f'{c} = NEW.{c}' for c in NAMES)} WHERE document_id = NEW.id;
  RETURN NULL;
END $$""",  # noqa: S608
    f"""
CREATE TRIGGER search_index_mirror_documents AFTER UPDATE OF {_LIST} ON documents FOR EACH ROW
  WHEN ({_CHANGED}) EXECUTE FUNCTION search_index_mirror_documents()""",
)
FILL = {
    "sqlite": f"UPDATE search_index SET ({_LIST}) = (SELECT {_LIST} FROM documents d "  # noqa: S608
              "WHERE d.id = search_index.document_id)",
    "postgresql": f"UPDATE search_index s SET {', '.join(f'{c} = d.{c}' for c in NAMES)} "  # noqa: S608
                  "FROM documents d WHERE d.id = s.document_id",
}
PG_INDEXES = (
    "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)",
    "CREATE INDEX ix_search_index_symbol_trgm ON search_index USING gin (symbol_norm gin_trgm_ops)",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for name, type_ in COLUMNS:  # ALTER TABLE ... ADD COLUMN on both (no copy of the table)
        op.add_column('search_index', sa.Column(name, type_, nullable=True))
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS search_index_au")
        op.execute(_fts_update_trigger(of=True))
        op.execute(FILL[dialect])
        for ddl in SQLITE:
            op.execute(ddl)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
        op.execute("DROP INDEX IF EXISTS ix_search_index_symbol_trgm")
        op.execute("SET LOCAL maintenance_work_mem = '512MB'")
        op.execute(FILL[dialect])
        op.execute("CLUSTER search_index USING pk_search_index")
        op.execute("ALTER TABLE search_index SET WITHOUT CLUSTER")
        for ddl in PG_INDEXES:
            op.execute(ddl)
        for ddl in POSTGRESQL:
            op.execute(ddl)
        op.execute("ANALYZE search_index")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_index_mirror_ai", "search_index_mirror_du", "search_index_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(_fts_update_trigger(of=False))
    else:
        op.execute("DROP TRIGGER IF EXISTS search_index_mirror_insert ON search_index")
        op.execute("DROP TRIGGER IF EXISTS search_index_mirror_documents ON documents")
        op.execute("DROP FUNCTION IF EXISTS search_index_mirror_insert()")
        op.execute("DROP FUNCTION IF EXISTS search_index_mirror_documents()")
    for name, _type in reversed(COLUMNS):  # SQLite: its own DROP COLUMN (a copy would lose the triggers)
        op.drop_column('search_index', name)
