"""Attachments of documents: upload (type checked by content), download, text extraction job.

`add_attachment(doc, file, actor=...)` validates, checks permission, stores the bytes
content-addressed (registry/storage.py), adds the row, writes the audit event and flushes; the
caller commits and then calls `jobs.enqueue("extract_attachment_text", attachment.id)`.
Downloads go through `download_response()` after `access.get_visible_or_404` on the document.
"""

from __future__ import annotations

import os
import re
import unicodedata
import zipfile
from urllib.parse import quote

import filetype
from flask import current_app, send_file
from flask_babel import gettext as _

from docflow.core import audit
from docflow.core.errors import NotFound, PermissionDenied, ValidationFailed
from docflow.extensions import db
from docflow.registry import access, events, storage
from docflow.registry.extract import DOCX, ODT, PDF, XLSX, OcrSettings, extract_text
from docflow.registry.models import Attachment, Document, Participant

ZIP = "application/zip"
JPEG = "image/jpeg"
PNG = "image/png"

#: accepted content types and the extension a stored name gets when its own does not fit the content
ALLOWED = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", ODT: ".odt", JPEG: ".jpg", PNG: ".png", ZIP: ".zip"}
#: the extensions each type may keep (the first one is given to a name that has none of them)
EXTENSIONS = {**{mime: (ext,) for mime, ext in ALLOWED.items()}, JPEG: (".jpg", ".jpeg", ".jpe")}
_ZIP_FAMILY = {
    ZIP, DOCX, XLSX, ODT, "application/epub+zip",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation",
}
SNIFF_BYTES = 8192
MAX_NAME = 255


class UnsupportedMediaType(ValidationFailed):
    """The content is not one of the accepted types (whatever its name says). A field error on
    pages (errors={"file": [...]}) and 415 problem+json in the API."""

    status = 415
    title = "Unsupported Media Type"


class PayloadTooLarge(ValidationFailed):
    status = 413
    title = "Payload Too Large"


# ---- names ------------------------------------------------------------------------------------------

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_FORBIDDEN = set('<>:"|?*\\/')


def safe_filename(name: str | None, default_ext: str = "") -> str:
    """A display name: Unicode letters kept (NFC, so "Quyết định.pdf" stays readable), any path
    part, control or format character, reserved punctuation and leading dots removed, at most 255
    characters with the extension kept. Never used as a path."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]  # the last path part, whichever separator the client used
    out = []
    for ch in name:
        cat = unicodedata.category(ch)
        if ch.isspace():  # tabs and line breaks included
            out.append(" ")
        elif cat.startswith("C"):  # Cc control, Cf format (bidi overrides), Cs, Co, Cn
            continue
        elif ch in _FORBIDDEN:
            out.append("_")
        else:
            out.append(ch)
    name = " ".join("".join(out).split())
    name = name.lstrip(". ").rstrip(". ")
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if not name.strip("_ "):
        name = "tep-dinh-kem" + default_ext
    if len(name) > MAX_NAME:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_NAME - len(ext)].rstrip(". ") + ext
    return name


def name_for_type(name: str, content_type: str) -> str:
    """The name with the extension of its detected type: a PDF named `x.html` or `invoice.exe` is
    offered as `x.pdf` / `invoice.pdf`, so the receiving computer opens what the content is."""
    wanted = EXTENSIONS.get(content_type)
    if not wanted:
        return name
    stem, ext = os.path.splitext(name)
    if ext.lower() in wanted:
        return name
    if os.path.splitext(stem)[1].lower() in wanted:  # "so-05.pdf.exe": the real name is inside
        return stem
    stem = stem.rstrip(". ") or "tep-dinh-kem"
    return stem[: MAX_NAME - len(wanted[0])].rstrip(". ") + wanted[0]


def ascii_filename(name: str) -> str:
    """The plain-ASCII fallback for the Content-Disposition `filename` parameter."""
    name = name.replace("đ", "d").replace("Đ", "D")
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r'[^A-Za-z0-9._ ()\[\]-]', "_", name).strip(" .") or "file"
    return name


def content_disposition(name: str) -> str:
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


# ---- type by content ---------------------------------------------------------------------------

def _refuse():
    return UnsupportedMediaType(
        {"file": [_("This file type is not accepted. Attach a PDF, DOCX, XLSX, ODT, JPG, PNG or ZIP file.")]})


def _zip_kind(path) -> str:
    """Classify a zip container from its central directory (nothing is decompressed except the
    tiny ODF `mimetype` entry)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            if "[Content_Types].xml" in infos and "word/document.xml" in infos:
                return DOCX
            if "[Content_Types].xml" in infos and "xl/workbook.xml" in infos:
                return XLSX
            info = infos.get("mimetype")
            if info is not None and info.file_size <= 100 and "content.xml" in infos:
                if zf.read(info).strip() == ODT.encode():
                    return ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError,
            NotImplementedError, RuntimeError):
        raise _refuse() from None
    return ZIP


def detect_content_type(path) -> str:
    """The accepted content type of a stored file, from its bytes; raises UnsupportedMediaType.

    Magic bytes first (`filetype`), then the real container parser for zip-based types
    (the central directory must read; DOCX/XLSX/ODT are told apart by their parts). PDF is
    recognised by its header here; it is parsed by pypdf only in the capped extraction process,
    so a damaged PDF is still accepted (its text_status says "failed")."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in _ZIP_FAMILY:
        return _zip_kind(path)
    if mime == "image/apng":
        mime = PNG
    if mime in (PDF, JPEG, PNG):
        return mime
    raise _refuse()


# ---- the service ---------------------------------------------------------------------------------

def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_MB", 50)) * 1024 * 1024


def can_add(actor, doc: Document) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.has_role("clerk"):
        return True
    return db.session.query(Participant.id).filter(Participant.document_id == doc.id,
                                                    Participant.user_id == actor.id).first() is not None


def add_attachment(doc: Document, file, *, actor, filename: str | None = None) -> Attachment:
    """Attach a file (a werkzeug FileStorage or a binary stream) to the document."""
    if doc is None or not access.can_view(actor, doc):
        raise NotFound(_("No such document."))
    if not can_add(actor, doc):
        raise PermissionDenied(_("Only the clerk or a person handling this document may attach files."))
    if file is None:
        raise ValidationFailed({"file": [_("Choose a file to attach.")]})
    stream = getattr(file, "stream", file)
    client_name = filename if filename is not None else getattr(file, "filename", None)
    limit = max_upload_bytes()
    try:
        spooled = storage.spool(stream, max_bytes=limit)
    except storage.TooLarge:
        raise PayloadTooLarge({"file": [_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024))]}) from None
    with spooled:
        if spooled.size == 0:
            raise ValidationFailed({"file": [_("The file is empty.")]})
        content_type = detect_content_type(spooled.temp_path)
        final = spooled.commit_to_store()
        if spooled.created:
            storage.track_new_file(db.session(), final, spooled.sha256)
    att = Attachment(document_id=doc.id,
                     filename=name_for_type(safe_filename(client_name, ALLOWED[content_type]), content_type),
                     content_type=content_type, size=spooled.size, sha256=spooled.sha256, text_status="pending",
                     uploaded_by_id=getattr(actor, "id", None))
    db.session.add(att)
    db.session.flush()
    audit.record("attachment.add", object_type="documents", object_id=doc.id, actor=actor,
                 after={"attachment_id": att.id, "filename": att.filename, "size": att.size,
                        "sha256": att.sha256, "content_type": att.content_type})
    events.attachment_added.send(doc, actor=actor, attachment_id=att.id)
    return att


def get_visible_attachment_or_404(user, attachment_id) -> Attachment:
    """The attachment, if its document is visible to the user; else NotFound with the very answer a
    missing one gets, so an id does not tell whether a hidden file exists."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such file.")) from None
    att = db.session.get(Attachment, attachment_id)
    if att is None:
        raise NotFound(_("No such file."))
    try:
        access.get_visible_or_404(user, att.document_id)
    except NotFound:
        raise NotFound(_("No such file.")) from None
    return att


DOWNLOAD_CSP = "default-src 'none'; object-src 'none'; frame-ancestors 'none'; sandbox"


def download_response(att: Attachment):
    """The stored bytes as a download: attachment disposition, nosniff, the stored type."""
    try:
        path = storage.path_for(att.sha256)
    except ValueError:
        raise NotFound(_("No such file.")) from None
    if not path.is_file():
        raise NotFound(_("The file is missing from storage."))
    response = send_file(path, mimetype=att.content_type, conditional=True, etag=att.sha256, max_age=0)
    # names stored before the extension followed the content are corrected on the way out too
    response.headers["Content-Disposition"] = content_disposition(name_for_type(att.filename, att.content_type))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- the extraction job ------------------------------------------------------------------------------

_ocr_unavailable_logged: set[str] = set()


def _warn_once_if_ocr_unavailable(reason: str | None) -> None:
    """Scans stay findable by their metadata only: say so once per process and reason, not per file."""
    if reason and "OCR unavailable" in reason and reason not in _ocr_unavailable_logged:
        _ocr_unavailable_logged.add(reason)
        current_app.logger.warning("%s: scanned attachments get no text (install the Debian packages "
                                   "tesseract-ocr and tesseract-ocr-vie)", reason)


def extract_attachment_text(attachment_id: int) -> str | None:
    """Job: fill Attachment.text / text_status. The job runner commits."""
    att = db.session.get(Attachment, attachment_id)
    if att is None:
        return None
    try:
        path = storage.path_for(att.sha256)
    except ValueError:
        path = None
    if path is None or not path.is_file():
        att.text, att.text_status = None, "failed"
        return att.text_status
    content_type = att.content_type
    db.session.commit()  # hold no transaction (on SQLite: no write lock) while the extractor runs
    cfg = current_app.config
    timeout_s = float(cfg.get("EXTRACT_TIMEOUT_S", 30))
    ocr = OcrSettings(cmd=str(cfg.get("OCR_TESSERACT_CMD", "tesseract")), lang=str(cfg.get("OCR_LANG", "vie")),
                      max_pages=int(cfg.get("OCR_MAX_PAGES", 20)), timeout_s=timeout_s)
    result = extract_text(path, content_type, timeout_s=timeout_s, memory_mb=int(cfg.get("EXTRACT_MEMORY_MB", 1024)),
                          ocr=ocr)
    att = db.session.get(Attachment, attachment_id)
    if att is None:  # removed meanwhile
        return None
    if result.status != "done":
        current_app.logger.info("attachment %s: no text (%s: %s)", att.id, result.status, result.reason)
    _warn_once_if_ocr_unavailable(result.reason)
    att.text = result.text if result.status == "done" else None
    att.text_status = result.status
    db.session.flush()
    events.attachment_text_ready.send(att.document, actor=None, attachment_id=att.id, status=att.text_status)
    return att.text_status
