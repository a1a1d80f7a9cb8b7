"""File downloads for the pages: GET /files/attachments/<id>, only through the visibility rule
(a file of a document the user may not see answers 404, like a missing one)."""

from flask import Blueprint
from flask_login import current_user, login_required

from docflow.registry.attachments import download_response, get_visible_attachment_or_404

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    return download_response(get_visible_attachment_or_404(current_user, attachment_id))
