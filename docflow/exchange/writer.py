"""Writing edXML (QCVN 102:2016, domain.md §6): the envelope of an issued outgoing document for one of
its recipients, and the Status message (01..06, 02 refused) about a letter we received.

Everything is written with the `edXML:` prefix in the QCVN namespace, dates as yyyy/MM/dd, and
returned as UTF-8 bytes with an XML declaration. Nothing here touches the database but to read."""

import base64
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from lxml import etree

from docflow.core import settings
from docflow.core.timeutil import to_local, utcnow
from docflow.exchange.models import ExchangeMessage
from docflow.extensions import db
from docflow.outgoing import services as outgoing
from docflow.registry.storage import path_for

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK = "http://www.w3.org/1999/xlink"
NSMAP = {"edXML": NS, "xlink": XLINK}

#: urgency → edXML Priority (0 Thường, 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc; 4 Hỏa tốc hẹn giờ is not kept)
PRIORITY = {"normal": "0", "urgent": "1", "very_urgent": "2", "flash": "3"}

#: the status codes' own wording (domain.md §6.2), the Description when the caller gives none
STATUS_TEXT = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công",
               "05": "Đang xử lý", "06": "Hoàn thành"}


@dataclass
class Party:
    """From / To: an organisation by its 13-character code and name."""

    code: str | None
    name: str | None


@dataclass
class Original:
    """The document a status message answers (its ResponseFor): who issued it, its number-symbol and
    date, its DocumentId. `original_of(incoming_doc)` builds it from a registered letter; an importer
    refusing an envelope builds it from what it could read."""

    organ_id: str | None
    organ_name: str | None
    number_symbol: str | None
    promulgation_date: date | None
    document_id: str | None = None

    def key(self) -> str:
        return self.document_id or document_key(self.organ_id, self.promulgation_date, self.number_symbol)


def edxml_date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def edxml_timestamp(value: datetime | None = None) -> str:
    """yyyy/MM/dd HH:mm:ss in the office's local time."""
    return to_local(value or utcnow()).strftime("%Y/%m/%d %H:%M:%S")


def document_key(organ_id: str | None, day: date | None, number_symbol: str | None) -> str:
    """DocumentId: "<sender code>,<yyyy/MM/dd>,<number-symbol>"."""
    return f"{organ_id or ''},{edxml_date(day)},{number_symbol or ''}"


def split_symbol(number_symbol: str | None) -> tuple[str, str]:
    """"05/QĐ-UBND" → ("05", "QĐ-UBND"); without a slash the whole is the notation."""
    text = (number_symbol or "").strip()
    number, sep, notation = text.partition("/")
    return (number.strip(), notation.strip()) if sep else ("", text)


def agency_party() -> Party:
    agency = settings.agency()
    return Party(agency.get("code") or None, agency.get("name") or None)


# ---- element helpers ---------------------------------------------------------------------------

def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _el(parent, tag: str, text=None, **attrs):
    node = etree.SubElement(parent, _q(tag), **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _party(parent, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "OrganId", party.code or "")
    _el(node, "OrganName", party.name or "")


def _code(parent, number_symbol: str | None) -> None:
    number, notation = split_symbol(number_symbol)
    node = _el(parent, "Code")
    _el(node, "CodeNumber", number)
    _el(node, "CodeNotation", notation)


def _response_for(parent, original: Original) -> None:
    node = _el(parent, "ResponseFor")
    _el(node, "OrganId", original.organ_id or "")
    _el(node, "Code", original.number_symbol or "")
    _el(node, "PromulgationDate", edxml_date(original.promulgation_date))
    _el(node, "DocumentId", original.key())


def _serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# ---- the document envelope ---------------------------------------------------------------------

def issued_file(doc):
    """The issued version's attachment (its SHA-256 frozen on issue), or None."""
    for att in doc.attachments:
        if doc.issued_sha256 and att.sha256 == doc.issued_sha256 and att.destroyed_at is None:
            return att
    return None


def _read(att) -> bytes:
    return path_for(att.sha256).read_bytes()


def original_of(incoming_doc) -> Original:
    """The ResponseFor of a letter we received: its sender's code, number-symbol, date and the
    DocumentId its envelope carried (when it came by edXML)."""
    key = db.session.scalar(sa.select(ExchangeMessage.document_key).where(
        ExchangeMessage.document_id == incoming_doc.id, ExchangeMessage.direction == "in",
        ExchangeMessage.kind == "document").order_by(ExchangeMessage.id).limit(1))
    org = incoming_doc.sender_org
    return Original(organ_id=org.code if org is not None else None,
                    organ_name=org.name if org is not None else incoming_doc.sender_name,
                    number_symbol=incoming_doc.number_symbol, promulgation_date=incoming_doc.issued_date,
                    document_id=key)


def recipient_party(recipient) -> Party:
    org = getattr(recipient, "organization", None)
    if org is not None:
        return Party(org.code, org.name)
    return Party(None, getattr(recipient, "name", None))


def build_envelope(doc, recipient=None) -> bytes:
    """The edXML envelope of an issued outgoing document for one recipient (a Recipient row, or a
    Party; None: a To for each of its external recipients): From = the agency, To = the recipient, the
    document's fields, ResponseFor per letter it answers, a TraceHeader, the manifest and the issued
    file as a base64 attachment."""
    sender = agency_party()
    recipients = outgoing.recipients_of(doc)
    if recipient is None:
        tos = [recipient_party(r) for r in recipients if r.unit_id is None]
    else:
        tos = [recipient if isinstance(recipient, Party) else recipient_party(recipient)]
    root = etree.Element(_q("edXML"), nsmap=NSMAP)
    envelope = _el(root, "edXMLEnvelope")
    header = _el(envelope, "edXMLHeader")
    message = _el(header, "MessageHeader")
    _party(message, "From", sender)
    for to in tos:
        _party(message, "To", to)
    _el(message, "DocumentId", document_key(sender.code, doc.issued_date, doc.number_symbol))
    _code(message, doc.number_symbol)
    promulgation = _el(message, "PromulgationInfo")
    _el(promulgation, "Place", settings.agency().get("place") or "")
    _el(promulgation, "PromulgationDate", edxml_date(doc.issued_date))
    doc_type = _el(message, "DocumentType")
    _el(doc_type, "Type", "1")
    _el(doc_type, "TypeDetail", "0")
    _el(doc_type, "TypeName", doc.doc_type.name if doc.doc_type else "")
    _el(message, "Subject", doc.subject)
    signer = _el(message, "SignerInfo")
    _el(signer, "Competence", doc.signing_capacity or "")
    _el(signer, "Position", "")
    _el(signer, "FullName", doc.signer or "")
    if doc.due_date:
        _el(message, "DueDate", edxml_date(doc.due_date))
    places = _el(message, "ToPlaces")
    for r in recipients:
        _el(places, "Place", r.name)
    other = _el(message, "OtherInfo")
    _el(other, "Priority", PRIORITY.get(doc.urgency, "0"))
    _el(other, "SphereOfPromulgation", "")
    _el(other, "TyperNotation", "")
    _el(other, "PromulgationAmount", doc.copies or len(recipients) or 1)
    if doc.pages:  # unknown for most drafts: left out rather than a guess
        _el(other, "PageAmount", doc.pages)
    for answered in outgoing.replies_of(doc):
        _response_for(message, original_of(answered))
    _el(message, "SteeringType", "0")
    trace_list = _el(header, "TraceHeaderList")
    trace = _el(trace_list, "TraceHeader")
    _el(trace, "OrganId", sender.code or "")
    _el(trace, "Timestamp", edxml_timestamp(doc.issued_at))
    business = _el(trace_list, "Bussiness")
    _el(business, "BussinessDocType", "0")
    _el(business, "BussinessDocReason", "")
    _el(business, "Paper", "0")

    att = issued_file(doc)
    body = _el(envelope, "edXMLBody")
    manifest = _el(body, "edXMLManifest", version="1.0")
    if att is not None:
        reference = _el(manifest, "Reference", **{f"{{{XLINK}}}href": "cid:1", f"{{{XLINK}}}type": "simple"})
        _el(reference, "ContentId", "cid:1")
        _el(reference, "ContentType", att.content_type)
        _el(reference, "Description", doc.subject[:250])
        _el(reference, "AttachmentName", att.filename)
        encoded = _el(root, "AttachmentEncoded")
        item = _el(encoded, "Attachment")
        _el(item, "ContentId", "1")
        _el(item, "AttachmentName", att.filename)
        _el(item, "Description", doc.subject[:250])
        _el(item, "ContentType", att.content_type)
        _el(item, "ContentTransferEncoded", base64.b64encode(_read(att)).decode("ascii"))
    return _serialize(root)


# ---- the status message ------------------------------------------------------------------------

def build_status(incoming_doc, code: str, description: str | None = None, *, staff=None,
                 timestamp: datetime | None = None) -> bytes:
    """A Status envelope to the sender of a letter we received: From = us, ResponseFor = the
    original's DocumentId, StatusCode (01..06), Description, StaffInfo (the user who acted, if any)
    and Timestamp. `incoming_doc` is a registered IncomingDocument, or an `Original` (a refused
    envelope, 02, that was never registered)."""
    if code not in STATUS_TEXT:
        raise ValueError(f"unknown status code {code!r}")
    original = incoming_doc if isinstance(incoming_doc, Original) else original_of(incoming_doc)
    root = etree.Element(_q("edXML"), nsmap=NSMAP)
    envelope = _el(root, "edXMLEnvelope")
    header = _el(envelope, "edXMLHeader")
    status = _el(header, "Status")
    _party(status, "From", agency_party())
    _response_for(status, original)
    staff_info = _el(status, "StaffInfo")
    unit = getattr(staff, "unit", None) if staff is not None else None
    _el(staff_info, "Department", unit.name if unit is not None else "")
    _el(staff_info, "Staff", getattr(staff, "full_name", "") or "")
    _el(staff_info, "Email", getattr(staff, "email", "") or "")
    _el(status, "StatusCode", code)
    _el(status, "Description", description or STATUS_TEXT[code])
    _el(status, "Timestamp", edxml_timestamp(timestamp))
    _el(envelope, "edXMLBody")
    return _serialize(root)
