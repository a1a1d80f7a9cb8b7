"""The outgoing books (App. IV) as printable pages and XLSX downloads:
/books/outgoing, /books/outgoing.xlsx (?from=&to=&confidential=1), /books/postal, /books/postal.xlsx
(?from=&to=). For clerks, leaders, archivists and admins."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from docflow.core.errors import ValidationFailed
from docflow.core.permissions import role_required
from docflow.outgoing import reports

bp = Blueprint("outbooks", __name__, url_prefix="/books")

BOOK_ROLES = ("clerk", "leader", "archivist", "admin")


def _params():
    """(form values as typed, period, confidential) or raise ValidationFailed."""
    args = request.args
    form = {"from": args.get("from", ""), "to": args.get("to", ""), "confidential": args.get("confidential", "")}
    period = reports.parse_period(form["from"], form["to"], default="month")  # a month unless chosen
    confidential = reports.parse_confidential(form["confidential"])
    if confidential and not current_user.cleared_for("confidential"):
        raise ValidationFailed({"confidential": [_("You are not cleared for the confidential register.")]})
    return form, period, confidential


def _page(kind: str, *, book=None, form=None, errors=None, status: int = 200):
    form = dict(form or {})
    form.setdefault("from", "")
    form.setdefault("to", "")
    if book is not None:  # the period actually used, as the date inputs expect it
        form = {**form, "from": book.period.start.isoformat(), "to": book.period.end.isoformat()}
    html = render_template(f"outbooks/{kind}.html", kind=kind, book=book, form=form, errors=errors or {},
                           display=reports.display)
    return html, status


def _show(kind: str):
    try:
        form, period, confidential = _params()
    except ValidationFailed as exc:
        return _page(kind, form=request.args.to_dict(), errors=exc.errors, status=400)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    book = reports.build(kind, current_user, period, confidential=confidential).paged(page)
    return _page(kind, book=book, form=form)


def _download(kind: str):
    try:
        _form, period, confidential = _params()
    except ValidationFailed as exc:
        return _page(kind, form=request.args.to_dict(), errors=exc.errors, status=400)
    book = reports.build(kind, current_user, period, confidential=confidential)
    return reports.xlsx_response(book)


@bp.route("/outgoing")
@role_required(*BOOK_ROLES)
def outgoing_page():
    """Sổ đăng ký văn bản đi, printable."""
    return _show("outgoing")


@bp.route("/outgoing.xlsx")
@role_required(*BOOK_ROLES)
def outgoing_xlsx():
    return _download("outgoing")


@bp.route("/postal")
@role_required(*BOOK_ROLES)
def postal_page():
    """Sổ gửi văn bản đi bưu điện, printable."""
    return _show("postal")


@bp.route("/postal.xlsx")
@role_required(*BOOK_ROLES)
def postal_xlsx():
    return _download("postal")
