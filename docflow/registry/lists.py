"""Every list is a bounded query (architecture decision 12): the one way a list is paged and counted.

The incoming and outgoing lists (pages and API), the dashboard cards and the task inbox build their
statement (the visibility condition inside it: `access.visible_filter`), then hand it here:

- `count_upto(stmt, limit)` counts at most `limit + 1` rows: `(n, True)` when exact, `(limit, False)`
  when there are more ("hơn 10.000"). A count never walks a million rows.
- `paginate(stmt, ordering, page=, per_page=, after=)` fetches one page in two steps: the ids of the
  page (a walk along the index that matches the ordering, stopping after the page; for `page=N` an
  OFFSET over the index only), then the rows of those ids. `after=<cursor>` seeks straight to the
  row after the cursor (keyset paging); every page carries the cursor of its last row (`next_cursor`).

An ordering is the list's ORDER BY with a unique last key (the id), so a cursor names one position.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import format_decimal
from sqlalchemy.orm import with_polymorphic
from sqlalchemy.sql import visitors

from docflow.extensions import db
from docflow.registry.models import Document

#: above this a list says "more than 10,000" instead of counting on
COUNT_LIMIT = 10_000


class BadCursor(ValueError):
    """An `after=` cursor that is not one this list gave out."""


class Count(int):
    """A bounded count: an int (the number counted) that knows whether it is exact; shown as
    "10.000+" when the list holds more than the threshold."""

    exact: bool = True

    def __new__(cls, value: int, exact: bool = True):
        obj = super().__new__(cls, value)
        obj.exact = exact
        return obj

    def __str__(self) -> str:
        text = format_decimal(int(self))
        return text if self.exact else f"{text}+"

    __html__ = __str__


@dataclass(frozen=True)
class Ordering:
    """ORDER BY columns (each with its direction); the last one unique (the primary key). `kinds` tells
    how a cursor's values are read back ("date" or "int")."""

    columns: tuple
    descending: tuple[bool, ...]
    kinds: tuple[str, ...]

    def order_by(self):
        return [c.desc() if d else c.asc() for c, d in zip(self.columns, self.descending, strict=True)]

    def after(self, values: tuple):
        """The condition "comes after this position" (a row-value comparison the index can seek)."""
        if all(self.descending):
            return sa.tuple_(*self.columns) < sa.tuple_(*[sa.literal(v) for v in values])
        if not any(self.descending):
            return sa.tuple_(*self.columns) > sa.tuple_(*[sa.literal(v) for v in values])
        terms = []
        for i, (col, desc) in enumerate(zip(self.columns, self.descending, strict=True)):
            prefix = [c == v for c, v in zip(self.columns[:i], values[:i], strict=True)]
            terms.append(sa.and_(*prefix, col < values[i] if desc else col > values[i]))
        return sa.or_(*terms)

    def encode(self, values: tuple) -> str | None:
        if any(v is None for v in values):
            return None  # a key without a value cannot be sought: page= still reaches it
        raw = json.dumps([v.isoformat() if isinstance(v, date) else v for v in values], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.kinds):
                raise BadCursor(cursor)
            out = []
            for kind, value in zip(self.kinds, values, strict=True):
                if kind == "date":
                    out.append(date.fromisoformat(value))
                elif isinstance(value, int) and not isinstance(value, bool) and -2**62 < value < 2**62:
                    out.append(value)
                else:
                    raise BadCursor(cursor)
            return tuple(out)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise BadCursor(cursor) from exc


#: the incoming list: newest arrival first (ix_documents_list_received walked backwards)
INCOMING = Ordering((Document.received_date, Document.number, Document.id), (True, True, True),
                    ("date", "int", "int"))
#: the outgoing list: newest first (ix_documents_list_id walked backwards)
OUTGOING = Ordering((Document.id,), (True,), ("int",))


def count_upto(stmt, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """(rows, True) when the statement has at most `limit` rows, else (limit, False); reads at most
    limit + 1 index entries."""
    entity = stmt.column_descriptions[0]["entity"]
    key = sa.inspect(entity).primary_key[0] if entity is not None else sa.literal(1)
    inner = stmt.with_only_columns(key).order_by(None).limit(limit + 1).subquery()
    n = db.session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0
    return (n, True) if n <= limit else (limit, False)


def bounded_count(stmt, limit: int = COUNT_LIMIT) -> Count:
    return Count(*count_upto(stmt, limit))


@dataclass
class Page:
    """One page of a list, with what the pager and the API need (the attributes of Flask-SQLAlchemy's
    Pagination that the templates use, plus `total_exact`, `has_more` and `next_cursor`)."""

    items: list
    page: int
    per_page: int
    total: Count
    has_next: bool
    next_cursor: str | None = None
    after: str | None = None
    _offset: int = field(default=0, repr=False)

    @property
    def total_exact(self) -> bool:
        return self.total.exact

    @property
    def has_prev(self) -> bool:
        return self.page > 1 and self.after is None

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def pages(self) -> int:
        """Known pages: all of them when the count is exact, else up to the next one."""
        if self.total.exact:
            return max(1, math.ceil(int(self.total) / self.per_page))
        return max(math.ceil(int(self.total) / self.per_page), self.page + (1 if self.has_next else 0))

    def iter_pages(self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2):
        """Page numbers with None for a gap, as Flask-SQLAlchemy's; no right edge when the end is unknown."""
        last = self.pages
        if not self.total.exact:
            right_edge = 0
        shown = sorted({p for p in range(1, min(left_edge, last) + 1)}
                       | {p for p in range(max(1, self.page - left_current), min(last, self.page + right_current) + 1)}
                       | {p for p in range(max(1, last - right_edge + 1), last + 1) if right_edge})
        prev = 0
        for p in shown:
            if p != prev + 1:
                yield None
            yield p
            prev = p


def _load(stmt, ids: list, options=None) -> list:
    """The page's rows, in the order of their ids, in a constant number of statements: every flow's
    columns in the one SELECT (`with_polymorphic`, else each row's subclass columns cost a query of their
    own), and what the caller reads of each row eager-loaded by `options(root)`, which gets the statement's
    root entity (for documents the polymorphic Document: `root.OutgoingDocument.recipients`)."""
    if not ids:
        return []
    entity = stmt.column_descriptions[0]["entity"]
    mapper = sa.inspect(entity)
    key = mapper.primary_key[0]
    target = with_polymorphic(entity, "*") if mapper.polymorphic_map else entity
    found = db.session.scalars(sa.select(target).where(key.in_(ids)).options(*(options(target) if options else ())))
    found = found.unique()
    rows = {getattr(r, key.key): r for r in found}
    return [rows[i] for i in ids if i in rows]


def _position(stmt, ordering, offset: int, hint):
    """The keys of the row before the page (`offset` rows in), from the statement's `deep_position` option
    ((its WHERE as built, position(ordering, offset))) when the statement is still as built (no condition
    added since: the position counts that list); `()` when the list is shorter; None: walk by OFFSET."""
    if hint is None or ordering is None or offset < 1:
        return None
    where, position = hint
    if stmt.whereclause is None or not stmt.whereclause.compare(where):
        return None
    return position(ordering, offset)


def _counted(stmt, limit: int, hint) -> tuple[int, bool] | None:
    """count_upto(stmt, limit) from the statement's `deep_position` option when it is still as built."""
    if hint is None or stmt.whereclause is None or not stmt.whereclause.compare(hint[0]):
        return None
    return hint[1].count_upto(limit)


def _replaced(stmt, old, new):
    """`stmt` with the clause `old` (the very object) replaced by `new`."""
    return visitors.replacement_traverse(stmt, {}, lambda element: new if element is old else None)


def paginate(stmt, ordering: Ordering | None = None, *, page: int = 1, per_page: int = 50, after: str | None = None,
             count_limit: int = COUNT_LIMIT, order_by=None, options=None) -> Page:
    """One page of `stmt` (a select of one entity, its WHERE holding the visibility condition).

    `ordering` (or, for a list that is never sought by cursor, plain `order_by` clauses) sets the order;
    `after` (a cursor from `next_cursor`) wins over `page`; `options(root)` gives loader options for the page's rows
    (eager-load what the caller reads, so a page costs the same statements whatever its size). Raises
    BadCursor for a cursor not given out."""
    page = max(1, int(page or 1))
    # a statement may carry its own, smaller count limit (access.visible_documents for a restricted user), and
    # `deep_condition` (from_offset, condition, replacement): a condition of its WHERE to write otherwise from
    # that OFFSET on, and `deep_position` (see _position)
    count_limit = min(count_limit, stmt.get_execution_options().get("count_limit", count_limit))
    entity = stmt.column_descriptions[0]["entity"]
    key = sa.inspect(entity).primary_key[0]
    base = stmt.order_by(None)
    ids_stmt = base
    if ordering is not None:
        if after:
            ids_stmt = ids_stmt.where(ordering.after(ordering.decode(after)))
        ids_stmt = ids_stmt.with_only_columns(*ordering.columns).order_by(*ordering.order_by())
    else:
        ids_stmt = ids_stmt.with_only_columns(key).order_by(*(order_by if order_by is not None else
                                                              stmt._order_by_clauses))
    offset = 0 if after else (page - 1) * per_page
    hints = stmt.get_execution_options()
    start = _position(stmt, ordering, offset, hints.get("deep_position"))
    if start is not None:
        # the page begins after its previous row, found in an index of its own: a seek, not an OFFSET walk
        rows = (db.session.execute(ids_stmt.where(ordering.after(start)).limit(per_page + 1)).all() if start
                else [])
    else:
        deep = hints.get("deep_condition")
        if deep is not None and offset >= deep[0]:
            # a deep page: the statement's condition in the form its author gave for long walks (the same rows)
            ids_stmt = _replaced(ids_stmt, deep[1], deep[2])
        rows = db.session.execute(ids_stmt.limit(per_page + 1).offset(offset)).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    ids = [r[-1] if ordering is not None else r[0] for r in rows]
    items = _load(stmt, ids, options)
    if not has_next and not after and (rows or page == 1):
        total = Count(offset + len(rows))  # the last page: the end is known, the count exact
    elif rows and not after and offset + len(rows) > count_limit:
        # a page beyond the count limit: a count would stop at the limit, and the rows up to this page are more
        total = Count(offset + len(rows), exact=False)
    else:
        counted = _counted(stmt, count_limit, hints.get("deep_position"))
        total = Count(*counted) if counted is not None else bounded_count(base, count_limit)
        if not after and not total.exact and offset + len(rows) > int(total):
            total = Count(offset + len(rows), exact=False)
    cursor = ordering.encode(tuple(rows[-1])) if ordering is not None and rows and has_next else None
    return Page(items=items, page=page, per_page=per_page, total=total, has_next=has_next, next_cursor=cursor,
                after=after, _offset=offset)
