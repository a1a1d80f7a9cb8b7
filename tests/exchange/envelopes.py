"""Builders of edXML envelopes (QCVN 102:2016, domain.md §6) in the shapes real senders emit, for the
exchange tests (the import tests, the hostile-input tests and the export round trip may all use them).

`envelope(...)` builds a document envelope; its keywords choose the shape (prefixed or not, date
format, zipped or plain attachment, ResponseFor, Bussiness/Business, Signature/DigitalSignature,
elements in another order) and the values. `SHAPES` names six+ shapes with the fields each should map
to. `status_envelope(...)` builds a Status message. Everything is built in memory with lxml."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
SENDER_CODE = "000.00.00.G22"
SENDER_NAME = "Văn phòng Chính phủ"
ISSUED = date(2025, 9, 30)


class _Builder:
    def __init__(self, prefixed: bool, namespace: str):
        self.ns = namespace
        self.nsmap = {"edXML": namespace} if prefixed else {None: namespace}

    def el(self, parent, name, text=None, **attrs):
        tag = f"{{{self.ns}}}{name}"
        node = etree.Element(tag, nsmap=self.nsmap) if parent is None else etree.SubElement(parent, tag)
        if text is not None:
            node.text = str(text)
        for key, value in attrs.items():
            node.set(key, str(value))
        return node


def fmt(day: date | str | None, date_format: str) -> str | None:
    if day is None or isinstance(day, str):
        return day
    return day.strftime("%Y/%m/%d" if date_format == "ymd" else "%d/%m/%Y")


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return buf.getvalue()


def envelope(*, prefixed: bool = True, date_format: str = "ymd", files: list[tuple[str, bytes]] | None = None,
             zip_files: bool = False, raw_attachments: list[tuple[str, str, str]] | None = None,
             response_for: list[dict] | None = None, business: str | None = "Bussiness",
             signature: str | None = "Signature", reorder: bool = False, namespace: str = NS,
             organ_id: str | None = SENDER_CODE, organ_name: str | None = SENDER_NAME,
             number: str | None = "7816", notation: str | None = "VPCP-TTĐT", issued: date | str | None = ISSUED,
             type_name: str | None = "Công văn", type_code: str = "1", priority: int | str | None = 1,
             subject: str | None = "Về việc triển khai Nghị định 30/2020/NĐ-CP về công tác văn thư",
             signer: tuple[str, str, str] | None = ("KT. BỘ TRƯỞNG, CHỦ NHIỆM", "PHÓ CHỦ NHIỆM", "Nguyễn Văn Tín"),
             due: date | str | None = None, pages: int | None = 2, copies: int | None = 5,
             to_code: str = "000.00.00.H19", omit: tuple[str, ...] = ()) -> bytes:
    """A document envelope. `files` [(name, bytes)] go base64 each, or as one ZIP with `zip_files`;
    `raw_attachments` [(name, content_type, base64 text)] as given (bad base64 tests). `omit` names
    MessageHeader children left out (Code, Subject, From, PromulgationInfo, ...)."""
    b = _Builder(prefixed, namespace)
    root = b.el(None, "edXML")
    env = b.el(root, "edXMLEnvelope")
    header = b.el(env, "edXMLHeader")
    msg = b.el(header, "MessageHeader")
    if "From" not in omit:
        sender = b.el(msg, "From")
        if organ_id is not None:
            b.el(sender, "OrganId", organ_id)
        if organ_name is not None:
            b.el(sender, "OrganName", organ_name)
        b.el(sender, "OrganAdd", "16 Lê Hồng Phong, Ba Đình, Hà Nội")
        b.el(sender, "Email", "vpcp@chinhphu.vn")
    to = b.el(msg, "To")
    b.el(to, "OrganId", to_code)
    b.el(to, "OrganName", "Ủy ban nhân dân tỉnh Đồng Nai")
    symbol = "/".join(filter(None, (number, notation)))
    b.el(msg, "DocumentId", f"{organ_id},{fmt(issued, 'ymd')},{symbol}")
    if "Code" not in omit:
        code = b.el(msg, "Code")
        if number is not None:
            b.el(code, "CodeNumber", number)
        if notation is not None:
            b.el(code, "CodeNotation", notation)
    if "PromulgationInfo" not in omit:
        info = b.el(msg, "PromulgationInfo")
        b.el(info, "Place", "Hà Nội")
        if issued is not None:
            b.el(info, "PromulgationDate", fmt(issued, date_format))
    doc_type = b.el(msg, "DocumentType")
    b.el(doc_type, "Type", type_code)
    b.el(doc_type, "TypeDetail", "0")
    if type_name is not None:
        b.el(doc_type, "TypeName", type_name)
    if "Subject" not in omit and subject is not None:
        b.el(msg, "Subject", subject)
    b.el(msg, "Content", "")
    if signer is not None:
        info = b.el(msg, "SignerInfo")
        for name, value in zip(("Competence", "Position", "FullName"), signer, strict=True):
            b.el(info, name, value)
    if due is not None:
        b.el(msg, "DueDate", fmt(due, date_format))
    places = b.el(msg, "ToPlaces")
    for place in ("Như trên", "Lưu: VT, TTĐT"):
        b.el(places, "Place", place)
    other = b.el(msg, "OtherInfo")
    if priority is not None:
        b.el(other, "Priority", priority)
    b.el(other, "SphereOfPromulgation", "Liên thông văn bản quốc gia")
    b.el(other, "TyperNotation", "TTĐT")
    if copies is not None:
        b.el(other, "PromulgationAmount", copies)
    if pages is not None:
        b.el(other, "PageAmount", pages)
    for ref in response_for or ():
        node = b.el(msg, "ResponseFor")
        b.el(node, "OrganId", ref.get("organ_id", "000.00.00.H19"))
        b.el(node, "Code", ref["code"])
        b.el(node, "PromulgationDate", fmt(ref["date"], date_format))
        b.el(node, "DocumentId", f"{ref.get('organ_id', '000.00.00.H19')},{fmt(ref['date'], 'ymd')},{ref['code']}")
    b.el(msg, "SteeringType", "0")
    if reorder:  # the same children, the other way round (some senders' order is not the standard's)
        kids = list(msg)
        for kid in kids:
            msg.remove(kid)
        for kid in reversed(kids):
            msg.append(kid)
    traces = b.el(header, "TraceHeaderList")
    trace = b.el(traces, "TraceHeader")
    b.el(trace, "OrganId", organ_id or SENDER_CODE)
    b.el(trace, "Timestamp", "2025/09/30 10:15:00")
    if business:
        bus = b.el(traces, business)
        b.el(bus, "DocumentId", f"{organ_id},{fmt(issued, 'ymd')},{symbol}")
        b.el(bus, f"{business}DocType", "0")
        b.el(bus, f"{business}DocReason", "")
        b.el(bus, "Paper", "0")
    if signature == "Signature":
        sig = b.el(header, "Signature")
        b.el(sig, "SignatureValue", "AAAA")
    elif signature == "DigitalSignature":
        b.el(header, "DigitalSignature")
    if reorder:
        kids = list(header)
        for kid in kids:
            header.remove(kid)
        for kid in reversed(kids):
            header.append(kid)
    body = b.el(env, "edXMLBody")
    manifest = b.el(body, "edXMLManifest", version="1.0")
    encoded = b.el(root, "AttachmentEncoded")
    attachments: list[tuple[str, str, str]] = []
    if files and zip_files:
        attachments.append(("vanban.zip", "application/zip", base64.b64encode(zipped(files)).decode()))
    elif files:
        for name, data in files:
            ctype = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
            attachments.append((name, ctype, base64.b64encode(data).decode()))
    attachments.extend(raw_attachments or ())
    for index, (name, ctype, b64) in enumerate(attachments, start=1):
        ref = b.el(manifest, "Reference")
        ref.set("{http://www.w3.org/1999/xlink}href", f"cid:{index}")
        b.el(ref, "ContentId", f"cid:{index}")
        b.el(ref, "ContentType", ctype)
        b.el(ref, "AttachmentName", name)
        att = b.el(encoded, "Attachment")
        b.el(att, "ContentId", str(index))
        b.el(att, "AttachmentName", name)
        b.el(att, "ContentType", ctype)
        # base64 wrapped at 76 characters, as MIME senders do
        b.el(att, "ContentTransferEncoded", "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def status_envelope(*, code: str = "03", about_code: str, about_date: date, organ_id: str = SENDER_CODE,
                    organ_name: str = SENDER_NAME, our_code: str = "000.00.00.H19", description: str = "Đã tiếp nhận",
                    prefixed: bool = True) -> bytes:
    """A Status message from `organ_id` about our document `about_code` of `about_date`."""
    b = _Builder(prefixed, NS)
    root = b.el(None, "edXML")
    env = b.el(root, "edXMLEnvelope")
    header = b.el(env, "edXMLHeader")
    status = b.el(header, "Status")
    sender = b.el(status, "From")
    b.el(sender, "OrganId", organ_id)
    b.el(sender, "OrganName", organ_name)
    ref = b.el(status, "ResponseFor")
    b.el(ref, "OrganId", our_code)
    b.el(ref, "Code", about_code)
    b.el(ref, "PromulgationDate", fmt(about_date, "ymd"))
    b.el(ref, "DocumentId", f"{our_code},{fmt(about_date, 'ymd')},{about_code}")
    staff = b.el(status, "StaffInfo")
    b.el(staff, "Department", "Văn thư")
    b.el(staff, "Staff", "Trần Thị Lan")
    b.el(status, "StatusCode", code)
    b.el(status, "Description", description)
    b.el(status, "Timestamp", "2025/10/01 08:30:00")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


#: six+ shapes: name → keywords of envelope() (files are added by the tests: they need the app's fixtures)
SHAPES = {
    "prefixed-plain-ymd": {"prefixed": True, "date_format": "ymd"},
    "unprefixed-plain-dmy": {"prefixed": False, "date_format": "dmy", "business": "Business",
                             "signature": "DigitalSignature"},
    "prefixed-zipped-dmy": {"prefixed": True, "date_format": "dmy", "zip_files": True, "signature": None},
    "unprefixed-zipped-reordered": {"prefixed": False, "zip_files": True, "reorder": True},
    "prefixed-reordered-business": {"prefixed": True, "reorder": True, "business": "Business",
                                    "signature": "DigitalSignature", "date_format": "dmy"},
    "unprefixed-no-business": {"prefixed": False, "business": None, "signature": None},
}
