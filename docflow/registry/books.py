"""What the registers and books of Decree 30 App. IV share (incoming/reports.py and
outgoing/reports.py): the period of a book, Vietnamese labels, and the XLSX layout."""

import io
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import Response
from flask_babel import gettext as _

from docflow.core.errors import ValidationFailed
from docflow.core.fields import to_date
from docflow.core.timeutil import format_date, office_tz, to_local, today
from docflow.core.tx import passing_over

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: the row number of the column headers in the XLSX (tests and readers look for it)
XLSX_HEADER_ROW = 4

CONFIDENTIALITY_VI = {"confidential": "Mật", "secret": "Tối mật", "top_secret": "Tuyệt mật"}
URGENCY_VI = {"urgent": "Khẩn", "very_urgent": "Thượng khẩn", "flash": "Hỏa tốc"}
TRUE_WORDS = ("1", "true", "yes", "on", "mat")

_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_day(value, key: str, errors: dict) -> date | None:
    """dd/mm/yyyy as typed, or yyyy-mm-dd (core.fields.to_date); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return to_date(value)
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


#: rows of a book page (the XLSX has them all)
BOOK_PAGE_ROWS = 200
#: documents read at a time while a book's XLSX is written
XLSX_BATCH = 1000


def parse_period(start, end, default: str = "year") -> Period:
    """A period ending on `end` (default today) and starting on `start`, by default the first day of
    `end`'s year (`default="year"`: the API's contract) or of its month (`default="month"`: the book
    pages, decision 12). Raises ValidationFailed with translated messages keyed `from` / `to` for bad or
    reversed dates."""
    errors: dict[str, list[str]] = {}
    first = parse_day(start, "from", errors)
    last = parse_day(end, "to", errors)
    for key, value in (("from", first), ("to", last)):
        if value is not None and not 1945 <= value.year <= 2999:
            errors.setdefault(key, []).append(_("The year must be between 1945 and 2999."))
    if errors:
        raise ValidationFailed(errors)
    last = last or today()
    first = first or (date(last.year, last.month, 1) if default == "month" else date(last.year, 1, 1))
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


def page_count(total: int, per_page: int = BOOK_PAGE_ROWS) -> int:
    return max(1, -(-total // per_page))


@dataclass(kw_only=True)
class Book:
    """What every register book is: its title and columns, the period, and the rows of the page shown
    (the XLSX has every row of the period). Each flow's book adds its own fields and name."""

    kind: str
    title: str
    agency: str
    period: Period
    confidential: bool
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    date_columns: tuple[int, ...]
    rows: list[list] = field(default_factory=list)
    #: per row: the document (links, marking and highlighting rows in the HTML page)
    documents: list = field(default_factory=list)
    #: entries in the period, the page shown, rows a page
    total: int = 0
    page: int = 1
    per_page: int = BOOK_PAGE_ROWS

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    def paged(self, page: int) -> "Book":
        """Only the rows of one page, from a period's rows all in memory."""
        self.total = len(self.rows)
        self.page = min(max(1, page), self.pages)
        start = (self.page - 1) * self.per_page
        self.rows = self.rows[start:start + self.per_page]
        self.documents = self.documents[start:start + self.per_page]
        return self


def send_xlsx(book, sheet_title: str):
    """The book's XLSX as a download, written to a temporary file (not memory) and sent from it."""
    out = tempfile.TemporaryFile()
    try:
        with passing_over():  # SQLite: a year's rows read once, through a small page cache
            write_xlsx_to(book, sheet_title, out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise

    def chunks_of_file():
        try:
            while chunk := out.read(256 * 1024):
                yield chunk
        finally:
            out.close()

    response = Response(chunks_of_file(), mimetype=XLSX_MIMETYPE, direct_passthrough=True)
    response.headers.set("Content-Disposition", "attachment", filename=book.filename("xlsx"))
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "no-store"
    return response


def write_xlsx(book, sheet_title: str) -> bytes:
    """The book as .xlsx bytes (small books and tests); `write_xlsx_to` streams a large one to a file."""
    out = io.BytesIO()
    write_xlsx_to(book, sheet_title, out)
    return out.getvalue()


def write_xlsx_to(book, sheet_title: str, out) -> int:
    """A book (title, agency, subtitle, columns, widths, date_columns, rows) as an .xlsx written to `out`:
    agency and title rows, the App. IV header (frozen, repeated on every printed page), one row per entry,
    dates as dd/mm/yyyy, text never read as a formula, landscape A4 fitted to the width.

    openpyxl's write-only mode: `book.rows` may be any iterable (a generator fetching the rows in
    batches), each row goes to a temporary file as it comes, so a 200,000-row year takes bounded memory.
    Returns the number of entries written."""
    # lazy: openpyxl takes ~0.13 s to import and only this .xlsx export needs it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    last_col = get_column_letter(len(book.columns))
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    center_top = Alignment(horizontal="center", vertical="top")
    header_row = XLSX_HEADER_ROW

    for col, width in enumerate(book.widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    def text(value: str, **style):
        cell = WriteOnlyCell(ws)
        set_text(cell, value)  # the agency's name is typed by an admin: "=HYPERLINK(...)" stays text
        for name, v in style.items():
            setattr(cell, name, v)
        return cell

    ws.append([text(book.agency.upper(), font=Font(bold=True, size=12))])
    ws.append([text(book.title, font=Font(bold=True, size=14), alignment=Alignment(horizontal="center"))])
    ws.append([text(book.subtitle, font=Font(italic=True), alignment=Alignment(horizontal="center"))])
    for r in (1, 2, 3):
        ws.merged_cells.add(f"A{r}:{last_col}{r}")
    ws.row_dimensions[header_row].height = 32
    ws.append([text(str(name), font=Font(bold=True), border=border,
                    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
               for name in book.columns])

    written = 0
    for row in book.rows:
        cells = []
        for c, value in enumerate(row):
            cell = WriteOnlyCell(ws)
            if isinstance(value, str):
                set_text(cell, value)
            else:
                cell.value = value
            if c in book.date_columns:
                cell.number_format = "dd/mm/yyyy"
                cell.alignment = center_top
            elif isinstance(value, int):
                cell.alignment = center_top
            else:
                cell.alignment = wrap_top
            cell.border = border
            cells.append(cell)
        ws.append(cells)
        written += 1

    if written:
        ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + written}"
    wb.properties.title = f"{book.title} – {book.subtitle}"
    wb.properties.creator = "docflow"
    wb.save(out)
    return written
