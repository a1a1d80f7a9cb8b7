"""Prefix queries (`xây*`) find every document holding a word the prefix starts, whatever the prefix's length;
on PostgreSQL through the words' first letters held in the GIN index as lexemes of their own (migrations 0028
and 0029: the row's `prefixes`, made by indexer.prefix_lexemes), which the search asks in place of a partial
match."""

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docflow.core.text import fold
from docflow.search import query
from docflow.search.indexer import PREFIX_LENGTHS, prefix_lexemes
from docflow.search.models import SearchIndex
from tests.search.helpers import register, search, statements_said

SUBJECTS = ("Xây dựng trụ sở làm việc", "Xã Phú Hữu báo cáo", "Biên bản họp giao ban", "Ban hành quy chế",
            "Đối chiếu công nợ", "Chuyển đổi số", "Đời sống nhân dân", "Khoáng sản vật liệu xây dựng", "Kế hoạch năm")
PREFIXES = ("x*", "xa*", "xây*", "dựn*", "bi*", "ban*", "bản*", "đ*", "đô*", "đổi*", "chuyển đổi*",
            "khoáng*", "kh*", "sở*", "năm*", "q*", "nă*")


def _expected(prefix_query: str, texts: dict[int, str]) -> set[int]:
    """The documents whose indexed text has, for every term, a word the term starts (a word: that word)."""
    found = set(texts)
    for term in prefix_query.split():
        piece = fold(term.rstrip("*"))
        is_prefix = term.endswith("*")
        found &= {i for i, text in texts.items()
                  if any(w.startswith(piece) if is_prefix else w == piece for w in re.findall(r"[^\W_]+", text))}
    return found


def test_a_prefix_finds_every_word_it_starts(db, api, users):
    ids = [register(api, users["clerk"], s)["id"] for s in SUBJECTS]
    # the folded text each document is indexed by (its subject, issuer, number-symbol ...)
    texts = {i: body + " " + attachments for i, body, attachments in db.session.execute(
        sa.select(SearchIndex.document_id, SearchIndex.body, SearchIndex.attachments_text)
        .where(SearchIndex.document_id.in_(ids)))}
    for q in PREFIXES:
        answer = search(api, users["leader"], q=q, per_page=50)
        expected = _expected(q, texts)
        assert expected, q  # each prefix starts a word of some subject
        assert {d["id"] for d in answer["items"]} == expected, q


def test_postgresql_asks_the_index_for_the_prefix_lexeme(app, db, api, users):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's GIN index over docflow_prefixed: SQLite's FTS5 has its own prefix index")
    doc = register(api, users["clerk"], "Xây dựng trụ sở làm việc")
    lexemes = db.session.scalar(sa.text("SELECT tsvector_to_array(docflow_prefixed('xay dung ab #p5'::tsvector, "
                                        "'~du ~dun ~xa'::tsvector))"))
    assert sorted(lexemes) == sorted(["#p5", "ab", "dung", "xay", "~du", "~dun", "~xa"])
    # the row's own prefixes: those of each word of its vector longer than 2, 3, 4 letters, not of its tags
    own, words = db.session.execute(sa.text(
        "SELECT tsvector_to_array(prefixes), tsvector_to_array(tsv) FROM search_index WHERE document_id = :id"),
        {"id": doc["id"]}).one()
    assert {"~xa", "~du", "~dun", "~vi", "~vie"} <= set(own)
    assert set(own) == {f"~{w[:n]}" for w in words for n in (2, 3, 4) if len(w) > n and not w.startswith("#")}
    with app.test_request_context():
        # 2 to 4 letters: the lexeme (or the word itself), no partial match; longer or shorter: a partial match
        for q, asked, not_asked in (("xây*", "~xay", ":*"), ("xa*", "~xa", ":*"), ("khoan*", "khoan'':*", "~"),
                                    ("x*", "x'':*", "~")):
            compiled = str(query._indexed(query.parse(q)).compile(dialect=db.engine.dialect,
                                                                   compile_kwargs={"literal_binds": True}))
            assert asked in compiled and not_asked not in compiled, (q, compiled)
            assert "docflow_prefixed(search_index.tsv, search_index.prefixes) @@" in compiled, (q, compiled)
            assert "ts_match_vq" not in compiled  # one word or prefix: the index's answer is the query's
        phrase = str(query._indexed(query.parse('"trụ sở" -nhà')).compile(dialect=db.engine.dialect,
                                                                        compile_kwargs={"literal_binds": True}))
        assert "ts_match_vq(search_index.tsv" in phrase  # the phrase and the excluded word tested on the row
    with statements_said(db.engine) as statements:
        assert search(api, users["leader"], q="xây*")["total"] == 1
    assert not any("search_index.tsv @@" in s for s in statements)  # never the row's vector through no index


# letters (Vietnamese folded or not, other scripts), digits, `e` between digits (PostgreSQL's parser reads
# `1e10abc` as the number `1e10` and the word `abc`), `_` and punctuation (not letters to either)
_TEXT = st.text(alphabet=st.sampled_from("abcdeghiklmnoqrstuvxy0123456789eeee ._-/,:'#~đâưжαß中"), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_TEXT, attachments=_TEXT)
def test_the_prefixes_are_those_of_the_words_postgresql_makes_of_the_text(db, body, attachments):
    """indexer.prefix_lexemes splits a text as the generated `tsv` does (`[^[:alnum:]]+` made spaces, then the
    'simple' parser): the prefixes it writes are exactly those of the vector's words. A prefix it missed would
    hide a document from that prefix; one too many would find a document without the word."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's vector and its prefixes: SQLite's FTS5 indexes prefixes itself")
    words = db.session.scalar(sa.text(
        "SELECT tsvector_to_array(to_tsvector('simple'::regconfig, regexp_replace(:b, '[^[:alnum:]]+', ' ', 'g')) "
        "|| to_tsvector('simple'::regconfig, regexp_replace(:a, '[^[:alnum:]]+', ' ', 'g')))"),
        {"b": body, "a": attachments})
    expected = {f"~{w[:n]}" for w in words for n in PREFIX_LENGTHS if len(w) > n}
    assert set(filter(None, prefix_lexemes(body, attachments).split(" "))) == expected


def test_a_word_too_long_for_postgresql_has_no_prefixes(db):
    """PostgreSQL leaves a word longer than 2,047 bytes out of the vector: its prefixes are left out too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's longest word: SQLite's FTS5 has no such limit")
    for length in (2047, 2048, 3000):
        text = "ab " + "x" * length
        words = db.session.scalar(sa.text("SELECT tsvector_to_array(to_tsvector('simple'::regconfig, :t))"),
                                  {"t": text})
        expected = {f"~{w[:n]}" for w in words for n in PREFIX_LENGTHS if len(w) > n}
        assert set(filter(None, prefix_lexemes(text).split(" "))) == expected, length
