"""Registering what came by edXML (issue 8/9, domain.md §6): a document envelope becomes a registered
incoming document through the very service a clerk's registration uses (same numbering, duplicate
check, visibility and audit), medium electronic; a status message about one of our outgoing documents
is kept with it.

Like every service these change rows, audit and flush; the caller commits — and on any error rolls
back, so a refused envelope leaves nothing behind (the stored attachment files go with the rollback:
registry.storage.track_new_file). `refuse()` then records the refusal, in its own transaction."""

from __future__ import annotations

import hashlib
import io

import sqlalchemy as sa
from flask_babel import gettext as _

from docflow import jobs
from docflow.core import audit
from docflow.core.errors import DomainError, ValidationFailed
from docflow.core.text import fold
from docflow.exchange import edxml, outbox, writer
from docflow.exchange.edxml import EnvelopeError
from docflow.exchange.models import ExchangeMessage
from docflow.extensions import db
from docflow.incoming import services as incoming
from docflow.incoming.models import IncomingDocument
from docflow.registry import attachments, reference
from docflow.registry.models import DocType, Document, Organization

#: the registration's field → the envelope element a refusal names
FIELD_ELEMENT = {"number_symbol": "Code", "issued_date": "PromulgationDate", "subject": "Subject",
                 "sender_id": "From", "sender_name": "From", "signer": "SignerInfo", "due_date": "DueDate",
                 "pages": "PageAmount", "copies": "PromulgationAmount", "doc_type": "DocumentType",
                 "urgency": "Priority", "file": "Attachment"}
#: at most this many hops along successor codes (a closed code's successor closed in its turn)
MAX_SUCCESSORS = 10


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _clean_name(filename: str | None) -> str | None:
    """The uploaded file's name as a display name (no path, control character or NUL), or None."""
    return attachments.safe_filename(filename) if filename else None


def _element_errors(exc: ValidationFailed) -> dict:
    out: dict[str, list[str]] = {}
    for field, messages in (exc.errors or {}).items():
        out.setdefault(FIELD_ELEMENT.get(field, field), []).extend(messages)
    return out


# ---- organisations and types -------------------------------------------------------------------

def resolve_organization(party: edxml.Party, *, actor) -> Organization:
    """The sender by its OrganId: a closed code with a successor resolves to the successor; an unknown
    code is added to the organisation registry."""
    code = (party.code or "").strip().upper()
    if not reference.ORG_CODE_RE.match(code):
        raise EnvelopeError({"From": [_("The sender's OrganId %(code)s is not a 13-character code like "
                                        "000.00.00.H19.", code=code[:20])]})
    org = db.session.scalar(sa.select(Organization).where(Organization.code == code))
    if org is None:
        try:
            return reference.save_organization({"name": party.name or code, "code": code}, actor=actor)
        except ValidationFailed as exc:
            raise EnvelopeError({"From": [m for ms in exc.errors.values() for m in ms]}) from None
    hops = 0
    while not org.is_active and org.successor is not None and hops < MAX_SUCCESSORS:
        org, hops = org.successor, hops + 1
    return org


def resolve_doc_type(type_name: str | None) -> DocType:
    """The document type by its name (Type codes vary between senders), else by code; Công văn (CV)
    when the name is unknown."""
    if type_name:
        wanted = fold(type_name)
        for doc_type in db.session.scalars(sa.select(DocType).where(DocType.is_active.is_(True))):
            if fold(doc_type.name) == wanted or doc_type.code.upper() == type_name.strip().upper():
                return doc_type
    return db.session.scalar(sa.select(DocType).where(DocType.code == "CV"))


def find_outgoing(ref: edxml.Reference) -> Document | None:
    """Our issued outgoing document a ResponseFor (or status message) names, by number-symbol and date."""
    if not ref.number_symbol or not ref.issued_date:
        return None
    return db.session.scalar(
        sa.select(Document).where(Document.direction == "outgoing", Document.number_symbol == ref.number_symbol,
                                  Document.issued_date == ref.issued_date).order_by(Document.id).limit(1))


# ---- import ------------------------------------------------------------------------------------------

def import_envelope(data: bytes, *, actor, filename: str | None = None, force: bool = False) -> IncomingDocument:
    """Register the document an envelope carries (clerk). Raises EnvelopeError (422 naming the
    element), EnvelopeTooLarge (413), Conflict (409, `existing_id`) for a duplicate, PermissionDenied."""
    incoming.require_role(actor, "clerk")
    filename = _clean_name(filename)
    env = edxml.parse_envelope(data)
    org = resolve_organization(env.sender, actor=actor)
    doc_type = resolve_doc_type(env.type_name)
    answered = next((d for d in map(find_outgoing, env.response_for) if d is not None), None)
    notes = None
    if env.type_name and fold(env.type_name) != fold(doc_type.name):
        notes = _("edXML document type: %(name)s", name=env.type_name)[:2000]
    form = {"sender_id": org.id, "number_symbol": env.number_symbol, "issued_date": env.issued_date,
            "doc_type": doc_type.code, "subject": env.subject, "signer": env.signer, "urgency": env.urgency,
            "pages": env.pages, "copies": env.copies, "medium": "electronic", "due_date": env.due_date,
            "notes": notes}
    try:
        doc = incoming.register_incoming(form, actor=actor, force=force)
    except ValidationFailed as exc:
        raise EnvelopeError(_element_errors(exc)) from None
    doc.imported_attachment_ids = []  # for the caller's text extraction after the commit (not a column)
    for att in env.attachments:
        try:
            stored = attachments.add_attachment(doc, io.BytesIO(att.data), actor=actor, filename=att.name)
        except ValidationFailed as exc:  # not an accepted type (415), too large (413), empty
            raise EnvelopeError({"Attachment": [f"{att.name[:100]}: {m}" for ms in exc.errors.values()
                                                for m in ms]}) from None
        doc.imported_attachment_ids.append(stored.id)
    message = ExchangeMessage(direction="in", kind="document", document_id=doc.id, organization_id=org.id,
                              party_code=org.code, party_name=(env.sender.name or org.name)[:250],
                              document_key=(env.document_id or "")[:200] or None,
                              response_for_id=answered.id if answered is not None else None,
                              filename=(filename or "")[:255] or None, sha256=_digest(data), size=len(data),
                              created_by_id=actor.id)
    db.session.add(message)
    db.session.flush()
    audit.record("exchange.import", object_type="documents", object_id=doc.id, actor=actor,
                 after={"exchange_message_id": message.id, "from": org.code, "document_key": message.document_key,
                        "filename": message.filename, "sha256": message.sha256,
                        "attachments": len(env.attachments),
                        "response_for": answered.id if answered is not None else None})
    doc.exchange_message = message  # for the caller's answer (not a column)
    return doc


def import_status(data: bytes, *, actor, filename: str | None = None) -> ExchangeMessage:
    """Keep a status message about one of OUR outgoing documents (clerk)."""
    incoming.require_role(actor, "clerk")
    filename = _clean_name(filename)
    status = edxml.parse_status(data)
    doc = find_outgoing(status.response_for)
    if doc is None:
        raise EnvelopeError({"ResponseFor": [_("No outgoing document of ours is %(ns)s of %(d)s.",
                                               ns=status.response_for.number_symbol or "?",
                                               d=status.response_for.issued_date.strftime("%d/%m/%Y")
                                               if status.response_for.issued_date else "?")]})
    org = db.session.scalar(sa.select(Organization).where(Organization.code == status.sender.code))
    message = ExchangeMessage(direction="in", kind="status", document_id=doc.id,
                              organization_id=org.id if org is not None else None,
                              party_code=(status.sender.code or "")[:13] or None,
                              party_name=(status.sender.name or (org.name if org else "") or "")[:250] or None,
                              document_key=(status.response_for.document_id or "")[:200] or None,
                              status_code=status.status_code, description=(status.description or "")[:1000] or None,
                              filename=(filename or "")[:255] or None, sha256=_digest(data), size=len(data),
                              created_by_id=actor.id)
    db.session.add(message)
    db.session.flush()
    audit.record("exchange.status", object_type="documents", object_id=doc.id, actor=actor,
                 after={"exchange_message_id": message.id, "direction": "in", "status_code": message.status_code,
                        "from": message.party_code, "description": message.description})
    return message


def import_any(data: bytes, *, actor, filename: str | None = None, force: bool = False):
    """('document', IncomingDocument) or ('status', ExchangeMessage), by what the envelope is."""
    root = edxml.parse_xml(data)
    if edxml.kind_of(root) == "status":
        return "status", import_status(data, actor=actor, filename=filename)
    return "document", import_envelope(data, actor=actor, filename=filename, force=force)


def refuse(data: bytes | None, error: DomainError, *, actor, filename: str | None = None) -> None:
    """Record a refused envelope in the audit log (after the caller rolled its work back): who, which
    file, its digest and why. Nothing else is written."""
    filename = _clean_name(filename)
    audit.record("exchange.refuse", object_type="exchange_messages", object_id=None, actor=actor,
                 after={"filename": (filename or "")[:255] or None, "status": error.status,
                        "sha256": _digest(data) if data else None, "size": len(data) if data else None,
                        "errors": error.errors or {"envelope": [error.detail]}})


def refusal_status(data: bytes | None, error: DomainError, *, actor, filename: str | None = None) -> bytes | None:
    """The 02 (refused) Status message for the sender of a refused envelope, written to the outbox and
    recorded (ExchangeMessage out/status, no document); None when the sender cannot be read. The caller
    rolled the import back first and commits after."""
    ref = edxml.peek(data)
    if ref is None:
        return None
    why = "; ".join(f"{key}: {m}" for key, ms in (error.errors or {"envelope": [error.detail]}).items() for m in ms)
    original = writer.Original(organ_id=ref.organ_id, organ_name=edxml.sender_name(data),
                               number_symbol=ref.number_symbol, promulgation_date=ref.issued_date,
                               document_id=ref.document_id)
    body = writer.build_status(original, "02", f"Từ chối tiếp nhận: {why}"[:1000], staff=actor)
    key = original.key()
    name = f"{outbox.safe_name(key)}-{outbox.safe_name(ref.organ_id)}-02.edxml"
    outbox.write_file(name, body)
    org = db.session.scalar(sa.select(Organization).where(Organization.code == ref.organ_id))
    message = ExchangeMessage(direction="out", kind="status", document_id=None,
                              organization_id=org.id if org is not None else None, party_code=ref.organ_id[:13],
                              party_name=(original.organ_name or "")[:250] or None, document_key=key[:200],
                              status_code="02", description=why[:1000], error=why, filename=name,
                              sha256=_digest(body), size=len(body), created_by_id=getattr(actor, "id", None))
    db.session.add(message)
    db.session.flush()
    audit.record("exchange.status", object_type="exchange_messages", object_id=message.id, actor=actor,
                 after={"direction": "out", "status_code": "02", "to": ref.organ_id, "document_key": key,
                        "filename": name})
    return body


def import_and_commit(data: bytes | None, *, actor, filename: str | None = None, send_refusal: bool = False,
                      error: DomainError | None = None) -> dict:
    """One envelope of a batch (the upload page, the CLI) in its own transaction: imported and committed,
    or rolled back, the refusal recorded (and with `send_refusal` its 02 status message produced) and committed.
    `error`: the file was refused before it was read (too large). Returns the file's result."""
    filename = _clean_name(filename)
    result: dict = {"filename": filename, "ok": False}
    try:
        if error is not None:
            raise error
        kind, found = import_any(data, actor=actor, filename=filename)
        if kind == "status":
            ours = db.session.get(Document, found.document_id)  # named by its number and symbol on the page
            result.update(ok=True, kind="status", document_id=found.document_id, status_code=found.status_code,
                          number_symbol=ours.number_symbol if ours is not None else None)
            db.session.commit()
        else:
            result.update(ok=True, kind="document", document_id=found.id, number=found.number,
                          number_symbol=found.number_symbol, subject=found.subject)
            attachment_ids = list(found.imported_attachment_ids)
            db.session.commit()
            for attachment_id in attachment_ids:
                jobs.enqueue("extract_attachment_text", attachment_id)
        return result
    except DomainError as exc:
        db.session.rollback()
        result.update(status=exc.status, detail=exc.detail, errors=exc.errors or {"envelope": [exc.detail]},
                      existing_id=exc.extra.get("existing_id"))
        if exc.status not in (403, 409):
            if send_refusal:
                result["status_sent"] = refusal_status(data, exc, actor=actor, filename=filename) is not None
            refuse(data, exc, actor=actor, filename=filename)
            db.session.commit()
        return result
