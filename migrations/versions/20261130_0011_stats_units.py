"""stats units: the monthly counts per unit taking part (stat_unit_counts), the unit heads' and specialists' figures

- stat_unit_counts: the cells of stat_counts once more for every unit taking part in a document, `via` "a"
  (the unit as a unit) or "p" (only people of the unit), kept by the document events and rebuilt by
  `flask docflow stats rebuild` (docflow/stats/counters.py).

In a database that already holds documents the upgrade writes the row "not counted yet" (unit_id 0): until
`flask docflow stats rebuild` runs (it removes the row), unit heads' and specialists' figures are counted
from the documents, as before. Run the rebuild once after the upgrade.

Revision ID: 0011_stats_units
Revises: 0010_archive
Create Date: 2026-11-30 20:22:27

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_stats_units'
down_revision = '0010_archive'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'stat_unit_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('via', sa.String(length=1), nullable=False),
        sa.Column('dim', sa.String(length=4), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('ym', sa.Integer(), nullable=False),
        sa.Column('confidentiality', sa.String(length=12), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('sub', sa.String(length=12), nullable=False),
        sa.Column('sub2', sa.String(length=8), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('electronic', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_unit_counts')),
    )
    op.create_index('ux_stat_unit_counts_cell', 'stat_unit_counts',
                    ['unit_id', 'dim', 'direction', 'ym', 'via', 'confidentiality', 'key', 'sub', 'sub2'], unique=True)
    if op.get_bind().execute(sa.text('SELECT 1 FROM documents LIMIT 1')).first() is not None:
        op.bulk_insert(table, [{'unit_id': 0, 'via': '', 'dim': '', 'direction': '', 'ym': 0, 'confidentiality': '',
                                'key': '', 'sub': '', 'sub2': '', 'n': 0, 'electronic': 0}])


def downgrade():
    op.drop_index('ux_stat_unit_counts_cell', table_name='stat_unit_counts')
    op.drop_table('stat_unit_counts')
