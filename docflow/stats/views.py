"""/stats/: the statistics pages (volume, handling, Directive 10, the reports), every table's CSV and
XLSX, and the drill-down from a figure to the documents behind it.

The pages are thin: the service (stats/service.py) counts, within what the viewer may see
(registry/access.py); stats/reports.py turns its figures into the tables a page and its downloads
share; stats/charts.py draws them. A bad period or filter is a field error on the page, never a 500.
"""

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from docflow.auth.models import Unit, User
from docflow.core import settings
from docflow.core.enums import DIRECTION_LABELS, MEDIA
from docflow.core.errors import ValidationFailed
from docflow.core.permissions import role_required
from docflow.core.timeutil import today
from docflow.core.views import saving
from docflow.extensions import db
from docflow.registry import lists
from docflow.registry.models import DocType, Organization, Register
from docflow.stats import charts, exports, reports, service
from docflow.stats.forms import Directive10SettingsForm, PeriodForm, YearForm, period_params
from docflow.stats.service import Period

bp = Blueprint("stats", __name__, url_prefix="/stats")

DRILL_PER_PAGE = 50
STATUS_LABELS = {
    "registered": _l("Registered"), "submitted": _l("Presented"), "assigned": _l("Assigned"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "draft": _l("Draft"), "in_review": _l("In review"),
    "returned": _l("Returned for revision"), "approved": _l("Approved, to issue"), "rejected": _l("Rejected"),
    "issued": _l("Issued"),
}
FIGURE_LABELS = {
    "incoming": _l("Received"), "outgoing": _l("Issued documents"), "assigned": _l("Assigned"),
    "completed_on_time": _l("Completed on time"), "completed_late": _l("Completed late"),
    "open": _l("In progress"), "overdue_open": _l("Overdue"), "carried_over": _l("Carried over"),
    "received": _l("Received"), "completed": _l("Completed"), "in_progress": _l("In progress"),
    "overdue": _l("Overdue (in progress past the deadline)"),
}
ID_FILTERS = ("doc_type_id", "unit_id", "user_id", "register_id", "issuer_id")


@bp.app_template_global()
def stats_drill_url(params: dict, link: dict | None) -> str | None:
    """The drill-down page of a figure: the table's period, then the figure's own period and filters."""
    if not link:
        return None
    query = {k: v for k, v in {**params, **link}.items() if v not in (None, "")}
    if "_stats_documents_url" not in g:  # a page links a few hundred figures: the route's URL built once
        g._stats_documents_url = url_for("stats.documents")
    return g._stats_documents_url + "?" + urlencode(query)


@bp.app_template_global()
def stats_number(value) -> str:
    """A figure as the pages show it (thousands separated in the page's language; "–" for none)."""
    return charts.number(value)


@bp.app_template_global()
def stats_volume_chart(volume: dict, chart_id: str) -> charts.Markup:
    """Received and issued per month of a service.volume(..., "month") result (the role dashboards)."""
    groups = volume["groups"]
    return charts.bar_chart(_("Documents received and issued – %(period)s", period=volume["period"]["label"]),
                            [g["label"] for g in groups],
                            [charts.Series(_("Received"), [g["incoming"] for g in groups]),
                             charts.Series(_("Issued documents"), [g["outgoing"] for g in groups])],
                            chart_id=chart_id, height=240)


def _tabs() -> list[tuple[str, str]]:
    return [("stats.volume", _("Volume")), ("stats.handling", _("Handling")),
            ("stats.directive10", _("Directive 10")), ("stats.reports_index", _("Reports"))]


def _render(template: str, **context):
    return render_template(template, tabs=_tabs(), today=today(), **context)


def _period_or_errors():
    form = PeriodForm(request.args)
    return form, form.period()


def _downloads(table: exports.Table) -> dict:
    query = urlencode(table.params)
    return {"csv": url_for("stats.table_csv", name=table.name) + ("?" + query if query else ""),
            "xlsx": url_for("stats.table_xlsx", name=table.name) + ("?" + query if query else "")}


#: the figures whose colour says something: on time green, late orange, overdue red (not the palette's order,
#: which drew the overdue ones green)
SERIES_COLORS = {"completed_on_time": "#198754", "completed_late": "#fd7e14", "overdue_open": "#dc3545"}


def _series(table: exports.Table, keys: list[str]) -> tuple[list[str], list[charts.Series]]:
    """A table's lines (its total aside) as a chart's categories and series."""
    index = {c.key: i for i, c in enumerate(table.columns)}
    rows = [r for r in table.rows if not r.total]
    categories = [str(r.cells[0]) for r in rows]
    series = [charts.Series(str(table.columns[index[k]].label), [r.cells[index[k]] for r in rows],
                            SERIES_COLORS.get(k))
              for k in keys if k in index]
    return categories, series


def chart_of(table: exports.Table, keys: list[str], kind: str = "bar", *, limit: int | None = 12,
             title: str | None = None, percent: bool = False) -> charts.Markup | None:
    """The chart beside a table (None for a table with no line)."""
    categories, series = _series(table, keys)
    if not categories or not series:
        return None
    title = title or f"{table.title} ({table.subtitle})"
    if limit is not None and len(categories) > limit:  # the table beside it has every line
        categories = categories[:limit]
        series = [charts.Series(s.name, list(s.values)[:limit], s.color) for s in series]
        title += " – " + _("the first %(n)s lines of the table", n=limit)
    chart_id = "chart-" + table.name
    if kind == "hbar":
        return charts.hbar_chart(title, categories, series, chart_id=chart_id)
    if kind == "line":
        return charts.line_chart(title, categories, series, percent=percent, unit="%" if percent else "",
                                 chart_id=chart_id)
    return charts.bar_chart(title, categories, series, chart_id=chart_id)


def _section(table: exports.Table, chart=None) -> dict:
    return {"table": table, "chart": chart, "downloads": _downloads(table)}


# ---- the pages -----------------------------------------------------------------------------------

@bp.route("/")
@login_required
def volume():
    """Documents received and issued in a period: by month (and quarter), type, issuer, unit, register,
    medium and dispatch channel, and the electronic share over five years."""
    form, period = _period_or_errors()
    if period is None:
        return _render("stats/volume.html", form=form, period=None, sections=[], totals=None)
    data = service.volume(current_user, period, "month")
    by_month = reports.volume_table(current_user, period, "month", data=data)
    sections = [_section(by_month, chart_of(by_month, ["incoming", "outgoing"], limit=None))]
    if period.kind == "year":
        by_quarter = reports.volume_table(current_user, period, "quarter", totals=data["totals"])
        sections.append(_section(by_quarter, chart_of(by_quarter, ["incoming", "outgoing"])))
    for group in ("doc_type", "issuer", "unit", "register", "medium", "channel"):
        table = reports.volume_table(current_user, period, group, totals=data["totals"])
        keys = [c.key for c in table.columns if c.numeric]
        sections.append(_section(table, chart_of(table, keys, "hbar" if group in ("doc_type", "issuer", "unit",
                                                                                   "register") else "bar")))
    share = reports.electronic_table(current_user, period)
    sections.append(_section(share, chart_of(share, ["share_pct"], "line", percent=True,
                                             title=_("Electronic share of the documents (%)"))))
    totals = data["totals"]
    both = totals["incoming"] + totals["outgoing"]
    share_now = None if not both else round(100.0 * (totals["electronic_incoming"] + totals["electronic_outgoing"])
                                            / both, 1)
    return _render("stats/volume.html", form=form, period=period, sections=sections, totals=totals,
                   share_now=share_now, params=period_params(period))


@bp.route("/handling")
@login_required
def handling():
    """Handling of incoming letters: assigned, on time, late, open, overdue, on-time rate, average and
    median working days; by unit and by person; the period report per unit."""
    form, period = _period_or_errors()
    if period is None:
        return _render("stats/handling.html", form=form, period=None, sections=[], summary=None)
    summary = service.handling(current_user, period)
    overall = reports.handling_table(current_user, period, summary)
    by_unit = reports.handling_by_table(current_user, period, "unit")
    by_person = reports.handling_by_table(current_user, period, "person")
    report = reports.period_report_table(current_user, period)
    sections = [
        _section(by_unit, chart_of(by_unit, ["completed_on_time", "completed_late", "overdue_open"], "hbar")),
        _section(by_person, chart_of(by_person, ["completed_on_time", "completed_late", "overdue_open"], "hbar")),
        _section(report, chart_of(report, ["received", "completed", "in_progress"], "hbar")),
    ]
    return _render("stats/handling.html", form=form, period=period, summary=summary, overall=_section(overall),
                   sections=sections, params=period_params(period))


@bp.route("/directive10")
@login_required
def directive10():
    """Directive 10/2006/CT-TTg: documents issued this year against the baseline year, the change, the
    target's verdict, the types that grew, the electronic share and a five-year trend."""
    form = YearForm(request.args)
    year = form.chosen_year()
    settings_form = None
    if current_user.has_role("admin"):
        conf = service.directive10_settings()
        settings_form = Directive10SettingsForm(formdata=None, data={
            "baseline_year": conf["baseline_year"] if conf["baseline_year"] is not None else "",
            "target_pct": _pct_text(conf["target_pct"])})
    return _directive10_page(form, year, settings_form)


def _pct_text(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _directive10_page(form, year, settings_form, status: int = 200):
    if year is None:
        return _render("stats/directive10.html", form=form, data=None, sections=[],
                       settings_form=settings_form), status
    data = service.directive10(current_user, year)
    period = Period(year)
    types = reports.directive10_types_table(current_user, period, data)
    trend = reports.directive10_trend_table(current_user, period, data)
    type_keys = ["baseline", "outgoing"] if data["baseline_year"] else ["outgoing"]
    sections = [_section(types, chart_of(types, type_keys, "hbar")),
                _section(trend, chart_of(trend, ["outgoing"], "line", limit=None))]
    return _render("stats/directive10.html", form=form, data=data, sections=sections, settings_form=settings_form,
                   params={"year": year}), status


@bp.route("/directive10/settings", methods=["POST"])
@role_required("admin")
def directive10_settings():
    """The administrator's baseline year and reduction target, saved through the service (audited)."""
    settings_form = Directive10SettingsForm()
    values = settings_form.values()
    if values is not None:
        with saving(settings_form) as outcome:
            service.save_directive10_settings(values[0], values[1], actor=current_user)
        if outcome.ok:
            flash(_("Directive 10 settings saved."), "success")
            return redirect(url_for("stats.directive10"))
    year = today().year
    return _directive10_page(YearForm(formdata=None, data={"year": str(year)}), year, settings_form)


@bp.route("/reports/")
@login_required
def reports_index():
    return redirect(url_for("stats.report", kind="incoming", **request.args.to_dict()))


@bp.route("/reports/<kind>")
@login_required
def report(kind: str):
    """Decree 30 App. VI: the report on incoming handling, on outgoing handling; the periodic report.
    Printable (the browser's print command) and as XLSX."""
    if kind not in reports.REPORT_KINDS:
        abort(404)
    form, period = _period_or_errors()
    if period is None:
        return _render("stats/report.html", form=form, period=None, kind=kind, report=None, sections=[],
                       kinds=_report_kinds())
    rep = reports.build_report(kind, current_user, period)
    sections = [_section(t) for t in rep.tables]
    xlsx = url_for("stats.report_xlsx", kind=kind, **period_params(period))
    return _render("stats/report.html", form=form, period=period, kind=kind, report=rep, sections=sections,
                   kinds=_report_kinds(), xlsx_url=xlsx, params=period_params(period))


def _report_kinds() -> list[tuple[str, str]]:
    return [(k, reports.report_title(k)) for k in reports.REPORT_KINDS]


@bp.route("/reports/<kind>.xlsx")
@login_required
def report_xlsx(kind: str):
    if kind not in reports.REPORT_KINDS:
        abort(404)
    form, period = _period_or_errors()
    if period is None:
        raise _refusal(form)
    rep = reports.build_report(kind, current_user, period)
    data = exports.to_xlsx(rep.tables, title=rep.title, agency=rep.agency, subtitle=period.label, one_sheet=True)
    return exports.xlsx_response(data, f"bao-cao-{kind}-{period.year}"
                                 + (f"-q{period.quarter}" if period.quarter else "")
                                 + (f"-{period.month:02d}" if period.month else ""))


def _refusal(form) -> ValidationFailed:
    """A download's bad period as a 422 naming the fields (the page shows the same errors on its form)."""
    errors = {f.name: list(f.errors) for f in form if f.errors}
    if form.form_errors:
        errors["_schema"] = list(form.form_errors)
    return ValidationFailed(errors or {"year": [_("Choose a year, a quarter or a month.")]})


# ---- every table as CSV and XLSX ---------------------------------------------------------------

def _table_or_404(name: str) -> exports.Table:
    if name not in reports.BUILDERS:
        abort(404)
    if name.startswith("directive10-"):
        form = YearForm(request.args)
        year = form.chosen_year()
        if year is None:
            raise _refusal(form)
        period = Period(year)
    else:
        form, period = _period_or_errors()
        if period is None:
            raise _refusal(form)
    return reports.build(name, current_user, period)


@bp.route("/table/<name>.csv")
@login_required
def table_csv(name: str):
    return exports.csv_response(_table_or_404(name))


@bp.route("/table/<name>.xlsx")
@login_required
def table_xlsx(name: str):
    table = _table_or_404(name)
    agency = settings.agency().get("name") or ""
    return exports.xlsx_response(exports.to_xlsx([table], title=table.title, agency=agency,
                                                 subtitle=table.subtitle, one_sheet=True), table.name)


# ---- drill-down ------------------------------------------------------------------------------------

def _drill_filters(args) -> tuple[dict, dict]:
    """The drill-down's filters from the query string, and field errors for the bad ones."""
    filters, errors = {}, {}
    for name in ID_FILTERS:
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        if name == "issuer_id" and raw == reports.OTHER:
            filters[name] = reports.OTHER
        elif raw == reports.NONE:
            filters[name] = None
        elif raw.isdigit() and len(raw) <= 10 and int(raw) <= 2_147_483_647:
            filters[name] = int(raw)
        else:
            errors[name] = [_("Not a valid choice.")]
    medium = (args.get("medium") or "").strip()
    if medium:
        if medium in MEDIA:
            filters["medium"] = medium
        else:
            errors["medium"] = [_("Not a valid choice.")]
    channel = (args.get("channel") or "").strip()
    if channel:
        if channel == reports.NONE:
            filters["channel"] = None
        elif channel in service.CHANNELS:
            filters["channel"] = channel
        else:
            errors["channel"] = [_("Not a valid choice.")]
    return filters, errors


@bp.route("/documents")
@login_required
def documents():
    """The documents a figure counts (service.drilldown), within what the viewer may see, 50 a page."""
    form, period = _period_or_errors()
    figure = (request.args.get("figure") or "").strip()
    errors = {}
    if figure not in service.FIGURES:
        errors["figure"] = [_("Choose a figure from a statistics table.")]
    filters, filter_errors = _drill_filters(request.args)
    errors.update(filter_errors)
    page = None
    if period is not None and not errors:
        if filters.get("issuer_id") == reports.OTHER:
            rest = {k: v for k, v in filters.items() if k != "issuer_id"}
            stmt = reports.other_issuers(current_user, figure, period, **rest)
        else:
            stmt = service.drilldown(current_user, figure, period, **filters)
        number = request.args.get("page", "1")
        number = int(number) if number.isdigit() and len(number) <= 6 else 1
        page = lists.paginate(stmt, page=number, per_page=DRILL_PER_PAGE)
    keep = {**(period_params(period) if period else {}), "figure": figure,
            **{k: (reports.NONE if v is None else v) for k, v in filters.items()}}
    return _render("stats/documents.html", form=form, period=period, figure=figure,
                   figure_label=FIGURE_LABELS.get(figure, ""), filters=filters, errors=errors, page=page,
                   keep=keep, statuses=STATUS_LABELS, directions=DIRECTION_LABELS,
                   filter_labels=_filter_labels(filters))


def _filter_labels(filters: dict) -> list[tuple[str, str]]:
    """The drill-down's filters in words ("Unit: Phòng Kinh tế")."""
    models = {"doc_type_id": (DocType, "name", _("Document type")), "unit_id": (Unit, "name", _("Unit")),
              "user_id": (User, "full_name", _("Handler")), "register_id": (Register, "name", _("Register")),
              "issuer_id": (Organization, "name", _("Issuer"))}
    out = []
    for key, value in filters.items():
        if key == "issuer_id" and value == reports.OTHER:
            out.append((_("Issuer"), _("Other senders")))
        elif key in models:
            model, attr, label = models[key]
            row = db.session.get(model, value) if value is not None else None
            out.append((label, getattr(row, attr) if row is not None else _("none")))
        elif key == "medium":
            out.append((_("Medium"), _("Electronic") if value == "electronic" else _("Paper")))
        elif key == "channel":
            out.append((_("Dispatch channel"), {"paper": _("Paper"), "electronic": _("Electronic"),
                                                "email": _("Email")}.get(value, _("Not dispatched"))))
    return out
