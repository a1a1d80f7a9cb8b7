"""Prefix queries (`xây*`) find every document holding a word the prefix starts, whatever the prefix's length;
on PostgreSQL through the words' first letters held in the GIN index as lexemes of their own (migration 0028:
docflow_prefixed), which the search asks in place of a partial match."""

import re

import pytest
import sqlalchemy as sa

from docflow.core.text import fold
from docflow.search import query
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
    register(api, users["clerk"], "Xây dựng trụ sở làm việc")
    lexemes = db.session.scalar(sa.text("SELECT tsvector_to_array(docflow_prefixed('xay dung ab #p5'::tsvector))"))
    assert sorted(lexemes) == sorted(["#p5", "ab", "dung", "xay", "~du", "~dun", "~xa"])
    with app.test_request_context():
        # 2 to 4 letters: the lexeme (or the word itself), no partial match; longer or shorter: a partial match
        for q, asked, not_asked in (("xây*", "~xay", ":*"), ("xa*", "~xa", ":*"), ("khoan*", "khoan'':*", "~"),
                                    ("x*", "x'':*", "~")):
            compiled = str(query._indexed(query.parse(q)).compile(dialect=db.engine.dialect,
                                                                   compile_kwargs={"literal_binds": True}))
            assert asked in compiled and not_asked not in compiled, (q, compiled)
            assert "docflow_prefixed(search_index.tsv) @@" in compiled, (q, compiled)
            assert "ts_match_vq" not in compiled  # one word or prefix: the index's answer is the query's
        phrase = str(query._indexed(query.parse('"trụ sở" -nhà')).compile(dialect=db.engine.dialect,
                                                                        compile_kwargs={"literal_binds": True}))
        assert "ts_match_vq(search_index.tsv" in phrase  # the phrase and the excluded word tested on the row
    with statements_said(db.engine) as statements:
        assert search(api, users["leader"], q="xây*")["total"] == 1
    assert not any("search_index.tsv @@" in s for s in statements)  # never the row's vector through no index
