"""POST /incoming/edxml: an edXML envelope registered as an incoming document, or a Status message kept
with our outgoing document (issue 8/9). A thin adapter over docflow.exchange.importer: the envelope is
the body (application/xml) or a multipart `file`; its size is checked against EXCHANGE_MAX_ENVELOPE_MB
before it is read and while it streams in (413)."""

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from docflow import jobs
from docflow.api.incoming import DocumentDetailSchema
from docflow.core.errors import DomainError, PermissionDenied, ValidationFailed
from docflow.exchange import edxml, importer
from docflow.extensions import db
from docflow.incoming import services as incoming
from docflow.registry.attachments import UnsupportedMediaType

blp = Blueprint("api_exchange_in", __name__, description="edXML envelopes received (QCVN 102:2016)")

XML_TYPES = ("application/xml", "text/xml", "application/octet-stream", "application/edxml+xml")


class ImportedSchema(DocumentDetailSchema):
    """The registered incoming document (kind `document`), or the status message kept (kind `status`)."""

    kind = fields.Str()
    exchange_message_id = fields.Int()
    document_id = fields.Int()
    status_code = fields.Str()
    description = fields.Str(allow_none=True)
    party_code = fields.Str(allow_none=True)


_REQUEST_BODY = {"required": True, "content": {
    "application/xml": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}}}


def read_envelope() -> tuple[bytes, str | None]:
    """The envelope's bytes and file name from the request, within the size limit."""
    limit = edxml.max_envelope_bytes()
    if request.content_length is not None and request.content_length > limit + (1024 * 1024):
        raise edxml.too_large(limit)  # refused by its declared size, before a byte is read
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed({"file": [_("Choose an .edxml file.")]})
        return edxml.read_limited(upload.stream, limit), upload.filename
    if request.mimetype not in XML_TYPES:
        raise UnsupportedMediaType({"envelope": [_("Send the envelope as application/xml or as a multipart file.")]})
    request.max_content_length = limit + 1024 * 1024  # EXCHANGE_MAX_ENVELOPE_MB, not MAX_UPLOAD_MB, bounds it
    return edxml.read_limited(request.stream, limit), None


def answer_refusal(error: DomainError, data: bytes | None, filename: str | None, want_status: bool):
    """After the rollback: the refusal audited, and the 02 status message produced if asked for."""
    db.session.rollback()
    if isinstance(error, PermissionDenied) or error.status == 409:
        return
    status_xml = None
    if want_status:
        status_xml = importer.refusal_status(data, error, actor=current_user, filename=filename)
    importer.refuse(data, error, actor=current_user, filename=filename)
    db.session.commit()
    if status_xml is not None:
        error.extra["status_message"] = status_xml.decode("utf-8")


@blp.route("/incoming/edxml", methods=["POST"])
@blp.doc(requestBody=_REQUEST_BODY, parameters=[{
    "in": "query", "name": "status", "schema": {"type": "integer", "enum": [0, 1]}, "required": False,
    "description": "1: on refusal, produce the 02 status message for the sender (in the problem as "
                   "`status_message`)"}])
@blp.response(201, ImportedSchema)
@blp.alt_response(409, description="Already registered: the problem carries `existing_id`")
@blp.alt_response(413, description="Larger than EXCHANGE_MAX_ENVELOPE_MB")
@blp.alt_response(415, description="Not sent as application/xml or a multipart file")
@blp.alt_response(422, description="Refused: `errors` names the elements that are wrong")
def import_edxml():
    """Register an edXML envelope (clerk): the document it carries becomes a registered incoming document
    (medium electronic), or a Status message about our outgoing document is kept with it."""
    incoming.require_role(current_user, "clerk")
    want_status = request.args.get("status") in ("1", "true")
    data, filename = None, None
    try:
        data, filename = read_envelope()
        kind, result = importer.import_any(data, actor=current_user, filename=filename)
    except DomainError as error:
        answer_refusal(error, data, filename, want_status)
        raise
    if kind == "status":
        message = result
        body = {"kind": "status", "id": message.id, "exchange_message_id": message.id,
                "document_id": message.document_id, "status_code": message.status_code,
                "description": message.description, "party_code": message.party_code}
        db.session.commit()
    else:
        doc = result
        message_id = doc.exchange_message.id
        attachment_ids = list(doc.imported_attachment_ids)
        db.session.commit()
        for attachment_id in attachment_ids:
            jobs.enqueue("extract_attachment_text", attachment_id)
        db.session.refresh(doc)
        body = {**DocumentDetailSchema().dump(doc), "kind": "document", "exchange_message_id": message_id}
    response = jsonify(body)
    response.status_code = 201
    return response


import_edxml.accepts = XML_TYPES  # the API's media type check lets these through to this view (api/auth.py)
