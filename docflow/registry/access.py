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
from flask_babel import gettext as _

from docflow.auth.models import User
from docflow.core.enums import cleared_levels
from docflow.core.errors import NotFound
from docflow.extensions import db
from docflow.registry.models import Document, Participant

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


def _probes(user: User, *, lent: bool):
    """The same sets as `_participation` (and `_lent_to`), asked of each document in turn: EXISTS on the
    document's own participant (and filed) rows, by the indexes on document_id."""
    part = sa.exists().where(Participant.document_id == Document.id, _takes_part(user))
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
    if _takes_part_in_many(user):
        # a unit with a long history (KT at 1M: 120k participant rows): gathering and sorting all of it cost
        # 0.4-0.9 s a page; the flow's index is walked in the list's order instead, each document's own
        # participant rows probed, and the walk stops after the page
        return (sa.select(Document).where(Document.direction == direction, visible_filter(user, direction, probe=True))
                .execution_options(count_limit=RESTRICTED_COUNT_LIMIT))
    # everyone else sees what they take part in, a small set: the same condition, written so that the
    # database starts from document_participants instead of walking the whole flow's index in order
    # (SQLite, without statistics, would read every row of the flow to find a specialist's few)
    return sa.select(Document).where(sa.func.coalesce(Document.direction, "") == direction,
                                     visible_filter(user, direction))


#: from this many participant rows a restricted user's list walks the flow's index (visible_documents)
MANY_PARTICIPATIONS = 5_000
#: such a list counts up to this many rows (lists.paginate reads the statement's `count_limit` option):
#: its documents are ~1 in 10 of the flow, so counting 10,001 of them walks ~100k index rows (~250 ms)
RESTRICTED_COUNT_LIMIT = 1_000


def _takes_part_in_many(user: User) -> bool:
    """Does the user (or their unit) take part in MANY_PARTICIPATIONS documents or more? One bounded read
    of the participant indexes (at most that many rows)."""
    rows = _participation(user).limit(MANY_PARTICIPATIONS).subquery()
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
