"""Every statistics table as CSV and XLSX holds the numbers its page shows (the reports' XLSX too);
text is never a formula; the SVG charts escape what they are given and carry their figures."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from docflow.stats import charts
from docflow.stats.exports import CSV_HEADER_LINE, Column, Row, Table, to_csv, to_xlsx
from tests.stats.office_figures import read_page


def _number(text):
    """A cell as the page's data-value or the CSV writes it: '' → None, '12' → 12, '33.3' → 33.3."""
    if text in (None, ""):
        return None
    if isinstance(text, int | float):
        return text
    return float(text) if "." in text else int(text)


def _page_rows(table_rows, columns) -> list[list]:
    return [[r["label"], *(_number(r.get(c)) for c in columns)] for r in table_rows]


def _csv_rows(data: bytes) -> tuple[list[str], list[list]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read the Vietnamese letters
    lines = list(csv.reader(io.StringIO(text[1:])))
    header = lines[CSV_HEADER_LINE - 1]
    return header, [[r[0], *(_number(v) for v in r[1:])] for r in lines[CSV_HEADER_LINE:]]


def _xlsx_rows(data: bytes, header: list[str]) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if [c for c in r[:len(header)]] == header)
    out = []
    for r in rows[start + 1:]:
        if r[0] is None or all(v is None for v in r[1:len(header)]) and len(header) > 1:
            break
        out.append([r[0], *r[1:len(header)]])
    return out


PAGES = ["/stats/?year={y}", "/stats/?year={y}&quarter=1", "/stats/handling?year={y}",
         "/stats/directive10?year={y}", "/stats/reports/outgoing?year={y}", "/stats/reports/periodic?year={y}&month=2"]


@pytest.mark.parametrize("role", ["leader", "specialist"])
def test_every_table_downloads_with_the_numbers_of_its_page(as_user, users, figures, role):
    y = figures["year"]
    client = as_user(users[role])
    compared = set()
    for path in PAGES:
        html = client.get(path.format(y=y)).get_data(as_text=True)
        page = read_page(html)
        downloads = dict(re.findall(r'<a href="(/stats/table/[\w-]+)\.csv\?([^"]*)"', html))
        for name, rows in page.tables.items():
            if name in compared:
                continue
            query = downloads[f"/stats/table/{name}"].replace("&amp;", "&")
            columns = re.findall(r'data-column="(\w+)"', html.split(f'id="table-{name}"', 1)[1].split("</tr>", 2)[1])
            want = _page_rows(rows, columns)
            assert want, name
            response = client.get(f"/stats/table/{name}.csv?{query}")
            assert response.status_code == 200 and response.mimetype == "text/csv", name
            assert "attachment" in response.headers["Content-Disposition"]
            header, got = _csv_rows(response.data)
            assert got == want, (name, got, want)
            response = client.get(f"/stats/table/{name}.xlsx?{query}")
            assert response.status_code == 200, name
            assert _xlsx_rows(response.data, header) == want, name
            compared.add(name)
    assert {"volume-month", "volume-doc_type", "volume-issuer", "volume-unit", "volume-register", "volume-medium",
            "volume-channel", "electronic-share", "handling", "handling-unit", "handling-person", "period-report",
            "directive10-types", "directive10-trend", "outgoing-doc_type", "outgoing-channel"} <= compared


@pytest.mark.parametrize("kind", ["incoming", "outgoing", "periodic"])
def test_a_reports_xlsx_holds_every_table_of_its_page(as_user, users, figures, kind):
    y = figures["year"]
    client = as_user(users["leader"])
    html = client.get(f"/stats/reports/{kind}?year={y}").get_data(as_text=True)
    page = read_page(html)
    response = client.get(f"/stats/reports/{kind}.xlsx?year={y}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(response.data)).active
    cells = [list(r) for r in ws.iter_rows(values_only=True)]
    assert any(f"Year {y}" == (r[0] or "") for r in cells)  # the period under the title
    assert page.tables
    for name, rows in page.tables.items():
        columns = re.findall(r'data-column="(\w+)"', html.split(f'id="table-{name}"', 1)[1].split("</tr>", 2)[1])
        labels = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', html.split(f'id="table-{name}"', 1)[1]
                            .split("</thead>", 1)[0])
        assert _xlsx_rows(response.data, labels) == _page_rows(rows, columns), name


def test_text_is_never_a_formula():
    evil = ["=HYPERLINK(\"http://x\",\"y\")", "+84 912", "-1+2", "@SUM(A1)", "\tx", "Công văn"]
    table = Table("t", "=cmd|' /C calc'!A0", "Năm 2026", [Column("label", "Nhãn", numeric=False), Column("n", "Số")],
                  [Row([label, i]) for i, label in enumerate(evil)])
    lines = list(csv.reader(io.StringIO(to_csv(table))))
    assert lines[0] == ["'=cmd|' /C calc'!A0"]
    labels = [r[0] for r in lines[CSV_HEADER_LINE:]]
    assert labels[:5] == ["'" + v for v in evil[:5]] and labels[5] == "Công văn"
    assert [r[1] for r in lines[CSV_HEADER_LINE:]] == [str(i) for i in range(6)]  # numbers stay numbers

    ws = load_workbook(io.BytesIO(to_xlsx([table], title="=1+1", agency="@agency", one_sheet=True))).active
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.value
    values = [c.value for c in ws["A"]]
    assert "=1+1" in values and "@AGENCY" in values and evil[0] in values


def test_sheet_names_are_valid_and_unique():
    tables = [Table("a", "Văn bản đến / đi: [tháng]*?", "x", [Column("label", "L", numeric=False)], [Row(["x"])]),
              Table("b", "Văn bản đến / đi: [tháng]*?", "x", [Column("label", "L", numeric=False)], [Row(["y"])])]
    wb = load_workbook(io.BytesIO(to_xlsx(tables, title="t")))
    assert len(wb.sheetnames) == 2 and len(set(wb.sheetnames)) == 2
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in wb.sheetnames)


# ---- charts -------------------------------------------------------------------------------------------

def test_a_bar_chart_has_one_bar_per_figure_and_escapes_its_text(app):
    with app.test_request_context():
        svg = str(charts.bar_chart("<script>alert(1)</script>", ["Tháng 1", "<b>", "Tháng 3"],
                                   [charts.Series("Đến", [3, 0, 12]), charts.Series("Đi & gửi", [1, None, 2])],
                                   chart_id="c1"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg and "Đi &amp; gửi" in svg
    assert re.search(r'<svg [^>]*role="img"[^>]*aria-labelledby="c1-title c1-desc"', svg)
    assert '<title id="c1-title">' in svg and '<desc id="c1-desc">' in svg
    assert re.findall(r'data-value="([^"]*)"', svg) == ["3", "1", "0", "", "12", "2"]
    assert "style=" not in svg  # the CSP allows no inline styles


def test_bars_are_proportional_and_the_axis_reaches_the_top(app):
    with app.test_request_context():
        svg = str(charts.bar_chart("t", ["a", "b"], [charts.Series("s", [5, 10])]))
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"[^>]*data-value', svg)]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.02)
    for top in (1, 3, 7, 10, 99, 101, 1234, 0.4, 0):
        maximum, step = charts.nice_scale(top)
        assert maximum >= top and step > 0 and abs(maximum / step - round(maximum / step)) < 1e-9


def test_line_and_horizontal_charts_cope_with_gaps_and_empty_series(app):
    with app.test_request_context():
        line = str(charts.line_chart("Tỷ lệ", ["2022", "2023", "2024"], [charts.Series("%", [None, 40.5, 60])],
                                     percent=True, unit="%"))
        empty = str(charts.hbar_chart("Trống", [], [charts.Series("Đến", [])]))
        zero = str(charts.hbar_chart("Không", ["Phòng A"], [charts.Series("Đến", [0])]))
    assert line.count("<circle") == 2 and "40.5%" in line and line.count("<polyline") == 1
    assert "<svg" in empty and "<svg" in zero
