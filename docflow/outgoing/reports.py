"""The outgoing books of Decree 30/2020 App. IV, built for a period from what the user may see.

- Sổ đăng ký văn bản đi (the outgoing register): one row per number issued in the period, in
  number order; a cancelled document keeps its number and its row (marked in Ghi chú), so the
  printed book has no holes. The ordinary and the confidential (mật) books are separate
  (`confidential`).
- Sổ gửi văn bản đi bưu điện (the postal dispatch book): one row per recipient sent the paper
  copy in the period, in dispatch order.

Rows come only from `access.visible_filter(user)`. `outgoing_book(...)` / `postal_book(...)`
return a `Book`; `to_xlsx(book)` writes it with openpyxl; the HTML pages render the same `Book`.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from docflow.core import settings
from docflow.extensions import db
from docflow.outgoing.models import Recipient
from docflow.registry import access, books
from docflow.registry.books import (  # noqa: F401  (re-exported for the views and the API)
    BOOK_PAGE_ROWS,
    CONFIDENTIALITY_VI,
    URGENCY_VI,
    XLSX_HEADER_ROW,
    XLSX_MIMETYPE,
    Period,
    chunks,
    display,
    local_day,
    page_count,
    parse_day,
    parse_period,
    send_xlsx,
    write_xlsx,
)
from docflow.registry.books import parse_flag as parse_confidential  # noqa: F401
from docflow.registry.models import Document, Register

#: App. IV, "Sổ đăng ký văn bản đi": the ten columns, in order
OUTGOING_COLUMNS = (
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)
#: App. IV, "Sổ gửi văn bản đi bưu điện": the six columns, in order
POSTAL_COLUMNS = (
    "Ngày chuyển",
    "Số, ký hiệu văn bản",
    "Nơi nhận văn bản",
    "Số lượng bì",
    "Ký nhận và dấu bưu điện",
    "Ghi chú",
)
OUTGOING_WIDTHS = (16, 11, 48, 20, 36, 26, 8, 11, 12, 24)
POSTAL_WIDTHS = (11, 16, 44, 9, 24, 26)
OUTGOING_DATE_COLUMNS = (1, 7)
POSTAL_DATE_COLUMNS = (0,)

OUTGOING_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
POSTAL_TITLE = "SỔ GỬI VĂN BẢN ĐI BƯU ĐIỆN"


#: the row number of the column headers in the XLSX (tests and readers look for it)



# ---- parameters --------------------------------------------------------------------------------

# ---- the books -----------------------------------------------------------------------------------

@dataclass(kw_only=True)
class Book(books.Book):
    """The outgoing register or the postal dispatch book."""

    @property
    def book_name(self) -> str:
        if self.kind == "postal":
            return "Sổ gửi văn bản đi bưu điện"
        return "Sổ văn bản đi mật" if self.confidential else "Sổ văn bản đi"

    @property
    def subtitle(self) -> str:
        return f"{self.book_name} · {self.period.label}"

    def filename(self, ext: str = "xlsx") -> str:
        stem = "so-dang-ky-van-ban-di" if self.kind == "outgoing" else "so-gui-van-ban-di-buu-dien"
        if self.confidential and self.kind == "outgoing":
            stem += "-mat"
        return f"{stem}_{self.period.start.isoformat()}_{self.period.end.isoformat()}.{ext}"


def _new_book(kind: str, period: Period, confidential: bool) -> Book:
    outgoing = kind == "outgoing"
    return Book(kind=kind, title=OUTGOING_TITLE if outgoing else POSTAL_TITLE,
                agency=settings.agency().get("name") or "", period=period, confidential=confidential,
                columns=OUTGOING_COLUMNS if outgoing else POSTAL_COLUMNS,
                widths=OUTGOING_WIDTHS if outgoing else POSTAL_WIDTHS,
                date_columns=OUTGOING_DATE_COLUMNS if outgoing else POSTAL_DATE_COLUMNS)


def _recipients_by_doc(doc_ids: list[int]) -> dict[int, list[Recipient]]:
    out: dict[int, list[Recipient]] = {i: [] for i in doc_ids}
    for chunk in chunks(doc_ids):
        for r in db.session.scalars(sa.select(Recipient).where(Recipient.document_id.in_(chunk))
                                    .order_by(Recipient.document_id, Recipient.id)):
            out[r.document_id].append(r)
    return out


def _type_and_subject(doc: Document) -> str:
    kind = doc.doc_type.name if doc.doc_type else ""
    return f"{kind}: {doc.subject}" if kind else doc.subject


def _signer(doc: Document) -> str:
    name = doc.signer or (doc.signer_user.full_name if doc.signer_user is not None else "")
    if name and doc.signing_capacity:
        return f"{doc.signing_capacity} {name}"
    return name or ""


def _kept_copy(doc: Document) -> str:
    """Đơn vị, người nhận bản lưu: the clerk's office keeps the original, the drafting unit a copy."""
    parts = ["Văn thư"]
    if doc.drafting_unit is not None:
        unit = doc.drafting_unit.name
        if doc.drafter is not None:
            unit += f" ({doc.drafter.full_name})"
        parts.append(unit)
    return "; ".join(parts)


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


def documents_for(user, period: Period, *, confidential: bool = False) -> list[Document]:
    """Visible numbered outgoing documents issued in the period (cancelled ones keep their number),
    in number order, from the ordinary or the confidential registers."""
    stmt = (sa.select(Document).join(Register, Register.id == Document.register_id)
            .where(access.visible_filter(user), Document.direction == "outgoing", Document.number.is_not(None),
                   Document.status.in_(("issued", "cancelled")), Register.is_confidential.is_(bool(confidential)),
                   Document.issued_date >= period.start, Document.issued_date <= period.end)
            .order_by(Document.year, Register.is_default.desc(), Register.id, Document.number))
    return list(db.session.scalars(stmt).unique())


def outgoing_book(user, period: Period, *, confidential: bool = False) -> Book:
    """Sổ đăng ký văn bản đi for the period."""
    book = _new_book("outgoing", period, confidential)
    docs = documents_for(user, period, confidential=confidential)
    recipients = _recipients_by_doc([d.id for d in docs])
    for doc in docs:
        mine = recipients[doc.id]
        sent = min((r.dispatched_at for r in mine if r.dispatched_at), default=None)
        book.rows.append([doc.number_symbol or "", doc.issued_date, _type_and_subject(doc), _signer(doc),
                          "; ".join(r.name for r in mine), _kept_copy(doc), doc.copies or len(mine) or None,
                          local_day(sent), "", _notes(doc)])
        book.documents.append(doc)
    return book


def postal_book(user, period: Period, *, confidential: bool = False) -> Book:
    """Sổ gửi văn bản đi bưu điện: the paper copies posted in the period."""
    book = _new_book("postal", period, confidential)
    lo, hi = period.utc_bounds()
    stmt = (sa.select(Recipient, Document).join(Document, Document.id == Recipient.document_id)
            .where(access.visible_filter(user), Document.direction == "outgoing", Recipient.channel == "paper",
                   Recipient.unit_id.is_(None),  # the office's own units get it in their inbox, not by post
                   Recipient.dispatched_at >= lo, Recipient.dispatched_at < hi)
            .order_by(Recipient.dispatched_at, Document.number, Recipient.id))
    for recipient, doc in db.session.execute(stmt):
        book.rows.append([local_day(recipient.dispatched_at), doc.number_symbol or "", recipient.name,
                          recipient.envelopes or 1, "", _notes(doc)])
        book.documents.append(doc)
    return book


def build(kind: str, user, period: Period, *, confidential: bool = False) -> Book:
    if kind == "outgoing":
        return outgoing_book(user, period, confidential=confidential)
    if kind == "postal":
        return postal_book(user, period, confidential=confidential)
    raise ValueError(kind)


def to_xlsx(book: Book) -> bytes:
    return write_xlsx(book, "Sổ đi" if book.kind == "outgoing" else "Gửi bưu điện")


def xlsx_response(book: Book):
    """The XLSX download, written through a temporary file."""
    return send_xlsx(book, "Sổ đi" if book.kind == "outgoing" else "Gửi bưu điện")
