"""list indexes: every list walks an index in its own order (architecture decision 12)

- ix_documents_list_received (direction, received_date, number, id, confidentiality, status): the
  incoming list, newest arrival first, walked backwards and stopped after the page; the trailing
  columns let a deep page's OFFSET and a bounded count read the index only.
- ix_documents_list_status (direction, status, received_date, number, id): the same list filtered by
  a status (the dashboard's "not presented" and "presented to me" cards).
- ix_documents_list_id (direction, id, confidentiality, status, number): the outgoing list, newest first;
  `number` because the outgoing flow's office-wide condition reads it (a draft cancelled before issue has
  none), so the office-wide roles' list and count read the index only (SQLite otherwise walks
  ix_documents_direction and reads every row it skips).

On a large PostgreSQL database the upgrade builds three indexes on `documents` (about a minute per
million rows); run it in a maintenance window.

Revision ID: 0007_list_indexes
Revises: 0006_search
Create Date: 2026-11-30 16:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_list_indexes'
down_revision = '0006_search'
branch_labels = None
depends_on = None

INDEXES = {
    "ix_documents_list_received": ["direction", "received_date", "number", "id", "confidentiality", "status"],
    "ix_documents_list_status": ["direction", "status", "received_date", "number", "id"],
    "ix_documents_list_id": ["direction", "id", "confidentiality", "status", "number"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "documents", columns, unique=False)


def downgrade():
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="documents")
