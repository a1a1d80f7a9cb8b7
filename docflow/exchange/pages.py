"""The exchange on the documents' pages: the envelope's download button on an issued outgoing document
and the exchange history (envelopes and status messages received and produced) on both flows' pages,
through the include templates/exchange/_document_exchange.html and the template global below."""

from flask import Blueprint, Flask, Response
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from docflow.core import tx
from docflow.exchange import outbox
from docflow.extensions import db
from docflow.registry import access
from docflow.registry.attachments import content_disposition

bp = Blueprint("exchange_files", __name__)

KIND_LABELS = {("in", "document"): _l("Envelope received"), ("out", "document"): _l("Envelope sent"),
               ("in", "status"): _l("Status received"), ("out", "status"): _l("Status sent")}
#: the edXML status codes (domain.md §6.2)
STATUS_LABELS = {"01": _l("Arrived at the receiver"), "02": _l("Refused by the receiver"),
                 "03": _l("Accepted and registered"), "04": _l("Assigned to a handler"), "05": _l("Being handled"),
                 "06": _l("Handling completed")}


def envelope_response(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/xml")
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/exchange/outgoing/<int:doc_id>.edxml")
@login_required
def download(doc_id):
    """The issued document's edXML envelope (the download button on its page)."""
    tx.reading()
    doc = access.get_visible_or_404(current_user, doc_id, "outgoing")
    tx.writing()
    data, name = outbox.export(doc, actor=current_user)
    db.session.commit()
    return envelope_response(data, name)


def document_exchange(doc) -> dict:
    """For a document's page (the caller has shown it, so the user may see it): whether the envelope
    can be downloaded, and the exchange history, each row with its label, party and status wording."""
    if doc is None or getattr(doc, "id", None) is None or not current_user.is_authenticated:
        return {"can_export": False, "rows": []}
    rows = [{"message": m, "label": str(KIND_LABELS.get((m.direction, m.kind), m.kind)),
             "status": str(STATUS_LABELS.get(m.status_code or "", m.status_code or ""))}
            for m in outbox.history(doc)]
    can_export = doc.direction == "outgoing" and doc.status == "issued" and bool(doc.number_symbol)
    return {"can_export": can_export, "rows": rows}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(document_exchange, "exchange_document")
