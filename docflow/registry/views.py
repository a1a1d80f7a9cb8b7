"""File downloads for the pages: GET /files/attachments/<id>, only through the visibility rule
(a file of a document the user may not see answers 404, like a missing one)."""

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.core.errors import DomainError
from docflow.registry.attachments import download_response, get_visible_attachment_or_404

bp = Blueprint("files", __name__, url_prefix="/files")


class Gone(DomainError):
    """A file destroyed by an approved disposition (7/9): its row is the record, the bytes are gone."""

    status = 410
    title = "Gone"


def refuse_destroyed(att) -> None:
    if att.destroyed_at is not None:
        raise Gone(_("This file was destroyed with its dossier under an approved destruction decision."))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    att = get_visible_attachment_or_404(current_user, attachment_id)
    refuse_destroyed(att)
    return download_response(att)
