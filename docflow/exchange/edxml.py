"""Reading edXML envelopes (QCVN 102:2016, domain.md §6): the namespace, element helpers and a hardened
parser.

The parser is lxml with entities, network and DTDs off and huge trees refused; a DOCTYPE is refused
outright (no entity declaration of any kind reaches lxml), and the size limit (EXCHANGE_MAX_ENVELOPE_MB,
default 50) is checked before anything is parsed — `read_limited` checks it while an upload streams in.
Real senders differ, so elements are found by local name in the QCVN namespace (prefixed `edXML:` or
not, and unqualified children of a root in the namespace) in any order; dates are `yyyy/MM/dd` or
`dd/MM/yyyy`; `Bussiness` and `Business` are both read; `Signature` and an empty `DigitalSignature`
are both accepted (neither is verified). Attachments are base64, a ZIP (`application/zip`) being
unpacked after the archive checks the registry uses for DOCX (extract.zip_check).

`parse_envelope(data) -> Envelope` and `parse_status(data) -> StatusMessage` raise EnvelopeError
(a ValidationFailed: 422 naming the elements that are wrong) or EnvelopeTooLarge (413)."""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import gettext as _
from lxml import etree

from docflow.core.errors import ValidationFailed
from docflow.registry.extract import ZipRejected, zip_check

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
NSMAP = {PREFIX: NS}
#: the Priority codes (0–4) and the urgency each is registered with (4, "hỏa tốc hẹn giờ", is flash)
PRIORITY_URGENCY = {0: "normal", 1: "urgent", 2: "very_urgent", 3: "flash", 4: "flash"}
DEFAULT_MAX_MB = 50
#: an envelope's attachments, unpacked, may not exceed this (the envelope's own limit bounds the rest)
CHUNK = 64 * 1024


def q(name: str) -> str:
    """The qualified (Clark) name of an edXML element: `{NS}name`."""
    return f"{{{NS}}}{name}"


# ---- errors ------------------------------------------------------------------------------------------

class EnvelopeError(ValidationFailed):
    """The envelope cannot be read or registered: 422 with `errors` keyed by the element that is
    wrong (Code, Subject, From, PromulgationDate, Attachment, envelope, ...)."""

    title = "Invalid envelope"


class EnvelopeTooLarge(EnvelopeError):
    status = 413
    title = "Payload Too Large"


def max_envelope_bytes() -> int:
    mb = DEFAULT_MAX_MB
    if has_app_context():
        mb = current_app.config.get("EXCHANGE_MAX_ENVELOPE_MB", DEFAULT_MAX_MB)
    return int(mb) * 1024 * 1024


def too_large(limit: int | None = None) -> EnvelopeTooLarge:
    limit = limit or max_envelope_bytes()
    return EnvelopeTooLarge({"envelope": [_("The envelope is larger than %(mb)d MB.", mb=limit // (1024 * 1024))]})


def read_limited(stream, limit: int | None = None) -> bytes:
    """Read a binary stream in chunks, refusing (EnvelopeTooLarge) as soon as more than `limit` bytes
    came: a 200 MB upload is never held whole."""
    limit = limit or max_envelope_bytes()
    out = io.BytesIO()
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        out.write(chunk)
    return out.getvalue()


# ---- the result --------------------------------------------------------------------------------------

class EnvelopeAttachment(NamedTuple):
    name: str
    content_type: str
    data: bytes


@dataclass
class Party:
    code: str | None = None
    name: str | None = None


@dataclass
class Reference:
    """A ResponseFor: the document answered (or a status message is about)."""

    organ_id: str | None = None
    number_symbol: str | None = None
    issued_date: date | None = None
    document_id: str | None = None


@dataclass
class Envelope:
    sender: Party
    recipients: list[Party] = field(default_factory=list)
    document_id: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    number_symbol: str | None = None
    issued_date: date | None = None
    place: str | None = None
    type_code: str | None = None
    type_name: str | None = None
    subject: str | None = None
    content: str | None = None
    signer_competence: str | None = None
    signer_position: str | None = None
    signer_name: str | None = None
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    pages: int | None = None
    copies: int | None = None
    steering_type: str | None = None
    business_doc_type: str | None = None
    response_for: list[Reference] = field(default_factory=list)
    attachments: list[EnvelopeAttachment] = field(default_factory=list)

    @property
    def urgency(self) -> str:
        return PRIORITY_URGENCY.get(self.priority, "normal")

    @property
    def signer(self) -> str | None:
        return self.signer_name


@dataclass
class StatusMessage:
    sender: Party
    response_for: Reference
    status_code: str
    description: str | None = None
    timestamp: datetime | None = None
    staff: str | None = None


# ---- element helpers -----------------------------------------------------------------------------

def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _ours(el) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace in (NS, None)


def child(el, *names: str):
    """The first child named one of `names` (QCVN namespace or unqualified), in any order."""
    if el is None:
        return None
    for c in el:
        if _ours(c) and local(c) in names:
            return c
    return None


def children(el, name: str) -> list:
    return [] if el is None else [c for c in el if _ours(c) and local(c) == name]


def find(el, *path: str):
    for name in path:
        el = child(el, name)
    return el


def descendant(el, name: str):
    for d in el.iter():
        if _ours(d) and local(d) == name:
            return d
    return None


def text(el, *path: str) -> str | None:
    el = find(el, *path) if path else el
    if el is None:
        return None
    value = " ".join("".join(el.itertext()).split())
    return value or None


_DATE_RES = (
    (re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T].*)?$"), (1, 2, 3)),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T].*)?$"), (3, 2, 1)),
)


def parse_date(value: str | None, element: str, errors: dict) -> date | None:
    """`yyyy/MM/dd` or `dd/MM/yyyy` (a time after it ignored); an impossible date is an error."""
    if not value:
        return None
    for pattern, (y, m, d) in _DATE_RES:
        match = pattern.match(value.strip())
        if match:
            try:
                return date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                break
    errors.setdefault(element, []).append(
        _("%(value)s is not a real date (yyyy/MM/dd or dd/MM/yyyy).", value=value[:40]))
    return None


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip()[:19], fmt)
        except ValueError:
            continue
    return None


# ---- the hardened parser -------------------------------------------------------------------------

_DOCTYPE_MARKS = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY")
                       for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes, limit: int | None = None):
    """The envelope's root element, in the QCVN namespace; EnvelopeError otherwise."""
    if not isinstance(data, bytes | bytearray):
        raise EnvelopeError({"envelope": [_("The envelope must be sent as XML bytes.")]})
    limit = limit or max_envelope_bytes()
    if len(data) > limit:
        raise too_large(limit)
    if not data.strip():
        raise EnvelopeError({"envelope": [_("The envelope is empty.")]})
    if any(mark in data for mark in _DOCTYPE_MARKS):
        raise EnvelopeError({"envelope": [_("An envelope with a DOCTYPE or entity declarations is refused.")]})
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except (etree.XMLSyntaxError, ValueError):
        raise EnvelopeError({"envelope": [_("The file is not well-formed XML.")]}) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise EnvelopeError({"envelope": [_("An envelope with a DOCTYPE or entity declarations is refused.")]})
    if etree.QName(root).namespace != NS:
        raise EnvelopeError({"envelope": [_("The envelope is not in the edXML namespace %(ns)s.", ns=NS)]})
    return root


def _header(root):
    header = descendant(root, "edXMLHeader")
    if header is None:
        raise EnvelopeError({"envelope": [_("The envelope has no edXMLHeader.")]})
    return header


def kind_of(root) -> str:
    """'status' for a Status envelope, else 'document'."""
    header = descendant(root, "edXMLHeader")
    return "status" if header is not None and child(header, "Status") is not None else "document"


def _party(el) -> Party:
    return Party(code=(text(el, "OrganId") or "").upper() or None, name=text(el, "OrganName"))


def _reference(el, errors: dict, element: str = "ResponseFor") -> Reference:
    ref = Reference(organ_id=text(el, "OrganId"), number_symbol=text(el, "Code"),
                    issued_date=parse_date(text(el, "PromulgationDate"), element, errors),
                    document_id=text(el, "DocumentId"))
    if ref.document_id and (not ref.number_symbol or not ref.issued_date):
        parts = ref.document_id.split(",", 2)
        if len(parts) == 3:
            ref.organ_id = ref.organ_id or parts[0].strip() or None
            ref.issued_date = ref.issued_date or parse_date(parts[1].strip(), element, errors)
            ref.number_symbol = ref.number_symbol or parts[2].strip() or None
    return ref


def _int(value: str | None, element: str, errors: dict, lo: int = 0, hi: int = 100000) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not lo <= number <= hi:
        errors.setdefault(element, []).append(_("%(element)s must be a whole number from %(lo)d to %(hi)d.",
                                                element=element, lo=lo, hi=hi))
        return None
    return number


def parse_envelope(data: bytes) -> Envelope:
    """Read a document envelope; every problem found is named at once (EnvelopeError)."""
    root = parse_xml(data)
    header = _header(root)
    if child(header, "Status") is not None:
        raise EnvelopeError({"envelope": [_("This is a status message, not a document envelope.")]})
    msg = child(header, "MessageHeader")
    if msg is None:
        raise EnvelopeError({"envelope": [_("The envelope has no MessageHeader.")]})
    errors: dict[str, list[str]] = {}
    sender_el = child(msg, "From")
    sender = _party(sender_el) if sender_el is not None else Party()
    if sender_el is None or not sender.code:
        errors.setdefault("From", []).append(_("The sender (From with its OrganId) is missing."))
    env = Envelope(sender=sender, recipients=[_party(t) for t in children(msg, "To")])
    env.document_id = text(msg, "DocumentId")
    code = child(msg, "Code")
    env.code_number, env.code_notation = text(code, "CodeNumber"), text(code, "CodeNotation")
    if code is not None and env.code_number is None and env.code_notation is None:
        env.number_symbol = text(code)  # a bare <Code>7816/VPCP-TTĐT</Code>
    elif env.code_number or env.code_notation:
        env.number_symbol = "/".join(filter(None, (env.code_number, env.code_notation)))
    if not env.number_symbol:
        errors.setdefault("Code", []).append(_("The document's number and symbol (Code) are missing."))
    elif len(env.number_symbol) > 60:
        errors.setdefault("Code", []).append(_("The number and symbol (Code) are longer than 60 characters."))
    promulgation = child(msg, "PromulgationInfo")
    env.place = text(promulgation, "Place")
    raw_date = text(promulgation, "PromulgationDate") or text(msg, "PromulgationDate")
    env.issued_date = parse_date(raw_date, "PromulgationDate", errors)
    if raw_date is None:
        errors.setdefault("PromulgationDate", []).append(_("The document's date (PromulgationDate) is missing."))
    doc_type = child(msg, "DocumentType")
    env.type_code, env.type_name = text(doc_type, "Type"), text(doc_type, "TypeName")
    env.subject = text(msg, "Subject")
    if not env.subject:
        errors.setdefault("Subject", []).append(_("The subject (Subject) is missing."))
    env.content = text(msg, "Content")
    signer = child(msg, "SignerInfo")
    env.signer_competence = text(signer, "Competence")
    env.signer_position = text(signer, "Position")
    env.signer_name = text(signer, "FullName")
    env.due_date = parse_date(text(msg, "DueDate"), "DueDate", errors)
    env.to_places = [t for t in (text(p) for p in children(child(msg, "ToPlaces"), "Place")) if t]
    other = child(msg, "OtherInfo")
    priority = _int(text(other, "Priority"), "Priority", errors, 0, 4)
    env.priority = priority or 0
    env.pages = _int(text(other, "PageAmount"), "PageAmount", errors, 1)
    env.copies = _int(text(other, "PromulgationAmount"), "PromulgationAmount", errors, 1)
    env.steering_type = text(msg, "SteeringType")
    env.response_for = [_reference(r, errors) for r in children(msg, "ResponseFor")]
    business = descendant(header, "Bussiness")
    if business is None:
        business = descendant(header, "Business")
    if business is not None:
        env.business_doc_type = text(business, "BussinessDocType") or text(business, "BusinessDocType")
    env.attachments = _attachments(root, errors)
    if errors:
        raise EnvelopeError(errors)
    return env


def parse_status(data: bytes) -> StatusMessage:
    root = parse_xml(data)
    status = child(_header(root), "Status")
    if status is None:
        raise EnvelopeError({"envelope": [_("This is not a status message.")]})
    errors: dict[str, list[str]] = {}
    sender_el = child(status, "From")
    sender = _party(sender_el) if sender_el is not None else Party()
    if not sender.code:
        errors.setdefault("From", []).append(_("The sender (From with its OrganId) is missing."))
    ref_el = child(status, "ResponseFor")
    ref = _reference(ref_el, errors) if ref_el is not None else Reference()
    if not ref.number_symbol or not ref.issued_date:
        errors.setdefault("ResponseFor", []).append(
            _("The status message does not say which document it is about (ResponseFor)."))
    code = (text(status, "StatusCode") or "").zfill(2)
    if code not in ("01", "02", "03", "04", "05", "06", "13", "15", "16"):
        errors.setdefault("StatusCode", []).append(_("Unknown status code."))
    staff = child(status, "StaffInfo")
    if errors:
        raise EnvelopeError(errors)
    return StatusMessage(sender=sender, response_for=ref, status_code=code, description=text(status, "Description"),
                         timestamp=_timestamp(text(status, "Timestamp")),
                         staff=text(staff, "Staff") if staff is not None else None)


# ---- attachments ---------------------------------------------------------------------------------

def _attachments(root, errors: dict) -> list[EnvelopeAttachment]:
    out: list[EnvelopeAttachment] = []
    encoded = descendant(root, "AttachmentEncoded")
    for index, att in enumerate(children(encoded, "Attachment"), start=1):
        name = text(att, "AttachmentName") or text(att, "ContentId") or f"attachment-{index}"
        content_type = (text(att, "ContentType") or "application/octet-stream").lower()
        payload = "".join((text(att, "ContentTransferEncoded") or "").split())
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            errors.setdefault("Attachment", []).append(
                _("The attachment %(name)s is not valid base64 data.", name=name[:100]))
            continue
        if content_type == "application/zip" or (name.lower().endswith(".zip") and raw[:2] == b"PK"):
            out.extend(_unzip(name, raw, errors))
        else:
            out.append(EnvelopeAttachment(name, content_type, raw))
    return out


def _unzip(name: str, raw: bytes, errors: dict) -> list[EnvelopeAttachment]:
    """The files of a zipped attachment, after the registry's bomb checks (entries, total, ratio)."""
    try:
        infos = zip_check(io.BytesIO(raw), max_total=max_envelope_bytes() * 2)
        out = []
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            for info in infos:
                if info.is_dir():
                    continue
                with zf.open(info) as fh:
                    data = fh.read(info.file_size + 1)
                if len(data) != info.file_size:
                    raise ZipRejected("an entry is larger than its directory says")
                out.append(EnvelopeAttachment(info.filename.rsplit("/", 1)[-1], "application/octet-stream", data))
        return out
    except (ZipRejected, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, zlib.error,
            NotImplementedError, ValueError):
        errors.setdefault("Attachment", []).append(
            _("The zipped attachment %(name)s cannot be unpacked safely.", name=name[:100]))
        return []


def peek(data: bytes | None) -> Reference | None:
    """What can be read of a refused envelope to answer its sender (02): the sender's OrganId and the
    document's Code, date and DocumentId, leniently (None when not even the sender can be read)."""
    if not data:
        return None
    try:
        root = parse_xml(data)
        msg = descendant(root, "MessageHeader")
    except EnvelopeError:
        return None
    if msg is None:
        return None
    errors: dict = {}
    code = child(msg, "Code")
    number_symbol = "/".join(filter(None, (text(code, "CodeNumber"), text(code, "CodeNotation")))) or text(code)
    raw_date = text(msg, "PromulgationInfo", "PromulgationDate")
    ref = Reference(organ_id=text(msg, "From", "OrganId"), number_symbol=number_symbol,
                    issued_date=parse_date(raw_date, "PromulgationDate", errors), document_id=text(msg, "DocumentId"))
    return ref if ref.organ_id else None


def sender_name(data: bytes | None) -> str | None:
    try:
        msg = descendant(parse_xml(data), "MessageHeader") if data else None
    except EnvelopeError:
        return None
    return text(msg, "From", "OrganName") if msg is not None else None
