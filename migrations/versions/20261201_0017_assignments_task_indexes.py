"""assignments task indexes: a user's / a unit's open tasks in due-date order

The inbox and the dashboard's task cards found a unit head's open tasks by walking ix_assignments_state
(every open assignment of the office: 90,323 at 1M documents for the 17,885 of the busiest unit). These
indexes start from the user's or the unit's assignments of one state, in due-date order, so a page of
them stops after its rows and a count of the overdue or due-soon ones reads only their range.

Revision ID: 0017_assignments_task_indexes
Revises: 0016_dossier_search_key
Create Date: 2026-12-01 00:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_assignments_task_indexes'
down_revision = '0016_dossier_search_key'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_assignments_unit_tasks', 'assignments', ['unit_id', 'state', 'due_date', 'id'])
    op.create_index('ix_assignments_user_tasks', 'assignments', ['user_id', 'state', 'due_date', 'id'])


def downgrade():
    op.drop_index('ix_assignments_user_tasks', table_name='assignments')
    op.drop_index('ix_assignments_unit_tasks', table_name='assignments')
