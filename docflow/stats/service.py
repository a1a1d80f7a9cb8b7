"""The office's figures (issue 6/9): volume, handling, the periodic report, Directive 10, drill-downs.

Every function takes the viewer and counts only documents `registry.access.visible_filter(user)` lets
them see; every figure is an aggregate query (GROUP BY / COUNT / SUM(CASE)), never a loop over rows.

Definitions (one place; the pages, the API, the exports and the tests read them here):

- **incoming** — an incoming letter that is not cancelled, counted by its arrival date (`received_date`).
- **outgoing** — an outgoing document the office issued (status `issued`; one cancelled after issue is
  not counted), counted by its issue date (`issued_date`).
- **electronic** — `medium = electronic`.
- **unit** of an incoming letter — the unit of its primary handler (the `primary` participants: the unit
  directed, or the person's unit); a letter not yet directed is in the "not assigned" group (key None).
  The unit of an outgoing document is its drafting unit.
- **issuer** — the sending organisation of an incoming letter (key None: a sender not in the list).
- **channel** — how an outgoing document was dispatched (paper, electronic, email); a document sent by
  two channels counts under each, one not dispatched has key None.
- **handling** (of incoming letters received in the period): *assigned* — directed (status assigned or
  completed); *completed on time* — completed on or before its due date (no due date: on time);
  *completed late* — after it; *open* — directed, not completed; *overdue open* — open with a due date
  before today. The completion day is the office's local day of `completed_at`; the handling time is
  the working days from the arrival to that day (`stats.models.StatHandling`, measured on completion).
- **period report** (per unit, for the period [start, end]): *carried over* — received before the
  start and not completed before it; *received* — received in the period; *completed* — completed in
  the period (*on time* / *late* as above); *in progress* — received by the end and not completed by
  it; *overdue* — in progress with a due date before the end of the period (or today, if earlier).
"""

import functools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from types import FunctionType

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import orm

from docflow.auth.models import Unit, User
from docflow.core import settings
from docflow.core.enums import DIRECTIONS, MEDIUM_LABELS, cleared_levels
from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import today
from docflow.extensions import db
from docflow.incoming.models import IncomingDocument  # noqa: F401  (the incoming flow's mapper, for visibility)
from docflow.outgoing.models import OutgoingDocument, Recipient
from docflow.registry import access
from docflow.registry.access import OFFICE_WIDE_ROLES, visible_filter
from docflow.registry.models import DocType, Document, Organization, Participant, Register
from docflow.stats.models import StatCount, StatHandling, StatUnitCount

GROUPS = ("month", "quarter", "doc_type", "issuer", "unit", "register", "medium", "channel")
HANDLING_BY = ("unit", "person")
FIGURES = ("incoming", "outgoing", "assigned", "completed_on_time", "completed_late", "open", "overdue_open",
           "carried_over", "received", "completed", "in_progress", "overdue")
CHANNELS = ("paper", "electronic", "email")
SETTINGS_KEY = "directive10"
MIN_YEAR, MAX_YEAR = 1900, 2100
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


# ---- periods -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A month, a quarter or a year."""

    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def start(self) -> date:
        if self.month:
            return date(self.year, self.month, 1)
        if self.quarter:
            return date(self.year, 3 * self.quarter - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The last day (inclusive)."""
        if self.month:
            last = 12 if self.month == 12 else self.month
            nxt = date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, last + 1, 1)
            return nxt - timedelta(days=1)
        if self.quarter:
            return (date(self.year + 1, 1, 1) if self.quarter == 4 else date(self.year, 3 * self.quarter + 1, 1)
                    ) - timedelta(days=1)
        return date(self.year, 12, 31)

    @property
    def kind(self) -> str:
        return "month" if self.month else "quarter" if self.quarter else "year"

    @property
    def label(self) -> str:
        if self.month:
            return _("Month %(month)s/%(year)s", month=self.month, year=self.year)
        if self.quarter:
            return _("Quarter %(quarter)s/%(year)s", quarter=ROMAN[self.quarter], year=self.year)
        return _("Year %(year)s", year=self.year)

    def as_dict(self) -> dict:
        return {"year": self.year, "quarter": self.quarter, "month": self.month, "kind": self.kind,
                "start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}

    @classmethod
    def parse(cls, year, quarter=None, month=None) -> "Period":
        """From request values (strings or ints; empty means unset); ValidationFailed names the field."""
        errors: dict[str, list[str]] = {}

        def number(value, field, low, high, message):
            if value in (None, ""):
                return None
            try:
                n = int(str(value).strip())
            except (TypeError, ValueError):
                n = None
            if n is None or not low <= n <= high:
                errors[field] = [message]
                return None
            return n

        y = number(year, "year", MIN_YEAR, MAX_YEAR, _("Enter a year between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR))
        if y is None and "year" not in errors:
            errors["year"] = [_("Enter a year between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
        q = number(quarter, "quarter", 1, 4, _("The quarter is 1 to 4."))
        m = number(month, "month", 1, 12, _("The month is 1 to 12."))
        if q and m:
            errors["month"] = [_("Choose a quarter or a month, not both.")]
        if errors:
            raise ValidationFailed(errors)
        return cls(y, q, m)

    def previous(self) -> "Period":
        if self.month:
            return Period(self.year - 1, month=12) if self.month == 1 else Period(self.year, month=self.month - 1)
        if self.quarter:
            return Period(self.year - 1, quarter=4) if self.quarter == 1 else Period(self.year,
                                                                                     quarter=self.quarter - 1)
        return Period(self.year - 1)

    def months(self) -> list[int]:
        return list(range(self.start.month, self.end.month + 1))


def _year_arg(year) -> int:
    return Period.parse(year).year


# ---- building blocks ---------------------------------------------------------------------------

def _office_wide(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*OFFICE_WIDE_ROLES))


class _Own:
    """The few documents a viewer sees outside their unit's cells (see _reach), at their levels: `ids`
    selects them from their own participant rows and loans."""

    def __init__(self, levels: tuple[str, ...], ids):
        self.levels, self.ids = levels, ids

    def __call__(self, _direction: str):
        return sa.and_(_plain(Document.confidentiality).in_(self.levels), Document.id.in_(self.ids))


def _plain(col):
    """The column as an expression no index serves: a count over a viewer's own few documents must start
    from their participant rows, not walk a year of a flow's index (SQLite has no statistics to know)."""
    return sa.func.coalesce(col, col)


def _seeing(who):
    """`who` is a viewer (their documents: visible_filter), or already the documents to count, as a
    function of the direction giving the condition (_Own, or a function)."""
    if isinstance(who, _Own | FunctionType):
        return who
    return lambda direction: visible_filter(who, direction)


def _incoming_where(who, start: date | None = None, end: date | None = None) -> list:
    col = _plain if isinstance(who, _Own) else lambda c: c
    conditions = [col(Document.direction) == "incoming", Document.status != "cancelled", _seeing(who)("incoming")]
    if start is not None:
        conditions.append(col(Document.received_date) >= start)
    if end is not None:
        conditions.append(col(Document.received_date) <= end)
    return conditions


def _outgoing_where(who, start: date | None = None, end: date | None = None) -> list:
    col = _plain if isinstance(who, _Own) else lambda c: c
    conditions = [col(Document.direction) == "outgoing", col(Document.status) == "issued", _seeing(who)("outgoing")]
    if start is not None:
        conditions.append(col(Document.issued_date) >= start)
    if end is not None:
        conditions.append(col(Document.issued_date) <= end)
    return conditions


def _primary_join(by: str = "unit"):
    """(participant alias, its unit or person column, the ON clause) joining each document to one row per
    unit (by="unit") or person (by="person") handling it as primary: a second row of the same unit (a unit
    and the person it handed the letter to) is left out by NOT EXISTS on the document's own participants
    (an index look-up per row, where a DISTINCT subquery would be materialised and scanned per document)."""
    p, p2 = orm.aliased(Participant), orm.aliased(Participant)
    col, col2 = (p.unit_id, p2.unit_id) if by == "unit" else (p.user_id, p2.user_id)
    # coalesce(): compared as an expression, so the database looks the rows up by document, not by unit
    earlier = sa.exists().where(p2.document_id == p.document_id, p2.role == "primary",
                                sa.func.coalesce(col2, 0) == sa.func.coalesce(col, 0), p2.id < p.id)
    on = sa.and_(p.document_id == Document.id, p.role == "primary", ~earlier)
    if by == "person":
        on = sa.and_(on, p.user_id.is_not(None))
    return p, col, on


def _month_col(col):
    return sa.cast(sa.extract("month", col), sa.Integer)


def _year_col(col):
    return sa.cast(sa.extract("year", col), sa.Integer)


def _pct(part, whole) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def _change(now, before) -> float | None:
    return None if not before else round(100.0 * (now - before) / before, 1)


def _names(model, ids, attr="name") -> dict:
    ids = {i for i in ids if i is not None and not isinstance(i, str)}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, getattr(model, attr)).where(model.id.in_(ids))).all())


def _channel_label(key) -> str:
    return {"paper": _("Paper"), "electronic": _("Electronic"), "email": _("Email")}.get(key, _("Not dispatched"))


# ---- the monthly counts (stats/counters.py) ----------------------------------------------------

#: False: every figure is counted from the documents (the tests compare both ways)
USE_ROLLUP = True
GROUP_DIMS = {"doc_type": "t", "issuer": "o", "unit": "u", "register": "g", "medium": "m", "channel": "c"}


@dataclass(frozen=True)
class _Cells:
    """The cells a viewer's figures (or a part of them) are summed from: stat_counts, or a unit's cells
    in stat_unit_counts (`where`: the unit and the ways it takes part), at the viewer's levels."""

    model: type
    levels: tuple[str, ...]
    where: tuple = ()
    #: a unit's cells: the unit and the ways it takes part (the same as `where`, as values)
    unit_id: int | None = None
    vias: tuple[str, ...] = ()


_UNITS_PENDING = sa.select(StatUnitCount.id).where(StatUnitCount.unit_id == 0).limit(1)


def _units_counted() -> bool:
    """False while stat_unit_counts holds migration 0011's "not counted yet" row (unit_id 0)."""
    return db.session.scalar(_UNITS_PENDING) is None


@functools.cache
def _in_unit_cells(head: bool):
    """(alias, condition(document id column)): the document is in the unit's (:unit_id) cells — a row of
    the unit (a unit head), or of the unit as a unit (a specialist). Built once (aliasing costs more than
    the query)."""
    p2 = orm.aliased(Participant, name="p_unit")

    def condition(document_id):
        # coalesce(): the unit compared as an expression, so the rows are looked up by document, not by unit
        counted = [p2.document_id == document_id, sa.func.coalesce(p2.unit_id, 0) == sa.bindparam("unit_id")]
        if not head:
            counted.append(p2.user_id.is_(None))
        return sa.exists().where(*counted)

    return condition


@functools.cache
def _outside_cells(head: bool):
    """select(document_id) of the documents the person (:user_id) takes part in that are not in their
    unit's (:unit_id) cells."""
    p = orm.aliased(Participant, name="p_mine")
    return sa.select(p.document_id).where(p.user_id == sa.bindparam("user_id"), ~_in_unit_cells(head)(p.document_id))


def _outside(user, head: bool):
    """The documents the viewer may see outside their unit's cells: those they take part in personally,
    and those of a dossier the archive has lent them (registry/access.py), not in the cells."""
    params = {"user_id": user.id, "unit_id": user.unit_id}
    lent = access._lent_to(user).subquery("lent")
    return sa.union_all(_outside_cells(head).params(**params),
                        sa.select(lent.c.document_id).where(~_in_unit_cells(head)(lent.c.document_id))
                        .params(**params))


def _reach(user) -> tuple[_Cells | None, object]:
    """How this viewer's figures are counted: (the cells to sum or None, the documents to count from the
    documents besides them: a function of the direction giving the condition, or None).

    - An office-wide viewer (admin, clerk, leader, archivist) sees every incoming letter and every issued
      document within their clearance (registry/access.py: both flows show these office-wide): the sums of
      stat_counts by confidentiality, nothing else.
    - A unit head sees the documents their unit or a person of it takes part in: their unit's cells in
      stat_unit_counts (via a and p); a specialist (anyone else with a unit) those their unit takes part in
      as a unit (via a). Besides these, both see the documents they take part in personally and those of a
      dossier the archive has lent them: those of them outside the cells (few) are counted from the
      documents, starting from their own participant rows (and loans), and added.
    - Without a unit, with USE_ROLLUP off, or before the unit cells are counted: everything from the
      documents, through visible_filter."""
    visible = _seeing(user)
    if not USE_ROLLUP or user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None, visible
    levels = cleared_levels(user.clearance)
    if user.has_role(*OFFICE_WIDE_ROLES):
        return _Cells(StatCount, levels), None
    # a page asks a dozen figures: whether the unit cells are counted, and whether the viewer has documents
    # outside their unit's cells, are looked up once per request (kept on the request, nothing outlives it)
    memo = vars(request._get_current_object()).setdefault("_stats_reach", {}) if has_request_context() else {}
    if "counted" not in memo:
        memo["counted"] = _units_counted()
    if user.unit_id is None or not memo["counted"]:
        return None, visible
    head = user.has_role("unit_head")
    key = (user.id, user.unit_id, head)
    if key not in memo:
        outside = _outside(user, head)
        memo[key] = None if db.session.scalar(outside.limit(1)) is None else outside
    vias = ("a", "p") if head else ("a",)
    cells = _Cells(StatUnitCount, levels, (StatUnitCount.unit_id == user.unit_id, StatUnitCount.via.in_(vias)),
                   user.unit_id, vias)
    return cells, None if memo[key] is None else _Own(levels, memo[key])


def _add(*counts: dict) -> dict:
    """The sum of {key: count} dicts."""
    out: dict = defaultdict(int)
    for one in counts:
        for k, v in one.items():
            out[k] += v
    return dict(out)


def _ym(day: date) -> int:
    return day.year * 100 + day.month


def _cell_sums(cells: _Cells, dim: str, direction: str | tuple[str, ...], first: date | None, last: date, *columns,
               where=(), key: str | None = None, below: tuple[str, str] | None = None):
    """SUM(n), SUM(electronic) of one dimension's cells in months first..last, grouped by `columns` (names
    of the cells' columns); only the cells of `key`, and those whose column below[0] < below[1], if given.
    `direction`: one flow, or a tuple of them summed in one statement (group by "direction" to tell them
    apart: on PostgreSQL each statement of a page costs ~1 ms in all, the sums themselves a tenth of it)."""
    T = cells.model
    many = isinstance(direction, tuple)
    if not where and (T is StatCount or cells.unit_id is not None):
        params = {"dim": dim, "direction": list(direction) if many else direction, "last": _ym(last),
                  "levels": list(cells.levels)}
        if first is not None:
            params["first"] = _ym(first)
        if T is StatUnitCount:
            params.update(unit_id=cells.unit_id, vias=list(cells.vias))
        if key is not None:
            params["key"] = key
        if below is not None:
            params["below"] = below[1]
        return db.session.execute(_sums_statement(T, columns, first is not None, key is not None,
                                                   below and below[0], many), params).all()
    where = (*where, *(() if key is None else (T.key == key,)),
             *(() if below is None else (getattr(T, below[0]) < below[1],)))
    conditions = [T.dim == dim, T.direction.in_(direction) if many else T.direction == direction, T.ym <= _ym(last),
                  T.confidentiality.in_(cells.levels), *cells.where, *where]
    if first is not None:
        conditions.append(T.ym >= _ym(first))
    columns = [getattr(T, c) for c in columns]
    return db.session.execute(sa.select(*columns, sa.func.sum(T.n), sa.func.sum(T.electronic))
                              .where(*conditions).group_by(*columns)).all()


@functools.cache
def _sums_statement(T, columns: tuple[str, ...], with_first: bool, with_key: bool = False,
                    below: str | None = None, many_directions: bool = False):
    """_cell_sums' statement, built once (a page sums a few dozen cells' groups: building the statement cost
    more than running it), with the values as parameters: dim, direction (a list with `many_directions`),
    last, levels, first, key, below and for a unit's cells unit_id, vias."""
    direction = (T.direction.in_(sa.bindparam("direction", expanding=True)) if many_directions
                 else T.direction == sa.bindparam("direction"))
    conditions = [T.dim == sa.bindparam("dim"), direction,
                  T.ym <= sa.bindparam("last"), T.confidentiality.in_(sa.bindparam("levels", expanding=True))]
    if T is StatUnitCount:
        conditions += [T.unit_id == sa.bindparam("unit_id"), T.via.in_(sa.bindparam("vias", expanding=True))]
    if with_first:
        conditions.append(T.ym >= sa.bindparam("first"))
    if with_key:
        conditions.append(T.key == sa.bindparam("key"))
    if below is not None:
        conditions.append(getattr(T, below) < sa.bindparam("below"))
    cols = [getattr(T, c) for c in columns]
    return sa.select(*cols, sa.func.sum(T.n), sa.func.sum(T.electronic)).where(*conditions).group_by(*cols)


def _id_key(key: str):
    return int(key) if key not in ("", None) else None


def _text_key(key: str):
    return key or None


def _volume_cells(cells: _Cells, start: date, end: date, group_by: str) -> tuple[dict, dict]:
    counts = {direction: defaultdict(int) for direction in DIRECTIONS}
    if group_by in ("month", "quarter"):  # both flows in one statement
        for direction, ym, n, _e in _cell_sums(cells, "a", DIRECTIONS, start, end, "direction", "ym"):
            counts[direction][ym % 100 if group_by == "month" else (ym % 100 + 2) // 3] += int(n)
    else:
        dim = GROUP_DIMS[group_by]
        convert = _text_key if group_by in ("medium", "channel") else _id_key
        # a sender is an incoming letter's, a channel an outgoing one's
        flows = {"o": ("incoming",), "c": ("outgoing",)}.get(dim, DIRECTIONS)
        for direction, key, n, _e in _cell_sums(cells, dim, flows, start, end, "direction", "key"):
            if n:
                counts[direction][convert(key)] += int(n)
    incoming, outgoing = ({k: v for k, v in counts[d].items() if v} for d in DIRECTIONS)
    return incoming, outgoing


def _totals_cells(cells: _Cells, start: date, end: date) -> dict:
    sums = {direction: (n, e) for direction, n, e in _cell_sums(cells, "a", DIRECTIONS, start, end, "direction")}
    totals = {}
    for direction in ("incoming", "outgoing"):
        n, e = sums.get(direction, (0, 0))
        totals[direction], totals[f"electronic_{direction}"] = int(n or 0), int(e or 0)
    return totals


def _handling_cells(cells: _Cells, period: Period, dims: tuple[str, str, str], key: str | None = "",
                    days: bool = True) -> dict:
    """{group key: ((assigned, on time, late, open, overdue open), {days: letters})} from the handling
    cells: `dims` = (classes, days, open due dates), totals (key "") or one group (`key`) or every group
    (key None: the cells' key is the group). `days` False: the working days' cells are not read (every
    histogram {})."""
    classes, days_dim, due_dim = dims
    filter_key = None if key is None or key == "" else key
    found: dict = defaultdict(lambda: [[0, 0, 0, 0, 0], {}])

    def slot(k):
        return "" if key is not None else k

    columns = ("key",) if classes == "h" else ("key", "sub")
    for row in _cell_sums(cells, classes, "incoming", period.start, period.end, *columns, key=filter_key):
        k, cls = ("", row[0]) if classes == "h" else (row[0], row[1])
        n = int(row[-2] or 0)
        figures = found[slot(k)][0]
        figures[0] += n
        if cls in ("on_time", "late", "open"):
            figures[{"on_time": 1, "late": 2, "open": 3}[cls]] += n
    columns = ("key",) if days_dim == "hd" else ("key", "sub")
    histogram_rows = _cell_sums(cells, days_dim, "incoming", period.start, period.end, *columns,
                                key=filter_key) if days else ()
    for row in histogram_rows:
        k, d = ("", row[0]) if days_dim == "hd" else (row[0], row[1])
        histogram = found[slot(k)][1]
        histogram[int(d)] = histogram.get(int(d), 0) + int(row[-2] or 0)
    due_col = "key" if due_dim == "ho" else "sub"
    columns = () if due_dim == "ho" else ("key",)
    for row in _cell_sums(cells, due_dim, "incoming", period.start, period.end, *columns, key=filter_key,
                          below=(due_col, today().isoformat())):
        k = "" if due_dim == "ho" else row[0]
        found[slot(k)][0][4] += int(row[-2] or 0)
    return {k: (tuple(v[0]), v[1]) for k, v in found.items()}


def _period_cells(cells: _Cells, period: Period) -> dict:
    """{unit key or "*": {field: count}} of the period report from the cells pr, pd, pu."""
    T = cells.model
    start_ym, end_ym = str(_ym(period.start)), str(_ym(period.end))
    as_of = min(period.end, today()).isoformat()
    before = sa.func.sum(sa.case((T.ym < _ym(period.start), T.n), else_=0))
    within = sa.func.sum(sa.case((T.ym >= _ym(period.start), T.n), else_=0))
    out: dict = defaultdict(lambda: dict.fromkeys(PERIOD_FIELDS, 0))
    received_before: dict = defaultdict(int)
    for key, n_before, n_within in db.session.execute(
            sa.select(T.key, before, within).where(
                T.dim == "pr", T.direction == "incoming", T.ym <= _ym(period.end),
                T.confidentiality.in_(cells.levels), *cells.where).group_by(T.key)):
        received_before[key] = int(n_before or 0)
        out[key]["received"] = int(n_within or 0)
        out[key]["carried_over"] = int(n_before or 0)
        out[key]["in_progress"] = int(n_before or 0) + int(n_within or 0)
    done_before = sa.func.sum(sa.case((sa.and_(T.ym < _ym(period.start), T.sub2 < start_ym),
                                       T.n), else_=0))
    for key, cls, n_before, n_within, n_all in db.session.execute(
            sa.select(T.key, T.sub, done_before, within, sa.func.sum(T.n)).where(
                T.dim == "pd", T.direction == "incoming", T.ym <= _ym(period.end),
                T.sub2 <= end_ym, T.confidentiality.in_(cells.levels), *cells.where)
            .group_by(T.key, T.sub)):
        row = out[key]
        row["carried_over"] -= int(n_before or 0)
        row["completed"] += int(n_within or 0)
        row["completed_on_time" if cls == "on_time" else "completed_late"] += int(n_within or 0)
        row["in_progress"] -= int(n_all or 0)
    for key, n in db.session.execute(
            sa.select(T.key, sa.func.sum(T.n)).where(
                T.dim == "pu", T.direction == "incoming", T.ym <= _ym(period.end),
                T.sub < as_of, T.sub2 > end_ym, T.confidentiality.in_(cells.levels), *cells.where)
            .group_by(T.key)):
        out[key]["overdue"] += int(n or 0)
    return out


# ---- volume ------------------------------------------------------------------------------------

def _volume_counts(who, start: date, end: date, group_by: str) -> tuple[dict, dict]:
    """{key: incoming count}, {key: outgoing count} for one grouping."""
    inc_where, out_where = _incoming_where(who, start, end), _outgoing_where(who, start, end)
    count = sa.func.count(Document.id)
    distinct = sa.func.count(sa.distinct(Document.id))
    incoming: dict = {}
    outgoing: dict = {}
    if group_by in ("month", "quarter"):
        incoming = dict(db.session.execute(sa.select(_month_col(Document.received_date), count)
                                           .where(*inc_where).group_by(_month_col(Document.received_date))).all())
        outgoing = dict(db.session.execute(sa.select(_month_col(Document.issued_date), count)
                                           .where(*out_where).group_by(_month_col(Document.issued_date))).all())
        if group_by == "quarter":
            incoming, outgoing = _to_quarters(incoming), _to_quarters(outgoing)
    elif group_by in ("doc_type", "register", "medium"):
        col = {"doc_type": Document.doc_type_id, "register": Document.register_id, "medium": Document.medium}[group_by]
        incoming = dict(db.session.execute(sa.select(col, count).where(*inc_where).group_by(col)).all())
        outgoing = dict(db.session.execute(sa.select(col, count).where(*out_where).group_by(col)).all())
    elif group_by == "issuer":
        col = Document.sender_org_id
        incoming = dict(db.session.execute(sa.select(col, count).where(*inc_where).group_by(col)).all())
    elif group_by == "unit":
        p, col, on = _primary_join("unit")
        incoming = dict(db.session.execute(
            sa.select(col, count).select_from(Document).outerjoin(p, on).where(*inc_where).group_by(col)).all())
        col = OutgoingDocument.drafting_unit_id
        outgoing = dict(db.session.execute(sa.select(col, count).where(*out_where).group_by(col)).all())
    elif group_by == "channel":
        rc = (sa.select(Recipient.document_id, Recipient.channel).where(Recipient.channel.is_not(None))
              .distinct().subquery("channels"))
        outgoing = dict(db.session.execute(
            sa.select(rc.c.channel, distinct).select_from(Document)
            .outerjoin(rc, rc.c.document_id == Document.id).where(*out_where).group_by(rc.c.channel)).all())
    else:
        raise ValidationFailed({"group_by": [_("Group by one of: %(g)s.", g=", ".join(GROUPS))]})
    return incoming, outgoing


def _to_quarters(by_month: dict) -> dict:
    out: dict = defaultdict(int)
    for month, n in by_month.items():
        if month is not None:
            out[(int(month) + 2) // 3] += n
    return dict(out)


def _labels(group_by: str, keys) -> dict:
    if group_by == "month":
        return {k: _("Month %(month)s", month=k) for k in keys}
    if group_by == "quarter":
        return {k: _("Quarter %(quarter)s", quarter=ROMAN.get(k, k)) for k in keys}
    if group_by == "doc_type":
        return _names(DocType, keys)
    if group_by == "issuer":
        names = _names(Organization, keys)
        return {k: names.get(k) or (_("Other senders") if k == "other" else _("Not in the list")) for k in keys}
    if group_by == "unit":
        names = _names(Unit, keys)
        return {k: names.get(k) or _("Not assigned") for k in keys}
    if group_by == "register":
        names = _names(Register, keys)
        return {k: names.get(k) or _("No register") for k in keys}
    if group_by == "medium":
        return {k: str(MEDIUM_LABELS.get(k, k)) for k in keys}
    return {k: _channel_label(k) for k in keys}


def volume(user, period: Period, group_by: str = "month", *, limit: int | None = None,
           totals: dict | None = None) -> dict:
    """Documents received and issued in the period, grouped (see the module's definitions).
    {"year", "period", "group_by", "groups": [{"key", "label", "incoming", "outgoing"}],
     "totals": {"incoming", "outgoing", "electronic_incoming", "electronic_outgoing"}}
    `totals`: the "totals" of another volume() of this viewer and period (a page shows several groupings),
    instead of counting them again."""
    if group_by not in GROUPS:
        raise ValidationFailed({"group_by": [_("Group by one of: %(g)s.", g=", ".join(GROUPS))]})
    cells, rest = _reach(user)
    incoming, outgoing = {}, {}
    if cells is not None:
        incoming, outgoing = _volume_cells(cells, period.start, period.end, group_by)
    if rest is not None:
        more_in, more_out = _volume_counts(rest, period.start, period.end, group_by)
        incoming, outgoing = _add(incoming, more_in), _add(outgoing, more_out)
    if group_by == "month":
        keys = period.months()
    elif group_by == "quarter":
        keys = sorted({(m + 2) // 3 for m in period.months()})
    else:
        keys = sorted(set(incoming) | set(outgoing),
                      key=lambda k: (-(incoming.get(k, 0) + outgoing.get(k, 0)), k is None, str(k)))
    if group_by == "issuer" and limit is not None and len(keys) > limit:
        named = [k for k in keys if k is not None][:max(limit, 0)]
        rest = [k for k in keys if k not in named]
        incoming = {**{k: incoming.get(k, 0) for k in named}, "other": sum(incoming.get(k, 0) for k in rest)}
        keys = [*named, "other"]
    labels = _labels(group_by, keys)
    groups = [{"key": k, "label": labels.get(k, str(k)), "incoming": int(incoming.get(k, 0)),
               "outgoing": int(outgoing.get(k, 0))} for k in keys]
    return {"year": period.year, "period": period.as_dict(), "group_by": group_by, "groups": groups,
            "totals": dict(totals) if totals is not None else _totals(user, period.start, period.end)}


def _totals(user, start: date, end: date) -> dict:
    cells, rest = _reach(user)
    totals = dict.fromkeys(("incoming", "outgoing", "electronic_incoming", "electronic_outgoing"), 0)
    if cells is not None:
        totals = _totals_cells(cells, start, end)
    if rest is not None:
        electronic = sa.func.sum(sa.case((Document.medium == "electronic", 1), else_=0))
        i, ei = db.session.execute(sa.select(sa.func.count(Document.id), electronic)
                                   .where(*_incoming_where(rest, start, end))).one()
        o, eo = db.session.execute(sa.select(sa.func.count(Document.id), electronic)
                                   .where(*_outgoing_where(rest, start, end))).one()
        totals = _add(totals, {"incoming": int(i or 0), "outgoing": int(o or 0), "electronic_incoming": int(ei or 0),
                               "electronic_outgoing": int(eo or 0)})
    return totals


def electronic_share(user, years: int = 5, *, until_year: int | None = None) -> list[dict]:
    """Per year (oldest first): [{"year", "incoming", "outgoing", "electronic_incoming",
    "electronic_outgoing", "share_pct"}] — share of electronic documents among both directions."""
    last = until_year or today().year
    first = last - max(1, years) + 1
    electronic = sa.func.sum(sa.case((Document.medium == "electronic", 1), else_=0))
    rows: dict = {}

    def add(key, n, e):
        n0, e0 = rows.get(key, (0, 0))
        rows[key] = (n0 + int(n or 0), e0 + int(e or 0))

    cells, rest = _reach(user)
    if cells is not None:
        for direction in ("incoming", "outgoing"):
            for ym, n, e in _cell_sums(cells, "a", direction, date(first, 1, 1), date(last, 12, 31), "ym"):
                add((ym // 100, direction), n, e)
    for direction, col, where in () if rest is None else (
            ("incoming", Document.received_date, _incoming_where),
            ("outgoing", Document.issued_date, _outgoing_where)):
        year = _year_col(col)
        for y, n, e in db.session.execute(sa.select(year, sa.func.count(Document.id), electronic)
                                          .where(*where(rest, date(first, 1, 1), date(last, 12, 31)))
                                          .group_by(year)):
            add((int(y), direction), n, e)
    out = []
    for y in range(first, last + 1):
        i, ei = rows.get((y, "incoming"), (0, 0))
        o, eo = rows.get((y, "outgoing"), (0, 0))
        out.append({"year": y, "incoming": i, "outgoing": o, "electronic_incoming": ei,
                    "electronic_outgoing": eo, "share_pct": _pct(ei + eo, i + o)})
    return out


# ---- handling ----------------------------------------------------------------------------------

def _handling_columns(day: date) -> list:
    """SUM(CASE ...) of the handling figures over documents joined with StatHandling (outer)."""
    completed = sa.and_(Document.status == "completed", StatHandling.completed_on.is_not(None))
    on_time = sa.and_(completed, sa.or_(Document.due_date.is_(None), StatHandling.completed_on <= Document.due_date))
    late = sa.and_(completed, Document.due_date.is_not(None), StatHandling.completed_on > Document.due_date)
    is_open = Document.status == "assigned"
    overdue = sa.and_(is_open, Document.due_date < day)

    def total(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    return [total(Document.status.in_(("assigned", "completed"))), total(on_time), total(late), total(is_open),
            total(overdue)]


def _handling_row(values, histogram: dict) -> dict:
    """The handling figures from (assigned, on time, late, open, overdue open) and {working days: letters}."""
    assigned, on_time, late, is_open, overdue = (int(v or 0) for v in (values or (0, 0, 0, 0, 0)))
    days = sorted((int(d), int(n)) for d, n in histogram.items() if n)
    measured = sum(n for _d, n in days)
    return {"assigned": assigned, "completed_on_time": on_time, "completed_late": late,
            "open": is_open, "overdue_open": overdue, "on_time_rate": _pct(on_time, on_time + late),
            "avg_days": round(sum(d * n for d, n in days) / measured, 1) if measured else None,
            "median_days": _median(days)}


def _median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, count) pairs."""
    n = sum(c for _v, c in histogram)
    if not n:
        return None
    values = []
    for wanted in sorted({(n - 1) // 2, n // 2}):
        seen = 0
        for value, count in histogram:
            seen += count
            if seen > wanted:
                values.append(value)
                break
    return float(statistics.mean(values))


def _scope(stmt, *, unit_id=None, user_id=None):
    if unit_id is not None:
        stmt = stmt.where(Document.id.in_(sa.select(Participant.document_id).where(
            Participant.role == "primary", Participant.unit_id == unit_id)))
    if user_id is not None:
        stmt = stmt.where(Document.id.in_(sa.select(Participant.document_id).where(
            Participant.role == "primary", Participant.user_id == user_id)))
    return stmt


def handling(user, period: Period, *, unit_id: int | None = None, user_id: int | None = None) -> dict:
    """Handling of the incoming letters received in the period (see the module's definitions), of one
    unit's or one person's primary handling with `unit_id` / `user_id`:
    {"assigned", "completed_on_time", "completed_late", "open", "overdue_open", "on_time_rate",
     "avg_days", "median_days"} (rate and times None when nothing was completed)."""
    cells, rest = _reach(user)
    if unit_id is not None and user_id is not None:  # no cells hold both
        cells, rest = None, _seeing(user)
    values, histogram = (0, 0, 0, 0, 0), {}
    if cells is not None:
        if unit_id is not None:
            rows = _handling_cells(cells, period, ("hu", "hud", "huo"), key=str(unit_id))
        elif user_id is not None:
            rows = _handling_cells(cells, period, ("hp", "hpd", "hpo"), key=str(user_id))
        else:
            rows = _handling_cells(cells, period, ("h", "hd", "ho"))
        values, histogram = rows.get("", (values, histogram))
    if rest is not None:
        where = _incoming_where(rest, period.start, period.end)
        base = sa.select(*_handling_columns(today())).select_from(Document).outerjoin(
            StatHandling, StatHandling.document_id == Document.id).where(*where)
        more = db.session.execute(_scope(base, unit_id=unit_id, user_id=user_id)).one()
        hist = sa.select(StatHandling.working_days, sa.func.count()).select_from(Document).join(
            StatHandling, StatHandling.document_id == Document.id).where(*where, Document.status == "completed"
                                                                        ).group_by(StatHandling.working_days)
        values = tuple(int(a or 0) + int(b or 0) for a, b in zip(values, more, strict=True))
        histogram = _add(histogram, dict(db.session.execute(_scope(hist, unit_id=unit_id, user_id=user_id)).all()))
    return _handling_row(values, histogram)


def handling_by(user, period: Period, by: str = "unit", *, days: bool = True) -> list[dict]:
    """The handling figures per unit (of the primary handler; key None: not assigned) or per person
    handling as primary: [{"key", "label", **handling fields}], busiest first; groups with nothing
    assigned are left out. `days` False (the dashboards' tables, which show no durations): the working days
    are not read, avg_days and median_days are None."""
    if by not in HANDLING_BY:
        raise ValidationFailed({"by": [_("One of: unit, person.")]})
    cells, rest = _reach(user)
    found: dict = {}
    if cells is not None:
        counted = _handling_cells(cells, period, ("hu", "hud", "huo") if by == "unit" else ("hp", "hpd", "hpo"),
                                  key=None, days=days)
        found = {_id_key(k): v for k, v in counted.items()}
    if rest is not None:
        for k, (values, histogram) in _handling_by_direct(rest, period, by, days).items():
            before, seen = found.get(k, ((0, 0, 0, 0, 0), {}))
            found[k] = (tuple(int(a or 0) + int(b or 0) for a, b in zip(before, values, strict=True)),
                        _add(seen, histogram))
    if by == "unit":
        names = _names(Unit, found)
        label = lambda k: names.get(k) or _("Not assigned")  # noqa: E731
    else:
        names = _names(User, found, "full_name")
        label = lambda k: names.get(k) or str(k)  # noqa: E731
    out = [{"key": k, "label": label(k), **_handling_row(values, histogram)}
           for k, (values, histogram) in found.items()]
    out = [r for r in out if r["assigned"]]
    out.sort(key=lambda r: (-r["assigned"], r["key"] is None, r["label"]))
    return out


def _handling_by_direct(who, period: Period, by: str, days: bool = True) -> dict:
    p, key, on = _primary_join(by)
    where = _incoming_where(who, period.start, period.end)
    join = orm.outerjoin(Document, StatHandling, StatHandling.document_id == Document.id)
    join = orm.outerjoin(join, p, on) if by == "unit" else orm.join(join, p, on)
    rows = db.session.execute(sa.select(key, *_handling_columns(today())).select_from(join).where(*where)
                              .group_by(key)).all()
    hist_rows = db.session.execute(
        sa.select(key, StatHandling.working_days, sa.func.count()).select_from(join)
        .where(*where, Document.status == "completed", StatHandling.working_days.is_not(None))
        .group_by(key, StatHandling.working_days)).all() if days else []
    histograms: dict = defaultdict(dict)
    for k, working_days, n in hist_rows:
        histograms[k][working_days] = n
    return {r[0]: (tuple(r[1:]), histograms.get(r[0], {})) for r in rows}


# ---- the periodic report -----------------------------------------------------------------------

PERIOD_FIELDS = ("carried_over", "received", "completed", "completed_on_time", "completed_late",
                 "in_progress", "overdue")


def _period_conditions(period: Period) -> dict:
    start, end = period.start, period.end
    as_of = min(end, today())
    done_on = sa.case((Document.status == "completed", StatHandling.completed_on), else_=None)
    completed_in = sa.and_(done_on.is_not(None), done_on >= start, done_on <= end)
    not_done_by_end = sa.or_(done_on.is_(None), done_on > end)
    return {
        "carried_over": sa.and_(Document.received_date < start, sa.or_(done_on.is_(None), done_on >= start)),
        "received": Document.received_date >= start,
        "completed": completed_in,
        "completed_on_time": sa.and_(completed_in, sa.or_(Document.due_date.is_(None), done_on <= Document.due_date)),
        "completed_late": sa.and_(completed_in, Document.due_date.is_not(None), done_on > Document.due_date),
        "in_progress": not_done_by_end,
        "overdue": sa.and_(not_done_by_end, Document.due_date.is_not(None), Document.due_date < as_of),
    }


def _period_scope(period: Period) -> list:
    """The letters the report can count (with the end of the period, in _incoming_where): received in the
    period, or not completed before its start."""
    done_on = sa.case((Document.status == "completed", StatHandling.completed_on), else_=None)
    return [sa.or_(Document.received_date >= period.start, done_on.is_(None), done_on >= period.start)]


def period_report(user, period: Period) -> list[dict]:
    """The table offices report upward: one row per unit (of the primary handler; key None: not
    assigned) and a last row with key "total" (each letter once):
    [{"key", "label", "carried_over", "received", "completed", "completed_on_time", "completed_late",
      "in_progress", "overdue"}]"""
    cells, rest = _reach(user)
    found: dict = {}
    total = (0,) * len(PERIOD_FIELDS)
    if cells is not None:
        counted = _period_cells(cells, period)
        found = {_id_key(k): tuple(v[f] for f in PERIOD_FIELDS) for k, v in counted.items() if k != "*"}
        if "*" in counted:
            total = tuple(counted["*"][f] for f in PERIOD_FIELDS)
    if rest is not None:
        conds = _period_conditions(period)
        columns = [sa.func.coalesce(sa.func.sum(sa.case((conds[f], 1), else_=0)), 0) for f in PERIOD_FIELDS]
        where = [*_incoming_where(rest, None, period.end), *_period_scope(period)]
        p, col, on = _primary_join("unit")
        join = orm.outerjoin(Document, StatHandling, StatHandling.document_id == Document.id)
        for key, *values in db.session.execute(sa.select(col, *columns).select_from(orm.outerjoin(join, p, on))
                                               .where(*where).group_by(col)):
            before = found.get(key, (0,) * len(PERIOD_FIELDS))
            found[key] = tuple(int(a or 0) + int(b or 0) for a, b in zip(before, values, strict=True))
        more = db.session.execute(sa.select(*columns).select_from(join).where(*where)).one()
        total = tuple(int(a or 0) + int(b or 0) for a, b in zip(total, more, strict=True))
    rows = [(k, *v) for k, v in found.items()]
    names = _names(Unit, [r[0] for r in rows])
    out = [{"key": r[0], "label": names.get(r[0]) or _("Not assigned"),
            **{f: int(v or 0) for f, v in zip(PERIOD_FIELDS, r[1:], strict=True)}} for r in rows
           if any(r[1:])]
    out.sort(key=lambda r: (r["key"] is None, r["label"]))
    out.append({"key": "total", "label": _("Total"), **{f: int(v or 0) for f, v in zip(PERIOD_FIELDS, total,
                                                                                          strict=True)}})
    return out


# ---- Directive 10 ------------------------------------------------------------------------------

def directive10_settings() -> dict:
    """{"baseline_year": int | None, "target_pct": float | None} (setting "directive10")."""
    value = settings.get(SETTINGS_KEY) or {}
    baseline, target = value.get("baseline_year"), value.get("target_pct")
    return {"baseline_year": int(baseline) if isinstance(baseline, int | float) else None,
            "target_pct": float(target) if isinstance(target, int | float) else None}


def save_directive10_settings(baseline_year, target_pct, *, actor) -> None:
    """The baseline year (empty: none) and the yearly reduction target in % (empty: none; 0..100)."""
    errors: dict[str, list[str]] = {}
    baseline = None
    if baseline_year not in (None, ""):
        try:
            baseline = int(str(baseline_year).strip())
        except (TypeError, ValueError):
            baseline = None
        if baseline is None or not MIN_YEAR <= baseline <= MAX_YEAR:
            errors["baseline_year"] = [_("Enter a year between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
            baseline = None
    target = None
    if target_pct not in (None, ""):
        try:
            target = float(str(target_pct).strip().replace(",", "."))
        except (TypeError, ValueError):
            target = None
        if target is None or target != target or not 0 <= target <= 100:
            errors["target_pct"] = [_("Enter a percentage between 0 and 100.")]
            target = None
    if errors:
        raise ValidationFailed(errors)
    settings.put(SETTINGS_KEY, {"baseline_year": baseline, "target_pct": target}, actor=actor)


def _outgoing_by_year_type(user, years: set[int]) -> dict:
    """{(year, doc_type_id): count} of issued documents in these years."""
    if not years:
        return {}
    cells, rest = _reach(user)
    counts: dict = defaultdict(int)
    if cells is not None:
        for ym, key, n, _e in _cell_sums(cells, "t", "outgoing", date(min(years), 1, 1), date(max(years), 12, 31),
                                         "ym", "key"):
            if ym // 100 in years and n:
                counts[(ym // 100, _id_key(key))] += int(n)
    if rest is not None:
        year = _year_col(Document.issued_date)
        for y, t, n in db.session.execute(
                sa.select(year, Document.doc_type_id, sa.func.count(Document.id))
                .where(*_outgoing_where(rest, date(min(years), 1, 1), date(max(years), 12, 31)))
                .group_by(year, Document.doc_type_id)):
            if int(y) in years:
                counts[(int(y), t)] += int(n)
    return dict(counts)


def directive10(user, year: int, *, totals: dict | None = None) -> dict:
    """Outgoing documents of `year` against the baseline year (settings), per type, with a five-year trend:
    {"year", "baseline_year", "baseline_outgoing", "outgoing", "change_pct", "target_pct", "on_track",
     "by_type": [{"key", "label", "baseline", "outgoing", "change_pct", "grew"}],
     "electronic_share_pct", "trend": [{"year", "outgoing"}]}.
    change_pct is None without a baseline or with a baseline of 0 documents; on_track is None without a
    target or a change (True when the change is a cut of at least the target)."""
    year = _year_arg(year)
    conf = directive10_settings()
    baseline_year, target = conf["baseline_year"], conf["target_pct"]
    years = set(range(year - 4, year + 1)) | ({baseline_year} if baseline_year else set())
    counts = _outgoing_by_year_type(user, years)
    per_year: dict = defaultdict(int)
    for (y, _t), n in counts.items():
        per_year[y] += n
    outgoing = per_year.get(year, 0)
    baseline = per_year.get(baseline_year, 0) if baseline_year else None
    change = _change(outgoing, baseline) if baseline_year else None
    types = {t for (y, t) in counts if y in (year, baseline_year)}
    names = _names(DocType, types)
    by_type = []
    for t in types:
        now = counts.get((year, t), 0)
        before = counts.get((baseline_year, t), 0) if baseline_year else None
        by_type.append({"key": t, "label": names.get(t, str(t)), "baseline": before, "outgoing": now,
                        "change_pct": _change(now, before) if before is not None else None,
                        "grew": before is not None and now > before})
    by_type.sort(key=lambda r: (-r["outgoing"], r["label"]))
    if totals is None:  # `totals`: the year's, when the caller has them (`_totals` of the same year)
        totals = _totals(user, date(year, 1, 1), date(year, 12, 31))
    electronic = totals["electronic_outgoing"]
    return {"year": year, "baseline_year": baseline_year, "baseline_outgoing": baseline, "outgoing": outgoing,
            "change_pct": change, "target_pct": target,
            "on_track": None if target is None or change is None else change <= -target,
            "by_type": by_type, "electronic_share_pct": _pct(electronic, outgoing),
            "trend": [{"year": y, "outgoing": per_year.get(y, 0)} for y in range(year - 4, year + 1)]}


# ---- drill-down --------------------------------------------------------------------------------

DRILL_FILTERS = ("doc_type_id", "unit_id", "user_id", "medium", "register_id", "issuer_id", "channel")


def drilldown(user, figure: str, period: Period, **filters):
    """select(Document) of the visible documents a figure counts (newest first), for registry/lists.py.
    Figures: incoming, outgoing (volume), assigned, completed_on_time, completed_late, open,
    overdue_open (handling), carried_over, received, completed, in_progress, overdue (period report).
    Filters (a value None means "the group with no value", e.g. unit_id=None: not assigned): doc_type_id,
    unit_id, user_id, medium, register_id, issuer_id, channel (outgoing only)."""
    if figure not in FIGURES:
        raise ValidationFailed({"figure": [_("Unknown figure.")]})
    unknown = set(filters) - set(DRILL_FILTERS)
    if unknown:
        raise ValidationFailed({sorted(unknown)[0]: [_("Unknown filter.")]})
    start, end = period.start, period.end
    stmt = sa.select(Document)
    if figure == "outgoing":
        stmt = stmt.where(*_outgoing_where(user, start, end))
        order = [Document.issued_date.desc(), Document.id.desc()]
    else:
        order = [Document.received_date.desc(), Document.id.desc()]
        stmt = stmt.outerjoin(StatHandling, StatHandling.document_id == Document.id)
        if figure in ("incoming", "assigned", "completed_on_time", "completed_late", "open", "overdue_open"):
            stmt = stmt.where(*_incoming_where(user, start, end))
            if figure != "incoming":
                completed = sa.and_(Document.status == "completed", StatHandling.completed_on.is_not(None))
                cond = {
                    "assigned": Document.status.in_(("assigned", "completed")),
                    "completed_on_time": sa.and_(completed, sa.or_(Document.due_date.is_(None),
                                                                   StatHandling.completed_on <= Document.due_date)),
                    "completed_late": sa.and_(completed, Document.due_date.is_not(None),
                                              StatHandling.completed_on > Document.due_date),
                    "open": Document.status == "assigned",
                    "overdue_open": sa.and_(Document.status == "assigned", Document.due_date < today()),
                }[figure]
                stmt = stmt.where(cond)
        else:
            conds = _period_conditions(period)
            stmt = stmt.where(*_incoming_where(user, None, end), *_period_scope(period), conds[figure])
    for name, value in filters.items():
        stmt = _drill_filter(stmt, figure, name, value)
    return stmt.order_by(*order)


def _drill_filter(stmt, figure: str, name: str, value):
    outgoing = figure == "outgoing"
    if name == "doc_type_id":
        return stmt.where(Document.doc_type_id.is_(None) if value is None else Document.doc_type_id == value)
    if name == "register_id":
        return stmt.where(Document.register_id.is_(None) if value is None else Document.register_id == value)
    if name == "medium":
        return stmt.where(Document.medium == value)
    if name == "issuer_id":
        if outgoing:
            return stmt.where(sa.false())
        return stmt.where(Document.sender_org_id.is_(None) if value is None else Document.sender_org_id == value)
    if name == "channel":
        if not outgoing:
            return stmt.where(sa.false())
        sent = sa.select(Recipient.document_id).where(Recipient.channel.is_not(None))
        if value is None:
            return stmt.where(Document.id.not_in(sent))
        return stmt.where(Document.id.in_(sent.where(Recipient.channel == value)))
    if name == "unit_id":
        if outgoing:
            col = OutgoingDocument.drafting_unit_id
            return stmt.where(col.is_(None) if value is None else col == value)
        primary = sa.select(Participant.document_id).where(Participant.role == "primary")
        if value is None:  # the "not assigned" group: no primary handler, or one without a unit
            return stmt.where(sa.or_(Document.id.not_in(primary),
                                     Document.id.in_(primary.where(Participant.unit_id.is_(None)))))
        return stmt.where(Document.id.in_(primary.where(Participant.unit_id == value)))
    if name == "user_id":
        return stmt.where(Document.id.in_(sa.select(Participant.document_id).where(
            Participant.role == "primary", Participant.user_id == value)))
    return stmt


# ---- dashboards --------------------------------------------------------------------------------

def dashboard(user, period: Period) -> dict:
    """What the role dashboards show, by the user's roles (a user with several roles gets each section):

    - "period": Period.as_dict();  "sections": the names present, in the order to show them.
    - "office" (leader, admin): {"volume": volume(month), "handling": handling(), "by_unit": handling_by(unit),
      "directive10": directive10(period.year)} — office-wide, within the viewer's clearance.
    - "unit" (unit head with a unit): {"unit_id", "unit", "handling": handling(unit_id=their unit),
      "by_person": handling_by(person) of people of their unit, "volume": volume(month)} — what they may see.
    - "mine" (specialist): {"handling": handling(user_id=them), "open": open assignments count,
      "overdue_open": overdue count}.
    - "clerk" (clerk): {"volume": volume(month), "by_medium": volume(medium), "by_channel": volume(channel),
      "to_issue": approved drafts waiting for a number, "to_dispatch": issued documents not dispatched}.
    - "archive" (archivist): {"volume": volume(month), "placeholder": True} — issue 7/9 adds the archive's counts.
    """
    roles = set(user.roles) if getattr(user, "is_authenticated", False) else set()
    sections: dict = {}
    months: list = []

    def by_month():  # the same figures in every section: counted once
        if not months:
            months.append(volume(user, period, "month"))
        return months[0]

    if roles & {"leader", "admin"}:
        year = by_month()["totals"] if period.kind == "year" else None  # the year's totals, counted once
        sections["office"] = {"volume": by_month(), "handling": handling(user, period),
                              "by_unit": handling_by(user, period, "unit", days=False),
                              "directive10": directive10(user, period.year, totals=year)}
    if "unit_head" in roles and user.unit_id is not None:
        unit = db.session.get(Unit, user.unit_id)
        people = set(db.session.scalars(sa.select(User.id).where(User.unit_id == user.unit_id)))
        sections["unit"] = {"unit_id": user.unit_id, "unit": unit.name if unit else None,
                            "handling": handling(user, period, unit_id=user.unit_id),
                            "by_person": [r for r in handling_by(user, period, "person", days=False)
                                          if r["key"] in people],
                            "volume": by_month()}
    if "specialist" in roles:
        mine = handling(user, period, user_id=user.id)
        sections["mine"] = {"handling": mine, "open": mine["open"], "overdue_open": mine["overdue_open"]}
    if "clerk" in roles:
        totals = by_month()["totals"]
        sections["clerk"] = {"volume": by_month(), "by_medium": volume(user, period, "medium", totals=totals),
                             "by_channel": volume(user, period, "channel", totals=totals), **_clerk_queues(user)}
    if "archivist" in roles:
        sections["archive"] = {"volume": by_month(), "placeholder": True}
    return {"period": period.as_dict(), "sections": list(sections), **sections}


def _clerk_queues(user) -> dict:
    visible = visible_filter(user, "outgoing")
    to_issue = db.session.scalar(sa.select(sa.func.count(Document.id)).where(
        Document.direction == "outgoing", Document.status == "approved", visible)) or 0
    sent = sa.select(Recipient.document_id).where(Recipient.channel.is_not(None))
    to_dispatch = db.session.scalar(sa.select(sa.func.count(Document.id)).where(
        Document.direction == "outgoing", Document.status == "issued", visible, Document.id.not_in(sent))) or 0
    return {"to_issue": int(to_issue), "to_dispatch": int(to_dispatch)}
