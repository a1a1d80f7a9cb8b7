"""The /search/ page: the top-bar box, results with snippets and facets, saved searches."""

import re

from tests.conftest import csrf_token_from, login
from tests.search.helpers import register


def test_search_box_on_every_page_and_results(client, api, users, login_as):
    register(api, users["clerk"], "Về việc quản lý đất đai tỉnh Đồng Nai", number_symbol="15/QĐ-UBND")
    login_as(users["leader"])
    home = client.get("/incoming/")
    assert 'id="topbar-search"' in home.get_data(as_text=True)
    page = client.get("/search/?q=dat+dai")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<mark>đất</mark> <mark>đai</mark>" in html
    assert "15/QĐ-UBND" in html
    # the filter and facet of incoming/outgoing are named so, not as a leader's direction ("ý kiến chỉ đạo")
    assert '<label class="form-label" for="search-direction">Incoming / outgoing</label>' in html
    with client.session_transaction() as session:
        session["lang"] = "vi"
    html = client.get("/search/?q=dat+dai").get_data(as_text=True)
    assert '<label class="form-label" for="search-direction">Văn bản đến/đi</label>' in html
    assert "Ý kiến chỉ đạo" not in html
    assert client.get("/search/?q=%22&sort=date&from=x").status_code == 200  # shown as a warning, not a 500
    assert client.get("/search/?q=" + "x" * 5000).status_code == 200


def test_saved_searches(app, client, users, login_as):
    login_as(users["leader"])
    html = client.get("/search/?q=dong+nai").get_data(as_text=True)
    token = csrf_token_from(html)
    r = client.post("/search/saved", data={"csrf_token": token, "name": "Đồng Nai", "query": "q=dong+nai"})
    assert r.status_code == 302
    html = client.get("/search/").get_data(as_text=True)
    assert "Đồng Nai" in html and "/search/?q=dong+nai" in html
    saved_id = re.search(r"/search/saved/(\d+)/delete", html).group(1)
    other = app.test_client()  # someone else's saved search is not theirs to delete
    login(other, users["clerk"].username)
    other_token = csrf_token_from(other.get("/search/").get_data(as_text=True))
    assert other.post(f"/search/saved/{saved_id}/delete", data={"csrf_token": other_token}).status_code == 404
    assert client.post(f"/search/saved/{saved_id}/delete", data={"csrf_token": token}).status_code == 302
    assert "/search/?q=dong+nai" not in client.get("/search/").get_data(as_text=True)


def test_filters_without_a_control_are_named_kept_and_removable(client, api, users, login_as):
    """A facet link or a saved search sets filters the form has no control for (year, unit, register, the
    arrival and issue dates, confidentiality): the page names each with a link that removes it, and the form
    keeps them when the words change; the facet chosen is marked, with the same removing link."""
    register(api, users["clerk"], "Kế hoạch phòng chống thiên tai", issued_date="2025-12-20",
             received_date="2026-01-03")
    login_as(users["leader"])
    html = client.get("/search/?q=thien+tai&year=2026&received_from=2026-01-01").get_data(as_text=True)
    chips = html.split('id="search-other-filters"', 1)[1].split("</p>", 1)[0]
    assert "Year: 2026" in chips and "Arrival date: from 01/01/2026" in chips
    removing = re.findall(r'href="([^"]+)"', chips)
    assert removing == ["/search/?q=thien+tai&amp;received_from=2026-01-01", "/search/?q=thien+tai&amp;year=2026"]
    form = html.split('id="search-form"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="year" value="2026">' in form
    assert '<input type="hidden" name="received_from" value="2026-01-01">' in form
    facet = html.split("active-filter", 1)[1].split("</li>", 1)[0]  # the year chosen, marked
    assert "2026" in facet and 'href="/search/?q=thien+tai&amp;received_from=2026-01-01"' in facet
    plain = client.get("/search/?q=thien+tai").get_data(as_text=True)
    assert 'id="search-other-filters"' not in plain and "active-filter" not in plain


def test_the_date_filters_are_typed_day_first(client, api, users, login_as):
    doc = register(api, users["clerk"], "Báo cáo phòng chống lụt bão", issued_date="2025-12-20",
                   received_date="2026-01-03")
    login_as(users["leader"])
    for typed in ("20/12/2025", "2025-12-20"):
        html = client.get(f"/search/?q=lut+bao&from={typed}&to=20/12/2025").get_data(as_text=True)
        assert f'href="/incoming/{doc["id"]}"' in html
        assert re.search(r'<input[^>]*id="search-from"[^>]*value="20/12/2025"', html)
    html = client.get("/search/?q=lut+bao&from=21/12/2025").get_data(as_text=True)
    assert f'href="/incoming/{doc["id"]}"' not in html
    assert client.get("/search/?q=lut+bao&from=31/02/2025").status_code == 200  # a warning, not a 500
