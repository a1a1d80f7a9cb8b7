"""dossier search key: the dossier list's text filter folds accents ("ke hoach" finds "Kế hoạch")

Adds dossiers.search_key (code and title folded, kept by an ORM hook) and fills it for the dossiers that
exist.

Revision ID: 0016_dossier_search_key
Revises: 0015_stats_open_cells
Create Date: 2026-12-01 00:10:00

"""
import sqlalchemy as sa
from alembic import op

from docflow.core.text import fold

# revision identifiers, used by Alembic.
revision = '0016_dossier_search_key'
down_revision = '0015_stats_open_cells'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossiers') as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.String(length=600), server_default='', nullable=False))
    conn = op.get_bind()
    dossiers = sa.table('dossiers', sa.column('id', sa.Integer), sa.column('code', sa.String),
                        sa.column('title', sa.String), sa.column('search_key', sa.String))
    rows = conn.execute(sa.select(dossiers.c.id, dossiers.c.code, dossiers.c.title)).all()
    for start in range(0, len(rows), 1000):
        conn.execute(dossiers.update().where(dossiers.c.id == sa.bindparam('b_id'))
                     .values(search_key=sa.bindparam('b_key')),
                     [{'b_id': r.id, 'b_key': fold(f"{r.code or ''} {r.title or ''}")[:600]}
                      for r in rows[start:start + 1000]])


def downgrade():
    with op.batch_alter_table('dossiers') as batch_op:
        batch_op.drop_column('search_key')
