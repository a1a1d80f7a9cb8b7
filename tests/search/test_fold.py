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
