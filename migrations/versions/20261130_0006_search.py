"""search: the search index (one folded row per document), its engine-specific index, saved searches

SQLite: an FTS5 external-content table `search_fts` over search_index (unicode61 remove_diacritics 2;
đ→d is folded in Python), rowid = document_id, kept in step by triggers on search_index.
PostgreSQL: a stored `tsv` column ('simple' over the folded text with every run of characters other than
letters and digits made a space, so that 15/QĐ-UBND yields 15 qd ubnd, and the parser never takes text
for an HTML tag, a URL or a file name) with a GIN index (fastupdate off), and a pg_trgm GIN index on
symbol_norm.
These objects are left out of autogenerate (migrations/env.py). An existing database's documents are
indexed by `flask docflow reindex`.

Revision ID: 0006_search
Revises: 0005_audit_keyed
Create Date: 2026-11-30 14:57:24.662796

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_search'
down_revision = '0005_audit_keyed'
branch_labels = None
depends_on = None

SQLITE_UP = (
    """CREATE VIRTUAL TABLE search_fts USING fts5(body, attachments_text, content='search_index',
  content_rowid='document_id', tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
  INSERT INTO search_fts(rowid, body, attachments_text) VALUES (new.document_id, new.body, new.attachments_text);
END""",
    """CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, body, attachments_text)
  VALUES ('delete', old.document_id, old.body, old.attachments_text);
END""",
    """CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN
  INSERT INTO search_fts(search_fts, rowid, body, attachments_text)
  VALUES ('delete', old.document_id, old.body, old.attachments_text);
  INSERT INTO search_fts(rowid, body, attachments_text) VALUES (new.document_id, new.body, new.attachments_text);
END""",
)
SQLITE_DOWN = ("DROP TRIGGER IF EXISTS search_index_au", "DROP TRIGGER IF EXISTS search_index_ad",
               "DROP TRIGGER IF EXISTS search_index_ai", "DROP TABLE IF EXISTS search_fts")

PG_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE search_index ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
  setweight(to_tsvector('simple'::regconfig, regexp_replace(attachments_text, '[^[:alnum:]]+', ' ', 'g')), 'B'))
  STORED""",
    "CREATE INDEX ix_search_index_tsv ON search_index USING gin (tsv) WITH (fastupdate = off)",
    "CREATE INDEX ix_search_index_symbol_trgm ON search_index USING gin (symbol_norm gin_trgm_ops)",
)
PG_DOWN = ("DROP INDEX IF EXISTS ix_search_index_symbol_trgm", "DROP INDEX IF EXISTS ix_search_index_tsv",
           "ALTER TABLE search_index DROP COLUMN IF EXISTS tsv")


def upgrade():
    op.create_table('saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches'))
    )
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_searches_user_id'), ['user_id'], unique=False)

    op.create_table('search_index',
    sa.Column('document_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attachments_text', sa.Text(), nullable=False),
    sa.Column('symbol_norm', sa.String(length=80), nullable=True),
    sa.Column('sender_key', sa.String(length=250), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_search_index_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_search_index'))
    )
    with op.batch_alter_table('search_index', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_index_symbol_norm'), ['symbol_norm'], unique=False)

    dialect = op.get_bind().dialect.name
    for ddl in SQLITE_UP if dialect == "sqlite" else PG_UP if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade():
    dialect = op.get_bind().dialect.name
    for ddl in SQLITE_DOWN if dialect == "sqlite" else PG_DOWN if dialect == "postgresql" else ():
        op.execute(ddl)
    with op.batch_alter_table('search_index', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_index_symbol_norm'))

    op.drop_table('search_index')
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_searches_user_id'))

    op.drop_table('saved_searches')
