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

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from docflow.core import settings
from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import format_date, office_tz, to_local, today
from docflow.extensions import db
from docflow.outgoing.models import Recipient
from docflow.registry import access
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

CONFIDENTIALITY_VI = {"confidential": "Mật", "secret": "Tối mật", "top_secret": "Tuyệt mật"}
URGENCY_VI = {"urgent": "Khẩn", "very_urgent": "Thượng khẩn", "flash": "Hỏa tốc"}

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the row number of the column headers in the XLSX (tests and readers look for it)
XLSX_HEADER_ROW = 4

_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRUE = ("1", "true", "yes", "on", "mat")


# ---- parameters --------------------------------------------------------------------------------

def _parse_day(value, key: str, errors: dict) -> date | None:
    """dd/mm/yyyy as typed, or yyyy-mm-dd from a date input; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        m = _DMY.match(text)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        errors.setdefault(key, []).append("Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm (dd/mm/yyyy).")
        return None


@dataclass
class Period:
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"Từ ngày {format_date(self.start)} đến ngày {format_date(self.end)}"

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) of the period's local days as naive UTC (how timestamps are stored)."""
        tz = office_tz()
        lo = datetime.combine(self.start, time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
        return lo, hi


def parse_period(start, end) -> Period:
    """By default from 1 January of this year to today. Raises ValidationFailed with Vietnamese
    messages keyed `from` / `to` for bad or reversed dates."""
    errors: dict[str, list[str]] = {}
    first = _parse_day(start, "from", errors)
    last = _parse_day(end, "to", errors)
    for key, value in (("from", first), ("to", last)):
        if value is not None and not 1945 <= value.year <= 2999:
            errors.setdefault(key, []).append("Năm phải từ 1945 đến 2999.")
    if errors:
        raise ValidationFailed(errors)
    last = last or today()
    first = first or date(last.year, 1, 1)
    if first > last:
        raise ValidationFailed({"from": ["Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."]})
    return Period(first, last)


def parse_confidential(value) -> bool:
    return value is not None and str(value).strip().lower() in _TRUE


# ---- the books -----------------------------------------------------------------------------------

@dataclass
class Book:
    kind: str  # "outgoing" or "postal"
    title: str
    agency: str
    period: Period
    confidential: bool
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    date_columns: tuple[int, ...]
    rows: list[list] = field(default_factory=list)
    #: per row: the document (links, marking cancelled rows)
    documents: list[Document] = field(default_factory=list)

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


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _recipients_by_doc(doc_ids: list[int]) -> dict[int, list[Recipient]]:
    out: dict[int, list[Recipient]] = {i: [] for i in doc_ids}
    for chunk in _chunks(doc_ids):
        for r in db.session.scalars(sa.select(Recipient).where(Recipient.document_id.in_(chunk))
                                    .order_by(Recipient.document_id, Recipient.id)):
            out[r.document_id].append(r)
    return out


def _local_day(stamp: datetime | None) -> date | None:
    return to_local(stamp).date() if stamp else None


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
                          _local_day(sent), "", _notes(doc)])
        book.documents.append(doc)
    return book


def postal_book(user, period: Period, *, confidential: bool = False) -> Book:
    """Sổ gửi văn bản đi bưu điện: the paper copies posted in the period."""
    book = _new_book("postal", period, confidential)
    lo, hi = period.utc_bounds()
    stmt = (sa.select(Recipient, Document).join(Document, Document.id == Recipient.document_id)
            .where(access.visible_filter(user), Document.direction == "outgoing", Recipient.channel == "paper",
                   Recipient.dispatched_at >= lo, Recipient.dispatched_at < hi)
            .order_by(Recipient.dispatched_at, Document.number, Recipient.id))
    for recipient, doc in db.session.execute(stmt):
        book.rows.append([_local_day(recipient.dispatched_at), doc.number_symbol or "", recipient.name,
                          recipient.envelopes or 1, "", _notes(doc)])
        book.documents.append(doc)
    return book


def build(kind: str, user, period: Period, *, confidential: bool = False) -> Book:
    if kind == "outgoing":
        return outgoing_book(user, period, confidential=confidential)
    if kind == "postal":
        return postal_book(user, period, confidential=confidential)
    raise ValueError(kind)


def display(value) -> str:
    """A cell as text (the HTML page): dates dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return format_date(value)
    return str(value)


# ---- XLSX --------------------------------------------------------------------------------------

def _cell_text(value: str) -> str:
    return _ILLEGAL_XLSX.sub("", value)


def to_xlsx(book: Book) -> bytes:
    """The book as an .xlsx: agency and title rows, the App. IV header (frozen, repeated on every
    printed page), one row per entry, dates as dd/mm/yyyy, landscape A4 fitted to the width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ đi" if book.kind == "outgoing" else "Gửi bưu điện"
    last_col = get_column_letter(len(book.columns))
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")

    ws["A1"] = _cell_text(book.agency.upper())
    ws["A1"].font = Font(bold=True, size=12)
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = book.title
    ws["A2"].font = Font(bold=True, size=14)
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last_col}2")
    ws["A3"] = _cell_text(book.subtitle)
    ws["A3"].font = Font(italic=True)
    ws["A3"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A3:{last_col}3")
    header_row = XLSX_HEADER_ROW

    for col, (name, width) in enumerate(zip(book.columns, book.widths, strict=True), start=1):
        cell = ws.cell(row=header_row, column=col, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 32

    for r, row in enumerate(book.rows, start=header_row + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = _cell_text(value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell.value = value
            if (c - 1) in book.date_columns:
                cell.number_format = "dd/mm/yyyy"
                cell.alignment = Alignment(horizontal="center", vertical="top")
            elif isinstance(value, int):
                cell.alignment = Alignment(horizontal="center", vertical="top")
            else:
                cell.alignment = wrap_top
            cell.border = border

    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if book.rows:
        ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + len(book.rows)}"
    wb.properties.title = f"{book.title} – {book.subtitle}"
    wb.properties.creator = "docflow"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
