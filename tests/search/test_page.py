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
