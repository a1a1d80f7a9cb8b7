"""The incoming books of Decree 30/2020 App. IV, built for a period from what the user may see.

- Sổ đăng ký văn bản đến (the incoming register): one row per arrival number of the period,
  cancelled numbers included (marked in Ghi chú), so the printed book has no holes.
- Sổ theo dõi giải quyết văn bản đến (the tracking book): deadline, progress and the reply.

The ordinary and the confidential registers are separate books: choose one register
(`register_id`) or the ordinary / confidential books (`confidential`). Rows come only from
`access.visible_filter(user)`, so a user never gets a row they could not open.

`incoming_book(...)` / `tracking_book(...)` return a `Book` (title, columns, rows); `to_xlsx(book)`
writes it with openpyxl; the HTML pages render the same `Book`.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from docflow.core import settings
from docflow.core.enums import CLEARANCES
from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import format_date, today
from docflow.extensions import db
from docflow.incoming.models import Assignment, IncomingDocument, ProgressNote
from docflow.registry import access, books
from docflow.registry.books import (  # noqa: F401  (re-exported for the views and the API)
    BOOK_PAGE_ROWS,
    CONFIDENTIALITY_VI,
    URGENCY_VI,
    XLSX_BATCH,
    XLSX_HEADER_ROW,
    XLSX_MIMETYPE,
    Period,
    chunks,
    display,
    local_day,
    page_count,
    parse_day,
    parse_flag,
    parse_period,
    send_xlsx,
    write_xlsx,
)
from docflow.registry.models import Document, Register

#: App. IV, "Sổ đăng ký văn bản đến": the ten columns, in order
INCOMING_COLUMNS = (
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày văn bản",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)
#: App. IV, "Sổ theo dõi giải quyết văn bản đến": the seven columns, in order
TRACKING_COLUMNS = (
    "Số đến",
    "Tên loại, số, ký hiệu, ngày tháng văn bản, tác giả",
    "Đơn vị/người nhận",
    "Thời hạn giải quyết",
    "Tiến độ giải quyết",
    "Số, ký hiệu văn bản trả lời",
    "Ghi chú",
)
#: column widths (Excel character units), same order as the columns
INCOMING_WIDTHS = (11, 8, 28, 16, 11, 48, 30, 11, 12, 26)
TRACKING_WIDTHS = (8, 44, 30, 12, 46, 18, 26)
#: columns holding a date (0-based), written as real dates formatted dd/mm/yyyy
INCOMING_DATE_COLUMNS = (0, 4, 7)
TRACKING_DATE_COLUMNS = (3,)

INCOMING_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
TRACKING_TITLE = "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN"

ROLE_LABELS_VI = {"primary": "xử lý chính", "coordinate": "phối hợp", "inform": "để biết"}



# ---- parameters --------------------------------------------------------------------------------

def parse_register(register_id, confidential=None) -> tuple[Register | None, bool]:
    """(the register, whether the book is the confidential one). `register_id` wins over the flag."""
    if register_id not in (None, ""):
        reg = db.session.get(Register, int(register_id)) if str(register_id).strip().isdigit() else None
        if reg is None or reg.direction != "incoming":
            raise ValidationFailed({"register_id": [_("Choose an incoming register.")]})
        return reg, reg.is_confidential
    return None, parse_flag(confidential)


def registers_for(user) -> list[Register]:
    """Incoming registers the user may choose: confidential ones only when cleared for "Mật"."""
    stmt = sa.select(Register).where(Register.direction == "incoming").order_by(
        Register.year.desc(), Register.is_confidential, Register.name)
    if not user.cleared_for(CLEARANCES[1]):
        stmt = stmt.where(Register.is_confidential.is_(False))
    return list(db.session.scalars(stmt))


# ---- rows --------------------------------------------------------------------------------------

@dataclass(kw_only=True)
class Book(books.Book):
    """The incoming register or the handling-tracking book."""

    register: Register | None = None
    overdue: set[int] = field(default_factory=set)

    @property
    def book_name(self) -> str:
        if self.register is not None:
            return f"{self.register.name} ({self.register.year})"
        return "Sổ văn bản đến mật" if self.confidential else "Sổ văn bản đến"

    @property
    def subtitle(self) -> str:
        return f"{self.book_name} · {self.period.label}"

    def filename(self, ext: str = "xlsx") -> str:
        stem = "so-dang-ky-van-ban-den" if self.kind == "incoming" else "so-theo-doi-giai-quyet-van-ban-den"
        if self.confidential:
            stem += "-mat"
        return f"{stem}_{self.period.start.isoformat()}_{self.period.end.isoformat()}.{ext}"


def documents_stmt(user, period: Period, *, register: Register | None = None, confidential: bool = False):
    """select(Document): visible incoming documents received in the period, in arrival-number order."""
    stmt = (sa.select(Document).join(Register, Register.id == Document.register_id)
            .where(Document.direction == "incoming", access.visible_filter(user, "incoming"),
                   Document.received_date >= period.start, Document.received_date <= period.end))
    if register is not None:
        stmt = stmt.where(Document.register_id == register.id)
    else:
        stmt = stmt.where(Register.is_confidential.is_(bool(confidential)))
    return stmt.order_by(Document.year, Register.is_default.desc(), Register.id, Document.number, Document.id)


def documents_for(user, period: Period, *, register: Register | None = None, confidential: bool = False):
    """Visible incoming documents received in the period, in arrival-number order (every one: small periods)."""
    return list(db.session.scalars(documents_stmt(user, period, register=register, confidential=confidential))
                .unique())


def _load(ids: list[int]) -> list[Document]:
    # the incoming class: its own columns (read by the book) come in this SELECT, not one query per row
    rows = {d.id: d for d in db.session.scalars(sa.select(IncomingDocument).where(IncomingDocument.id.in_(ids)))
            .unique()}
    return [rows[i] for i in ids if i in rows]


def _batches(stmt, *, offset: int = 0, limit: int | None = None, size: int = XLSX_BATCH):
    """The statement's documents, `size` at a time (the ids first, then each batch's rows); each batch
    leaves the session once used, so a year of 200,000 rows takes the memory of one batch."""
    ids_stmt = stmt.with_only_columns(Document.id).offset(offset or None).limit(limit)
    ids = list(db.session.scalars(ids_stmt))
    for chunk in chunks(ids, size):
        docs = _load(chunk)
        yield docs
        for doc in docs:
            db.session.expunge(doc)


def _assignments_by_doc(doc_ids: list[int]) -> dict[int, list[Assignment]]:
    out: dict[int, list[Assignment]] = {i: [] for i in doc_ids}
    for chunk in chunks(doc_ids):
        stmt = (sa.select(Assignment).where(Assignment.document_id.in_(chunk))
                .options(selectinload(Assignment.user), selectinload(Assignment.unit))
                .order_by(Assignment.document_id, Assignment.id))
        for a in db.session.scalars(stmt):
            out[a.document_id].append(a)
    return out


def _last_notes(doc_ids: list[int]) -> dict[int, ProgressNote]:
    out: dict[int, ProgressNote] = {}
    for chunk in chunks(doc_ids):
        newest = (sa.select(sa.func.max(ProgressNote.id)).where(ProgressNote.document_id.in_(chunk),
                                                                ProgressNote.kind == "progress")
                  .group_by(ProgressNote.document_id))
        for note in db.session.scalars(sa.select(ProgressNote).where(ProgressNote.id.in_(newest))):
            out[note.document_id] = note
    return out


def _who(a: Assignment) -> str:
    if a.user is not None:
        return a.user.full_name
    return a.unit.name if a.unit is not None else ""


def _live(assignments: list[Assignment]) -> list[Assignment]:
    """The current direction's top-level assignments (an earlier, replaced direction is cancelled)."""
    return [a for a in assignments if a.parent_id is None and a.state != "cancelled"]


def _recipients(doc: Document, assignments: list[Assignment]) -> str:
    live = _live(assignments)
    if live:
        order = {"primary": 0, "coordinate": 1, "inform": 2}
        children = {a.parent_id: a for a in assignments if a.parent_id is not None and a.state != "cancelled"}
        parts = []
        for a in sorted(live, key=lambda x: (order.get(x.role, 9), x.id)):
            name = _who(a)
            if a.id in children:
                name += f" → {_who(children[a.id])}"
            parts.append(f"{name} ({ROLE_LABELS_VI.get(a.role, a.role)})")
        return "; ".join(parts)
    if doc.presented_to is not None:
        return f"{doc.presented_to.full_name} (trình)"
    if doc.status == "submitted":
        return "Lãnh đạo (trình)"
    return ""


def _transfer_date(doc: Document, assignments: list[Assignment]) -> date | None:
    live = _live(assignments)
    stamp = min((a.created_at for a in live if a.created_at), default=None) or doc.directed_at or doc.presented_at
    return local_day(stamp)


def _primary(assignments: list[Assignment]) -> Assignment | None:
    for a in _live(assignments):
        if a.role == "primary":
            return a
    return None


def _deadline(doc: Document, assignments: list[Assignment]) -> date | None:
    primary = _primary(assignments)
    if primary is not None:
        child = next((a for a in assignments if a.parent_id == primary.id and a.state != "cancelled"), None)
        return (child.due_date if child and child.due_date else None) or primary.due_date or doc.due_date
    return doc.due_date


def _notes(doc: Document) -> str:
    parts = []
    if doc.status == "cancelled":
        parts.append(f"Đã hủy: {doc.cancelled_reason}" if doc.cancelled_reason else "Đã hủy")
    if doc.confidentiality in CONFIDENTIALITY_VI:
        parts.append(CONFIDENTIALITY_VI[doc.confidentiality])
    if doc.urgency in URGENCY_VI:
        parts.append(URGENCY_VI[doc.urgency])
    if doc.notes:
        parts.append(doc.notes)
    return "; ".join(parts)


def _progress(doc: Document, assignments: list[Assignment], note: ProgressNote | None, deadline: date | None,
              on: date) -> tuple[str, bool]:
    """The progress text of the tracking book, and whether the document is overdue."""
    if doc.status == "cancelled":
        return "Đã hủy", False
    if doc.status == "completed":
        done = local_day(doc.completed_at)
        text = "Đã giải quyết" + (f" ngày {format_date(done)}" if done else "")
        if deadline and done and done > deadline:
            text += " (quá hạn)"
        if doc.result:
            text += f": {doc.result}"
        return text, False
    if doc.status == "registered":
        return "Chưa trình", False
    if doc.status == "submitted":
        return "Đã trình, chờ ý kiến chỉ đạo", False
    overdue = deadline is not None and deadline < on
    text = "Đang giải quyết"
    if overdue:
        text += f" – quá hạn {(on - deadline).days} ngày"
    if note is not None:
        text += f"; {format_date(local_day(note.created_at))}: {note.note}"
    return text, overdue


def _type_and_subject(doc: Document) -> str:
    kind = doc.doc_type.name if doc.doc_type else ""
    return f"{kind}: {doc.subject}" if kind else doc.subject


def _identity(doc: Document) -> str:
    parts = [doc.doc_type.name if doc.doc_type else "Văn bản"]
    if doc.number_symbol:
        parts.append(f"số {doc.number_symbol}")
    if doc.issued_date:
        parts.append(f"ngày {format_date(doc.issued_date)}")
    if doc.sender_name:
        parts.append(f"của {doc.sender_name}")
    return " ".join(parts)


def _new_book(kind: str, period: Period, register: Register | None, confidential: bool) -> Book:
    incoming = kind == "incoming"
    return Book(kind=kind, title=INCOMING_TITLE if incoming else TRACKING_TITLE,
                agency=settings.agency().get("name") or "", period=period, register=register,
                confidential=confidential,
                columns=INCOMING_COLUMNS if incoming else TRACKING_COLUMNS,
                widths=INCOMING_WIDTHS if incoming else TRACKING_WIDTHS,
                date_columns=INCOMING_DATE_COLUMNS if incoming else TRACKING_DATE_COLUMNS)


def _incoming_rows(book: Book, docs: list[Document]):
    assignments = _assignments_by_doc([d.id for d in docs])
    for doc in docs:
        mine = assignments[doc.id]
        yield doc, [doc.received_date, doc.number, doc.sender_name or "", doc.number_symbol or "",
                    doc.issued_date, _type_and_subject(doc), _recipients(doc, mine),
                    _transfer_date(doc, mine), "", _notes(doc)]


def _tracking_rows(book: Book, docs: list[Document], on: date):
    ids = [d.id for d in docs]
    assignments = _assignments_by_doc(ids)
    notes = _last_notes(ids)
    for doc in docs:
        mine = assignments[doc.id]
        deadline = _deadline(doc, mine)
        progress, overdue = _progress(doc, mine, notes.get(doc.id), deadline, on)
        if overdue:
            book.overdue.add(doc.id)
        yield doc, [doc.number, _identity(doc), _recipients(doc, mine), deadline, progress,
                    doc.reply_number_symbol or "", _notes(doc)]


def _entries(book: Book, docs: list[Document], on: date):
    return _incoming_rows(book, docs) if book.kind == "incoming" else _tracking_rows(book, docs, on)


def build(kind: str, user, period: Period, *, register: Register | None = None, confidential: bool = False,
          page: int | None = None, per_page: int = BOOK_PAGE_ROWS, stream: bool = False,
          on: date | None = None) -> Book:
    """The book `kind` ("incoming" or "tracking") of the period: every row (`page=None`), one page of
    `per_page` rows (the HTML page; `total` counts the period's entries), or, with `stream=True`, rows
    produced batch by batch as they are read (the XLSX of a whole year, in bounded memory)."""
    if kind not in ("incoming", "tracking"):
        raise ValueError(kind)
    if register is not None:
        confidential = register.is_confidential
    on = on or today()
    book = _new_book(kind, period, register, confidential)
    stmt = documents_stmt(user, period, register=register, confidential=confidential)
    if stream:
        book.rows = (row for docs in _batches(stmt) for _doc, row in _entries(book, docs, on))
        return book
    offset, limit = 0, None
    if page is not None:
        book.page, book.per_page = max(1, page), per_page
        book.total = db.session.scalar(sa.select(sa.func.count()).select_from(
            stmt.with_only_columns(Document.id).order_by(None).subquery())) or 0
        book.page = min(book.page, book.pages)
        offset, limit = (book.page - 1) * per_page, per_page
    for docs in _batches(stmt, offset=offset, limit=limit):
        for doc, row in _entries(book, docs, on):
            book.rows.append(row)
            book.documents.append(doc)
    if page is None:
        book.total = len(book.rows)
    return book


def incoming_book(user, period: Period, *, register: Register | None = None, confidential: bool = False) -> Book:
    """Sổ đăng ký văn bản đến for the period."""
    return build("incoming", user, period, register=register, confidential=confidential)


def tracking_book(user, period: Period, *, register: Register | None = None, confidential: bool = False,
                  on: date | None = None) -> Book:
    """Sổ theo dõi giải quyết văn bản đến for the period (documents received in it)."""
    return build("tracking", user, period, register=register, confidential=confidential, on=on)


def sheet_title(book: Book) -> str:
    return "Sổ đến" if book.kind == "incoming" else "Theo dõi giải quyết"


def to_xlsx(book: Book) -> bytes:
    return write_xlsx(book, sheet_title(book))


def xlsx_response(book: Book):
    """The XLSX download, streamed through a temporary file (build(..., stream=True) for a large period)."""
    return send_xlsx(book, sheet_title(book))
