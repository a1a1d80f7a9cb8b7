"""core.text.fold, the one folding of index and query (property tests)."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from docflow.core.text import fold

VIETNAMESE = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
              "bcdghklmnpqrstvx")
LETTERS = VIETNAMESE + VIETNAMESE.upper()


@given(st.text())
def test_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=LETTERS + " ", max_size=60))
def test_every_vietnamese_letter_folds_to_ascii(text):
    folded = fold(text)
    assert folded.isascii()
    assert folded == folded.lower()


def test_each_letter_alone():
    for ch in LETTERS:
        assert len(fold(ch)) == 1 and fold(ch).isascii() and fold(ch).isalpha(), ch


@given(st.text(alphabet=LETTERS + " ,./-", max_size=60))
def test_nfc_and_nfd_fold_the_same(text):
    assert fold(unicodedata.normalize("NFC", text)) == fold(unicodedata.normalize("NFD", text))


def test_d_with_stroke_and_eth():
    assert fold("đ") == fold("Đ") == "d"
    assert fold("\u00d0") == "d"  # Ð (eth), as OCR reads Đ
    assert fold("QĐÐ-UBND") == "qdd-ubnd"
    assert fold("Đồng Nai") == fold("ĐỒNG NAI") == fold("dong nai") == "dong nai"
    assert fold("đất đai") == "dat dai"


def _fold_by_definition(text):
    """fold() as its docstring defines it, one character at a time (the fast path must say the same)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().split())


@given(st.text())
def test_fold_is_its_definition_for_any_text(text):
    assert fold(text) == _fold_by_definition(text)


@given(st.text(alphabet=st.sampled_from("aăâeêioôơuưyđAĂÂĐ \u0300\u0301\u0303\u0309\u0323\u034f\u0483\u05b0x")))
def test_fold_is_its_definition_for_marks_of_every_kind(text):
    assert fold(text) == _fold_by_definition(text)


def _marked(html_text: str) -> list[str]:
    import re

    return re.findall(r"<mark>(.*?)</mark>", html_text)


def test_highlight_marks_the_original_words():
    from docflow.search.query import highlight, parse

    text = "Về việc NGÂN SÁCH tỉnh Đồng Nai năm 2026 (ngân sách)"
    assert _marked(highlight(text, parse("ngan sach dong*"))) == ["NGÂN", "SÁCH", "Đồng", "ngân", "sách"]
    assert highlight(text, parse("hà nội")) is None


def test_highlight_where_a_character_folds_to_several_or_to_none():
    """A Hangul syllable folds to its three jamo, a lone combining mark to nothing: the marks still fall on
    the original characters around them (the per-character map of _folded_with_map)."""
    from docflow.search.query import highlight, parse

    text = "한국 \u0301 ngân sách 한"
    assert fold("한") != "한" and len(fold("한")) == 3
    marked = highlight(text, parse("ngân"))
    assert _marked(marked) == ["ngân"]
    assert marked.startswith("한국 \u0301 <mark>ngân</mark> sách")
    assert _marked(highlight(text, parse("sach"))) == ["sách"]


@given(st.text(alphabet=LETTERS + " ,.한\u0301", max_size=40))
def test_highlight_keeps_the_text(text):
    """Without its marks, a highlighted text is the original text, HTML-escaped."""
    import html

    from docflow.search.query import highlight, parse

    words = fold(text).split()
    if not words or not any(ch.isalnum() for ch in words[0]):
        return
    marked = highlight(text, parse(words[0]))
    if marked is not None:
        assert marked.replace("<mark>", "").replace("</mark>", "") == html.escape(text)
