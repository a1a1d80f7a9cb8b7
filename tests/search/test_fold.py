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
