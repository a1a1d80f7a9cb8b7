"""The one visibility rule (architecture decision 2).

`visible_filter(user)` is the SQL condition "documents this user may see"; `can_view(user, doc)`
answers for one document with the same rule; `get_visible_or_404` loads a document or raises
NotFound when it is missing *or* not visible, so an invisible document looks exactly like a missing
one. Every list, detail, search, count, export and download goes through here.

- Nobody sees a document above their clearance.
- admin, clerk, leader and archivist see every document that its flow shows office-wide
  (`Document.office_visible()`, narrowed by each flow's subclass: the outgoing flow keeps a draft
  being written, returned, rejected or cancelled before issue to its participants), and every
  document they take part in.
- A unit head sees documents in which their unit, or a person of their unit, takes part.
- A specialist sees documents in which they take part, or which are assigned to their unit as a unit.
- Anyone sees, within their clearance, the documents of an archived dossier lent to them (a loan in
  state `lent`) while it is lent.
"""


import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from docflow.auth.models import User
from docflow.core.enums import cleared_levels
from docflow.core.errors import NotFound
from docflow.extensions import db
from docflow.registry import lists
from docflow.registry.models import Document, Participant, ParticipationKey

OFFICE_WIDE_ROLES = ("admin", "clerk", "leader", "archivist")


def _office_wide():
    """What the office-wide roles see without taking part: each flow's own condition, asked of the
    flow's Document subclass (the registry names no flow)."""
    conditions = []
    for identity, mapper in sorted(Document.__mapper__.polymorphic_map.items()):
        condition = mapper.class_.office_visible()
        conditions.append(sa.and_(Document.direction == identity, condition) if condition is not None else
                          Document.direction == identity)
    return sa.or_(*conditions)


def _takes_part(user: User):
    """The participant rows through which the user takes part: personally, or through their unit."""
    conditions = [Participant.user_id == user.id]
    if user.unit_id is not None:
        if user.has_role("unit_head"):
            conditions.append(Participant.unit_id == user.unit_id)
        conditions.append(sa.and_(Participant.unit_id == user.unit_id, Participant.user_id.is_(None)))
    return sa.or_(*conditions)


def _participation(user: User):
    """Documents where the user takes part personally, or through their unit."""
    return sa.select(Participant.document_id).where(_takes_part(user))


#: the archive's tables, named here without importing the archive (a wing above the registry)
_LOANS = sa.table("loans", sa.column("dossier_id"), sa.column("borrower_id"), sa.column("state"))
_FILED = sa.table("dossier_documents", sa.column("dossier_id"), sa.column("document_id"))


def _lent_to(user: User):
    """Documents filed in a dossier the archive has lent to the user (a loan in state `lent`, 7/9)."""
    return (sa.select(_FILED.c.document_id).join(_LOANS, _LOANS.c.dossier_id == _FILED.c.dossier_id)
            .where(_LOANS.c.borrower_id == user.id, _LOANS.c.state == "lent"))


def borrows(user: User) -> bool:
    """Has the archive lent the user a dossier (a loan in state `lent`)? Then they see more than they take
    part in (search/query.viewer_tags asks no participation tags of such a user)."""
    return db.session.scalar(sa.select(sa.literal(1)).select_from(_LOANS).where(
        _LOANS.c.borrower_id == user.id, _LOANS.c.state == "lent").limit(1)) is not None


def _probes(user: User, *, lent: bool):
    """The same sets as `_participation` (and `_lent_to`), asked of each document in turn: EXISTS on the
    document's own participant (and filed) rows, by the indexes on document_id. The participants' EXISTS is
    fenced with OFFSET 0 (as in `_walk_conditions`): PostgreSQL would otherwise hash the user's whole
    participation first (a search walk of the KT specialist: ~75 -> 5-14 ms)."""
    part = (sa.select(sa.literal(1)).where(Participant.document_id == Document.id, _takes_part(user))
            .offset(0).exists())
    if not lent:
        return part
    borrowed = sa.exists().where(_FILED.c.document_id == Document.id, _LOANS.c.dossier_id == _FILED.c.dossier_id,
                                 _LOANS.c.borrower_id == user.id, _LOANS.c.state == "lent")
    return sa.or_(part, borrowed)


def _flow_visible(direction: str):
    """One flow's office-wide condition; None when the flow shows every document office-wide."""
    mapper = Document.__mapper__.polymorphic_map.get(direction)
    condition = mapper.class_.office_visible() if mapper is not None else sa.false()
    return None if condition is None or isinstance(condition, sa.sql.elements.True_) else condition


def visible_filter(user: User, direction: str | None = None, *, probe: bool = False):
    """The rule as SQL (`_rule`), built once per application context (a request) for each user and shape: a
    page asks it of several statements (the task inbox of a unit head, 8: its parts' counts and first rows),
    ~0.5-1 ms of Python each. The condition is an immutable expression of the user's id, roles, clearance and
    unit, which are the key; what it finds is read from the database when a statement runs."""
    if not has_app_context():
        return _rule(user, direction, probe)
    known = g.setdefault("visible_filter", {})
    key = (user_key(user), direction, probe)
    if key not in known:
        known[key] = _rule(user, direction, probe)
    return known[key]


def user_key(user: User) -> tuple | None:
    """What the rule depends on of a user (id, roles, clearance, unit, active flag): the key under which a
    request remembers what it built for them. None for no user or an anonymous one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id, tuple(user.roles), user.clearance, user.unit_id, user.is_active


def over_mirror(condition, mirror: sa.Table):
    """A condition on `documents` (the rule, `visible_filter`; the search's filters) said over a table that
    holds copies of the documents' columns it reads, under the same names, with `document_id` for
    documents.id (search_index: search/models.py MIRRORED, kept by triggers). The same expression, each
    documents column replaced by the mirror's, also inside its subqueries (a participant probe correlates
    on the mirror's document_id): not a second form of the rule. None when it reads a column the mirror does
    not hold; the caller then asks it of `documents`."""
    documents = Document.__table__
    missing = []

    def replace(element):
        if isinstance(element, sa.Column) and element.table is documents:
            name = "document_id" if element.name == "id" else element.name
            if name not in mirror.c:
                missing.append(element.name)
                return None
            return mirror.c[name]
        return None

    adapted = sa.sql.visitors.replacement_traverse(condition, {}, replace)
    return None if missing else adapted


def _rule(user: User, direction: str | None, probe: bool):
    """The rule as SQL. With `direction`, the caller's statement is already restricted to that flow
    (`Document.direction == direction`), and the condition is the same rule said for that flow only:
    no OR over the flows, and for a flow seen whole office-wide (incoming) nothing but the clearance,
    so the database walks the list's index in order and stops after the page (decision 12).

    With `probe`, the same rule is written for a statement that starts from a few documents (a user's
    assignments): each document's own participant rows are probed (EXISTS) instead of gathering every
    document the user takes part in first (IN), which for a unit head is the unit's whole history."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return sa.false()
    cleared = Document.confidentiality.in_(cleared_levels(user.clearance))
    if probe and not user.has_role(*OFFICE_WIDE_ROLES):
        return sa.and_(cleared, _probes(user, lent=True))
    mine = _probes(user, lent=False) if probe else Document.id.in_(_participation(user))
    if user.has_role(*OFFICE_WIDE_ROLES):
        if direction is None:
            return sa.and_(cleared, sa.or_(_office_wide(), mine))
        flow = _flow_visible(direction)
        return cleared if flow is None else sa.and_(cleared, sa.or_(flow, mine))
    # a borrower sees the documents of a dossier lent to them, within their clearance (the office-wide
    # roles above already see them all): one IN over both sets, so the database still starts from the
    # user's few rows (an OR of two INs made SQLite scan the whole documents table)
    return sa.and_(cleared, Document.id.in_(sa.union_all(_participation(user), _lent_to(user))))


def visible_documents(user: User, direction: str | None = None):
    """select(Document) restricted to what the user may see (and to one flow with `direction`)."""
    if direction is None:
        return sa.select(Document).where(visible_filter(user))
    if user is not None and getattr(user, "is_authenticated", False) and user.has_role(*OFFICE_WIDE_ROLES):
        return sa.select(Document).where(Document.direction == direction, visible_filter(user, direction))
    if takes_part_in_many(user):
        # a unit with a long history (KT at 1M: 120k participant rows): gathering and sorting all of it cost
        # 0.4-0.9 s a page; the flow's index is walked in the list's order instead, and the walk stops after
        # the page. Near the top each document's own participant rows are probed; a deep page (an OFFSET of
        # DEEP_OFFSET rows or more) tests each document against the user's set, gathered once (`deep_condition`,
        # read by lists.paginate): the same rows
        probe, gathered = _walk_conditions(user)
        stmt = sa.select(Document).where(Document.direction == direction, probe)
        # the list as it is here (no other condition added), in the incoming list's order: a page by number
        # starts after the row `_position` finds in participation_keys (the same rows as the OFFSET)
        return stmt.execution_options(count_limit=RESTRICTED_COUNT_LIMIT,
                                      deep_condition=(DEEP_OFFSET, probe, gathered),
                                      deep_position=(stmt.whereclause, _position(user, direction)))
    # everyone else sees what they take part in, a small set: the same condition, written so that the
    # database starts from document_participants instead of walking the whole flow's index in order
    # (SQLite, without statistics, would read every row of the flow to find a specialist's few)
    return sa.select(Document).where(sa.func.coalesce(Document.direction, "") == direction,
                                     visible_filter(user, direction))


#: from this many documents taken part in a restricted user's list walks the flow's index (visible_documents)
MANY_PARTICIPATIONS = 5_000
#: from this OFFSET such a walk tests each document against the user's set, gathered once, instead of probing
#: its participant rows (KT at 1M, the set's 120k rows: gathering costs 55-75 ms, a probe ~3x a set look-up;
#: even at an OFFSET of ~5,000)
DEEP_OFFSET = 5_000
#: such a list counts up to this many rows (lists.paginate reads the statement's `count_limit` option):
#: its documents are ~1 in 10 of the flow, so counting 10,001 of them walks ~100k index rows (~250 ms)
RESTRICTED_COUNT_LIMIT = 1_000


def _walk_conditions(user: User):
    """The rule for a restricted user's walk of a flow's index, in two forms with the same rows:

    - `probe`: each document's own participant rows, probed by the index on document_id. The EXISTS carries
      OFFSET 0, which PostgreSQL cannot flatten into a join: it probes row by row instead of hashing the
      unit's whole history first (a hashed subplan of 120k rows: 70-130 ms for the first page).
    - `gathered`: the document's id IN the user's participations, gathered once (SQLite: an ephemeral
      index; PostgreSQL: a hashed subplan, as the OR keeps it from becoming a join), for deep pages.

    The documents of a dossier lent to the user are an IN in both (a set that is almost always empty,
    looked up, not probed per row)."""
    cleared = Document.confidentiality.in_(cleared_levels(user.clearance))
    lent = Document.id.in_(_lent_to(user))
    fenced = (sa.select(sa.literal(1)).where(Participant.document_id == Document.id, _takes_part(user))
              .offset(0).exists())
    return (sa.and_(cleared, sa.or_(fenced, lent)),
            sa.and_(cleared, sa.or_(Document.id.in_(_participation(user)), lent)))


class _Position:
    """For a restricted user's list of one flow, read from participation_keys: `position(ordering, offset)`
    gives the order keys of the list's row number `offset` (counted from 1), `()` when the list has fewer
    rows; `count_upto(limit)` counts its rows as lists.count_upto does. Either says None when the keys cannot
    tell (another ordering, a key without a value, a dossier lent to the user, whose documents the keys do
    not hold). The same rows as the rule's: the keys are the participant rows' own conditions
    (`_takes_part`) with the clearance; a document in both the person's and the unit's range is counted
    once (the person's range skips what the unit's holds)."""

    def __init__(self, user: User, direction: str):
        self.user, self.direction = user, direction

    def _arms(self, offset: int | None = None) -> list:
        user, keys = self.user, ParticipationKey.__table__
        unit_kind = "a" if user.has_role("unit_head") else "n"
        levels = cleared_levels(user.clearance)
        arms = []
        for kind, scope_id in ((unit_kind, user.unit_id), ("u", user.id)):
            if scope_id is None:
                continue
            k = keys.alias(f"k_{kind}")
            arm = sa.select(k.c.received_date, k.c.number, k.c.document_id).where(
                k.c.kind == kind, k.c.scope_id == scope_id, k.c.direction == self.direction,
                k.c.confidentiality.in_(levels))
            if kind == "u" and user.unit_id is not None:
                unit = keys.alias("k_unit")
                arm = arm.where(~sa.exists().where(unit.c.kind == unit_kind, unit.c.scope_id == user.unit_id,
                                                   unit.c.document_id == k.c.document_id))
            if offset is not None:
                # PostgreSQL merges the ranges (Merge Append) when each is read in the list's order with its
                # own LIMIT: at most `offset` rows of each, backwards along the index
                arm = sa.select(arm.order_by(k.c.received_date.desc(), k.c.number.desc(), k.c.document_id.desc())
                                .limit(offset).subquery())
            arms.append(arm)
        return arms

    _borrows: bool | None = None

    def _lent(self) -> bool:
        """Has a dossier been lent to the user (a loan in state `lent`)? Asked once."""
        if self._borrows is None:
            self._borrows = db.session.scalar(sa.select(_LOANS.c.dossier_id).where(
                _LOANS.c.borrower_id == self.user.id, _LOANS.c.state == "lent").limit(1)) is not None
        return self._borrows

    def __call__(self, ordering, offset: int):
        if ordering is not lists.INCOMING or offset < 1 or self._lent():
            return None
        if db.session.get_bind().dialect.name == "sqlite":
            # SQLite merges the ranges of a compound SELECT in its ORDER BY itself (the same walk, no sort)
            both = sa.union_all(*self._arms())
        else:
            both = sa.select(sa.union_all(*self._arms(offset)).subquery())
        row = db.session.execute(both.order_by(*(c.desc() for c in both.selected_columns)).limit(1)
                                 .offset(offset - 1)).first()
        if row is None:
            return ()
        return None if any(v is None for v in row) else tuple(row)

    def count_upto(self, limit: int) -> tuple[int, bool] | None:
        if self._lent():
            return None
        rows = sa.union_all(*self._arms()).limit(limit + 1).subquery()
        n = db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0
        return (n, True) if n <= limit else (limit, False)


def _position(user: User, direction: str) -> _Position:
    return _Position(user, direction)


def takes_part_in_many(user: User) -> bool:
    """Does the user (or their unit) take part in MANY_PARTICIPATIONS documents or more? One bounded read
    of participation_keys' index (at most that many entries of the unit's range and the person's)."""
    k = ParticipationKey.__table__
    unit_kind = "a" if user.has_role("unit_head") else "n"
    arms = [sa.select(k.c.document_id).where(k.c.kind == "u", k.c.scope_id == user.id)]
    if user.unit_id is not None:
        arms.append(sa.select(k.c.document_id).where(k.c.kind == unit_kind, k.c.scope_id == user.unit_id))
    rows = sa.union_all(*arms).limit(MANY_PARTICIPATIONS).subquery()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(rows)) or 0) >= MANY_PARTICIPATIONS


def can_view(user: User, doc: Document) -> bool:
    if doc is None:
        return False
    return bool(db.session.scalar(sa.select(sa.literal(True)).where(Document.id == doc.id, visible_filter(user))))


def get_visible_or_404(user: User, doc_id, direction: str | None = None) -> Document:
    try:
        doc_id = int(doc_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such document.")) from None
    stmt = visible_documents(user).where(Document.id == doc_id)
    if direction:
        stmt = stmt.where(Document.direction == direction)
    doc = db.session.scalar(stmt)
    if doc is None:
        raise NotFound(_("No such document."))
    return doc


# ---- participation_keys, kept by the database ---------------------------------------------------------

#: the keys of every participant row: what the triggers below write for one row, here for all of them
#: (migration 0019's backfill, and a large `flask docflow seed`, which drops the triggers while it inserts)
PARTICIPATION_KEYS_FILL = """
INSERT INTO participation_keys (kind, scope_id, document_id, direction, received_date, number, confidentiality)
SELECT s.kind, s.scope_id, d.id, d.direction, d.received_date, d.number, d.confidentiality
FROM (SELECT 'u' AS kind, user_id AS scope_id, document_id FROM document_participants
      WHERE user_id IS NOT NULL AND document_id >= :first
      UNION SELECT 'a', unit_id, document_id FROM document_participants
      WHERE unit_id IS NOT NULL AND document_id >= :first
      UNION SELECT 'n', unit_id, document_id FROM document_participants
      WHERE unit_id IS NOT NULL AND user_id IS NULL AND document_id >= :first) s
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

#: name -> its DDL statements, per dialect (the same as migration 0019's)
PARTICIPATION_KEYS_TRIGGERS = {
    "sqlite": {
        "participation_keys_ai": f"CREATE TRIGGER IF NOT EXISTS participation_keys_ai AFTER INSERT ON "
                                 f"document_participants BEGIN{_SQLITE_ADDED}\nEND",
        "participation_keys_ad": f"CREATE TRIGGER IF NOT EXISTS participation_keys_ad AFTER DELETE ON "
                                 f"document_participants BEGIN{_SQLITE_GONE}\nEND",
        "participation_keys_au": f"CREATE TRIGGER IF NOT EXISTS participation_keys_au AFTER UPDATE OF document_id, "
                                 f"unit_id, user_id ON document_participants BEGIN{_SQLITE_GONE}{_SQLITE_ADDED}\nEND",
        "participation_keys_du": f"CREATE TRIGGER IF NOT EXISTS participation_keys_du AFTER UPDATE OF direction, "
                                 f"received_date, number, confidentiality ON documents "
                                 f"BEGIN{_SQLITE_KEYS_CHANGED}\nEND",
    },
    "postgresql": {
        "participation_keys_participants": ("""
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
END $$""", "DROP TRIGGER IF EXISTS participation_keys_participants ON document_participants", """
CREATE TRIGGER participation_keys_participants AFTER INSERT OR DELETE OR UPDATE OF document_id, unit_id, user_id
  ON document_participants FOR EACH ROW EXECUTE FUNCTION participation_keys_participants()"""),
        "participation_keys_documents": ("""
CREATE OR REPLACE FUNCTION participation_keys_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE participation_keys SET direction = NEW.direction, received_date = NEW.received_date,
    number = NEW.number, confidentiality = NEW.confidentiality WHERE document_id = NEW.id;
  RETURN NULL;
END $$""", "DROP TRIGGER IF EXISTS participation_keys_documents ON documents", """
CREATE TRIGGER participation_keys_documents AFTER UPDATE OF direction, received_date, number, confidentiality
  ON documents FOR EACH ROW EXECUTE FUNCTION participation_keys_documents()"""),
    },
}
#: the table each PostgreSQL trigger is on (to drop it)
_PG_TRIGGER_TABLES = {"participation_keys_participants": "document_participants",
                      "participation_keys_documents": "documents"}


def participation_keys_triggers(on: bool) -> None:
    """Drop (on=False) or create again the triggers that keep participation_keys (a bulk insert of
    participants, `flask docflow seed`, drops them and fills the keys with PARTICIPATION_KEYS_FILL)."""
    conn = db.session.connection()
    dialect = conn.dialect.name
    for name, ddl in PARTICIPATION_KEYS_TRIGGERS[dialect].items():
        if on:
            for statement in (ddl,) if isinstance(ddl, str) else ddl:
                conn.exec_driver_sql(statement)
        elif dialect == "postgresql":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {_PG_TRIGGER_TABLES[name]}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
