"""Attachments: upload to an incoming document, download by id. Thin adapters over
registry.attachments; the type is checked by content (415), the size by MAX_UPLOAD_MB (413)."""

from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from docflow import jobs
from docflow.extensions import db
from docflow.registry import access
from docflow.registry import attachments as service
from docflow.registry.views import refuse_destroyed

blp = Blueprint("api_attachments", __name__, description="Attachments of documents")


class UploadSchema(Schema):
    file = Upload(required=True)


class AttachmentOut(Schema):
    id = fields.Int()
    filename = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    content_type = fields.Str()


@blp.route("/incoming/<int:doc_id>/attachments", methods=["POST"])
@blp.arguments(UploadSchema, location="files")
@blp.response(201, AttachmentOut)
@blp.alt_response(413, description="Larger than MAX_UPLOAD_MB")
@blp.alt_response(415, description="Not a PDF, DOCX, XLSX, ODT, JPG, PNG or ZIP file (checked by content)")
def upload(files, doc_id):
    """Attach a file (multipart field `file`; clerk or a handler of the document). The text is
    extracted afterwards (text_status on the document's attachments)."""
    doc = access.get_visible_or_404(current_user, doc_id, "incoming")
    att = service.add_attachment(doc, files["file"], actor=current_user)
    att_id = att.id  # read before the commit expires it: a read after it would open a new transaction
    db.session.commit()
    jobs.enqueue("extract_attachment_text", att_id)
    return att


@blp.route("/attachments/<int:attachment_id>")
@blp.doc(responses={"200": {"description": "The file's bytes, as a download, with the type its content has",
                            "content": {mime: {"schema": {"type": "string", "format": "binary"}}
                                        for mime in service.ALLOWED}},
                    "404": {"description": "No such file, or its document is not visible to you"},
                    "410": {"description": "The file was destroyed under an approved disposition (its record "
                                           "is kept)"}})
def download(attachment_id):
    """Download a file; answers 404 when its document is not visible to the caller, 410 when the file
    was destroyed with its dossier."""
    att = service.get_visible_attachment_or_404(current_user, attachment_id)
    refuse_destroyed(att)
    return service.download_response(att)
