"""Relevance on SQLite: bm25 scores the hits through the phrases that can weigh in it (query._scored)."""

import json
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from docflow.search import query
from tests.search.helpers import register, search

SUBJECTS = ["Công văn về an toàn bức xạ hạt nhân", "Công văn về điện hạt nhân và hạt nhân nghiên cứu",
            "Công văn về hạt giống lúa", *[f"Công văn về việc số {i}" for i in range(8)]]


@pytest.fixture
def letters(api, users, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("FTS5's bm25 and its IDF pass: PostgreSQL's ts_rank has no IDF")
    return [register(api, users["clerk"], s)["id"] for s in SUBJECTS]


def _bm25_order(db, match: str) -> list[int]:
    """The hits ranked by bm25 over the whole MATCH, newest first among equals (the plain plan)."""
    return list(db.session.scalars(sa.text(
        "SELECT d.id FROM search_fts JOIN documents d ON d.id = search_fts.rowid WHERE search_fts MATCH :m "
        "ORDER BY bm25(search_fts, 2.0, 1.0, 0.0), coalesce(d.issued_date, d.received_date) DESC, d.id DESC"),
        {"m": match}))


@contextmanager
def _ranked_matches(db):
    """The MATCH expressions of the statements that rank by bm25, in the order they are bound, and the ids of
    the set they are given (a JSON list), sorted."""
    said = []

    def listen(conn, cursor, statement, parameters, *args):
        if "bm25(" in statement:
            said.extend(p for p in parameters if isinstance(p, str) and "body" in p)
            said.extend(sorted(json.loads(p)) for p in parameters if isinstance(p, str) and p.startswith("["))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield said
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_a_word_in_half_the_documents_is_left_out_of_the_score(app, db, users, api, letters):
    with _ranked_matches(db) as said:
        found = search(api, users["leader"], q="hạt công văn", per_page=50)
    assert found["sort"] == "relevance"
    expected = _bm25_order(db, '{body attachments_text} : ("hat" AND "cong" AND "van")')
    assert [i["id"] for i in found["items"]] == expected
    assert len(expected) == 3 and expected[0] == letters[1]  # "hạt" twice: the highest score
    # the ranked statement scored "hat" alone; "cong" and "van" (in every letter) only kept the hits, which the
    # count had read already: the whole MATCH is not asked again, its hits are the set (query._counted's ids)
    assert said == ['{body attachments_text} : ("hat")', sorted(expected)]


def test_when_no_word_weighs_the_hits_are_shown_newest_first(app, db, users, api, letters):
    found = search(api, users["leader"], q="công văn", per_page=50)
    assert found["sort"] == "relevance" and found["total"] == len(letters)
    assert [i["id"] for i in found["items"]] == sorted(letters, reverse=True)  # one date: the newest id first


def test_a_words_weight_is_read_on_the_newest_documents(app, db, users, api, letters, monkeypatch):
    with app.test_request_context():
        cong, hat = query.parse("công hạt").terms
        assert query._weighs_nothing(cong) and not query._weighs_nothing(hat)
    monkeypatch.setattr(query, "COMMON_SAMPLE", 8)  # the newest 8: "Công văn về việc số ..." only
    with app.test_request_context():
        assert query._weighs_nothing(cong) and not query._weighs_nothing(hat)
        viec = query.parse("việc").terms[0]
        assert query._weighs_nothing(viec)  # in every one of the newest 8, in 8 of all 11


def test_the_sender_filters_words_weigh_nothing(app, db, users, api, letters):
    """The sender filter's words narrow the engine's hits (query._sender_term) but are not the search's:
    they are left out of the score."""
    sender = "Sở Tài nguyên và Môi trường"
    once = register(api, users["clerk"], "Công văn về hạt giống", sender_name=sender)["id"]
    thrice = register(api, users["clerk"], "Công văn về hạt nhân, hạt điều và hạt tiêu", sender_name=sender)["id"]
    with _ranked_matches(db) as said:
        found = search(api, users["leader"], q="hạt", sender="Sở Tài nguyên", per_page=50)
    assert found["sort"] == "relevance"
    assert [i["id"] for i in found["items"]] == [thrice, once]
    # scored by the search's word alone, among the hits the count read (the sender's words and its LIKE
    # kept them): not the letters with "hạt" from other senders
    assert said == ['{body attachments_text} : ("hat")', sorted([once, thrice])]
