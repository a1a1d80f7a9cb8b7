"""stats open cells: indexes for the period report's overdue cells (pu) by completion month

The period report's "overdue" figure sums the pu cells not completed by the end of the period (sub2 >
the end's month); through the cells' unique index (dim, direction, ym, ...) it read every pu cell of the
whole history (68,887 at 1M documents). These indexes start from the completion month and cover the sum.

Revision ID: 0015_stats_open_cells
Revises: 0014_search_prefix_index
Create Date: 2026-12-01 00:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_stats_open_cells'
down_revision = '0014_search_prefix_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_stat_counts_open', 'stat_counts',
                    ['dim', 'direction', 'sub2', 'sub', 'ym', 'confidentiality', 'key', 'n'])
    op.create_index('ix_stat_unit_counts_open', 'stat_unit_counts',
                    ['unit_id', 'dim', 'direction', 'sub2', 'sub', 'via', 'ym', 'confidentiality', 'key', 'n'])


def downgrade():
    op.drop_index('ix_stat_unit_counts_open', table_name='stat_unit_counts')
    op.drop_index('ix_stat_counts_open', table_name='stat_counts')
