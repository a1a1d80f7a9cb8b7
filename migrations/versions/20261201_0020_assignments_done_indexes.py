"""assignments done indexes: a user's / a unit's finished tasks, newest first

The task inbox's "done" tab (incoming.task_page) reads each part of the inbox (the user's own tasks, their
unit's) newest first; without an index in that order both engines gathered and sorted every finished task
of a busy unit (SQLite 0.4 s, PostgreSQL 0.1-0.14 s at 1M documents).

Revision ID: 0020_assignments_done_indexes
Revises: 0019_participation_keys
Create Date: 2026-12-01 02:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_assignments_done_indexes'
down_revision = '0019_participation_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_assignments_unit_done', 'assignments', ['unit_id', 'state', 'done_at', 'id'])
    op.create_index('ix_assignments_user_done', 'assignments', ['user_id', 'state', 'done_at', 'id'])


def downgrade():
    op.drop_index('ix_assignments_user_done', table_name='assignments')
    op.drop_index('ix_assignments_unit_done', table_name='assignments')
