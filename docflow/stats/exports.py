"""The statistics tables, and every table as CSV and XLSX.

A page and its downloads show one `Table` built once from the service's figures
(`stats/reports.py`), so the numbers cannot differ. Text is always written as text: a label an
office typed ("=HYPERLINK(...)", "+84...", "@x") never becomes a formula, in the XLSX (the cell's
type is set to string, as registry/books.py does) nor in the CSV (such a cell is prefixed with an
apostrophe, the usual defence against CSV injection; numbers stay numbers).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Response

from docflow.registry.books import XLSX_MIMETYPE, cell_text, set_text

CSV_MIMETYPE = "text/csv"
#: characters that make a spreadsheet read a CSV cell as a formula
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    key: str
    label: str
    #: a figure (right-aligned, a link to its documents when the cell has one) rather than a label
    numeric: bool = True
    #: a percentage (shown with "%", one decimal)
    percent: bool = False


@dataclass
class Row:
    """One line of a table: a value per column and, per column, the drill-down parameters of the
    figure (`{"figure": ..., **filters}`) or None."""

    cells: list
    links: list = field(default_factory=list)
    #: the total line (bold, and kept apart in the exports' layout)
    total: bool = False
    #: highlighted (a type that grew, an overdue figure)
    highlight: bool = False

    def link(self, index: int) -> dict | None:
        return self.links[index] if index < len(self.links) else None


@dataclass
class Table:
    #: the table's name in its download URL (volume-doc_type, handling-unit ...)
    name: str
    title: str
    #: the period in words ("Năm 2026")
    subtitle: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    #: the period's query parameters, kept by the drill-down links and the download links
    params: dict = field(default_factory=dict)
    #: a line under the table (what the figures mean)
    note: str = ""

    def values(self) -> list[list]:
        """Every row's values (the total last), as the exports write them."""
        return [list(r.cells) for r in self.rows]

    def column(self, key: str) -> list:
        i = next(i for i, c in enumerate(self.columns) if c.key == key)
        return [r.cells[i] for r in self.rows]


def filename(table_or_name, ext: str) -> str:
    name = table_or_name if isinstance(table_or_name, str) else table_or_name.name
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)
    return f"thong-ke-{safe}.{ext}"


def _csv_value(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return round(value, 1) if isinstance(value, float) else value
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    text = cell_text(str(value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(table: Table) -> str:
    """The table as CSV text: the title and period on the first lines, then the header and the rows
    (UTF-8 with a byte-order mark when sent, so that spreadsheets read the Vietnamese letters)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_value(table.title)])
    writer.writerow([_csv_value(table.subtitle)])
    writer.writerow([_csv_value(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row.cells])
    return out.getvalue()


#: the CSV's header line (after the title and the period)
CSV_HEADER_LINE = 3


def csv_response(table: Table) -> Response:
    response = Response("\ufeff" + to_csv(table), mimetype=CSV_MIMETYPE)
    response.charset = "utf-8"
    response.headers.set("Content-Disposition", "attachment", filename=filename(table, "csv"))
    response.headers["Cache-Control"] = "no-store"
    return response


def to_xlsx(tables: Sequence[Table], *, title: str, agency: str = "", subtitle: str = "",
            one_sheet: bool = False) -> bytes:
    """Tables as an .xlsx: each on its own sheet, or (`one_sheet`, a report) one under the other after
    the agency, the report's title and its period. Header rows bold, totals bold, percentages as numbers
    with one decimal, text never a formula, A4 fitted to the width."""
    # lazy: openpyxl takes ~0.13 s to import and only the downloads need it
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="E9ECEF")
    highlight_fill = PatternFill("solid", fgColor="FFF3CD")

    def sheet(name: str):
        ws = wb.create_sheet(_sheet_title(name, [s.title for s in wb.worksheets]))
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return ws

    def text(ws, row: int, col: int, value: str, **style):
        cell = ws.cell(row=row, column=col)
        set_text(cell, value)
        for name, v in style.items():
            setattr(cell, name, v)
        return cell

    def write_table(ws, table: Table, row: int, with_title: bool) -> int:
        if with_title:
            text(ws, row, 1, table.title, font=Font(bold=True, size=12))
            row += 1
            text(ws, row, 1, table.subtitle, font=Font(italic=True))
            row += 1
        for col, column in enumerate(table.columns, start=1):
            text(ws, row, col, str(column.label), font=Font(bold=True), border=border, fill=header_fill,
                 alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
            width = 34 if not column.numeric else 14
            letter = get_column_letter(col)
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, width)
        row += 1
        for r in table.rows:
            for col, (column, value) in enumerate(zip(table.columns, r.cells, strict=False), start=1):
                cell = ws.cell(row=row, column=col)
                if isinstance(value, str):
                    set_text(cell, value)
                elif isinstance(value, datetime | date):
                    cell.value = value
                    cell.number_format = "dd/mm/yyyy"
                elif isinstance(value, float):
                    cell.value = round(value, 1)
                    cell.number_format = "0.0"
                else:
                    cell.value = value
                cell.border = border
                cell.alignment = Alignment(horizontal="right" if column.numeric else "left", vertical="top",
                                           wrap_text=not column.numeric)
                if r.total:
                    cell.font = Font(bold=True)
                if r.highlight:
                    cell.fill = highlight_fill
            row += 1
        if table.note:
            text(ws, row, 1, table.note, font=Font(italic=True, size=9))
            row += 1
        return row

    if one_sheet:
        ws = sheet(title)
        row = 1
        if agency:
            text(ws, row, 1, agency.upper(), font=Font(bold=True))
            row += 1
        text(ws, row, 1, title, font=Font(bold=True, size=14))
        row += 1
        if subtitle:
            text(ws, row, 1, subtitle, font=Font(italic=True))
            row += 1
        for table in tables:
            row += 1
            row = write_table(ws, table, row, with_title=True)
    else:
        for table in tables:
            ws = sheet(table.title)
            write_table(ws, table, 1, with_title=True)
    if not wb.worksheets:
        sheet(title)
    wb.properties.title = f"{title} – {subtitle}" if subtitle else title
    wb.properties.creator = "docflow"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(name: str, taken: list[str]) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in cell_text(str(name))).strip() or "Sheet"
    clean = clean[:31]
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def xlsx_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename=filename(name, "xlsx"))
    response.headers["Cache-Control"] = "no-store"
    return response
