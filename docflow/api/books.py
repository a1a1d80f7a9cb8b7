"""The incoming books of App. IV as XLSX: GET /books/incoming.xlsx and /books/tracking.xlsx
(?from=&to=&register_id= or &confidential=true). Clerks, leaders, archivists and admins; rows are
only the documents the caller may see."""

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from docflow.api.auth import require_role
from docflow.core.errors import ValidationFailed
from docflow.incoming import reports

blp = Blueprint("api_books", __name__, description="Registers and books")

BOOK_ROLES = ("clerk", "leader", "archivist", "admin")
XLSX_RESPONSE = {"type": "string", "format": "binary"}


class BookArgs(Schema):
    date_from = fields.Date(data_key="from", load_default=None,
                            metadata={"description": "First arrival date (default: 1 January of `to`'s year)"})
    date_to = fields.Date(data_key="to", load_default=None,
                          metadata={"description": "Last arrival date (default: today)"})
    register_id = fields.Int(load_default=None, metadata={"description": "One incoming register"})
    confidential = fields.Bool(load_default=False,
                               metadata={"description": "The confidential book instead of the ordinary one"})


def _xlsx(kind: str, args: dict):
    require_role(*BOOK_ROLES)
    period = reports.parse_period(args.get("date_from"), args.get("date_to"))
    register, confidential = reports.parse_register(args.get("register_id"),
                                                    "1" if args.get("confidential") else None)
    if confidential and not current_user.cleared_for("confidential"):
        raise ValidationFailed({"confidential": [_("You are not cleared for the confidential register.")]})
    book = reports.build(kind, current_user, period, register=register, confidential=confidential, stream=True)
    return reports.xlsx_response(book)  # rows read in batches, written through a temporary file


@blp.route("/books/incoming.xlsx")
@blp.arguments(BookArgs, location="query")
@blp.response(200, XLSX_RESPONSE, content_type=reports.XLSX_MIMETYPE,
              description="Sổ đăng ký văn bản đến (App. IV) as XLSX")
def incoming_xlsx(args):
    """The incoming register (sổ đăng ký văn bản đến) of a period."""
    return _xlsx("incoming", args)


@blp.route("/books/tracking.xlsx")
@blp.arguments(BookArgs, location="query")
@blp.response(200, XLSX_RESPONSE, content_type=reports.XLSX_MIMETYPE,
              description="Sổ theo dõi giải quyết văn bản đến (App. IV) as XLSX")
def tracking_xlsx(args):
    """The tracking book (sổ theo dõi giải quyết văn bản đến) of a period."""
    return _xlsx("tracking", args)
