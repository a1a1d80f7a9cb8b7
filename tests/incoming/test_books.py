"""The incoming books of App. IV (Sổ đăng ký văn bản đến, Sổ theo dõi giải quyết văn bản đến):
pages, XLSX downloads (web and API), visibility, and the period (the demo's: tests/demo/test_demo_office.py)."""

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from docflow.core.timeutil import today
from tests.conftest import login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INCOMING_HEADER = ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày văn bản", "Tên loại và trích yếu nội dung",
                   "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận", "Ghi chú"]
TRACKING_HEADER = ["Số đến", "Tên loại, số, ký hiệu, ngày tháng văn bản, tác giả", "Đơn vị/người nhận",
                   "Thời hạn giải quyết", "Tiến độ giải quyết", "Số, ký hiệu văn bản trả lời", "Ghi chú"]
HEADER_ROW = 4


def _register(clerk, received: date, symbol: str, subject: str, confidentiality="normal", sender="Bộ Tài chính"):
    from docflow.incoming import services

    return services.register_incoming({"sender_name": sender, "number_symbol": symbol,
                                       "issued_date": (received - timedelta(days=2)).isoformat(),
                                       "received_date": received.isoformat(), "subject": subject,
                                       "confidentiality": confidentiality}, actor=clerk)


@pytest.fixture
def books(db, users):
    """Documents around a 30-day period [start, end] ending 40 days ago: in it, the completed A, the
    overdue B and the confidential C; outside it, D (after) and E (before)."""
    from docflow.incoming import services

    clerk, leader, spec = users["clerk"], users["leader"], users["specialist"]
    end = today() - timedelta(days=40)
    start = end - timedelta(days=29)
    e = _register(clerk, start - timedelta(days=3), "1/BTC-E", "Văn bản trước kỳ")
    a = _register(clerk, start, "10/BTC-A", "V/v báo cáo ngân sách")
    c = _register(clerk, start + timedelta(days=5), "11/BCA-C", "V/v bảo vệ bí mật nhà nước",
                  confidentiality="confidential", sender="Bộ Công an")
    b = _register(clerk, start + timedelta(days=10), "12/BNV-B", "V/v tuyển dụng công chức", sender="Bộ Nội vụ")
    d = _register(clerk, end + timedelta(days=1), "13/BTC-D", "Văn bản sau kỳ")
    for doc in (a, b):
        services.present(doc, actor=clerk, leader_id=leader.id)
        services.assign(doc, actor=leader, instruction="Giao xử lý", assignees=[{"user_id": spec.id, "role": "primary"}])
    services.add_progress(b, "Đang tổng hợp số liệu của các huyện", actor=spec)
    services.complete(a, "Đã trả lời Bộ Tài chính", actor=spec, reply_number_symbol="345/UBND-KT")
    overdue_due = end - timedelta(days=3)
    for assignment in services.assignments_of(b):
        assignment.due_date = overdue_due
    b.due_date = overdue_due
    db.session.commit()
    return {"start": start, "end": end, "a": a, "b": b, "c": c, "d": d, "e": e, "overdue_due": overdue_due,
            }


def _query(books, **extra):
    return {"from": books["start"].isoformat(), "to": books["end"].isoformat(), **extra}


def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    assert response.mimetype == XLSX
    wb = load_workbook(io.BytesIO(response.data))
    return wb.active


def _rows(ws):
    return [list(r) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


# ---- the incoming register ---------------------------------------------------------------------

def test_incoming_register_xlsx_has_app_iv_columns_and_only_the_period(login_as, client, users, books):
    login_as(users["clerk"])
    ws = _sheet(client.get("/books/incoming.xlsx", query_string=_query(books)))
    assert "ĐỒNG NAI" in ws["A1"].value  # the agency's name
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in ws["A2"].value
    assert books["start"].strftime("%d/%m/%Y") in ws["A3"].value and books["end"].strftime("%d/%m/%Y") in ws["A3"].value
    assert [c.value for c in ws[HEADER_ROW]] == INCOMING_HEADER
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.column_dimensions["F"].width > ws.column_dimensions["B"].width

    rows = _rows(ws)
    symbols = [r[3] for r in rows]
    assert symbols == ["10/BTC-A", "12/BNV-B"]  # arrival-number order; C is in the confidential book
    numbers = [r[1] for r in rows]
    assert numbers == sorted(numbers) and numbers == [books["a"].number, books["b"].number]
    for excluded in ("1/BTC-E", "13/BTC-D", "11/BCA-C"):
        assert excluded not in symbols
    first = rows[0]
    assert _as_date(first[0]) == books["start"]  # Ngày đến
    assert _as_date(first[4]) == books["start"] - timedelta(days=2)  # Ngày văn bản
    assert first[2] == "Bộ Tài chính"
    assert "Công văn" in first[5] and "báo cáo ngân sách" in first[5]
    assert users["specialist"].full_name in first[6]  # Đơn vị hoặc người nhận
    assert _as_date(first[7]) is not None  # Ngày chuyển
    cell = ws.cell(row=HEADER_ROW + 1, column=1)
    assert cell.number_format.lower() == "dd/mm/yyyy"


def test_confidential_register_is_its_own_book_and_hidden_from_the_uncleared(login_as, client, users, make_user,
                                                                             db, books):
    from docflow.registry.models import Register

    login_as(users["clerk"])  # cleared for "secret"
    ws = _sheet(client.get("/books/incoming.xlsx", query_string=_query(books, confidential="1")))
    assert [r[3] for r in _rows(ws)] == ["11/BCA-C"]
    assert "Mật" in _rows(ws)[0][9]

    uncleared = make_user("archivist", unit="VP", clearance="normal", username="arch_normal")
    client.post("/auth/logout")
    login_as(uncleared)
    ws = _sheet(client.get("/books/incoming.xlsx", query_string=_query(books)))
    symbols = [r[3] for r in _rows(ws)]
    assert symbols == ["10/BTC-A", "12/BNV-B"]
    # the confidential register, asked for by id, gives nothing they may not see
    secret_register = books["c"].register_id
    assert db.session.get(Register, secret_register).is_confidential
    for query in (_query(books, register_id=secret_register), _query(books, confidential="1")):
        for path in ("/books/incoming.xlsx", "/books/incoming", "/books/tracking"):
            page = client.get(path, query_string=query)
            html = page.get_data(as_text=True)
            assert page.status_code == 200 and page.mimetype == "text/html"
            assert "You are not cleared for the confidential register." in html and "11/BCA-C" not in html
    # and the register is not offered to them
    assert f'value="{secret_register}"' not in client.get("/books/incoming").get_data(as_text=True)


def test_incoming_page_is_printable_html(login_as, client, users, books):
    login_as(users["leader"])
    response = client.get("/books/incoming", query_string=_query(books))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in INCOMING_HEADER:
        assert name in html
    assert "10/BTC-A" in html and "12/BNV-B" in html
    assert "13/BTC-D" not in html and "1/BTC-E" not in html and "11/BCA-C" not in html
    assert books["start"].strftime("%d/%m/%Y") in html
    assert "<script>" not in html and "style=" not in html  # no inline script/style (CSP)
    assert "/books/incoming.xlsx" in html
    assert "Total: 2 documents." in html and "Download XLSX" in html


# ---- the tracking book -------------------------------------------------------------------------

def test_tracking_book_shows_deadline_progress_and_reply(login_as, client, users, books):
    login_as(users["archivist"])
    ws = _sheet(client.get("/books/tracking.xlsx", query_string=_query(books)))
    assert "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN" in ws["A2"].value
    assert [c.value for c in ws[HEADER_ROW]] == TRACKING_HEADER
    rows = {r[0]: r for r in _rows(ws)}
    assert set(rows) == {books["a"].number, books["b"].number}
    a, b = rows[books["a"].number], rows[books["b"].number]
    assert "10/BTC-A" in a[1] and "Bộ Tài chính" in a[1]
    assert a[5] == "345/UBND-KT"  # the reply's number and symbol
    assert "Đã giải quyết" in a[4] and "Đã trả lời Bộ Tài chính" in a[4]
    assert _as_date(b[3]) == books["overdue_due"]  # Thời hạn giải quyết
    assert "quá hạn" in b[4] and "Đang tổng hợp số liệu" in b[4]
    assert not b[5]

    page = client.get("/books/tracking", query_string=_query(books))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "345/UBND-KT" in html and "quá hạn" in html
    for name in TRACKING_HEADER:
        assert name in html


# ---- roles and bad input -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/books/incoming", "/books/incoming.xlsx", "/books/tracking", "/books/tracking.xlsx"])
@pytest.mark.parametrize("role", ["specialist", "unit_head"])
def test_books_are_forbidden_to_handlers(login_as, client, users, path, role):
    login_as(users[role])
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["clerk", "leader", "archivist", "admin"])
def test_books_open_for_office_roles_with_the_default_period(login_as, client, users, role):
    """The page shows this month by default (decision 12: a book page is a period, a month unless chosen)."""
    login_as(users[role])
    response = client.get("/books/incoming")
    assert response.status_code == 200
    now = today()
    assert f"Từ ngày 01/{now.month:02d}/{now.year} đến ngày {now.strftime('%d/%m/%Y')}" in response.get_data(as_text=True)


def test_books_need_login(client, users):
    assert client.get("/books/incoming").status_code == 302


@pytest.mark.parametrize("path", ["/books/incoming", "/books/tracking", "/books/incoming.xlsx"])
@pytest.mark.parametrize("query, message", [
    ({"from": "31/02/2026"}, "Not a valid date: enter it as day/month/year (dd/mm/yyyy)."),
    ({"from": "hôm qua", "to": "2026-13-01"}, "Not a valid date: enter it as day/month/year (dd/mm/yyyy)."),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "The start date must be on or before the end date."),
    ({"register_id": "abc"}, "Choose an incoming register."),
])
def test_bad_dates_give_a_form_error(login_as, client, users, path, query, message):
    login_as(users["clerk"])
    response = client.get(path, query_string=query)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_bad_date_error_is_vietnamese_in_a_vietnamese_app(make_app, users, db):
    """Production's default language: the page chrome and the form error read in Vietnamese."""
    client = make_app(BABEL_DEFAULT_LOCALE="vi").test_client()
    clerk = users["clerk"].username
    db.session.rollback()  # a second app on the same SQLite file must not wait for this session's lock
    login(client, clerk)
    response = client.get("/books/incoming", query_string={"from": "31/02/2026"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Không lập được sổ:" in html
    assert "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm (dd/mm/yyyy)." in html
    assert "Từ ngày" in html and "Xem sổ" in html
    assert "Not a valid date" not in html


def test_dd_mm_yyyy_dates_are_accepted(login_as, client, users, books):
    login_as(users["clerk"])
    query = {"from": books["start"].strftime("%d/%m/%Y"), "to": books["end"].strftime("%d/%m/%Y")}
    rows = _rows(_sheet(client.get("/books/incoming.xlsx", query_string=query)))
    assert [r[3] for r in rows] == ["10/BTC-A", "12/BNV-B"]


def test_formula_like_text_stays_text(login_as, client, users, db, books):
    _register(users["clerk"], books["start"] + timedelta(days=1), "=HYPERLINK(\"x\")", "=1+1 trích yếu")
    db.session.commit()
    login_as(users["clerk"])
    response = client.get("/books/incoming.xlsx", query_string=_query(books))
    wb = load_workbook(io.BytesIO(response.data))
    values = [c.value for row in wb.active.iter_rows(min_row=HEADER_ROW + 1) for c in row]
    cells = [c for row in wb.active.iter_rows(min_row=HEADER_ROW + 1) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK") for v in values)


# ---- the API -----------------------------------------------------------------------------------

def test_api_books_xlsx(api, users, books):
    clerk = api(users["clerk"])
    ws = _sheet(clerk.get("/books/incoming.xlsx", query_string=_query(books)))
    assert [c.value for c in ws[HEADER_ROW]] == INCOMING_HEADER
    assert [r[3] for r in _rows(ws)] == ["10/BTC-A", "12/BNV-B"]
    ws = _sheet(clerk.get("/books/tracking.xlsx", query_string=_query(books, confidential="true")))
    assert [c.value for c in ws[HEADER_ROW]] == TRACKING_HEADER
    assert [r[0] for r in _rows(ws)] == [books["c"].number]

    assert api(users["specialist"]).get("/books/incoming.xlsx").status_code == 403
    bad = clerk.get("/books/incoming.xlsx", query_string={"from": "2026-02-31"})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    reversed_ = clerk.get("/books/tracking.xlsx", query_string={"from": "2026-05-01", "to": "2026-04-01"})
    assert reversed_.status_code == 422




def test_the_books_are_in_the_menu_of_who_may_open_them(client, users):
    for role, shown in (("clerk", True), ("leader", True), ("archivist", True), ("admin", True),
                        ("specialist", False), ("unit_head", False)):
        c = client.application.test_client()
        c.post("/auth/login", data={"username": users[role].username, "password": "Test-Passw0rd-2026"})
        html = c.get("/dashboard").get_data(as_text=True)
        for path in ("/books/incoming", "/books/tracking", "/books/outgoing", "/books/postal"):
            assert (f'href="{path}"' in html) is shown, (role, path)
            if shown:
                assert c.get(path).status_code == 200


def test_the_xlsx_reads_its_rows_through_a_small_sqlite_cache_then_sets_it_back(login_as, client, users, books, db,
                                                                                monkeypatch):
    """SQLite: a year's rows are read once, so while the XLSX is written the connection's page cache is small
    (core.tx.passing_over: at 1M the 64 MB cache was a third of the download's peak memory); afterwards the
    connection's own size is back for the requests that follow."""
    from docflow.core import tx
    from docflow.registry import books as book_module

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's page cache: PostgreSQL's is the server's")
    seen, real = {}, book_module.write_xlsx_to

    def write(book, title, out):
        raw = db.session.connection().connection.dbapi_connection
        seen["during"] = raw.execute("PRAGMA cache_size").fetchone()[0]
        seen["raw"] = raw
        return real(book, title, out)

    monkeypatch.setattr(book_module, "write_xlsx_to", write)
    login_as(users["clerk"])
    ws = _sheet(client.get("/books/incoming.xlsx", query_string=_query(books)))
    assert [r[3] for r in _rows(ws)] == ["10/BTC-A", "12/BNV-B"]  # the rows, as without it
    assert seen["during"] == -tx.SQLITE_PASS_CACHE_KIB
    assert seen["raw"].execute("PRAGMA cache_size").fetchone()[0] == -tx.SQLITE_CACHE_KIB
