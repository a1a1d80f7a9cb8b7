"""search speed: the date index the search results page walks, newest first

- ix_documents_search_date (coalesce(issued_date, received_date) DESC, id DESC): the search results'
  display order. When more than search.query.CAP documents match (a common word), the first page walks
  this index and asks the search engine about each row (FTS5 rowid probe / `tsv @@ q` recheck), stopping
  after the page, instead of joining every hit to `documents` and sorting them all. The same expression
  serves the search's from/to filter.

An expression index, made by hand (migrations/env.py keeps it out of autogenerate, like the search
engines' own objects). On a large PostgreSQL database the upgrade builds it over `documents` (about a
minute per million rows).

Revision ID: 0008_search_speed
Revises: 0007_list_indexes
Create Date: 2026-11-30 17:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_search_speed'
down_revision = '0007_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_documents_search_date ON documents "
                   "((coalesce(issued_date, received_date)) DESC NULLS LAST, id DESC)")
    else:  # SQLite: a DESC index keeps NULLs last (they sort lowest)
        op.execute("CREATE INDEX ix_documents_search_date ON documents "
                   "(coalesce(issued_date, received_date) DESC, id DESC)")


def downgrade():
    op.execute("DROP INDEX ix_documents_search_date")
