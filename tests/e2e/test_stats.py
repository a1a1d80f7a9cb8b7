"""The statistics pages in a real browser (Vietnamese, as an office runs it): the charts are drawn
without JavaScript and nothing is blocked by the CSP, the period picker, a figure opening exactly its
documents, a bad year as a field error, and the printed page without the navigation."""

import re

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import requires_chromium
from tests.stats.office_figures import build

pytestmark = [pytest.mark.e2e, requires_chromium]


@pytest.fixture
def office(db, users, make_user):
    figures = build(db, users, make_user)
    data = {"year": figures["year"], "leader": users["leader"].username,
            "specialist": users["specialist"].username}
    db.session.remove()  # the test thread keeps no transaction open (see tests/e2e/conftest.py)
    return data


def _login(page, live_server, username):
    page.goto(live_server + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")


def test_the_statistics_in_a_browser(office, live_server, new_page, tmp_path):
    y = office["year"]
    page = new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    _login(page, live_server, office["leader"])
    assert page.locator("#stats-office svg[role=img]").count() == 1  # the leader's dashboard chart
    page.click("#nav-stats")
    page.wait_for_url("**/stats/")
    assert page.locator("h1").inner_text().startswith("Thống kê")
    # charts drawn on the server: SVG with a title, bars of a real size, a table beside each
    chart = page.locator("#chart-volume-month")
    assert chart.is_visible()
    assert chart.locator("title").first.text_content().startswith("Văn bản đến và văn bản đi")
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert page.locator("#table-volume-month").is_visible()
    assert not page.console_errors, page.console_errors

    # the period picker: the first quarter
    page.select_option("#quarter", "1")
    page.fill("#year", str(y))
    page.click("#period-form button[type=submit]")
    page.wait_for_load_state()
    assert f"Quý I/{y}" in page.locator("h1").inner_text()
    rows = page.locator("#table-volume-month tbody tr")
    assert rows.count() == 4  # three months and the total
    page.screenshot(path=str(tmp_path / "stats-volume.png"), full_page=True)

    # a figure opens exactly its documents
    cell = page.locator("#table-volume-doc_type tbody tr").first.locator("td[data-column=incoming] a")
    expected = int(cell.inner_text())
    cell.click()
    page.wait_for_url("**/stats/documents?**")
    assert page.locator("#drill-table tbody tr").count() == expected
    assert f"{expected} văn bản" in page.locator("#drill-count").inner_text()

    page.goto(live_server + f"/stats/handling?year={y}")
    assert page.locator("#chart-handling-unit").is_visible()
    page.screenshot(path=str(tmp_path / "stats-handling.png"), full_page=True)
    page.goto(live_server + f"/stats/directive10?year={y}")
    assert page.locator("#chart-directive10-trend").is_visible()
    page.screenshot(path=str(tmp_path / "stats-directive10.png"), full_page=True)

    # a bad year: a field error in Vietnamese, no table
    page.goto(live_server + "/stats/handling?year=20x6")
    error = page.locator("#year-error")
    assert error.is_visible() and re.search(r"Nhập|năm", error.inner_text())
    assert page.locator("table.stats-table").count() == 0

    # the printed report: no navigation, no forms, the tables and the header kept
    page.goto(live_server + f"/stats/reports/periodic?year={y}")
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("#period-form").is_visible()
    assert page.locator("#table-period-report").is_visible()
    assert page.locator(".stats-report header").is_visible()
    page.screenshot(path=str(tmp_path / "stats-report-print.png"), full_page=True)
    page.emulate_media(media="screen")
    assert not page.console_errors, page.console_errors


def test_a_specialist_sees_only_their_figures(office, live_server, new_page):
    page = new_page()
    _login(page, live_server, office["specialist"])
    page.goto(live_server + f"/stats/?year={office['year']}")
    total = page.locator("#table-volume-month tr.stats-total td[data-column=incoming]").inner_text()
    assert total == "3"  # their two letters and their unit's
    page.goto(live_server + f"/stats/handling?year={office['year']}")
    assert page.locator("#table-handling-person tbody tr").count() == 1
