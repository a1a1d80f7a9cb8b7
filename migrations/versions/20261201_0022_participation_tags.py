"""participation tags: who takes part in a document, in its search tags

search_index.tags gains, after the filters' tags, who takes part in the document
(docflow.search.indexer.participation_tags): `#p<user>` a person, `#a<unit>` the unit through any of its
participant rows, `#n<unit>` the unit as a unit (a row without a person), sorted, each once. The search asks
them of the engine for a restricted viewer (the visibility rule's own sets: query.viewer_tags) and for the
`unit` filter (`#a`), so a specialist's rare word is one walk of two doclists instead of every hit of the word
proved visible by a probe of its participant rows, and `thực hiện` + unit=KT no longer looks up each of the
words' hits to test the unit's IN list. Later the document events keep them in step (the flows change the
participants through registry/participants.py and then send an event).

SQLite: the triggers are dropped while the tags are written, search_fts is rebuilt and merged into one segment,
the triggers come back. PostgreSQL: the GIN index is dropped, the rows updated (the generated `tsv` with them),
the index built again. At 1M documents: a few minutes on 2 cores, during which writers wait.

Revision ID: 0022_participation_tags
Revises: 0021_search_tags
Create Date: 2026-12-01 12:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_participation_tags'
down_revision = '0021_search_tags'
branch_labels = None
depends_on = None

TRIGGERS = ("search_index_ai", "search_index_ad", "search_index_au")
COLUMNS = ("body", "attachments_text", "tags")


def _pairs_tags(where: str) -> str:
    """(document_id, tag) of the participant rows `p` kept by `where` (this migration's own copy of
    indexer.participation_tags: a migration must not change when the code does; tests/search/test_tags.py
    compares the two)."""
    return f"""SELECT p.document_id, '#p' || p.user_id AS t FROM document_participants p
  WHERE p.user_id IS NOT NULL{where}
UNION SELECT p.document_id, '#a' || p.unit_id FROM document_participants p WHERE p.unit_id IS NOT NULL{where}
UNION SELECT p.document_id, '#n' || p.unit_id FROM document_participants p
  WHERE p.unit_id IS NOT NULL AND p.user_id IS NULL{where}"""


def participation_sql(dialect: str) -> str:
    """The UPDATE that appends each document's participation tags to its tags, sorted as Python sorts them."""
    if dialect == "sqlite":
        tags = f"""(SELECT group_concat(t, ' ') FROM (SELECT t FROM ({_pairs_tags(
            " AND p.document_id = search_index.document_id")}) ORDER BY t))"""
        return (f"UPDATE search_index SET tags = ltrim(tags || ' ' || {tags}, ' ') "  # noqa: S608
                "WHERE document_id IN (SELECT document_id FROM document_participants)")
    return f"""UPDATE search_index s SET tags = ltrim(s.tags || ' ' || x.t, ' ') FROM (
  SELECT document_id, string_agg(t, ' ' ORDER BY t COLLATE "C") AS t FROM ({_pairs_tags("")}) y
  GROUP BY document_id) x WHERE x.document_id = s.document_id"""  # noqa: S608


def _sqlite_triggers() -> tuple[str, ...]:
    names = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
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


PG_GIN = "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)"


def _retag(statement: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TRIGGERS:  # the rows are indexed once, by the rebuild below
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
        for ddl in _sqlite_triggers():
            op.execute(ddl)
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
        op.execute(statement)
        op.execute(PG_GIN)


def upgrade():
    _retag(participation_sql(op.get_bind().dialect.name))


def downgrade():
    # the filters' tags come first and never hold `#p`, `#a` or `#n`: cut at the first participation tag
    if op.get_bind().dialect.name == "sqlite":
        cut = ("rtrim(substr(tags, 1, min(" + ", ".join(
            f"CASE instr(tags, ' {t}') WHEN 0 THEN length(tags) + 1 ELSE instr(tags, ' {t}') END"
            for t in ("#a", "#n", "#p")) + ") - 1), ' ')")
        _retag(f"UPDATE search_index SET tags = {cut}")  # noqa: S608
    else:
        _retag("UPDATE search_index SET tags = array_to_string(ARRAY(SELECT w FROM unnest(string_to_array(tags, ' ')) "
               "WITH ORDINALITY AS u(w, i) WHERE w !~ '^#[anp]' ORDER BY i), ' ')")
