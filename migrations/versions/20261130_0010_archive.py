"""archive: retention, file plans, dossiers, transfers, keep-backs, loans, dispositions

- retention_periods: the editable retention table (seeded by `flask docflow init`);
- file_plans, file_plan_headings: the year's file plan (danh mục hồ sơ) and its headings;
- dossiers, dossier_documents: dossiers (hồ sơ) and the documents filed in them, in order;
- transfers, keep_backs: handover to the agency archive, and keeping a dossier back (at most 2 years);
- loans: the borrowing book (sổ theo dõi sử dụng);
- dispositions, disposition_dossiers: destruction proposals and their decisions;
- attachments.destroyed_at: a file destroyed by an approved disposition (the row stays as the record).

Revision ID: 0010_archive
Revises: 0009_stats
Create Date: 2026-11-30 20:17:44.128868

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_archive'
down_revision = '0009_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('years', sa.Integer(), nullable=True),
    sa.Column('categories', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('years IS NULL OR years > 0', name=op.f('ck_retention_periods_years')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_periods'))
    )
    op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('proposed','approved','refused')", name=op.f('ck_dispositions_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_dispositions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_dispositions_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions'))
    )
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispositions_state'), ['state'], unique=False)

    op.create_table('file_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft','approved')", name=op.f('ck_file_plans_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_file_plans_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_file_plans_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_plans')),
    sa.UniqueConstraint('year', name=op.f('uq_file_plans_year'))
    )
    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('proposed','accepted')", name=op.f('ck_transfers_status')),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_transfers_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_transfers_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_transfers_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_status'), ['status'], unique=False)

    op.create_table('file_plan_headings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('abbr', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['file_plan_headings.id'], name=op.f('fk_file_plan_headings_parent_id_file_plan_headings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['file_plans.id'], name=op.f('fk_file_plan_headings_plan_id_file_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_file_plan_headings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_plan_headings'))
    )
    with op.batch_alter_table('file_plan_headings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_plan_headings_plan_id'), ['plan_id'], unique=False)

    op.create_table('dossiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('heading_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('keeper_id', sa.Integer(), nullable=True),
    sa.Column('retention_years', sa.Integer(), nullable=True),
    sa.Column('retention_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('medium', sa.String(length=10), nullable=False),
    sa.Column('rights', sa.String(length=30), nullable=True),
    sa.Column('language', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('doc_total', sa.Integer(), nullable=True),
    sa.Column('page_total', sa.Integer(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('location_box', sa.String(length=40), nullable=True),
    sa.Column('location_shelf', sa.String(length=40), nullable=True),
    sa.Column('kept_back_until', sa.Date(), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(), nullable=True),
    sa.Column('disposition_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("medium IN ('paper','electronic','mixed')", name=op.f('ck_dossiers_medium')),
    sa.CheckConstraint("status IN ('planned','open','closed','archived','destroyed')", name=op.f('ck_dossiers_status')),
    sa.CheckConstraint('retention_years IS NULL OR retention_years > 0', name=op.f('ck_dossiers_retention_years')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dossiers_created_by_id_users')),
    sa.ForeignKeyConstraint(['disposition_id'], ['dispositions.id'], name=op.f('fk_dossiers_disposition_id_dispositions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['heading_id'], ['file_plan_headings.id'], name=op.f('fk_dossiers_heading_id_file_plan_headings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['keeper_id'], ['users.id'], name=op.f('fk_dossiers_keeper_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['file_plans.id'], name=op.f('fk_dossiers_plan_id_file_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['retention_id'], ['retention_periods.id'], name=op.f('fk_dossiers_retention_id_retention_periods')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_dossiers_transfer_id_transfers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_dossiers_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('year', 'code', name=op.f('uq_dossiers_year_code'))
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_keeper_id'), ['keeper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_transfer_id'), ['transfer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_dossiers_year_status', ['year', 'status'], unique=False)

    op.create_table('disposition_dossiers',
    sa.Column('disposition_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['disposition_id'], ['dispositions.id'], name=op.f('fk_disposition_dossiers_disposition_id_dispositions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_disposition_dossiers_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('disposition_id', 'dossier_id', name=op.f('pk_disposition_dossiers'))
    )
    with op.batch_alter_table('disposition_dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposition_dossiers_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('dossier_documents',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('flag', sa.String(length=10), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_dossier_documents_added_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_dossier_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_documents_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', 'document_id', name=op.f('pk_dossier_documents'))
    )
    with op.batch_alter_table('dossier_documents', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_documents_document', ['document_id', 'dossier_id'], unique=False)

    op.create_table('keep_backs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('proposed','approved','refused')", name=op.f('ck_keep_backs_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_keep_backs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_keep_backs_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_keep_backs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keep_backs'))
    )
    with op.batch_alter_table('keep_backs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keep_backs_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('borrower_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('lent_by_id', sa.Integer(), nullable=True),
    sa.Column('lent_at', sa.DateTime(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('requested','approved','lent','returned','refused')", name=op.f('ck_loans_state')),
    sa.ForeignKeyConstraint(['borrower_id'], ['users.id'], name=op.f('fk_loans_borrower_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_loans_decided_by_id_users')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_loans_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lent_by_id'], ['users.id'], name=op.f('fk_loans_lent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_borrower_id'), ['borrower_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_state'), ['state'], unique=False)
        batch_op.create_index('ix_loans_state_due', ['state', 'due_date'], unique=False)

    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('destroyed_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('destroyed_at')

    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_state_due')
        batch_op.drop_index(batch_op.f('ix_loans_state'))
        batch_op.drop_index(batch_op.f('ix_loans_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_loans_borrower_id'))

    op.drop_table('loans')
    with op.batch_alter_table('keep_backs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keep_backs_dossier_id'))

    op.drop_table('keep_backs')
    with op.batch_alter_table('dossier_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_documents_document')

    op.drop_table('dossier_documents')
    with op.batch_alter_table('disposition_dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposition_dossiers_dossier_id'))

    op.drop_table('disposition_dossiers')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_year_status')
        batch_op.drop_index(batch_op.f('ix_dossiers_unit_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_status'))
        batch_op.drop_index(batch_op.f('ix_dossiers_plan_id'))
        batch_op.drop_index(batch_op.f('ix_dossiers_keeper_id'))

    op.drop_table('dossiers')
    with op.batch_alter_table('file_plan_headings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_plan_headings_plan_id'))

    op.drop_table('file_plan_headings')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_status'))

    op.drop_table('transfers')
    op.drop_table('file_plans')
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispositions_state'))

    op.drop_table('dispositions')
    op.drop_table('retention_periods')
