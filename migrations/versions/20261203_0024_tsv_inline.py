"""search_index.tsv kept in the row (PostgreSQL): storage MAIN, lz4

A row of search_index whose text is long (a letter with an attachment's text) is over PostgreSQL's 2 kB
threshold, and the toaster moved its largest value out of line: the `tsv` itself, uncompressed, into the TOAST
table. Every test of such a row (`tsv @@ q`: a count, a recheck, a probe of the date walk) then looked up the
TOAST index and read its chunks: at 1M documents ~21% of the rows, 14.5k buffers to count 10,001 hits of a
common word against 3k with the vector in the row (bench/README.md, search round 9).

Now `tsv` is stored MAIN (the toaster moves the body and the attachments' text out first, and compresses the
vector in the row only if it still does not fit; out of line only past a page) with lz4 (decompressed ~10x
faster than pglz). A column's storage applies to the rows written after it: the table is rewritten once
(CLUSTER on its primary key, the order the rows already have), which stores every existing row anew. At 1M
documents ~1-2 minutes, during which writers wait. SQLite: nothing (FTS5).

Revision ID: 0024_tsv_inline
Revises: 0023_symbol_tags
Create Date: 2026-12-03 07:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024_tsv_inline'
down_revision = '0023_symbol_tags'
branch_labels = None
depends_on = None


def _rewrite(storage: str, compression: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE search_index ALTER COLUMN tsv SET STORAGE {storage}")
    op.execute(f"ALTER TABLE search_index ALTER COLUMN tsv SET COMPRESSION {compression}")
    op.execute("CLUSTER search_index USING pk_search_index")
    op.execute("ALTER TABLE search_index SET WITHOUT CLUSTER")
    op.execute("ANALYZE search_index")


def upgrade():
    _rewrite("MAIN", "lz4")


def downgrade():
    _rewrite("EXTENDED", "DEFAULT")
