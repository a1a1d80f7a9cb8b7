"""Any text in the search box: results or a clear 4xx, never an exception, a 500 or an FTS syntax error."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docflow.search import query
from tests.search.helpers import register

NASTY = ['"', '""', '"unbalanced', "-", "--", "*", "-*", '-"', "NEAR(", "NEAR(a b)", "col:x", "body:dong", "a OR b",
         "a AND", "NOT", "^a", "a + b", "(", ")", "{a b}", "'; DROP TABLE documents; --", "' OR 1=1 --",
         "x" * 5000, "đ" * 501, "\ud800", "a\x00b", "!!x", "a & b | c", "a:*", "<->", "\\", "%", "_", "15/", "/QĐ",
         "15/QĐ-UBND*", '"15/QĐ-UBND"', "-15/QĐ-UBND", "* * *", "a" * 300, " ".join(["w"] * 100), "ⅻ", "ǅ", "ﬁ"]


def _answer_or_clear_refusal(q):
    try:
        parsed = query.parse(q)
    except query.QueryError as exc:
        assert exc.status == 422 and exc.errors
        return
    query.fts5_match(parsed)


@pytest.mark.parametrize("q", NASTY)
def test_parser_on_nasty_input(q):
    _answer_or_clear_refusal(q)


@given(st.text(max_size=200))
def test_parser_never_raises_anything_else(q):
    _answer_or_clear_refusal(q)


@pytest.mark.parametrize("q", NASTY)
def test_api_on_nasty_input(api, users, q):
    register(api, users["clerk"], "Về việc quản lý đất đai tỉnh Đồng Nai", number_symbol="15/QĐ-UBND")
    caller = api(users["leader"])
    for sort in ("relevance", "date"):
        response = caller.get(f"/search?q={quote(q, errors='surrogatepass')}&sort={sort}")
        assert response.status_code in (200, 422), (q, response.get_data(as_text=True)[:300])
        if response.status_code == 422:
            assert response.mimetype == "application/problem+json"


words = st.sampled_from(["dong", "nai", "Đồng", '"', "-", "*", "NEAR(", "col:", "(", ")", "OR", "15/QĐ-UBND",
                         "đất", "'", ";", "\\", "^", "+"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=80), st.lists(words, max_size=8).map(" ".join),
                 st.lists(words, max_size=8).map("".join)))
def test_api_fuzz_never_500(api, users, q):
    response = api(users["leader"]).get("/search", query_string={"q": q})
    assert response.status_code in (200, 422), (q, response.get_data(as_text=True)[:300])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["direction", "doc_type", "sender", "from", "to", "urgency", "status",
                                        "unit", "page", "per_page", "sort", "year", "register"]),
                       st.text(max_size=20), max_size=5))
def test_api_filters_fuzz_never_500(api, users, params):
    response = api(users["leader"]).get("/search", query_string=params)
    assert response.status_code in (200, 422), (params, response.get_data(as_text=True)[:300])
