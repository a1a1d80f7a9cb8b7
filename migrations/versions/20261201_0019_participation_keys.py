"""participation keys: a restricted user's documents in the incoming list's order, for deep pages

Each document a person or a unit takes part in, once per way of taking part (kind "u": the person
scope_id; "a": the unit scope_id through any of its participant rows; "n": the unit as a unit, user_id
NULL), with the incoming list's order keys copied from the document. A specialist's or a unit head's list
page by number (page 500: OFFSET 24,950 of their rows) finds the row before it by reading one range of
ix_participation_keys_list instead of walking ~200k documents with a participant probe each. Kept by
triggers (on document_participants: insert, delete, update of who; on documents: update of the keys);
the application never writes it. Filled here from the participant rows.

Revision ID: 0019_participation_keys
Revises: 0017_assignments_task_indexes
Create Date: 2026-12-01 02:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_participation_keys'
down_revision = '0017_assignments_task_indexes'
branch_labels = None
depends_on = None

FILL = """
INSERT INTO participation_keys (kind, scope_id, document_id, direction, received_date, number, confidentiality)
SELECT s.kind, s.scope_id, d.id, d.direction, d.received_date, d.number, d.confidentiality
FROM (SELECT 'u' AS kind, user_id AS scope_id, document_id FROM document_participants WHERE user_id IS NOT NULL
      UNION SELECT 'a', unit_id, document_id FROM document_participants WHERE unit_id IS NOT NULL
      UNION SELECT 'n', unit_id, document_id FROM document_participants
      WHERE unit_id IS NOT NULL AND user_id IS NULL) s
JOIN documents d ON d.id = s.document_id
"""

_SQLITE_GONE = """
  DELETE FROM participation_keys WHERE document_id = old.document_id AND (
    (kind = 'u' AND scope_id = old.user_id AND NOT EXISTS (SELECT 1 FROM document_participants p
       WHERE p.document_id = old.document_id AND p.user_id = old.user_id))
    OR (kind = 'a' AND scope_id = old.unit_id AND NOT EXISTS (SELECT 1 FROM document_participants p
       WHERE p.document_id = old.document_id AND p.unit_id = old.unit_id))
    OR (kind = 'n' AND scope_id = old.unit_id AND NOT EXISTS (SELECT 1 FROM document_participants p
       WHERE p.document_id = old.document_id AND p.unit_id = old.unit_id AND p.user_id IS NULL)));"""
_SQLITE_ADDED = """
  INSERT OR IGNORE INTO participation_keys
    (kind, scope_id, document_id, direction, received_date, number, confidentiality)
  SELECT s.kind, s.scope_id, d.id, d.direction, d.received_date, d.number, d.confidentiality
  FROM documents d, (SELECT 'u' AS kind, new.user_id AS scope_id UNION ALL SELECT 'a', new.unit_id
                     UNION ALL SELECT 'n', CASE WHEN new.user_id IS NULL THEN new.unit_id END) s
  WHERE d.id = new.document_id AND s.scope_id IS NOT NULL;"""
_SQLITE_KEYS_CHANGED = """
  UPDATE participation_keys SET direction = new.direction, received_date = new.received_date,
    number = new.number, confidentiality = new.confidentiality WHERE document_id = new.id;"""
SQLITE = (
    f"CREATE TRIGGER IF NOT EXISTS participation_keys_ai AFTER INSERT ON document_participants "
    f"BEGIN{_SQLITE_ADDED}\nEND",
    f"CREATE TRIGGER IF NOT EXISTS participation_keys_ad AFTER DELETE ON document_participants "
    f"BEGIN{_SQLITE_GONE}\nEND",
    f"CREATE TRIGGER IF NOT EXISTS participation_keys_au AFTER UPDATE OF document_id, unit_id, user_id ON "
    f"document_participants BEGIN{_SQLITE_GONE}{_SQLITE_ADDED}\nEND",
    f"CREATE TRIGGER IF NOT EXISTS participation_keys_du AFTER UPDATE OF direction, received_date, number, "
    f"confidentiality ON documents BEGIN{_SQLITE_KEYS_CHANGED}\nEND",
)
POSTGRESQL = (
    """
CREATE OR REPLACE FUNCTION participation_keys_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM participation_keys k WHERE k.document_id = OLD.document_id AND (
      (k.kind = 'u' AND k.scope_id = OLD.user_id AND NOT EXISTS (SELECT 1 FROM document_participants p
         WHERE p.document_id = OLD.document_id AND p.user_id = OLD.user_id))
      OR (k.kind = 'a' AND k.scope_id = OLD.unit_id AND NOT EXISTS (SELECT 1 FROM document_participants p
         WHERE p.document_id = OLD.document_id AND p.unit_id = OLD.unit_id))
      OR (k.kind = 'n' AND k.scope_id = OLD.unit_id AND NOT EXISTS (SELECT 1 FROM document_participants p
         WHERE p.document_id = OLD.document_id AND p.unit_id = OLD.unit_id AND p.user_id IS NULL)));
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO participation_keys (kind, scope_id, document_id, direction, received_date, number, confidentiality)
    SELECT s.kind, s.scope_id, d.id, d.direction, d.received_date, d.number, d.confidentiality
    FROM documents d, (VALUES ('u', NEW.user_id), ('a', NEW.unit_id),
                              ('n', CASE WHEN NEW.user_id IS NULL THEN NEW.unit_id END)) AS s (kind, scope_id)
    WHERE d.id = NEW.document_id AND s.scope_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS participation_keys_participants ON document_participants",
    """
CREATE TRIGGER participation_keys_participants AFTER INSERT OR DELETE OR UPDATE OF document_id, unit_id, user_id
  ON document_participants FOR EACH ROW EXECUTE FUNCTION participation_keys_participants()""",
    """
CREATE OR REPLACE FUNCTION participation_keys_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE participation_keys SET direction = NEW.direction, received_date = NEW.received_date,
    number = NEW.number, confidentiality = NEW.confidentiality WHERE document_id = NEW.id;
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS participation_keys_documents ON documents",
    """
CREATE TRIGGER participation_keys_documents AFTER UPDATE OF direction, received_date, number, confidentiality
  ON documents FOR EACH ROW EXECUTE FUNCTION participation_keys_documents()""",
)


def upgrade():
    op.create_table(
        'participation_keys',
        sa.Column('kind', sa.String(length=1), nullable=False),
        sa.Column('scope_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('received_date', sa.Date(), nullable=True),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('confidentiality', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                                name=op.f('fk_participation_keys_document_id_documents'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('kind', 'scope_id', 'document_id', name=op.f('pk_participation_keys')),
    )
    op.execute(FILL)
    op.create_index('ix_participation_keys_list', 'participation_keys',
                    ['kind', 'scope_id', 'direction', 'received_date', 'number', 'document_id', 'confidentiality'])
    for ddl in SQLITE if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL:
        op.execute(ddl)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('participation_keys_ai', 'participation_keys_ad', 'participation_keys_au',
                     'participation_keys_du'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    else:
        op.execute('DROP TRIGGER IF EXISTS participation_keys_participants ON document_participants')
        op.execute('DROP TRIGGER IF EXISTS participation_keys_documents ON documents')
        op.execute('DROP FUNCTION IF EXISTS participation_keys_participants()')
        op.execute('DROP FUNCTION IF EXISTS participation_keys_documents()')
    op.drop_index('ix_participation_keys_list', table_name='participation_keys')
    op.drop_table('participation_keys')
