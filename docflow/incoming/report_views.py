"""The incoming books (App. IV) as printable pages and XLSX downloads:
/books/incoming, /books/incoming.xlsx, /books/tracking, /books/tracking.xlsx
(?from=&to=&register_id= or &confidential=1). For clerks, leaders, archivists and admins."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from docflow.core.errors import ValidationFailed
from docflow.core.permissions import role_required
from docflow.incoming import reports

bp = Blueprint("books", __name__, url_prefix="/books")

BOOK_ROLES = ("clerk", "leader", "archivist", "admin")


def _params():
    """(form values as typed, period, register, confidential) or raise ValidationFailed."""
    args = request.args
    form = {"from": args.get("from", ""), "to": args.get("to", ""), "register_id": args.get("register_id", ""),
            "confidential": args.get("confidential", "")}
    period = reports.parse_period(form["from"], form["to"], default="month")  # a month unless chosen
    register, confidential = reports.parse_register(form["register_id"], form["confidential"])
    if confidential and not current_user.cleared_for("confidential"):
        raise ValidationFailed({"register_id": [_("You are not cleared for the confidential register.")]})
    return form, period, register, confidential


def _page(kind: str, *, book=None, form=None, errors=None):
    form = form or {}
    form.setdefault("from", "")
    form.setdefault("to", "")
    if book is not None:  # the period actually used, as the date inputs expect it
        form = {**form, "from": book.period.start.isoformat(), "to": book.period.end.isoformat()}
    return render_template(f"books/{kind}.html", kind=kind, book=book, form=form, errors=errors or {},
                           registers=reports.registers_for(current_user), display=reports.display)


def _show(kind: str):
    try:
        form, period, register, confidential = _params()
    except ValidationFailed as exc:
        return _page(kind, form=dict(request.args), errors=exc.errors)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    book = reports.build(kind, current_user, period, register=register, confidential=confidential, page=page)
    return _page(kind, book=book, form=form)


def _download(kind: str):
    try:
        _form, period, register, confidential = _params()
    except ValidationFailed as exc:
        return _page(kind, form=dict(request.args), errors=exc.errors)
    book = reports.build(kind, current_user, period, register=register, confidential=confidential, stream=True)
    return reports.xlsx_response(book)


@bp.route("/incoming")
@role_required(*BOOK_ROLES)
def incoming_page():
    """Sổ đăng ký văn bản đến, printable."""
    return _show("incoming")


@bp.route("/incoming.xlsx")
@role_required(*BOOK_ROLES)
def incoming_xlsx():
    return _download("incoming")


@bp.route("/tracking")
@role_required(*BOOK_ROLES)
def tracking_page():
    """Sổ theo dõi giải quyết văn bản đến, printable."""
    return _show("tracking")


@bp.route("/tracking.xlsx")
@role_required(*BOOK_ROLES)
def tracking_xlsx():
    return _download("tracking")
