"""The archive's printable sheets and their XLSX: a dossier's cover (bìa hồ sơ), its document index
(mục lục văn bản), a transfer list (mục lục hồ sơ nộp lưu) with its handover record (biên bản giao
nhận), and the borrowing book (sổ theo dõi sử dụng).

A page and its download are drawn from one `Sheet` built once, so they cannot differ. What a sheet
lists of a dossier's documents comes from the archive's services, within what the reader may see
(registry/access.py): a confidential document stays out of an uncleared reader's index, and out of
its counts. Text is always written as text (registry/books.set_text): a title typed as "=1+1" never
becomes a formula.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Response
from flask_babel import gettext as _

from docflow.core import settings
from docflow.core.timeutil import format_date, today
from docflow.registry.books import XLSX_MIMETYPE, local_day, set_text


@dataclass
class Sheet:
    """One printable sheet: a heading, optional label/value lines (a cover, a record) and a table."""

    #: the worksheet's and the download's name
    name: str
    title: str
    subtitle: str = ""
    agency: str = ""
    #: label/value lines above the table (the cover's fields, the record's parties)
    fields: list[tuple[str, object]] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    widths: tuple[int, ...] = ()
    rows: list[list] = field(default_factory=list)
    #: lines under the table (totals, signatures)
    footer: list[str] = field(default_factory=list)


def agency_name() -> str:
    return settings.agency().get("name") or ""


def retention_label(years: int | None) -> str:
    return _("Permanent") if years is None else _("%(n)s years", n=years)


def dates_label(start: date | None, end: date | None) -> str:
    return f"{format_date(start) if start else '…'} – {format_date(end) if end else '…'}"


def _author(doc) -> str:
    """Who issued a document: its sender for an incoming letter, the agency for its own documents."""
    if doc.direction == "incoming":
        return doc.sender_name or (doc.sender_org.name if doc.sender_org else "")
    return agency_name()


# ---- a dossier ----------------------------------------------------------------------------------

def cover(dossier, counts: dict) -> Sheet:
    """The dossier's cover: its metadata (App. VI §III) and the counts the reader may see."""
    return Sheet(
        name=f"bia-ho-so-{dossier.year}-{dossier.code}", title=_("DOSSIER"), agency=agency_name(),
        subtitle=dossier.title,
        fields=[
            (_("File code"), f"{dossier.year}/{dossier.code}"),
            (_("Title"), dossier.title),
            (_("Unit"), dossier.unit.name if dossier.unit else ""),
            (_("Keeper"), dossier.keeper.full_name if dossier.keeper else ""),
            (_("Start date"), dossier.start_date),
            (_("End date"), dossier.end_date),
            (_("Retention"), retention_label(dossier.retention_years)),
            (_("Rights"), dossier.rights or ""),
            (_("Language"), dossier.language or ""),
            (_("Number of documents"), counts["documents"]),
            (_("Number of pages"), counts["pages"]),
            (_("Box"), dossier.location_box or ""),
            (_("Shelf"), dossier.location_shelf or ""),
            (_("Closing note"), dossier.closing_note or ""),
        ])


INDEX_COLUMNS = ("STT", "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tác giả văn bản", "Trích yếu nội dung",
                 "Số trang", "Ghi chú")


def flag_label(flag: str | None) -> str:
    return {"draft": _("Draft"), "duplicate": _("Duplicate")}.get(flag or "", flag or "")


def document_index(dossier, entries: list, counts: dict) -> Sheet:
    """Mục lục văn bản: the documents of the dossier the reader may see, in the dossier's order."""
    rows = []
    for n, entry in enumerate(entries, start=1):
        doc = entry.document
        rows.append([n, doc.number_symbol or "", doc.issued_date, _author(doc), doc.subject,
                     doc.pages if doc.pages is not None else "", flag_label(entry.flag)])
    return Sheet(
        name=f"muc-luc-van-ban-{dossier.year}-{dossier.code}", title="MỤC LỤC VĂN BẢN", agency=agency_name(),
        subtitle=f"{_('Dossier')} {dossier.code}: {dossier.title}",
        columns=INDEX_COLUMNS, widths=(6, 18, 12, 28, 60, 9, 14), rows=rows,
        footer=[_("%(n)s documents, %(p)s pages.", n=counts["documents"], p=counts["pages"])])


# ---- the file plan ------------------------------------------------------------------------------

PLAN_COLUMNS = ("STT", "Số và ký hiệu hồ sơ", "Tên đề mục và tiêu đề hồ sơ", "Thời hạn bảo quản", "Người lập hồ sơ",
                "Ghi chú")


def roman(n: int) -> str:
    """I, II, III... (the file plan's major headings)."""
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def file_plan(plan, dossiers: list) -> Sheet:
    """Danh mục hồ sơ (App. V): major headings I, II..., sub-headings 1, 2..., each with its dossiers
    (the ones the reader may see), then the dossiers under no heading. Heading lines have no number."""
    by_heading: dict = {}
    for d in dossiers:
        by_heading.setdefault(d.heading_id, []).append(d)
    rows: list[list] = []
    n = 0

    def put(items):
        nonlocal n
        for d in items:
            n += 1
            rows.append([n, d.code, d.title, retention_label(d.retention_years),
                         d.keeper.full_name if d.keeper else "", d.description or ""])

    majors = [h for h in plan.headings if h.parent_id is None]
    for i, major in enumerate(majors, start=1):
        rows.append(["", "", f"{roman(i)}. {major.title}", "", "", ""])
        put(by_heading.get(major.id, []))
        for j, sub in enumerate([h for h in plan.headings if h.parent_id == major.id], start=1):
            rows.append(["", "", f"{j}. {sub.title}", "", "", ""])
            put(by_heading.get(sub.id, []))
    put(by_heading.get(None, []))
    state = _("approved") if plan.status == "approved" else _("draft")
    return Sheet(name=f"danh-muc-ho-so-{plan.year}", title=f"DANH MỤC HỒ SƠ NĂM {plan.year}", agency=agency_name(),
                 subtitle=f"({state})", columns=PLAN_COLUMNS, widths=(6, 16, 60, 16, 24, 20), rows=rows,
                 footer=[_("%(n)s dossiers.", n=n)])


# ---- a transfer ---------------------------------------------------------------------------------

TRANSFER_COLUMNS = ("STT", "Số, ký hiệu hồ sơ", "Tiêu đề hồ sơ", "Thời gian bắt đầu và kết thúc", "Thời hạn bảo quản",
                    "Số tờ", "Hộp", "Giá", "Ghi chú")


def transfer_list(transfer, counts_of: dict) -> Sheet:
    """Mục lục hồ sơ nộp lưu: one line per dossier; `counts_of` holds each dossier's counts as the
    reader may see them."""
    rows = []
    for n, d in enumerate(transfer.dossiers, start=1):
        counts = counts_of.get(d.id) or {"documents": 0, "pages": 0}
        rows.append([n, d.code, d.title, dates_label(d.start_date, d.end_date), retention_label(d.retention_years),
                     counts["pages"], d.location_box or "", d.location_shelf or "", d.closing_note or ""])
    return Sheet(name=f"muc-luc-nop-luu-{transfer.id}", title="MỤC LỤC HỒ SƠ NỘP LƯU", agency=agency_name(),
                 subtitle=_("Transfer no. %(n)s", n=transfer.id) + (
                     " – " + (transfer.unit.name if transfer.unit else "") if transfer.unit else ""),
                 columns=TRANSFER_COLUMNS, widths=(6, 16, 50, 22, 14, 8, 10, 10, 24), rows=rows,
                 footer=[_("%(n)s dossiers.", n=len(rows))])


def handover_record(transfer) -> Sheet:
    """Biên bản giao nhận: who hands over, who receives, what and when."""
    accepted = local_day(transfer.accepted_at)
    return Sheet(
        name=f"bien-ban-giao-nhan-{transfer.id}", title="BIÊN BẢN GIAO NHẬN HỒ SƠ", agency=agency_name(),
        subtitle=_("Transfer no. %(n)s", n=transfer.id),
        fields=[
            (_("Handed over by"), transfer.created_by.full_name if transfer.created_by else ""),
            (_("Unit"), transfer.unit.name if transfer.unit else ""),
            (_("Received by (the archive)"), transfer.accepted_by.full_name if transfer.accepted_by else ""),
            (_("Proposed on"), local_day(transfer.created_at)),
            (_("Accepted on"), accepted or _("not yet accepted")),
            (_("Number of dossiers"), len(transfer.dossiers)),
            (_("Note"), transfer.note or ""),
        ],
        footer=[_("The record is made in two copies: the unit keeps one, the archive keeps one.")])


# ---- the borrowing book ------------------------------------------------------------------------

BOOK_COLUMNS = ("STT", "Ngày đề nghị", "Người khai thác", "Hồ sơ", "Mục đích khai thác", "Người duyệt",
                "Ngày cho mượn", "Hạn trả", "Ngày trả", "Tình trạng")


def loan_state_label(loan, on: date) -> str:
    labels = {"requested": _("Requested"), "approved": _("Approved"), "lent": _("Lent"),
              "returned": _("Returned"), "refused": _("Refused")}
    label = labels.get(loan.state, loan.state)
    if loan.state == "lent" and loan.due_date and loan.due_date < on:
        label = _("Overdue")
    return label


def borrowing_book(loans: list, *, subtitle: str = "") -> Sheet:
    """Sổ theo dõi sử dụng: one line per loan (the list the page shows, in its order)."""
    on = today()
    rows = []
    for n, loan in enumerate(loans, start=1):
        rows.append([n, local_day(loan.requested_at), loan.borrower.full_name if loan.borrower else "",
                     f"{loan.dossier.code} – {loan.dossier.title}", loan.reason,
                     loan.decided_by.full_name if loan.decided_by else "", local_day(loan.lent_at), loan.due_date,
                     local_day(loan.returned_at), loan_state_label(loan, on)])
    return Sheet(name="so-theo-doi-su-dung", title="SỔ THEO DÕI SỬ DỤNG TÀI LIỆU LƯU TRỮ", agency=agency_name(),
                 subtitle=subtitle, columns=BOOK_COLUMNS, widths=(6, 12, 22, 40, 36, 20, 12, 12, 12, 14),
                 rows=rows)


# ---- the XLSX --------------------------------------------------------------------------------

def to_xlsx(sheets: list[Sheet]) -> bytes:
    """Sheets as an .xlsx, one worksheet each: agency, title and subtitle, the label/value lines, the
    table (bordered, its header bold and repeated on every printed page), the footer lines; dates as
    dd/mm/yyyy; text never a formula; A4 fitted to the width."""
    # lazy: openpyxl takes ~0.13 s to import and only the downloads need it
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    taken: list[str] = []
    for sheet in sheets:
        ws = wb.create_sheet(_sheet_title(sheet.name, taken))
        taken.append(ws.title)
        ws.page_setup.orientation = "landscape" if len(sheet.columns) > 5 else "portrait"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        for col, width in enumerate(sheet.widths or (30, 60), start=1):
            ws.column_dimensions[get_column_letter(col)].width = width

        def put(row, col, value, ws=ws, **style):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                set_text(cell, value)
            elif isinstance(value, datetime | date):
                cell.value = value
                cell.number_format = "dd/mm/yyyy"
            else:
                cell.value = value
            for name, v in style.items():
                setattr(cell, name, v)
            return cell

        row = 1
        if sheet.agency:
            put(row, 1, sheet.agency.upper(), font=Font(bold=True))
            row += 1
        put(row, 1, sheet.title, font=Font(bold=True, size=14))
        row += 1
        if sheet.subtitle:
            put(row, 1, sheet.subtitle, font=Font(italic=True))
            row += 1
        row += 1
        for label, value in sheet.fields:
            put(row, 1, label, font=Font(bold=True))
            put(row, 2, "" if value is None else value, alignment=Alignment(horizontal="left", wrap_text=True))
            row += 1
        if sheet.columns:
            if sheet.fields:
                row += 1
            header = row
            for col, name in enumerate(sheet.columns, start=1):
                put(row, col, name, font=Font(bold=True), border=border,
                    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
            ws.print_title_rows = f"{header}:{header}"
            ws.freeze_panes = f"A{header + 1}"
            row += 1
            for values in sheet.rows:
                for col, value in enumerate(values, start=1):
                    put(row, col, "" if value is None else value, border=border,
                        alignment=Alignment(vertical="top", wrap_text=isinstance(value, str)))
                row += 1
        for line in sheet.footer:
            row += 1
            put(row, 1, line, font=Font(italic=True))
    wb.properties.title = sheets[0].title if sheets else ""
    wb.properties.creator = "docflow"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(name: str, taken: list[str]) -> str:
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def xlsx_response(sheets: list[Sheet], name: str) -> Response:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)
    response = Response(to_xlsx(sheets), mimetype=XLSX_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename=f"{safe}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
