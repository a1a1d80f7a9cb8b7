"""The archive's XLSX (a dossier's cover and document index, a transfer list with its handover record,
the borrowing book) hold the same lines and numbers as their pages; a confidential document filed in a
dossier is absent from an uncleared reader's index and counts; text typed as a formula stays text."""

import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from docflow.archive import services
from docflow.archive.models import Dossier, Loan
from docflow.core.timeutil import today
from tests.archive.test_pages import _html, build
from tests.conftest import login


@pytest.fixture
def archive(db, users):
    return build(db, users)


@pytest.fixture
def as_user(app):
    def do(user):
        client = app.test_client()
        login(client, user.username)
        return client

    return do


class _Tables(HTMLParser):
    """The body rows (cell texts) of every table with class `sheet-table` / `sheet-fields`."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._kind = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            self._kind = next((k for k in ("sheet-table", "sheet-fields", "loan") if k in classes), None)
            if dict(attrs).get("id") == "loan-table":
                self._kind = "loan-table"
            if self._kind:
                self.tables.setdefault(self._kind, [])
        elif tag == "tr" and self._kind and self._row is None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._kind].append(self._row)
            self._row = None
        elif tag == "table":
            self._kind = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _tables(html: str) -> dict:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _xlsx(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _sheet_rows(ws) -> tuple[list[str], list[list]]:
    """The table of a worksheet: its header (the row starting with STT) and the rows under it."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    body = []
    for r in rows[start + 1:]:
        if r[0] is None or not isinstance(r[0], int):
            break
        body.append(r)
    return [c for c in rows[start] if c is not None], body


def _fields(ws) -> dict:
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0] and len(r) > 1 and r[1] is not None}


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def test_the_index_and_cover_hold_the_page_lines_and_hide_what_the_reader_may_not_see(as_user, users, archive, db):
    dossier = db.session.get(Dossier, archive["dossier"])
    services.add_document(dossier, archive["docs"]["b"], actor=users["archivist"])  # its subject starts with "="
    db.session.commit()
    path = f"/archive/dossiers/{archive['dossier']}"
    for role, expected_docs, expected_pages in (("archivist", 3, 10), ("specialist", 2, 5)):
        client = as_user(users[role])
        page_rows = _tables(_html(client, path + "/index"))["sheet-table"][1:]
        header, rows = _sheet_rows(_xlsx(client, path + "/index.xlsx").active)
        assert header[0] == "STT" and "Trích yếu nội dung" in header
        assert len(rows) == len(page_rows) == expected_docs
        assert [[_text(v) for v in r] for r in rows] == page_rows
        subjects = [r[4] for r in rows]
        assert ("Bảo vệ bí mật nhà nước" in subjects) == (role == "archivist")
        assert sum(r[5] or 0 for r in rows) == expected_pages
        # the cover counts the same documents and pages, on the page and in its XLSX
        cover_page = dict(_tables(_html(client, path + "/cover"))["sheet-fields"])
        cover = _fields(_xlsx(client, path + "/cover.xlsx").active)
        assert cover["Number of documents"] == expected_docs == int(cover_page["Number of documents"])
        assert cover["Number of pages"] == expected_pages == int(cover_page["Number of pages"])
    # text typed as a formula stays text
    wb = _xlsx(as_user(users["specialist"]), path + "/index.xlsx")
    ws = wb.active
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYP"))
    assert cell.data_type == "s"


def test_the_transfer_list_record_and_borrowing_book_match_their_pages(as_user, users, archive, db):
    t = today()
    archivist = users["archivist"]
    dossier = db.session.get(Dossier, archive["dossier"])
    services.close_dossier(dossier, {"end_date": t, "closing_note": "=SUM(A1)"}, actor=archivist)
    transfer = services.create_transfer([dossier.id], actor=users["unit_head"], note="Nộp lưu")
    services.accept_transfer(transfer, actor=archivist, locations={dossier.id: ("H7", "G2")})
    for who, days in (("specialist", 5), ("unit_head", 9)):
        services.request_loan(dossier, reason=f"Tra cứu {who}", due_date=t + timedelta(days=days), actor=users[who])
    db.session.commit()
    first = db.session.scalar(sa.select(Loan).order_by(Loan.id))
    services.approve_loan(first, actor=users["leader"])
    services.lend_loan(first, actor=archivist)
    db.session.commit()

    arch = as_user(archivist)
    tables = _tables(_html(arch, f"/archive/transfers/{transfer.id}"))
    wb = _xlsx(arch, f"/archive/transfers/{transfer.id}.xlsx")
    assert len(wb.worksheets) == 2
    header, rows = _sheet_rows(wb.worksheets[0])
    assert header[:3] == ["STT", "Số, ký hiệu hồ sơ", "Tiêu đề hồ sơ"]
    assert [[_text(v) for v in r] for r in rows] == tables["sheet-table"][1:]
    assert rows[0][1] == "01.KT" and list(rows[0][6:8]) == ["H7", "G2"] and rows[0][5] == 8
    record = _fields(wb.worksheets[1])
    assert record["Number of dossiers"] == 1 and record["Received by (the archive)"] == archivist.full_name
    assert dict(tables["sheet-fields"])["Number of dossiers"] == "1"
    note = next(c for row in wb.worksheets[0].iter_rows() for c in row if c.value == "=SUM(A1)")
    assert note.data_type == "s"
    # an uncleared reader's transfer list counts only the pages they may see
    head_rows = _sheet_rows(_xlsx(as_user(users["specialist"]),
                                  f"/archive/transfers/{transfer.id}.xlsx").worksheets[0])[1]
    assert head_rows[0][5] == 3

    # the borrowing book: the archivist's has both loans, a reader's only theirs; page == XLSX
    for user, expected in ((archivist, 2), (users["specialist"], 1)):
        client = as_user(user)
        page_rows = [r[:-1] for r in _tables(_html(client, "/archive/loans"))["loan-table"][1:]]
        header, rows = _sheet_rows(_xlsx(client, "/archive/loans.xlsx").active)
        assert len(rows) == len(page_rows) == expected
        assert [[_text(v) for v in r] for r in rows] == page_rows
    header, rows = _sheet_rows(_xlsx(arch, "/archive/loans.xlsx?state=lent").active)
    assert len(rows) == 1 and rows[0][4] == "Tra cứu specialist" and rows[0][9] == "Lent"


def test_the_file_plan_printed_and_as_xlsx(as_user, users, archive, db, make_user):
    y = today().year + 1
    archivist = users["archivist"]
    plan = services.create_plan(y, actor=archivist)
    major = services.add_heading(plan, {"title": "Kinh tế", "abbr": "KT", "unit_id": users["specialist"].unit_id},
                                 actor=archivist)
    sub = services.add_heading(plan, {"title": "Ngân sách", "parent_id": major.id}, actor=archivist)
    other = services.add_heading(plan, {"title": "Văn hóa", "abbr": "VX"}, actor=archivist)
    vx_unit = make_user("specialist", unit="VX", username="vx5").unit_id
    for code, title, heading, unit in (("01.KT", "Kế hoạch kinh tế", major, None), ("02.KT", "Dự toán", sub, users["specialist"].unit_id),
                                       ("01.VX", "Lễ hội", other, vx_unit)):
        services.plan_dossier(plan, {"code": code, "title": title, "heading_id": heading.id, "retention_years": 10,
                                     "unit_id": unit}, actor=archivist)
    db.session.commit()
    for user, codes in ((archivist, ["01.KT", "02.KT", "01.VX"]), (users["specialist"], ["01.KT", "02.KT"])):
        client = as_user(user)
        page = _tables(_html(client, f"/archive/plans/{y}/print"))["sheet-table"][1:]
        rows = [list(r) for r in _xlsx(client, f"/archive/plans/{y}.xlsx").active.iter_rows(values_only=True)]
        start = next(i for i, r in enumerate(rows) if r[0] == "STT")
        body = [r for r in rows[start + 1:] if any(v not in (None, "") for v in r[1:3])]
        assert [[_text(v) for v in r] for r in body] == page
        assert [r[1] for r in body if r[1]] == codes  # another unit's planned dossier is not shown to the specialist
        assert [r[2] for r in body if not r[1]][:2] == ["I. Kinh tế", "1. Ngân sách"]
    assert as_user(archivist).get(f"/archive/plans/{y + 5}.xlsx").status_code == 404
