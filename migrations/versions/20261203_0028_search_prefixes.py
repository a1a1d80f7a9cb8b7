"""PostgreSQL: the search's GIN index also holds each word's first 2, 3 and 4 letters

A prefix query (`xây*`, `chuyển đổi*`) was a partial match of the GIN index: the bitmap of every word the prefix
starts, read and merged before the first row (`doi:*` holds đối, đổi, đời ...: 64 ms at 1M, for a count capped at
10,001). FTS5 indexes such prefixes as words of their own (migration 0014: `prefix='2 3 4'`); this gives
PostgreSQL the same: the index is built over `docflow_prefixed(tsv)`, the row's vector and, for each of its
words longer than 2, 3 or 4 letters, a lexeme `~` + those first letters (`xay dung` -> `~xa ~du ~dun`), so a
prefix of that length is asked as one list (`'~xay' | 'xay'`: the word itself, or a longer word it starts).
The lexemes are only in the index: the table's rows and their vectors are unchanged (every row-by-row test
reads what it read). `~` is not a letter, so no word and no prefix of the text can be one.

The function is IMMUTABLE (it reads only its argument) and declared costly (~26 us a row), so that the
planner reads it through the index and never evaluates it row by row; the statements ask the index for the
words without positions (a phrase as the AND of its words), so the index needs no recheck, and test the row's
own vector for the rest (search/query.py `_indexed`), as GIN's recheck did. PARALLEL UNSAFE: the planner
charges the index condition to every row of a bitmap scan whatever it costs, and at that cost it split a
4,515-row count over two workers (~7 ms to start them on 2 cores: `Gáo` by date 13 -> 23 ms); serial it is not
charged differently, and no plan of ours wants the workers.

About a minute at 1M documents (the index is built again), during which writers wait. SQLite: nothing.

Revision ID: 0028_search_prefixes
Revises: 0027_search_index_mirror
Create Date: 2026-12-03 19:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028_search_prefixes'
down_revision = '0027_search_index_mirror'
branch_labels = None
depends_on = None

FUNCTION = """CREATE OR REPLACE FUNCTION docflow_prefixed(v tsvector) RETURNS tsvector
IMMUTABLE STRICT PARALLEL UNSAFE COST 1000 LANGUAGE sql AS $$
  SELECT v || array_to_tsvector(ARRAY(
    SELECT '~' || left(w, n) FROM unnest(tsvector_to_array(v)) AS w, (VALUES (2), (3), (4)) AS k(n)
    WHERE length(w) > n AND left(w, 1) <> '#'))
$$"""
PREFIXED_GIN = ("CREATE INDEX ix_search_index_tsv ON search_index USING gin (docflow_prefixed(tsv)) "
                "WITH (fastupdate = off)")
PLAIN_GIN = "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(PREFIXED_GIN)
    op.execute("ANALYZE search_index")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_index_tsv")
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(PLAIN_GIN)
    op.execute("DROP FUNCTION IF EXISTS docflow_prefixed(tsvector)")
    op.execute("ANALYZE search_index")
