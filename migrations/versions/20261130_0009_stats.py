"""stats: the handling of each completed incoming letter, measured once (stat_handling)

One row per completed incoming letter: the office's local day it was completed and the working days
from its arrival (weekends and holidays skipped), written by the `document_completed` event. The
upgrade creates the table empty: run `flask docflow stats rebuild` once after it (and after a restore
or a change of the holidays) to measure the letters completed before.

Revision ID: 0009_stats
Revises: 0008_search_speed
Create Date: 2026-11-30 17:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_stats'
down_revision = '0008_search_speed'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stat_handling',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('working_days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_stat_handling_document_id_documents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_stat_handling')),
    )
    op.create_index('ix_stat_handling_completed_on', 'stat_handling', ['completed_on', 'document_id', 'working_days'])


def downgrade():
    op.drop_index('ix_stat_handling_completed_on', table_name='stat_handling')
    op.drop_table('stat_handling')
