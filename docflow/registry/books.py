"""What the registers and books of Decree 30 App. IV share (incoming/reports.py and
outgoing/reports.py): the period of a book, Vietnamese labels, and the XLSX layout."""

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _

from docflow.core.errors import ValidationFailed
from docflow.core.timeutil import format_date, office_tz, to_local, today

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the row number of the column headers in the XLSX (tests and readers look for it)
XLSX_HEADER_ROW = 4

CONFIDENTIALITY_VI = {"confidential": "Mật", "secret": "Tối mật", "top_secret": "Tuyệt mật"}
URGENCY_VI = {"urgent": "Khẩn", "very_urgent": "Thượng khẩn", "flash": "Hỏa tốc"}
TRUE_WORDS = ("1", "true", "yes", "on", "mat")

_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_day(value, key: str, errors: dict) -> date | None:
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
        errors.setdefault(key, []).append(_("Not a valid date: enter it as day/month/year (dd/mm/yyyy)."))
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
    """By default from 1 January of this year to today. Raises ValidationFailed with translated
    messages keyed `from` / `to` for bad or reversed dates."""
    errors: dict[str, list[str]] = {}
    first = parse_day(start, "from", errors)
    last = parse_day(end, "to", errors)
    for key, value in (("from", first), ("to", last)):
        if value is not None and not 1945 <= value.year <= 2999:
            errors.setdefault(key, []).append(_("The year must be between 1945 and 2999."))
    if errors:
        raise ValidationFailed(errors)
    last = last or today()
    first = first or date(last.year, 1, 1)
    if first > last:
        raise ValidationFailed({"from": [_("The start date must be on or before the end date.")]})
    return Period(first, last)


def parse_flag(value) -> bool:
    return value is not None and str(value).strip().lower() in TRUE_WORDS


def chunks(ids: list[int], size: int = 900):
    """Ids in slices small enough for an IN (...) on every database."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def local_day(stamp: datetime | None) -> date | None:
    return to_local(stamp).date() if stamp else None


def display(value) -> str:
    """A cell as text (the HTML page): dates dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return format_date(value)
    return str(value)


def cell_text(value: str) -> str:
    return _ILLEGAL_XLSX.sub("", value)


def set_text(cell, value: str) -> None:
    """Write text as text: never a formula (=, +, -, @ ...), whatever the text starts with."""
    cell.value = cell_text(value)
    cell.data_type = "s"


def write_xlsx(book, sheet_title: str) -> bytes:
    """A book (title, agency, subtitle, columns, widths, date_columns, rows) as an .xlsx: agency and
    title rows, the App. IV header (frozen, repeated on every printed page), one row per entry,
    dates as dd/mm/yyyy, text never read as a formula, landscape A4 fitted to the width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    last_col = get_column_letter(len(book.columns))
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")

    set_text(ws["A1"], book.agency.upper())  # the agency's name is typed by an admin: "=HYPERLINK(...)" stays text
    ws["A1"].font = Font(bold=True, size=12)
    ws.merge_cells(f"A1:{last_col}1")
    set_text(ws["A2"], book.title)
    ws["A2"].font = Font(bold=True, size=14)
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last_col}2")
    set_text(ws["A3"], book.subtitle)
    ws["A3"].font = Font(italic=True)
    ws["A3"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A3:{last_col}3")
    header_row = XLSX_HEADER_ROW

    for col, (name, width) in enumerate(zip(book.columns, book.widths, strict=True), start=1):
        cell = ws.cell(row=header_row, column=col)
        set_text(cell, str(name))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 32

    for r, row in enumerate(book.rows, start=header_row + 1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                set_text(cell, value)
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
