"""audit keyed: each audit event records how its hash was made

Events already in the chain keep their plain SHA-256 ("sha256", the server default fills them in);
from now on docflow writes "hmac-sha256" events, keyed with DOCFLOW_AUDIT_KEY (or instance/audit_key).
`audit verify` accepts unkeyed events only before the first keyed one. A downgrade drops the column:
the older code cannot verify keyed events (it would report the first one as altered).

Revision ID: 0005_audit_keyed
Revises: 0004_user_search_key
Create Date: 2026-11-30 14:30:08.232209

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_audit_keyed'
down_revision = '0004_user_search_key'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=16), server_default='sha256', nullable=False))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('scheme')
