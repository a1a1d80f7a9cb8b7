"""GET /outgoing/{id}/edxml (the issued document's envelope) and GET /incoming/{id}/edxml-status (the
status messages produced for a letter that came by edXML; `?code=` one of them as its envelope):
the writing half of the exchange (docflow/exchange/writer.py, outbox.py)."""

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docflow.core import tx
from docflow.core.errors import NotFound
from docflow.core.timeutil import iso_utc
from docflow.exchange import outbox
from docflow.exchange.models import STATUS_CODES
from docflow.exchange.pages import envelope_response
from docflow.extensions import db
from docflow.registry import access

blp = Blueprint("api_exchange_out", __name__, description="edXML exchange: envelopes and status messages out")

XML_RESPONSE = {"description": "The edXML envelope (QCVN 102:2016)",
                "content": {"application/xml": {"schema": {"type": "string"}}}}


class StatusArgs(Schema):
    code = fields.Str(load_default=None, validate=validate.OneOf(STATUS_CODES),
                      metadata={"description": "01..06: answer that status message's envelope (application/xml)"})


class StatusMessageSchema(Schema):
    id = fields.Int()
    code = fields.Str(attribute="status_code")
    description = fields.Str(allow_none=True)
    party_code = fields.Str(allow_none=True)
    party_name = fields.Str(allow_none=True)
    document_key = fields.Str(allow_none=True)
    filename = fields.Str(allow_none=True)
    sha256 = fields.Str(allow_none=True)
    size = fields.Int(allow_none=True)
    created_at = fields.Function(lambda m: iso_utc(m.created_at))


class StatusListSchema(Schema):
    document_id = fields.Int()
    items = fields.List(fields.Nested(StatusMessageSchema))


@blp.route("/outgoing/<int:doc_id>/edxml")
@blp.doc(responses={"200": XML_RESPONSE,
                    "404": {"description": "No such document, or not visible to you"},
                    "409": {"description": "The document is not issued"}})
def export_envelope(doc_id):
    """The issued document's edXML envelope: From the agency, To each external recipient, its fields,
    ResponseFor the letters it answers, and the issued file as a base64 attachment."""
    tx.reading()
    doc = access.get_visible_or_404(current_user, doc_id, "outgoing")
    tx.writing()
    data, name = outbox.export(doc, actor=current_user)
    db.session.commit()
    return envelope_response(data, name)


@blp.route("/incoming/<int:doc_id>/edxml-status")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, StatusListSchema)
@blp.alt_response(404, description="No such document (or not visible), or no status message with that code")
@blp.doc(responses={"200": {"description": "The list; with `code`, that status message's envelope",
                            "content": {"application/json": {"schema": StatusListSchema},
                                        "application/xml": {"schema": {"type": "string"}}}}})
def status_messages(args, doc_id):
    """The edXML status messages produced for a letter that came by edXML (01 arrived, 03 accepted,
    04 assigned, 05 in progress, 06 completed), oldest code first."""
    tx.reads_only()
    doc = access.get_visible_or_404(current_user, doc_id, "incoming")
    code = args.get("code")
    if code:
        data = outbox.status_envelope(doc, code)
        if data is None:
            raise NotFound(_("No status message %(code)s for this document.", code=code))
        return envelope_response(data, f"{outbox.safe_name(doc.number_symbol)}-status{code}.edxml")
    return {"document_id": doc.id, "items": outbox.statuses_of(doc.id)}
