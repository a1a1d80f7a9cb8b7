"""The statistics pages (/stats/...): the figures a viewer sees are the documents they may see; every
figure links to exactly the documents it counts; periods, the Directive-10 page and its settings, the
reports, the role dashboards, bad input as field errors (never a 500), Vietnamese by default."""

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from docflow.registry.models import Document
from tests.conftest import login
from tests.stats.office_figures import drill_ids, read_page, visible_ids


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:2000])
    return response.get_data(as_text=True)


def _expected(db, user, year: int) -> dict:
    """The volume figures recounted from the documents the user may see (not through the service)."""
    seen = visible_ids(db, user)
    docs = db.session.scalars(sa.select(Document).where(Document.id.in_(seen))).all() if seen else []
    start, end = date(year, 1, 1), date(year, 12, 31)
    incoming = {d.id for d in docs if d.direction == "incoming" and d.status != "cancelled"
                and d.received_date and start <= d.received_date <= end}
    outgoing = {d.id for d in docs if d.direction == "outgoing" and d.status == "issued"
                and d.issued_date and start <= d.issued_date <= end}
    return {"incoming": incoming, "outgoing": outgoing, "seen": seen}


def _pages(year: int) -> list[str]:
    return [f"/stats/?year={year}", f"/stats/?year={year}&quarter=1", f"/stats/?year={year}&month=3",
            f"/stats/handling?year={year}", f"/stats/directive10?year={year}",
            f"/stats/reports/incoming?year={year}", f"/stats/reports/outgoing?year={year}",
            f"/stats/reports/periodic?year={year}&quarter=2"]


# ---- what each viewer counts -----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["leader", "unit_head", "specialist"])
def test_the_totals_count_exactly_the_documents_the_viewer_may_see(as_user, users, figures, db, role):
    y = figures["year"]
    user = users[role]
    client = as_user(user)
    html = _html(client, f"/stats/?year={y}")
    want = _expected(db, user, y)
    month = read_page(html).tables["volume-month"]
    total = month[-1]
    assert total["label"] == "Total"
    assert int(total["incoming"]) == len(want["incoming"])
    assert int(total["outgoing"]) == len(want["outgoing"])
    assert sum(int(r["incoming"]) for r in month[:-1]) == len(want["incoming"])
    assert re.search(rf'id="total-incoming">{len(want["incoming"])}<', html)


def test_who_sees_what(as_user, users, figures, db):
    """The leader counts the whole office (the confidential letter too, cancelled ones never); the
    specialist their two letters and their unit's; the unit head their unit's four."""
    y, ids = figures["year"], figures["ids"]
    got = {}
    for role in ("leader", "unit_head", "specialist"):
        tables = read_page(_html(as_user(users[role]), f"/stats/?year={y}")).tables
        got[role] = int(tables["volume-month"][-1]["incoming"])
    assert got == {"leader": 8, "unit_head": 4, "specialist": 3}
    spec_ids = _expected(db, users["specialist"], y)["incoming"]
    assert spec_ids == {ids["a"], ids["b"], ids["u"]}
    assert ids["f"] not in _expected(db, users["unit_head"], y)["incoming"]


def test_a_specialist_and_a_unit_head_see_only_their_people(as_user, users, figures):
    y = figures["year"]
    spec = read_page(_html(as_user(users["specialist"]), f"/stats/handling?year={y}")).tables
    assert [r["label"] for r in spec["handling-person"]] == [users["specialist"].full_name]
    assert int(spec["handling-person"][0]["assigned"]) == 2
    head = read_page(_html(as_user(users["unit_head"]), f"/stats/handling?year={y}")).tables
    names = {r["label"] for r in head["handling-person"]}
    assert names == {users["specialist"].full_name, figures["kt2"].full_name}
    assert figures["vx"].full_name not in _html(as_user(users["unit_head"]), f"/stats/handling?year={y}")
    leader = read_page(_html(as_user(users["leader"]), f"/stats/handling?year={y}")).tables
    assert figures["vx"].full_name in {r["label"] for r in leader["handling-person"]}


def test_the_handling_figures_of_the_office(as_user, users, figures):
    """a on time, b late (both spec1), c overdue (unit VX), d and g and u open, f completed late? no: f
    completed 25/5 after its deadline 20/5."""
    y = figures["year"]
    tables = read_page(_html(as_user(users["leader"]), f"/stats/handling?year={y}")).tables
    row = tables["handling"][0]
    assert {k: row[k] for k in ("assigned", "completed_on_time", "completed_late", "open", "overdue_open")} == {
        "assigned": "7", "completed_on_time": "1", "completed_late": "2", "open": "4", "overdue_open": "1"}
    assert row["on_time_rate"] == "33.3"
    # the heading says "(%)"; the cell is the number alone, not "33,3%" under "Tỷ lệ đúng hạn (%)"
    html = _html(as_user(users["leader"]), f"/stats/handling?year={y}")
    shown = re.search(r'data-column="on_time_rate" data-value="33.3">(?:<a [^>]*>)?([^<]*)<', html)
    assert shown and shown.group(1) in ("33,3", "33.3") and "(%)</th>" in html
    report = {r["label"]: r for r in tables["period-report"]}
    assert report["Total"]["received"] == "8" and report["Total"]["completed"] == "3"


# ---- every figure links to exactly its documents ------------------------------------------------------

@pytest.mark.parametrize("role", ["leader", "unit_head", "specialist"])
def test_every_figure_lists_exactly_the_documents_it_counts(as_user, users, figures, db, role):
    from docflow.stats import service
    from docflow.stats.views import _drill_filters

    y = figures["year"]
    user = users[role]
    client = as_user(user)
    seen = visible_ids(db, user)
    checked = set()
    for path in _pages(y):
        page = read_page(_html(client, path))
        assert page.links, path
        for href, text in page.links:
            if (href, text) in checked:
                continue
            listed = drill_ids(client, href)
            assert len(listed) == int(text.replace(",", "")), (path, href, text, listed)
            assert len(set(listed)) == len(listed)
            assert set(listed) <= seen, (href, set(listed) - seen)
            # the same statement the service gives for that figure
            args = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
            period = service.Period.parse(args.get("year"), args.get("quarter"), args.get("month"))
            filters, errors = _drill_filters(args)
            assert not errors
            stmt = service.drilldown(user, args["figure"], period, **filters)
            assert set(listed) == set(db.session.scalars(stmt.with_only_columns(Document.id)))
            checked.add((href, text))
    assert len(checked) > 15


def test_a_specialist_drilling_into_others_work_sees_nothing(as_user, users, figures, db):
    y, ids = figures["year"], figures["ids"]
    client = as_user(users["specialist"])
    vx = figures["vx"]
    for query in (f"figure=incoming&year={y}&user_id={vx.id}", f"figure=incoming&year={y}&unit_id={vx.unit_id}",
                  f"figure=overdue_open&year={y}", f"figure=incoming&year={y}&unit_id=none",
                  f"figure=completed_late&year={y}&user_id={vx.id}"):
        listed = drill_ids(client, "/stats/documents?" + query)
        assert ids["c"] not in listed and ids["d"] not in listed and ids["f"] not in listed, query
        assert ids["g"] not in listed and ids["e"] not in listed, query
    # the leader sees them through the same links
    leader = as_user(users["leader"])
    assert set(drill_ids(leader, f"/stats/documents?figure=incoming&year={y}&user_id={vx.id}")) == {ids["d"], ids["f"]}
    assert drill_ids(leader, f"/stats/documents?figure=overdue_open&year={y}") == [ids["c"]]


def test_the_other_senders_line_lists_its_documents(as_user, users, figures, monkeypatch):
    from docflow.stats import reports

    monkeypatch.setattr(reports, "TOP_ISSUERS", 1)
    y, ids = figures["year"], figures["ids"]
    client = as_user(users["leader"])
    html = _html(client, f"/stats/?year={y}")
    rows = {r["label"]: r for r in read_page(html).tables["volume-issuer"]}
    assert set(rows) == {"Bộ Tài chính", "Other senders", "Total"}
    assert rows["Bộ Tài chính"]["incoming"] == "3" and rows["Other senders"]["incoming"] == "5"
    other = [href for href, _text in read_page(html).links if "issuer_id=other" in href]
    assert len(other) == 1
    # the Sở Nội vụ letters and those from senders not in the list
    assert set(drill_ids(client, other[0])) == {ids["c"], ids["d"], ids["u"], ids["e"], ids["f"]}
    spec = as_user(users["specialist"])
    assert set(drill_ids(spec, other[0])) == {ids["u"]}


# ---- periods and bad input ------------------------------------------------------------------------------

def test_periods_month_quarter_year(as_user, users, figures):
    y = figures["year"]
    client = as_user(users["leader"])
    q1 = read_page(_html(client, f"/stats/?year={y}&quarter=1")).tables["volume-month"]
    assert [r["label"] for r in q1[:-1]] == ["Month 1", "Month 2", "Month 3"]
    assert [r["incoming"] for r in q1] == ["1", "1", "2", "4"]
    march = read_page(_html(client, f"/stats/?year={y}&month=3")).tables
    assert march["volume-month"][-1]["incoming"] == "2" and march["volume-month"][-1]["outgoing"] == "1"
    assert "volume-quarter" not in march
    year = read_page(_html(client, f"/stats/?year={y}")).tables
    assert [r["incoming"] for r in year["volume-quarter"]] == ["4", "4", "0", "0", "8"]


@pytest.fixture
def vi_client(make_app, app, users, figures, db):
    client = make_app(BABEL_DEFAULT_LOCALE="vi").test_client()
    name = users["leader"].username
    db.session.rollback()  # the test's own transaction ends first: the second app must not wait for its lock
    login(client, name)
    return client


@pytest.mark.parametrize("query, field", [("year=abc", "year"), ("year=20x6", "year"), ("year=99999", "year"),
                                          ("year=2026&month=13", "month"), ("year=2026&quarter=5", "quarter"),
                                          ("year=2026&quarter=1&month=2", "month")])
def test_a_bad_period_is_a_vietnamese_field_error(vi_client, query, field):
    for path in ("/stats/", "/stats/handling", "/stats/reports/incoming", "/stats/documents"):
        response = vi_client.get(f"{path}?{query}&figure=incoming")
        assert response.status_code == 200, (path, query)
        html = response.get_data(as_text=True)
        if path == "/stats/documents":
            message = re.search(r'id="drill-errors">\s*<div>([^<]+)<', html)
        else:
            assert re.search(rf'id="{field}"[^>]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*id="{field}"', html), \
                (path, query)
            message = re.search(rf'id="{field}-error">([^<]+)<', html)
        assert message, (path, query)
        assert any(ch in message.group(1) for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"), \
            message.group(1)
        assert 'id="table-' not in html and 'id="drill-table"' not in html
    for path in ("/stats/table/volume-month.csv", "/stats/reports/incoming.xlsx", "/stats/table/handling.xlsx"):
        assert vi_client.get(f"{path}?{query}").status_code == 422


def test_a_bad_drill_down_is_a_field_error(as_user, users, figures):
    client = as_user(users["leader"])
    for query in ("figure=nothing&year=2026", "figure=incoming&year=2026&unit_id=abc",
                  "figure=incoming&year=2026&medium=pigeon", "figure=outgoing&year=2026&channel=fax",
                  "figure=incoming&year=2026&doc_type_id=99999999999", "year=2026"):
        response = client.get("/stats/documents?" + query)
        assert response.status_code == 200, query
        assert 'id="drill-errors"' in response.get_data(as_text=True), query
    assert client.get("/stats/table/nothing.csv?year=2026").status_code == 404
    assert client.get("/stats/reports/nothing?year=2026").status_code == 404


def test_pages_are_vietnamese_by_default_with_dates_as_dd_mm_yyyy(vi_client, figures):
    y = figures["year"]
    html = vi_client.get(f"/stats/reports/periodic?year={y}&quarter=2").get_data(as_text=True)
    assert 'lang="vi"' in html and "Báo cáo định kỳ tình hình giải quyết văn bản" in html
    assert f"từ ngày 01/04/{y} đến ngày 30/06/{y}" in html
    assert "Thống kê" in vi_client.get("/dashboard").get_data(as_text=True)
    vi_client.post("/auth/lang/en", data={"next": "/stats/"})
    assert "Periodic report on document handling" in vi_client.get(f"/stats/reports/periodic?year={y}").get_data(
        as_text=True)


def test_the_documents_list_does_not_call_an_arrival_date_the_documents_date(vi_client, figures):
    """The list behind a figure showed an incoming document's arrival date under "Ngày văn bản" (the date the
    document bears)."""
    html = vi_client.get(f"/stats/documents?year={figures['year']}&figure=incoming").get_data(as_text=True)
    head = html[html.index('id="drill-table"'):html.index("</thead>")]
    assert "Ngày đến / ngày ban hành" in head and "Ngày văn bản" not in head


def test_the_menu_leads_to_the_statistics(as_user, users):
    for role in ("admin", "clerk", "leader", "unit_head", "specialist", "archivist"):
        html = _html(as_user(users[role]), "/dashboard")
        assert 'id="nav-stats"' in html and 'href="/stats/"' in html, role


# ---- charts beside tables -------------------------------------------------------------------------------

def test_every_chart_is_svg_with_a_title_and_a_table_beside_it(as_user, users, figures):
    y = figures["year"]
    html = _html(as_user(users["leader"]), f"/stats/?year={y}")
    charts = re.findall(r'<svg [^>]*id="chart-([\w-]+)"[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', html)
    assert len(charts) >= 8
    for name, labelled in charts:
        assert f'id="table-{name}"' in html, name
        for part in labelled.split():
            assert f'id="{part}"' in html
    assert "<script" not in html.split('id="content"', 1)[1].split("</main>", 1)[0]
    # the bars carry the table's figures
    bars = re.findall(r'<rect [^>]*data-value="(\d*)"', html.split('id="chart-volume-month"', 1)[1].split("</svg>")[0])
    month = read_page(html).tables["volume-month"]
    assert bars[0::2] == [r["incoming"] for r in month[:-1]]
    assert bars[1::2] == [r["outgoing"] for r in month[:-1]]


def test_the_handling_charts_draw_overdue_in_red_and_on_time_in_green(as_user, users, figures):
    """The handling charts took the palette's third colour, green, for the overdue documents."""
    html = _html(as_user(users["leader"]), f"/stats/handling?year={figures['year']}")
    for name in ("handling-unit", "handling-person"):
        chart = html.split(f'id="chart-{name}"', 1)[1].split("</svg>", 1)[0]
        legend = chart.split('<g class="legend">', 1)[1]
        colours = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"/>\s*<text[^>]*>([^<]+)</text>', legend)
        assert colours == [("#198754", "Completed on time"), ("#fd7e14", "Completed late"), ("#dc3545", "Overdue")]


# ---- Directive 10 ---------------------------------------------------------------------------------------

def _save(client, baseline, target):
    return client.post("/stats/directive10/settings", data={"baseline_year": baseline, "target_pct": target})


def test_directive10_without_settings_shows_no_verdict(as_user, users, figures):
    html = _html(as_user(users["leader"]), f"/stats/directive10?year={figures['year']}")
    assert "No baseline year is set." in html and "No reduction target is set" in html
    assert 'class="text-success fw-semibold verdict"' not in html and "text-danger fw-semibold verdict" not in html
    assert 'id="directive10-settings"' not in html  # the leader reads; the administrator sets


def test_directive10_with_a_baseline_and_a_target(as_user, users, figures, db):
    y = figures["year"]
    admin = as_user(users["admin"])
    assert 'id="directive10-settings"' in _html(admin, "/stats/directive10")
    response = _save(admin, str(y - 1), "30")
    assert response.status_code == 302
    html = _html(as_user(users["leader"]), f"/stats/directive10?year={y}")
    # three issued this year (CV, GM, GM) against two last year (BC, CV): +50%, short of a 30% cut
    assert re.search(r'id="d10-change">\+50%<', html)
    assert "Not on track" in html
    types = {r["label"]: r for r in read_page(html).tables["directive10-types"]}
    assert types["Giấy mời"]["baseline"] == "0" and types["Giấy mời"]["outgoing"] == "2"
    assert 'id="d10-grew"' in html and "Giấy mời" in html.split('id="d10-grew"')[1].split("</div>")[0]
    assert "Báo cáo" not in html.split('id="d10-grew"')[1].split("</div>")[0]
    assert types["Total"]["change_pct"] == "50.0"
    trend = read_page(html).tables["directive10-trend"]
    assert [r["outgoing"] for r in trend] == ["0", "0", "0", "2", "3"]


def test_directive10_with_a_baseline_of_no_documents(as_user, users, figures):
    y = figures["year"]
    admin = as_user(users["admin"])
    assert _save(admin, str(y - 3), "").status_code == 302
    html = _html(as_user(users["leader"]), f"/stats/directive10?year={y}")
    assert 'id="d10-change">–<' in html
    assert "The baseline year has no documents" in html
    assert _save(admin, str(y - 3), "20").status_code == 302
    html = _html(as_user(users["leader"]), f"/stats/directive10?year={y}")
    assert "No verdict without a baseline." in html


def test_directive10_settings_refuse_bad_input_and_other_roles(as_user, users, figures, db):
    admin = as_user(users["admin"])
    for baseline, target, field in (("abc", "30", "baseline_year"), ("2020", "abc", "target_pct"),
                                    ("2020", "150", "target_pct"), ("99999", "", "baseline_year")):
        response = _save(admin, baseline, target)
        assert response.status_code == 200, (baseline, target)
        html = response.get_data(as_text=True)
        assert re.search(rf'id="{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*id="{field}"',
                         html), (baseline, target)
    from docflow.stats import service

    assert service.directive10_settings() == {"baseline_year": None, "target_pct": None}
    for role in ("leader", "clerk", "specialist"):
        assert _save(as_user(users[role]), "2020", "10").status_code == 403
    assert service.directive10_settings() == {"baseline_year": None, "target_pct": None}


# ---- reports ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["incoming", "outgoing", "periodic"])
def test_the_reports_are_printable_pages(as_user, users, figures, kind, db):
    from docflow.core import settings

    settings.put("agency", {"name": "Ủy ban nhân dân tỉnh Đồng Nai", "abbr": "UBND", "code": ""})
    db.session.commit()
    html = _html(as_user(users["leader"]), f"/stats/reports/{kind}?year={figures['year']}")
    assert "Ủy ban nhân dân tỉnh Đồng Nai" in html
    assert "css/stats.css" in html and f'id="report-{kind}"' in html
    assert f"/stats/reports/{kind}.xlsx?year={figures['year']}" in html
    assert read_page(html).tables


# ---- dashboards --------------------------------------------------------------------------------------------

def test_each_role_dashboard_shows_its_figures(as_user, users, figures):
    sections = {"leader": "stats-office", "admin": "stats-office", "unit_head": "stats-unit",
                "specialist": "stats-mine", "clerk": "stats-clerk", "archivist": "stats-archive"}
    for role, section in sections.items():
        html = _html(as_user(users[role]), "/dashboard")
        assert f'id="{section}"' in html, role
        for other in set(sections.values()) - {section}:
            assert f'id="{other}"' not in html, (role, other)
    assert 'id="archive-placeholder"' in _html(as_user(users["archivist"]), "/dashboard")


def test_the_specialists_dashboard_counts_their_own_work(as_user, users, figures):
    from docflow.stats import service

    html = _html(as_user(users["specialist"]), "/dashboard")
    mine = html.split('id="stats-mine"', 1)[1].split("</section>", 1)[0]
    if figures["year"] == date.today().year:
        # a and b are spec1's (one on time, one late); nothing of the colleagues'
        assert re.search(r"Completed on time</div>\s*<div[^>]*>\s*<a[^>]*>1</a>", mine)
        assert re.search(r"Completed late</div>\s*<div[^>]*>\s*<a[^>]*>1</a>", mine)
    links = re.findall(r'href="(/stats/documents\?[^"]+)"', mine)
    assert links and all(f"user_id={users['specialist'].id}" in h for h in links)
    assert service.dashboard(users["specialist"], service.Period(figures["year"]))["sections"] == ["mine"]


def test_the_dashboards_figures_heading_does_not_capitalise_the_period_inside_a_sentence(vi_client, figures):
    """"Số liệu Năm 2026": the period's label, capitalised to stand alone, was put inside the heading's sentence."""
    from docflow.core.timeutil import today

    html = vi_client.get("/dashboard").get_data(as_text=True)
    heading = html[html.index('id="stats-summary-heading"'):]
    heading = heading[:heading.index("</h2>")]
    assert f"Số liệu: Năm {today().year}" in heading
