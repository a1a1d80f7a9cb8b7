"""The outgoing books of App. IV (domain.md §3.2): Sổ đăng ký văn bản đi and Sổ gửi văn bản đi bưu
điện, as pages and XLSX, for the period asked and from what the user may see."""

import io
from datetime import timedelta

import pytest

from docflow.core.timeutil import format_date, today
from tests.fixtures.files import docx_bytes

OUTGOING_COLUMNS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung", "Người ký",
                    "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận",
                    "Ghi chú"]
POSTAL_COLUMNS = ["Ngày chuyển", "Số, ký hiệu văn bản", "Nơi nhận văn bản", "Số lượng bì", "Ký nhận và dấu bưu điện",
                  "Ghi chú"]


def _issue(db, users, subject, issued_on, *, doc_type="CV", confidentiality="normal", recipients=None):
    from docflow.outgoing import services

    drafter = users["unit_head"] if confidentiality != "normal" else users["specialist"]
    doc = services.create_draft({"doc_type": doc_type, "subject": subject, "confidentiality": confidentiality,
                                 "signer_id": users["leader"].id,
                                 "recipients": recipients or [{"name": "Sở Tài chính tỉnh Đồng Nai"},
                                                              {"name": "Sở Nội vụ tỉnh Đồng Nai"}]},
                                actor=drafter)
    services.add_version(doc, io.BytesIO(docx_bytes(paragraphs=(subject,))), actor=drafter, filename="du-thao.docx")
    services.submit(doc, actor=drafter)
    if doc.current_step == 1:
        services.approve(doc, actor=users["unit_head"])
    services.approve(doc, actor=users["leader"])
    services.issue(doc, actor=users["clerk"], issued_date=issued_on)
    db.session.commit()
    return doc


@pytest.fixture
def books(db, users):
    t = today()
    old = _issue(db, users, "Công văn cũ ngoài kỳ", t - timedelta(days=40))
    late = _issue(db, users, "Công văn thứ hai trong kỳ", t - timedelta(days=3))
    early = _issue(db, users, "Quyết định trong kỳ", t - timedelta(days=5), doc_type="QĐ")
    secret = _issue(db, users, "Công văn mật", t - timedelta(days=4), confidentiality="confidential")
    return {"old": old, "late": late, "early": early, "secret": secret, "from": t - timedelta(days=10), "to": t}


def _xlsx(response):
    from openpyxl import load_workbook

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).active


def _table(ws, ncols):
    from docflow.outgoing.reports import XLSX_HEADER_ROW

    header = [ws.cell(row=XLSX_HEADER_ROW, column=c).value for c in range(1, ncols + 1)]
    rows = [[ws.cell(row=r, column=c).value for c in range(1, ncols + 1)]
            for r in range(XLSX_HEADER_ROW + 1, ws.max_row + 1)]
    return header, rows


def _q(books, **extra):
    return {"from": books["from"].isoformat(), "to": books["to"].isoformat(), **extra}


def test_outgoing_register_xlsx(db, users, books, login_as):
    client = login_as(users["clerk"])
    ws = _xlsx(client.get("/books/outgoing.xlsx", query_string=_q(books)))
    assert ws["A1"].value == "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    assert ws["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    header, rows = _table(ws, 10)
    assert header == OUTGOING_COLUMNS
    # the period's ordinary documents only, in number order (the old one and the confidential one are not here)
    expected = sorted([books["late"], books["early"]], key=lambda d: (d.year, d.number))
    assert [r[0] for r in rows] == [d.number_symbol for d in expected]
    by_symbol = {r[0]: r for r in rows}
    early = by_symbol[books["early"].number_symbol]
    assert books["early"].number_symbol.endswith("/QĐ-UBND")
    assert early[1].date() == books["early"].issued_date
    assert early[2] == "Quyết định: Quyết định trong kỳ"
    assert users["leader"].full_name in early[3]
    assert early[4] == "Sở Tài chính tỉnh Đồng Nai; Sở Nội vụ tỉnh Đồng Nai"
    assert "Phòng Kinh tế" in early[5]
    assert early[6] == 2
    assert early[7] is None  # not dispatched yet
    assert ws.cell(row=5, column=2).number_format == "dd/mm/yyyy"


def test_outgoing_register_page_and_confidential_book(db, users, books, login_as):
    client = login_as(users["clerk"])
    page = client.get("/books/outgoing", query_string=_q(books))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in html and "Ủy ban nhân dân tỉnh Đồng Nai" in html
    assert books["late"].number_symbol in html and books["early"].number_symbol in html
    assert "Công văn cũ ngoài kỳ" not in html and "Công văn mật" not in html
    assert format_date(books["late"].issued_date) in html
    assert "<script>" not in html.split("books-page", 1)[1] and "style=" not in html.split("books-page", 1)[1]
    ws = _xlsx(client.get("/books/outgoing.xlsx", query_string=_q(books, confidential="1")))
    _header, rows = _table(ws, 10)
    assert [r[0] for r in rows] == [books["secret"].number_symbol]
    assert books["secret"].number == 1  # its own sequence
    assert rows[0][9] == "Mật"


def test_cancelled_number_keeps_its_row(db, users, books, login_as):
    from docflow.outgoing import services

    services.cancel(books["late"], actor=users["clerk"], reason="Ban hành nhầm")
    db.session.commit()
    client = login_as(users["clerk"])
    _header, rows = _table(_xlsx(client.get("/books/outgoing.xlsx", query_string=_q(books))), 10)
    row = next(r for r in rows if r[0] == books["late"].number_symbol)
    assert row[9].startswith("Đã hủy: Ban hành nhầm")


def test_postal_book_lists_paper_dispatches(db, users, books, login_as):
    from docflow.outgoing import services

    late = books["late"]
    recipients = services.recipients_of(late)
    services.dispatch(late, actor=users["clerk"], channel="paper", recipient_ids=[recipients[0].id], envelopes=2)
    services.dispatch(late, actor=users["clerk"], channel="electronic", recipient_ids=[recipients[1].id])
    db.session.commit()
    client = login_as(users["clerk"])
    ws = _xlsx(client.get("/books/postal.xlsx", query_string=_q(books)))
    assert ws["A2"].value == "SỔ GỬI VĂN BẢN ĐI BƯU ĐIỆN"
    header, rows = _table(ws, 6)
    assert header == POSTAL_COLUMNS
    assert len(rows) == 1
    assert rows[0][0].date() == today() or rows[0][0].date() == today() - timedelta(days=1)
    assert rows[0][1:4] == [late.number_symbol, "Sở Tài chính tỉnh Đồng Nai", 2]
    # the register now shows the day it was sent
    _header, rows = _table(_xlsx(client.get("/books/outgoing.xlsx", query_string=_q(books))), 10)
    assert next(r for r in rows if r[0] == late.number_symbol)[7] is not None
    # a period before the dispatch has no row
    earlier = {"from": (today() - timedelta(days=30)).isoformat(), "to": (today() - timedelta(days=2)).isoformat()}
    _header, rows = _table(_xlsx(client.get("/books/postal.xlsx", query_string=earlier)), 6)
    assert rows == []
    page = client.get("/books/postal", query_string=_q(books)).get_data(as_text=True)
    assert "Sở Tài chính tỉnh Đồng Nai" in page and "Sở Nội vụ tỉnh Đồng Nai" not in page


@pytest.mark.parametrize("path", ["/books/outgoing", "/books/outgoing.xlsx", "/books/postal", "/books/postal.xlsx"])
def test_bad_dates_answer_with_a_form_error(db, users, login_as, path):
    client = login_as(users["clerk"])
    invalid = "Not a valid date: enter it as day/month/year (dd/mm/yyyy)."
    for query, message in (({"from": "31/02/2026"}, invalid), ({"from": "abc"}, invalid), ({"to": "2026-13-01"}, invalid),
                           ({"from": "2026-05-01", "to": "2026-04-01"}, "The start date must be on or before the end date."),
                           ({"from": "01/01/0001"}, "The year must be between 1945 and 2999.")):
        response = client.get(path, query_string=query)
        assert response.status_code in (200, 400)
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "The book could not be made:" in html
        assert message in html


@pytest.mark.parametrize("role", ["clerk", "leader", "archivist", "admin"])
def test_book_roles(db, users, books, login_as, role):
    client = login_as(users[role])
    assert client.get("/books/outgoing").status_code == 200
    assert client.get("/books/postal.xlsx").status_code == 200


def test_other_roles_are_refused(db, users, login_as):
    client = login_as(users["specialist"])
    for path in ("/books/outgoing", "/books/outgoing.xlsx", "/books/postal", "/books/postal.xlsx"):
        assert client.get(path).status_code == 403


def test_not_cleared_user_cannot_open_the_confidential_book(db, users, books, make_user, login_as):
    leader = make_user("leader", unit="VP", clearance="normal", username="leader_normal")
    client = login_as(leader)
    response = client.get("/books/outgoing.xlsx", query_string=_q(books, confidential="1"))
    assert response.status_code == 400
    assert "You are not cleared for the confidential register." in response.get_data(as_text=True)
    _header, rows = _table(_xlsx(client.get("/books/outgoing.xlsx", query_string=_q(books))), 10)
    assert len(rows) == 2
