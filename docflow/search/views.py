"""/search/: the results page (snippets, facets, filters, sort, pages), saved searches, the XLSX export."""

import io
import tempfile
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.archive.models import Dossier
from docflow.archive.rules import may_see_dossier
from docflow.auth.models import Unit
from docflow.core.enums import CLEARANCE_LABELS, DIRECTION_LABELS, URGENCY_LABELS
from docflow.core.errors import ValidationFailed
from docflow.core.fields import to_date
from docflow.core.text import bad_text_reason
from docflow.core.timeutil import format_date
from docflow.extensions import db
from docflow.registry.books import XLSX_MIMETYPE, cell_text
from docflow.registry.models import DocType, Register
from docflow.search import query
from docflow.search.models import SavedSearch

bp = Blueprint("search", __name__, url_prefix="/search")

#: the query-string keys a saved search or a facet link keeps
KEYS = ("q", "direction", "doc_type", "sender", "from", "to", "received_from", "received_to", "issued_from",
        "issued_to", "urgency", "confidentiality", "status", "unit", "register", "year", "dossier", "sort")
EXPORT_LIMIT = 50_000
MAX_SAVED = 50


#: the filters the page's form has no control for (set by a facet link, a saved search or a link from another
#: page): named above the results, each with a link that removes it, and kept by the form as hidden fields
OTHER_FILTERS = ("year", "unit", "register", "confidentiality", "received_from", "received_to", "issued_from",
                 "issued_to")


def _other_filters(raw: dict) -> list[tuple[str, str, str]]:
    """(name, value, label) of the OTHER_FILTERS the request sets, in that order."""
    def day(value: str) -> str:
        try:
            return format_date(to_date(value))
        except ValueError:
            return value  # the form's errors say what is wrong with it

    def named(model, value: str) -> str:
        row = db.session.get(model, int(value)) if value.isdigit() and len(value) < 10 else None
        return row.name if row is not None else value

    labels = {
        "year": lambda v: _("Year: %(value)s", value=v),
        "unit": lambda v: _("Unit: %(value)s", value=named(Unit, v)),
        "register": lambda v: _("Register: %(value)s", value=named(Register, v)),
        "confidentiality": lambda v: _("Confidentiality: %(value)s", value=CLEARANCE_LABELS.get(v, v)),
        "received_from": lambda v: _("Arrival date: from %(date)s", date=day(v)),
        "received_to": lambda v: _("Arrival date: until %(date)s", date=day(v)),
        "issued_from": lambda v: _("Issue date: from %(date)s", date=day(v)),
        "issued_to": lambda v: _("Issue date: until %(date)s", date=day(v)),
    }
    return [(name, raw[name], str(labels[name](raw[name]))) for name in OTHER_FILTERS if name in raw]


def _current_args() -> dict:
    return {k: v for k in KEYS if (v := request.args.get(k, "").strip()) and bad_text_reason(v) is None}


def detail_url(doc) -> str:
    return url_for("incoming.detail" if doc.direction == "incoming" else "outgoing.detail", doc_id=doc.id)


@bp.route("/")
@login_required
def results():
    raw = _current_args()
    errors, result = {}, None
    try:
        args = query.load_args({**raw, "page": request.args.get("page", "1")})
        if raw:
            result = query.search(current_user, args)
    except ValidationFailed as exc:
        errors = exc.errors
    saved = db.session.scalars(sa.select(SavedSearch).where(SavedSearch.user_id == current_user.id)
                               .order_by(SavedSearch.name)).all()
    doc_types = db.session.scalars(sa.select(DocType).where(DocType.is_active.is_(True))
                                   .order_by(DocType.sort_order, DocType.name)).all()

    # the dossier the results are limited to, named above them (only one the user may see)
    dossier_id = raw.get("dossier", "")
    dossier = db.session.get(Dossier, int(dossier_id)) if dossier_id.isdigit() and len(dossier_id) < 10 else None
    dossier = dossier if may_see_dossier(current_user, dossier) else None

    def link(**changes) -> str:
        params = {**raw, **changes}
        return url_for("search.results") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    return render_template("search/results.html", raw=raw, result=result, errors=errors, saved=saved,
                           doc_types=doc_types, link=link, detail_url=detail_url, statuses=query.STATUS_LABELS,
                           directions=DIRECTION_LABELS, urgencies=URGENCY_LABELS, clearances=CLEARANCE_LABELS,
                           query_string=urlencode(raw), dossier=dossier, other_filters=_other_filters(raw))


@bp.route("/saved", methods=["POST"])
@login_required
def save():
    name = (request.form.get("name") or "").strip()
    saved_query = (request.form.get("query") or "").strip()
    if not name or len(name) > 120 or bad_text_reason(name) or len(saved_query) > 2000 or bad_text_reason(saved_query):
        flash(_("Give the search a name of at most 120 characters."), "warning")
        return redirect(url_for("search.results") + ("?" + saved_query if len(saved_query) <= 2000 else ""))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)
                              .where(SavedSearch.user_id == current_user.id))
    if count >= MAX_SAVED:
        flash(_("You have saved %(n)s searches; delete one first.", n=MAX_SAVED), "warning")
    else:
        db.session.add(SavedSearch(user_id=current_user.id, name=name, query=saved_query))
        db.session.commit()
        flash(_("Search saved."), "success")
    return redirect(url_for("search.results") + "?" + saved_query)


@bp.route("/saved/<int:saved_id>/delete", methods=["POST"])
@login_required
def delete_saved(saved_id: int):
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != current_user.id:
        abort(404)
    db.session.delete(saved)
    db.session.commit()
    flash(_("Saved search deleted."), "success")
    return redirect(url_for("search.results"))


def _export_rows(args: dict):
    parsed = query.parse(args.get("q"))
    stmt = query.ordered(current_user, parsed, args, ranked=False).limit(EXPORT_LIMIT)
    for doc in db.session.scalars(stmt.execution_options(yield_per=500)):
        yield [str(DIRECTION_LABELS.get(doc.direction, doc.direction)), doc.number, doc.number_symbol or "",
               format_date(doc.issued_date) if doc.issued_date else "",
               format_date(doc.received_date) if doc.received_date else "",
               doc.doc_type.code if doc.doc_type else "", doc.subject or "", doc.sender_name or "",
               str(query.STATUS_LABELS.get(doc.status, doc.status))]


@bp.route("/export.xlsx")
@login_required
def export():
    """The whole result set (newest first, at most EXPORT_LIMIT rows) within what the user may see:
    openpyxl's write-only mode in bounded memory, text cells always text."""
    # lazy: openpyxl takes ~0.13 s to import and only this export needs it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    try:
        args = query.load_args(_current_args())
        rows = _export_rows(args)
        first = next(rows, None)
    except ValidationFailed as exc:
        flash(exc.detail, "warning")
        return redirect(url_for("search.results"))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Search results"))

    def text(value):
        cell = WriteOnlyCell(ws, value=cell_text(str(value)))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    ws.append([text(h) for h in (_("Incoming or outgoing"), _("Number"), _("Number and symbol"), _("Issue date"),
                                 _("Arrival date"), _("Type"), _("Subject"), _("Issuer"), _("Status"))])
    if first is not None:
        for row in _chain(first, rows):
            ws.append([v if isinstance(v, int) else text(v if v is not None else "") for v in row])
    with tempfile.TemporaryFile() as fh:  # the rows went to disk as they came; the zipped file is small
        wb.save(fh)
        fh.seek(0)
        data = fh.read()
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name="ket-qua-tim-kiem.xlsx")


def _chain(first, rest):
    yield first
    yield from rest
