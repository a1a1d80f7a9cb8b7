"""exchange: each status code produced once per letter

Revision ID: 0013_exchange_status_once
Revises: 0012_exchange
Create Date: 2026-11-30 21:36:46.597154

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_exchange_status_once'
down_revision = '0012_exchange'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.create_index('ux_exchange_messages_status_once', ['document_id', 'status_code'], unique=True, sqlite_where=sa.text("direction = 'out' AND kind = 'status'"), postgresql_where=sa.text("direction = 'out' AND kind = 'status'"))



def downgrade():
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.drop_index('ux_exchange_messages_status_once', sqlite_where=sa.text("direction = 'out' AND kind = 'status'"), postgresql_where=sa.text("direction = 'out' AND kind = 'status'"))

