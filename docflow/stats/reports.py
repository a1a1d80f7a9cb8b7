"""The statistics tables, built once from the service's figures (stats/service.py) for a page and for
its CSV/XLSX downloads alike, and the three reports (Decree 30 App. VI §V: the report on incoming
handling and on outgoing handling; the periodic handling report) made of them.

Every figure cell carries its drill-down (`{"figure": ..., filters}`): the page links it to
/stats/documents, which lists exactly the documents `service.drilldown()` says the figure counts.
A filter whose group has no value (a letter not yet directed, a document without a register) is
written "none" in the link.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from docflow.auth.models import User
from docflow.core import settings
from docflow.extensions import db
from docflow.registry.access import OFFICE_WIDE_ROLES
from docflow.registry.models import Document
from docflow.stats import service
from docflow.stats.exports import Column, Row, Table
from docflow.stats.forms import period_params
from docflow.stats.service import Period

#: issuers shown by name on the volume page; the rest are one "other senders" line
TOP_ISSUERS = 10
#: years of the electronic-share and Directive-10 trends
TREND_YEARS = 5
NONE = "none"
#: the drill-down's issuer_id for "the other senders" (those outside the top issuers)
OTHER = "other"

#: the drill-down filter of each volume grouping
GROUP_FILTER = {"doc_type": "doc_type_id", "issuer": "issuer_id", "unit": "unit_id", "register": "register_id",
                "medium": "medium", "channel": "channel"}


def _link_value(key):
    return NONE if key is None else key


def _params(period: Period) -> dict:
    return period_params(period)


def _drill(figure: str, period: Period | None = None, **filters) -> dict:
    """A figure's drill-down parameters; `period` when it differs from the table's (a month's row)."""
    link = {"figure": figure, **{k: _link_value(v) for k, v in filters.items()}}
    if period is not None:
        link.update({"year": period.year, "quarter": period.quarter or "", "month": period.month or ""})
    return link


# ---- volume ------------------------------------------------------------------------------------

def group_title(group_by: str) -> str:
    return {"month": _("By month"), "quarter": _("By quarter"), "doc_type": _("By document type"),
            "issuer": _("By issuer (top %(n)s)", n=TOP_ISSUERS), "unit": _("By unit"),
            "register": _("By register"), "medium": _("Paper and electronic"),
            "channel": _("By dispatch channel")}[group_by]


def volume_table(user, period: Period, group_by: str, *, directions=("incoming", "outgoing"),
                 name: str | None = None, data: dict | None = None, totals: dict | None = None) -> Table:
    """Documents received and issued in the period, one row per group, and the period's total (each
    document once: with a letter handled by two units, the units' rows add up to more). `totals`: the
    period's totals when the caller has them (service.volume's), for this viewer and period."""
    if group_by == "issuer":
        directions = ("incoming",)
    if group_by == "channel":
        directions = ("outgoing",)
    data = data or service.volume(user, period, group_by, limit=TOP_ISSUERS if group_by == "issuer" else None,
                                  totals=totals)
    label = {"month": _("Month"), "quarter": _("Quarter"), "doc_type": _("Document type"), "issuer": _("Issuer"),
             "unit": _("Unit"), "register": _("Register"), "medium": _("Medium"),
             "channel": _("Dispatch channel")}[group_by]
    heads = {"incoming": _("Received"), "outgoing": _("Issued documents")}
    columns = [Column("label", label, numeric=False)] + [Column(d, heads[d]) for d in directions]
    rows = []
    for g in data["groups"]:
        links = [None]
        for d in directions:
            if group_by in ("month", "quarter"):
                sub = Period(period.year, month=g["key"]) if group_by == "month" else Period(period.year,
                                                                                          quarter=g["key"])
                links.append(_drill(d, sub))
            elif group_by == "issuer" and g["key"] == "other":
                links.append(_drill(d, issuer_id=OTHER))  # the senders outside the top N (other_issuers)
            else:
                links.append(_drill(d, **{GROUP_FILTER[group_by]: g["key"]}))
        rows.append(Row([g["label"], *(g[d] for d in directions)], links))
    totals = data["totals"]
    rows.append(Row([_("Total"), *(totals[d] for d in directions)], [None, *(_drill(d) for d in directions)],
                    total=True))
    note = _("A document sent by several channels counts once under each.") if group_by == "channel" else (
        _("A letter handled by several units counts under each; the total counts it once.")
        if group_by == "unit" else "")
    return Table(name or f"volume-{group_by}", f"{_('Documents received and issued')} – {group_title(group_by)}"
                 if group_by != "channel" else f"{_('Documents issued')} – {group_title(group_by)}",
                 period.label, columns, rows, _params(period), note)


def other_issuers(user, figure: str, period: Period, **filters):
    """The drill-down of the volume page's "other senders" line, which service.drilldown() cannot name (it
    filters one issuer at a time): the figure's documents whose sender is none of the top issuers
    service.volume() names for this viewer and period (a sender not in the list included, as there)."""
    groups = service.volume(user, period, "issuer", limit=TOP_ISSUERS)["groups"]
    named = [g["key"] for g in groups if g["key"] not in (OTHER, None)]
    stmt = service.drilldown(user, figure, period, **filters)
    return stmt.where(sa.or_(Document.sender_org_id.is_(None), Document.sender_org_id.not_in(named))
                      if named else sa.true())


def electronic_table(user, period: Period) -> Table:
    data = service.electronic_share(user, TREND_YEARS, until_year=period.year)
    columns = [Column("year", _("Year"), numeric=False), Column("incoming", _("Received")),
               Column("electronic_incoming", _("Received electronically")), Column("outgoing", _("Issued documents")),
               Column("electronic_outgoing", _("Issued electronically")),
               Column("share_pct", _("Electronic share (%)"), percent=True)]
    rows = []
    for r in data:
        p = Period(r["year"])
        rows.append(Row([str(r["year"]), r["incoming"], r["electronic_incoming"], r["outgoing"],
                         r["electronic_outgoing"], r["share_pct"]],
                        [None, _drill("incoming", p), _drill("incoming", p, medium="electronic"),
                         _drill("outgoing", p), _drill("outgoing", p, medium="electronic"), None]))
    return Table("electronic-share", _("Electronic share of the documents"),
                 _("%(a)s–%(b)s", a=data[0]["year"], b=data[-1]["year"]) if data else period.label,
                 columns, rows, _params(period))


# ---- handling ----------------------------------------------------------------------------------

HANDLING_FIELDS = ("assigned", "completed_on_time", "completed_late", "open", "overdue_open")


def handling_columns(first: Column) -> list[Column]:
    return [first, Column("assigned", _("Assigned")), Column("completed_on_time", _("Completed on time")),
            Column("completed_late", _("Completed late")), Column("open", _("In progress")),
            Column("overdue_open", _("Overdue")), Column("on_time_rate", _("On-time rate (%)"), percent=True),
            Column("avg_days", _("Average (working days)")), Column("median_days", _("Median (working days)"))]


def _handling_cells(r: dict) -> list:
    return [*(r[f] for f in HANDLING_FIELDS), r["on_time_rate"], r["avg_days"], r["median_days"]]


def handling_table(user, period: Period, data: dict | None = None) -> Table:
    r = data or service.handling(user, period)
    row = Row([_("Incoming letters received in the period"), *_handling_cells(r)],
              [None, *(_drill(f) for f in HANDLING_FIELDS), None, None, None], total=True)
    return Table("handling", _("Handling of incoming letters"), period.label,
                 handling_columns(Column("label", _("Letters"), numeric=False)), [row], _params(period),
                 _("Of the letters received in the period; handling time from arrival to completion, weekends "
                   "and holidays skipped."))


def people_shown(user, rows: list[dict]) -> list[dict]:
    """The per-person lines a viewer's page shows: everyone for the office-wide roles, the people of
    their unit for a unit head, their own line for anyone else (a colleague's record is not theirs to
    read, even when a shared letter is)."""
    if user.has_role(*OFFICE_WIDE_ROLES):
        return rows
    if user.has_role("unit_head") and user.unit_id is not None:
        ids = set(db.session.scalars(sa.select(User.id).where(User.unit_id == user.unit_id)))
        return [r for r in rows if r["key"] in ids or r["key"] == user.id]
    return [r for r in rows if r["key"] == user.id]


def handling_by_table(user, period: Period, by: str) -> Table:
    rows_data = service.handling_by(user, period, by)
    if by == "person":
        rows_data = people_shown(user, rows_data)
    key = "unit_id" if by == "unit" else "user_id"
    rows = [Row([r["label"], *_handling_cells(r)],
                [None, *(_drill(f, **{key: r["key"]}) for f in HANDLING_FIELDS), None, None, None])
            for r in rows_data]
    first = Column("label", _("Unit") if by == "unit" else _("Handler"), numeric=False)
    title = _("Handling by unit") if by == "unit" else _("Handling by person")
    return Table(f"handling-{by}", title, period.label, handling_columns(first), rows, _params(period),
                 _("The unit or person handling as primary (chủ trì).") if by == "unit" else "")


PERIOD_COLUMNS = ("carried_over", "received", "completed", "completed_on_time", "completed_late", "in_progress",
                  "overdue")


def period_report_table(user, period: Period) -> Table:
    data = service.period_report(user, period)
    columns = [Column("label", _("Unit"), numeric=False), Column("carried_over", _("Carried over")),
               Column("received", _("Received")), Column("completed", _("Completed")),
               Column("completed_on_time", _("of which on time")), Column("completed_late", _("of which late")),
               Column("in_progress", _("In progress")), Column("overdue", _("of which overdue"))]
    rows = []
    for r in data:
        total = r["key"] == "total"
        filters = {} if total else {"unit_id": r["key"]}
        rows.append(Row([r["label"], *(r[f] for f in PERIOD_COLUMNS)],
                        [None, *(_drill(f, **filters) for f in PERIOD_COLUMNS)], total=total))
    return Table("period-report", _("Incoming letters handled in the period, by unit"), period.label, columns, rows,
                 _params(period),
                 _("Carried over: received before the period and not completed before it. In progress: not "
                   "completed at the end of the period; overdue: of those, past their deadline."))


# ---- Directive 10 ------------------------------------------------------------------------------

def directive10_types_table(user, period: Period, data: dict | None = None) -> Table:
    d = data or service.directive10(user, period.year)
    base = d["baseline_year"]
    columns = [Column("label", _("Document type"), numeric=False),
               Column("baseline", _("Baseline year %(year)s", year=base) if base else _("Baseline year")),
               Column("outgoing", _("Year %(year)s", year=d["year"])),
               Column("change_pct", _("Change (%)"), percent=True)]
    rows = []
    for r in d["by_type"]:
        rows.append(Row([r["label"], r["baseline"], r["outgoing"], r["change_pct"]],
                        [None, _drill("outgoing", Period(base), doc_type_id=r["key"]) if base else None,
                         _drill("outgoing", Period(d["year"]), doc_type_id=r["key"]), None],
                        highlight=bool(r["grew"])))
    rows.append(Row([_("Total"), d["baseline_outgoing"], d["outgoing"], d["change_pct"]],
                    [None, _drill("outgoing", Period(base)) if base else None, _drill("outgoing", Period(d["year"])),
                     None], total=True))
    return Table("directive10-types", _("Documents issued by type, against the baseline year"),
                 _("Year %(year)s", year=d["year"]), columns, rows, {"year": d["year"]},
                 _("Highlighted: the types that grew."))


def directive10_trend_table(user, period: Period, data: dict | None = None) -> Table:
    d = data or service.directive10(user, period.year)
    columns = [Column("year", _("Year"), numeric=False), Column("outgoing", _("Issued documents"))]
    rows = [Row([str(t["year"]), t["outgoing"]], [None, _drill("outgoing", Period(t["year"]))])
            for t in d["trend"]]
    return Table("directive10-trend", _("Documents issued over five years"),
                 _("%(a)s–%(b)s", a=d["trend"][0]["year"], b=d["trend"][-1]["year"]) if d["trend"] else "",
                 columns, rows, {"year": d["year"]})


# ---- every table by name (the downloads) ---------------------------------------------------------

def _volume_builder(group_by: str, directions=("incoming", "outgoing")):
    return lambda user, period: volume_table(user, period, group_by, directions=directions)


BUILDERS = {
    **{f"volume-{g}": _volume_builder(g) for g in service.GROUPS},
    # the reports' one-direction tables (their downloads hold that column only)
    "incoming-month": _volume_builder("month", ("incoming",)),
    **{f"outgoing-{g}": _volume_builder(g, ("outgoing",)) for g in ("month", "doc_type", "unit", "medium",
                                                                     "channel")},
    "electronic-share": electronic_table,
    "handling": handling_table,
    "handling-unit": lambda user, period: handling_by_table(user, period, "unit"),
    "handling-person": lambda user, period: handling_by_table(user, period, "person"),
    "period-report": period_report_table,
    "directive10-types": directive10_types_table,
    "directive10-trend": directive10_trend_table,
}


def build(name: str, user, period: Period) -> Table | None:
    builder = BUILDERS.get(name)
    if builder is None:
        return None
    table = builder(user, period)
    table.name = name
    return table


# ---- the reports ---------------------------------------------------------------------------------

@dataclass
class Report:
    kind: str
    title: str
    period: Period
    agency: str
    tables: list[Table]
    #: the headline figures: [(label, value, drill-down or None)]
    figures: list


REPORT_KINDS = ("incoming", "outgoing", "periodic")


def report_title(kind: str) -> str:
    return {"incoming": _("Report on the handling of incoming documents"),
            "outgoing": _("Report on the handling of outgoing documents"),
            "periodic": _("Periodic report on document handling")}[kind]


def build_report(kind: str, user, period: Period) -> Report:
    agency = settings.agency().get("name") or ""
    if kind == "incoming":
        h = service.handling(user, period)
        volume = service.volume(user, period, "month")
        tables = [volume_table(user, period, "month", directions=("incoming",), data=volume, name="incoming-month"),
                  handling_table(user, period, h), handling_by_table(user, period, "unit"),
                  handling_by_table(user, period, "person"), volume_table(user, period, "issuer")]
        figures = [(_("Received"), volume["totals"]["incoming"], _drill("incoming")),
                   (_("Received electronically"), volume["totals"]["electronic_incoming"],
                    _drill("incoming", medium="electronic")),
                   (_("Completed on time"), h["completed_on_time"], _drill("completed_on_time")),
                   (_("Completed late"), h["completed_late"], _drill("completed_late")),
                   (_("Overdue"), h["overdue_open"], _drill("overdue_open")),
                   (_("On-time rate (%)"), h["on_time_rate"], None)]
    elif kind == "outgoing":
        volume = service.volume(user, period, "month")
        tables = [volume_table(user, period, g, directions=("outgoing",), name=f"outgoing-{g}",
                               data=volume if g == "month" else None)
                  for g in ("month", "doc_type", "unit", "medium", "channel")]
        figures = [(_("Issued documents"), volume["totals"]["outgoing"], _drill("outgoing")),
                   (_("Issued electronically"), volume["totals"]["electronic_outgoing"],
                    _drill("outgoing", medium="electronic"))]
    elif kind == "periodic":
        h = service.handling(user, period)
        volume = service.volume(user, period, "month")
        tables = [period_report_table(user, period), handling_table(user, period, h),
                  volume_table(user, period, "doc_type")]
        rows = {r["key"]: r for r in service.period_report(user, period)}
        total = rows.get("total", {})
        figures = [(_("Carried over"), total.get("carried_over", 0), _drill("carried_over")),
                   (_("Received"), total.get("received", 0), _drill("received")),
                   (_("Completed"), total.get("completed", 0), _drill("completed")),
                   (_("In progress"), total.get("in_progress", 0), _drill("in_progress")),
                   (_("Overdue"), total.get("overdue", 0), _drill("overdue")),
                   (_("Issued documents"), volume["totals"]["outgoing"], _drill("outgoing"))]
    else:
        raise KeyError(kind)
    return Report(kind, report_title(kind), period, agency, tables, figures)
