"""The fragments of original text around the words a document matched in (query._fragment, _original_pattern):
what the index's folding matches, read with its accents where it was written."""

import re

from hypothesis import given
from hypothesis import strategies as st

from docflow.core.text import fold
from docflow.search import query
from tests.search.helpers import register, search, statements_said
from tests.search.test_fold import LETTERS


def _fragment(text: str, q: str):
    return query._fragment(text, query._original_pattern(query.parse(q)))


def test_the_words_are_marked_in_the_original_text():
    text = "Xét đề nghị của Sở KẾ HOẠCH và Đầu tư; giao tham mưu kế hoạch triển khai <ngay>."
    html, words = _fragment(text, "ke hoach dau*")
    assert html == ("Xét đề nghị của Sở <mark>KẾ</mark> <mark>HOẠCH</mark> và <mark>Đầu</mark> tư; giao tham mưu "
                    "<mark>kế</mark> <mark>hoạch</mark> triển khai &lt;ngay&gt;.")
    assert words == 3  # ke, hoach, dau
    assert _fragment("Ủy ban nhân dân", "ke hoach") is None
    assert _fragment("kếhoạch liền", "ke") is None  # a word, not a part of one
    assert _fragment("theo số 15/QĐ-UBND", "15/QĐ-UBND")[0] == (
        "theo số <mark>15</mark>/<mark>QĐ</mark>-<mark>UBND</mark>")


def test_a_long_text_is_cut_at_whole_words_around_the_match():
    before, after = " ".join(["trước"] * 40), " ".join(["sau"] * 80)
    html, _n = _fragment(f"{before}\n\n  ngân   sách\t{after}", "ngan sach")
    assert html.startswith("…trước ") and html.endswith(" sau…")
    assert "trước <mark>ngân</mark> <mark>sách</mark> sau" in html  # white space made single spaces
    words = html.strip("…").split(" ")
    assert {"trước", "sau"} >= set(words) - {"<mark>ngân</mark>", "<mark>sách</mark>"}  # no cut word
    assert len(html) < 3 * query.SNIPPET_CONTEXT + 40


def test_the_window_holding_most_of_the_words_is_shown():
    filler = " ".join(["khác"] * 60)
    text = f"Đối với các đơn vị {filler} đẩy mạnh chuyển đổi số trong cơ quan {filler}"
    html, words = _fragment(text, "chuyển đổi*")
    assert "<mark>chuyển</mark> <mark>đổi</mark> số" in html and "Đối" not in html
    assert words == 2


WORD = st.text(alphabet=LETTERS, min_size=1, max_size=6)


@given(st.lists(WORD, min_size=1, max_size=12), st.lists(WORD, min_size=1, max_size=3))
def test_the_marked_words_are_those_the_folding_matches(words, asked):
    """Every word of the text whose fold is a word asked is marked, and no other."""
    text = " ".join(words)
    q = " ".join(fold(w) for w in asked)
    wanted = {fold(w) for w in asked}
    found = query._fragment(text, query._original_pattern(query.parse(q)))
    expected = [w for w in words if fold(w) in wanted]
    if not expected:
        assert found is None
        return
    marked = re.findall(r"<mark>(.*?)</mark>", found[0])
    assert marked == [w for w in found[0].replace("<mark>", "").replace("</mark>", "").split(" ")
                      if fold(w) in wanted]
    assert found[1] == len({fold(w) for w in marked})


def test_a_page_matched_in_the_leaders_direction_is_read_in_one_statement(app, db, api, users):
    """The snippets read an incoming letter's own columns (its direction, its result): the page's letters
    are loaded with every flow's columns, not one more statement per letter for them."""
    leader = users["leader"]
    for i in range(3):
        letter = register(api, users["clerk"], f"Công văn số {i} về lịch làm việc")
        assert api(leader).post(f"/incoming/{letter['id']}/assign", json={
            "instruction": "Giao phòng rà soát quỹ đất công", "assignees": [
                {"user_id": users["specialist"].id, "role": "primary"}]}).status_code == 200
    with statements_said(db.engine) as statements:
        answer = search(api, leader, q="quỹ đất")
    assert answer["total"] == 3
    assert all("<mark>quỹ</mark> <mark>đất</mark>" in item["snippet"] for item in answer["items"])
    one_letter = [s for s in statements if re.search(r"FROM documents\s+WHERE documents\.id = ", s)]
    assert one_letter == []
