"""core.text.fold's faster form (four replaces for đ; Vietnamese text's marks dropped by an ASCII encode) says
what the form before it said, for any text (tests/search/test_fold.py holds its properties)."""

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from docflow.core.text import fold

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
_COMMON_MARKS = re.compile("[" + "".join(chr(cp) for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp)))
                           + "]+")


def _fold_before(text):
    """fold() as it was (commit df4dfde)."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = _COMMON_MARKS.sub("", decomposed)
    if not stripped.isascii():
        stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


VIETNAMESE = "Quyết định về việc ĐỒNG NAI đất đai Ủy ban nhân dân tỉnh Đồng Nai, QĐÐ-UBND 15/2020/NĐ-CP"
#: marks of the common block and others, the grapheme joiner (in the block, not a mark), other scripts' letters,
#: letters whose lower case carries a mark (İ), white space of every kind, NUL and DEL
EDGES = "aăâeêioôơuưyđĐÐðAĂÂ İ ß ø Ω Я 中 \u0300\u0301\u0303\u0309\u0323\u034f\u0483\u05b0\u0370\u036f\x00\x7f\x80" \
        "\t\n\u00a0\u2003\u3000x1"


@given(st.text())
def test_fold_says_what_it_said_for_any_text(text):
    assert fold(text) == _fold_before(text)


@given(st.text(alphabet=st.sampled_from(EDGES + VIETNAMESE), max_size=80))
def test_fold_says_what_it_said_at_the_edges(text):
    assert fold(text) == _fold_before(text)


def test_vietnamese_text_takes_the_fast_path_and_folds_the_same():
    for text in (VIETNAMESE, VIETNAMESE.upper(), unicodedata.normalize("NFD", VIETNAMESE), "Ḃ ǆ ŉ ﬁ ẞ", "İstanbul"):
        assert fold(text) == _fold_before(text)
    assert fold(VIETNAMESE) == "quyet dinh ve viec dong nai dat dai uy ban nhan dan tinh dong nai, qdd-ubnd 15/2020/nd-cp"
