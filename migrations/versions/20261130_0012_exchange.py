"""exchange: the edXML envelopes and status messages in and out

- exchange_messages: every envelope (a document) and status message received or produced, with the document
  it is about, the other party, the edXML DocumentId, a status code, the ResponseFor link and the file.

Revision ID: 0012_exchange
Revises: 0011_stats_units
Create Date: 2026-11-30 21:04:39.831122

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_exchange'
down_revision = '0011_stats_units'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('party_code', sa.String(length=13), nullable=True),
    sa.Column('party_name', sa.String(length=250), nullable=True),
    sa.Column('document_key', sa.String(length=200), nullable=True),
    sa.Column('status_code', sa.String(length=2), nullable=True),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('response_for_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("direction IN ('in','out')", name=op.f('ck_exchange_messages_direction')),
    sa.CheckConstraint("kind IN ('document','status')", name=op.f('ck_exchange_messages_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchange_messages_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_exchange_messages_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_exchange_messages_organization_id_organizations')),
    sa.ForeignKeyConstraint(['response_for_id'], ['documents.id'], name=op.f('fk_exchange_messages_response_for_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_messages'))
    )
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_messages_document', ['document_id', 'kind', 'direction'], unique=False)
        batch_op.create_index('ix_exchange_messages_key', ['document_key'], unique=False)



def downgrade():
    with op.batch_alter_table('exchange_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_messages_key')
        batch_op.drop_index('ix_exchange_messages_document')

    op.drop_table('exchange_messages')
