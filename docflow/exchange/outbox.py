"""The outbox: edXML files written for the transport (a hub client, a shared folder) to pick up.

`EXCHANGE_OUTBOX` (DOCFLOW_EXCHANGE_OUTBOX; default `outbox` beside STORAGE_DIR: instance/outbox) holds
one file per envelope: `<DocumentId-safe>-<recipient code>.edxml` for a document,
`<DocumentId-safe>-status<NN>.edxml` for a status message about a letter we received. Files are written
atomically (a temporary file in the same folder, then renamed), so a reader never sees half a file.
Every file has its ExchangeMessage (out) row and its audit event, in the caller's transaction: these
functions flush, the caller commits. They run after the document's own transaction committed (the
subscribers in docflow/exchange/__init__.py queue them as jobs), so a rolled-back change produces nothing."""

import hashlib
import os
import re
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from docflow.auth.models import User
from docflow.core import audit
from docflow.core.errors import Conflict
from docflow.core.text import fold
from docflow.exchange import writer
from docflow.exchange.models import ExchangeMessage
from docflow.extensions import db
from docflow.outgoing import services as outgoing
from docflow.registry.models import Document

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_dir() -> Path:
    """EXCHANGE_OUTBOX, else `outbox` beside the file store (STORAGE_DIR, by default instance/files: so
    instance/outbox), so that an office that moves its files moves its outbox with them."""
    configured = current_app.config.get("EXCHANGE_OUTBOX")
    if configured:
        path = Path(configured)
    elif current_app.config.get("STORAGE_DIR"):
        path = Path(current_app.config["STORAGE_DIR"]).parent / "outbox"
    else:
        path = Path(current_app.instance_path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(text: str | None) -> str:
    """ASCII letters, digits, dot, dash and underscore only (Vietnamese folded), at most 150 characters."""
    folded = fold(text).upper() if text else ""
    return _UNSAFE.sub("_", folded).strip("._")[:150] or "X"


def write_file(name: str, data: bytes) -> Path:
    """Write `data` as `name` in the outbox atomically (temp + rename); returns the path."""
    folder = outbox_dir()
    target = folder / name
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".edxml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _row(data: bytes, **fields) -> ExchangeMessage:
    row = ExchangeMessage(direction="out", sha256=hashlib.sha256(data).hexdigest(), size=len(data), **fields)
    db.session.add(row)
    db.session.flush()
    return row


def came_by_edxml(doc_id: int) -> bool:
    """The letter was registered from an edXML envelope (an ExchangeMessage in/document row)."""
    return db.session.scalar(sa.select(sa.literal(True)).where(
        ExchangeMessage.document_id == doc_id, ExchangeMessage.direction == "in",
        ExchangeMessage.kind == "document").limit(1)) is not None


def statuses_of(doc_id: int, direction: str = "out") -> list[ExchangeMessage]:
    return db.session.scalars(sa.select(ExchangeMessage).where(
        ExchangeMessage.document_id == doc_id, ExchangeMessage.direction == direction,
        ExchangeMessage.kind == "status").order_by(ExchangeMessage.status_code, ExchangeMessage.id)).all()


def envelope_name(doc, recipient) -> str:
    party = writer.recipient_party(recipient)
    key = writer.document_key(writer.agency_party().code, doc.issued_date, doc.number_symbol)
    return f"{safe_name(key)}-{safe_name(party.code) if party.code else f'R{recipient.id}'}.edxml"


def send_envelopes(doc_id: int, recipient_ids=None, actor_id: int | None = None) -> list[ExchangeMessage]:
    """One envelope per electronic recipient of an issued outgoing document (those named, or all that
    were dispatched electronically) into the outbox, each with its ExchangeMessage (out, document)."""
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.direction != "outgoing" or doc.status != "issued":
        return []
    wanted = None if recipient_ids is None else {int(i) for i in recipient_ids}
    actor = db.session.get(User, actor_id) if actor_id else None
    key = writer.document_key(writer.agency_party().code, doc.issued_date, doc.number_symbol)
    rows = []
    for recipient in outgoing.recipients_of(doc):
        if recipient.channel != "electronic" or recipient.unit_id is not None:
            continue
        if wanted is not None and recipient.id not in wanted:
            continue
        data = writer.build_envelope(doc, recipient)
        party = writer.recipient_party(recipient)
        name = envelope_name(doc, recipient)
        row = _row(data, kind="document", document_id=doc.id, organization_id=recipient.organization_id,
                   party_code=party.code, party_name=(party.name or "")[:250], document_key=key[:200],
                   filename=name, created_by_id=actor_id)
        audit.record("exchange.export", object_type="documents", object_id=doc.id, actor=actor,
                     after={"recipient": party.name, "code": party.code, "file": name, "sha256": row.sha256})
        write_file(name, data)
        rows.append(row)
    return rows


def produce_status(doc_id: int, codes=("01",), actor_id: int | None = None) -> list[ExchangeMessage]:
    """The status messages `codes` about a letter that came by edXML, each produced once: the Status
    envelope into the outbox and its ExchangeMessage (out, status). Nothing for a letter registered
    by hand, nor for a code already produced."""
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.direction != "incoming" or not came_by_edxml(doc.id):
        return []
    done = {m.status_code for m in statuses_of(doc.id)}
    actor = db.session.get(User, actor_id) if actor_id else None
    original = writer.original_of(doc)
    rows = []
    for code in codes:
        if code in done:
            continue
        data = writer.build_status(original, code, staff=actor)
        name = f"{safe_name(original.key())}-status{code}.edxml"
        row = _row(data, kind="status", document_id=doc.id, organization_id=doc.sender_org_id,
                   party_code=original.organ_id, party_name=(original.organ_name or "")[:250],
                   document_key=original.key()[:200], status_code=code, description=writer.STATUS_TEXT[code],
                   filename=name, created_by_id=actor_id)
        audit.record("exchange.status", object_type="documents", object_id=doc.id, actor=actor,
                     after={"code": code, "to": original.organ_id, "file": name})
        write_file(name, data)
        done.add(code)
        rows.append(row)
    return rows


def status_envelope(doc, code: str) -> bytes | None:
    """The Status envelope produced for the letter with this code, as written to the outbox (read back
    from the outbox; rebuilt when the file was taken away by the transport)."""
    row = next((m for m in statuses_of(doc.id) if m.status_code == code), None)
    if row is None:
        return None
    path = outbox_dir() / row.filename if row.filename else None
    if path is not None and path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == row.sha256:
            return data
    staff = db.session.get(User, row.created_by_id) if row.created_by_id else None
    return writer.build_status(writer.original_of(doc), code, row.description, staff=staff,
                               timestamp=row.created_at)


def export(doc, *, actor) -> tuple[bytes, str]:
    """The envelope of an issued document as a download (To: each external recipient), audited
    `exchange.export`; the caller checked visibility. Not issued (or cancelled): Conflict."""
    if doc.direction != "outgoing" or doc.status != "issued" or not doc.number_symbol:
        raise Conflict(_("Only an issued document has an edXML envelope."))
    data = writer.build_envelope(doc)
    key = writer.document_key(writer.agency_party().code, doc.issued_date, doc.number_symbol)
    name = f"{safe_name(key)}.edxml"
    audit.record("exchange.export", object_type="documents", object_id=doc.id, actor=actor,
                 after={"download": name, "sha256": hashlib.sha256(data).hexdigest()})
    return data, name


def history(doc) -> list[ExchangeMessage]:
    """Every envelope and status message in or out about the document, oldest first."""
    return db.session.scalars(sa.select(ExchangeMessage).where(ExchangeMessage.document_id == doc.id)
                              .order_by(ExchangeMessage.created_at, ExchangeMessage.id)).all()
