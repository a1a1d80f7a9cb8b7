"""The words' first letters (migration 0028) written by the application into a column of their own

Migration 0028 gave PostgreSQL's GIN index each word's first 2, 3 and 4 letters as lexemes (`~xa ~xay`), computed
by the SQL function `docflow_prefixed(tsv)` from the row's vector: ~56 us a row, evaluated for every row the
index takes in, so that building the index at 1M documents took 108 s of one server process instead of 32 s
(the seed builds it at its end: 5,097 -> 4,325 documents/s on a quiet machine). SQL has no cheaper way to take
three prefixes of each lexeme (a PL/pgSQL loop costs the same, a regular expression five times more).

Now the application computes them where it folds the text (search/indexer.prefix_lexemes, the seed's drawing
process, reindex) and writes them into `search_index.prefixes`, a position-less vector (`~xa ~xay ...`; on
SQLite an empty text, unused: FTS5 has its own prefix index). The index is built over
`docflow_prefixed(tsv, prefixes)`, their concatenation (~5 us a row): 58 s at 1M where it was 108. The
function keeps 0028's declarations (IMMUTABLE, PARALLEL UNSAFE, COST 1000: the planner reads it through the
index and never row by row; the statements are 0028's) and is PL/pgSQL so that the planner cannot inline it
and lose its cost. The rows' `tsv` is unchanged.

The existing rows get their prefixes from their own vector, as 0028's function took them (the same lexemes:
tests/search/test_prefixes.py compares the application's with the vector's), in one rewrite of the table.
About 6 minutes at 1M documents on a slow machine (the rewrite, then the index), during which writers wait.

Revision ID: 0029_search_prefix_column
Revises: 0028_search_prefixes
Create Date: 2026-12-03 21:50:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0029_search_prefix_column'
down_revision = '0028_search_prefixes'
branch_labels = None
depends_on = None

FUNCTION = """CREATE FUNCTION docflow_prefixed(v tsvector, prefixes tsvector) RETURNS tsvector
IMMUTABLE STRICT PARALLEL UNSAFE COST 1000 LANGUAGE plpgsql AS $$
BEGIN
  RETURN v || prefixes;
END
$$"""
# the row's prefixes from its vector, as 0028's function took them (its words longer than n, not the tags)
FROM_VECTOR = """CREATE FUNCTION pg_temp.docflow_prefixes(v tsvector) RETURNS tsvector
IMMUTABLE STRICT LANGUAGE sql AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT '~' || left(w, n) FROM unnest(tsvector_to_array(v)) AS w, (VALUES (2), (3), (4)) AS k(n)
    WHERE length(w) > n AND left(w, 1) <> '#'))
$$"""
PREFIXED_GIN = ("CREATE INDEX ix_search_index_tsv ON search_index USING gin (docflow_prefixed(tsv, prefixes)) "
                "WITH (fastupdate = off)")
# 0028's, to go back to
OLD_FUNCTION = """CREATE OR REPLACE FUNCTION docflow_prefixed(v tsvector) RETURNS tsvector
IMMUTABLE STRICT PARALLEL UNSAFE COST 1000 LANGUAGE sql AS $$
  SELECT v || array_to_tsvector(ARRAY(
    SELECT '~' || left(w, n) FROM unnest(tsvector_to_array(v)) AS w, (VALUES (2), (3), (4)) AS k(n)
    WHERE length(w) > n AND left(w, 1) <> '#'))
$$"""
OLD_GIN = ("CREATE INDEX ix_search_index_tsv ON search_index USING gin (docflow_prefixed(tsv)) "
           "WITH (fastupdate = off)")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.add_column('search_index', sa.Column('prefixes', sa.Text(), server_default='', nullable=False))
        return
    op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
    op.execute("DROP FUNCTION IF EXISTS docflow_prefixed(tsvector)")
    op.execute(FUNCTION)
    op.execute(FROM_VECTOR)
    op.add_column('search_index', sa.Column('prefixes', postgresql.TSVECTOR(), server_default='', nullable=False))
    # one rewrite of the table, in its order (0024 clustered it by its key)
    op.execute("ALTER TABLE search_index ALTER COLUMN prefixes TYPE tsvector USING pg_temp.docflow_prefixes(tsv)")
    op.execute("DROP FUNCTION pg_temp.docflow_prefixes(tsvector)")
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(PREFIXED_GIN)
    op.execute("ANALYZE search_index")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.drop_column('search_index', 'prefixes')
        return
    op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
    op.drop_column('search_index', 'prefixes')
    op.execute("DROP FUNCTION IF EXISTS docflow_prefixed(tsvector, tsvector)")
    op.execute(OLD_FUNCTION)
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(OLD_GIN)
    op.execute("ANALYZE search_index")
