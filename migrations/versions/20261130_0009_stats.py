"""stats: handling times measured once (stat_handling) and the monthly counts (stat_counts, stat_documents)

- stat_handling: one row per completed incoming letter, the office's local day it was completed and the
  working days from its arrival (weekends and holidays skipped), written by the `document_completed` event.
- stat_counts: the monthly counts the office-wide figures are summed from (cells described in
  docflow/stats/counters.py); stat_documents: what each document adds to them, kept in step by the
  document events.

The upgrade creates the tables empty: run `flask docflow stats rebuild` once after it (and after a
restore or a change of the holidays) to count the documents already there.

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
    op.create_table(
        'stat_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dim', sa.String(length=4), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('ym', sa.Integer(), nullable=False),
        sa.Column('confidentiality', sa.String(length=12), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('sub', sa.String(length=12), nullable=False),
        sa.Column('sub2', sa.String(length=8), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('electronic', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_counts')),
    )
    op.create_index('ux_stat_counts_cell', 'stat_counts',
                    ['dim', 'direction', 'ym', 'confidentiality', 'key', 'sub', 'sub2'], unique=True)
    op.create_table(
        'stat_documents',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_stat_documents_document_id_documents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_stat_documents')),
    )


def downgrade():
    op.drop_table('stat_documents')
    op.drop_index('ux_stat_counts_cell', table_name='stat_counts')
    op.drop_table('stat_counts')
    op.drop_index('ix_stat_handling_completed_on', table_name='stat_handling')
    op.drop_table('stat_handling')
