"""The fast paths of a large result set (query._walk_date_index: the date index walked, the engine probed
row by row) give the same page as fetching every hit and sorting them; the facets say when they are capped;
a number-symbol prefers its exact key."""

import pytest
import sqlalchemy as sa

from docflow.auth.models import User
from docflow.search import query
from tests.search.helpers import draft, ids, register, search


@pytest.fixture
def many(api, users):
    """Nine letters about "quy hoạch" over eight dates (one confidential, one assigned to KT), two without it,
    and two drafts of the specialist's (no date: last)."""
    clerk = users["clerk"]
    docs = []
    for i, day in enumerate((3, 17, 9, 25, 1, 12, 17, 6, 20)):
        extra = {"confidentiality": "confidential"} if i == 4 else {}
        docs.append(register(api, clerk, f"Quy hoạch vùng {i} thực hiện", issued_date=f"2026-02-{day:02d}",
                             received_date=f"2026-03-{day:02d}", **extra))
    register(api, clerk, "Báo cáo khác", issued_date="2026-02-11", received_date="2026-03-11")
    register(api, clerk, "Kế hoạch khác", issued_date="2026-02-12", received_date="2026-03-12")
    docs.append(draft(api, users["specialist"], "Quy hoạch nháp"))
    docs.append(draft(api, users["specialist"], "Quy hoạch nháp"))  # the same words: the same rank
    return docs


def _page(app, username, args, monkeypatch, **settings):
    for name, value in settings.items():
        monkeypatch.setattr(query, name, value)
    with app.test_request_context():
        user = query.db.session.scalar(sa.select(User).where(User.username == username))
        result = query.search(user, query.load_args(args))
        walked = [d.id for d in result.items]
        parsed = query.parse(args.get("q"))
        page, per_page = int(args.get("page", 1)), int(args.get("per_page", 20))
        sorted_ = [d.id for d in query.db.session.scalars(
            query.ordered(user, parsed, query.load_args(args), False).offset((page - 1) * per_page)
            .limit(per_page)).unique()]
        dates = [query.db.session.scalar(sa.select(query.doc_date()).where(query.Document.id == i)) for i in walked]
        query.db.session.rollback()
    return result, walked, sorted_, dates


@pytest.mark.parametrize("walk", [(40, 4), (1, 2)], ids=["walk_default", "walk_one_by_one"])
@pytest.mark.parametrize("who", ["leader", "clerk", "specialist", "admin"])
@pytest.mark.parametrize("args", [{"q": "quy hoach", "sort": "date"}, {"q": "quy hoach"},
                                  {"q": "quy hoach", "per_page": 3, "page": 2}, {"q": "quy*", "direction": "incoming"},
                                  {"q": "quy hoach -vung", "sort": "date"}, {"q": "", "sort": "date"},
                                  {"q": "", "sort": "date", "per_page": 4, "page": 3},
                                  {"q": "quy hoach", "year": 2026, "sort": "date"},
                                  {"q": "quy hoach", "year": 2025, "sort": "date"}])
def test_large_result_walks_the_date_index_newest_visible_first(app, users, many, monkeypatch, who, args, walk):
    """(SQLite reads the candidates WALK_FIRST at a time, growing by WALK_GROWTH: one at a time, each after the
    last, crosses the documents without a date too.)"""
    username = users[who].username
    result, walked, sorted_, dates = _page(app, username, args, monkeypatch, CAP=2, RESTRICTED_CAP=2,
                                           WALK_FIRST=walk[0], WALK_GROWTH=walk[1],
                                           WALK_PAGES=0 if walk[0] == 1 else 2)
    if (result.page - 1) * result.per_page >= result.total:
        assert walked == []  # beyond the (capped) total: no page, as before
        return
    assert walked == sorted_  # the same documents, in the same order, as the whole result set sorted
    assert dates == sorted(dates, key=lambda d: (d is not None, d), reverse=True)
    if not result.total_exact:
        assert result.sort == "date" and not result.facets_exact


def test_large_exact_result_may_walk_too(app, users, many, monkeypatch):
    """A result set within the cap whose page is beyond the count's head (HEAD_ROWS 0 here) may walk the date
    index as well (query._walk_date_index): the same page."""
    walks = []
    monkeypatch.setattr(query, "_walked_page", lambda *a, _f=query._walked_page, **k: walks.append(1) or _f(*a, **k))
    for who in ("leader", "clerk"):  # (the specialist's two hits are too few for a walk: `_walk_date_index`)
        args = {"q": "quy hoach", "sort": "date", "per_page": 2, "page": 2}
        walks.clear()
        # (SQLite walks when WALK_GROWTH x the page's end x the documents <= the hits squared)
        result, walked, sorted_, _dates = _page(app, users[who].username, args, monkeypatch,
                                                WALK_MIN=1, WALK_ROWS=10**9, HEAD_ROWS=0, WALK_GROWTH=1)
        assert result.total_exact and walked == sorted_ and walked
        assert walks == [1], who


@pytest.mark.parametrize("head_rows", [1000, 5])
@pytest.mark.parametrize("who", ["leader", "specialist", "clerk"])
@pytest.mark.parametrize("args", [{"q": "quy hoach", "sort": "date"}, {"q": "", "sort": "date", "per_page": 4, "page": 3},
                                  {"q": "quy hoach -vung", "sort": "date", "per_page": 1, "page": 2},
                                  {"q": "quy*", "direction": "incoming", "sort": "date", "per_page": 2,
                                   "page": 2}])
def test_a_result_set_within_the_cap_is_paged_by_its_count(app, users, many, monkeypatch, who, args, head_rows):
    """The count reads the whole result set when it is within the cap: its statement gives the page by date
    too (query._counted's head), the same as the whole result set sorted; no other statement reads the hits.
    A page ending beyond HEAD_ROWS is read by its own statement (the same page)."""
    paged = []
    for name in ("_page", "_walked_page"):
        monkeypatch.setattr(query, name, lambda *a, _f=getattr(query, name), _n=name, **k: paged.append(_n) or _f(*a, **k))
    monkeypatch.setattr(query, "HEAD_ROWS", head_rows)
    result, walked, sorted_, dates = _page(app, users[who].username, args, monkeypatch, WALK_MIN=1, WALK_ROWS=10**9)
    assert result.total_exact and result.sort == "date"
    page, per_page = int(args.get("page", 1)), int(args.get("per_page", 20))
    if (page - 1) * per_page >= result.total:
        assert walked == [] == paged  # beyond the total: no page, nothing read for it
        return
    assert walked and walked == sorted_
    assert dates == sorted(dates, key=lambda d: (d is not None, d), reverse=True)
    assert len(paged) == (0 if page * per_page <= head_rows else 1)


@pytest.mark.parametrize("args", [{}, {"year": 2026}])
def test_walk_order_sqlite_uses_the_index(app, users, many, args):
    """The date order's index, within the year when the search is filtered by year (migration 0025); the
    plan reads it in order (no sort of the candidates)."""
    index = query.YEAR_DATE_INDEX if args else query.DATE_INDEX
    with app.test_request_context():
        user = query.db.session.scalar(sa.select(User).where(User.username == users["leader"].username))
        parsed = query.parse("quy hoach")
        for stmt in (query.ordered(user, parsed, args, False, large=True).limit(20),
                     query._range_walked(user, parsed, args, 20)):
            sql = str(stmt.compile(query.db.engine))
            if query.db.engine.dialect.name == "sqlite":
                assert f"INDEXED BY {index}" in sql
                # (SQLite's dialect leaves the LIMIT of an OFFSET alone a parameter: -1, no limit)
                literal = str(stmt.compile(query.db.engine, compile_kwargs={"literal_binds": True}))
                plan = " ".join(str(r[-1]) for r in query.db.session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + literal.replace("LIMIT ? OFFSET", "LIMIT -1 OFFSET")))
                assert f"USING INDEX {index}" in plan and "TEMP B-TREE FOR ORDER BY" not in plan.split("firstk")[0]
            else:
                assert "INDEXED BY" not in sql
        query.db.session.rollback()


def test_facets_flagged_when_capped(api, users, many, monkeypatch):
    answer = search(api, users["leader"], q="quy hoach")
    assert answer["total_exact"] and answer["facets_exact"] and answer["total"] == 9
    assert sum(f["count"] for f in answer["facets"]["year"]) == 9
    monkeypatch.setattr(query, "CAP", 4)
    answer = search(api, users["leader"], q="quy hoach")
    assert answer["total"] == 4 and not answer["total_exact"] and not answer["facets_exact"]
    assert sum(f["count"] for f in answer["facets"]["direction"]) == 5  # the first CAP + 1 matching rows
    assert answer["sort"] == "date" and len(answer["items"]) == 9  # the page: newest first, walked


def test_restricted_viewer_counts_up_to_the_smaller_cap(app, api, users, many, monkeypatch):
    """A specialist (who sees only what they take part in) is counted up to RESTRICTED_CAP, an office-wide
    role up to CAP; beyond it the total says "more than" and the page is walked, newest first."""
    for n in range(4):
        draft(api, users["specialist"], f"Quy hoạch bổ sung {n}")
    whole = search(api, users["specialist"], q="quy hoach", per_page=200, sort="date")
    seen = whole["total"]
    assert whole["total_exact"] and seen >= 5 and seen == len(whole["items"])
    monkeypatch.setattr(query, "RESTRICTED_CAP", seen - 2)
    answer = search(api, users["specialist"], q="quy hoach", per_page=200)
    assert answer["total"] == seen - 2 and not answer["total_exact"] and not answer["facets_exact"]
    assert sum(f["count"] for f in answer["facets"]["direction"]) == seen - 1  # the first cap + 1 visible rows
    assert answer["sort"] == "date" and answer["items"] == whole["items"]  # walked: the same page, newest first
    leader = search(api, users["leader"], q="quy hoach")
    assert leader["total_exact"] and leader["total"] > seen - 2  # the leader's cap is CAP
    with app.test_request_context():
        for who, cap in (("specialist", seen - 2), ("unit_head", seen - 2), ("leader", query.CAP),
                         ("archivist", query.CAP)):
            user = query.db.session.scalar(sa.select(User).where(User.username == users[who].username))
            assert query.cap_for(user) == cap, who


def test_exact_number_symbol_preferred(api, users, db):
    clerk = users["clerk"]
    one = register(api, clerk, "Báo cáo tháng", number_symbol="1/BC-CAT")
    eleven = register(api, clerk, "Báo cáo quý", number_symbol="11/BC-CAT")
    assert {i["id"] for i in search(api, users["leader"], q="1/BC-CAT")["items"]} == {one["id"]}
    assert {i["id"] for i in search(api, users["leader"], q="11/BC-CAT")["items"]} == {eleven["id"]}
    if db.engine.dialect.name == "postgresql":  # no exact key: the symbol quoted in part (pg_trgm)
        assert {i["id"] for i in search(api, users["leader"], q="1/BC-CA")["items"]} == {one["id"], eleven["id"]}


SENDERS = ("Sở Tài nguyên và Môi trường", "Sở Tài nguyên và Môi trường tỉnh Đồng Nai", "UBND huyện Nhơn Trạch",
           "Công ty TNHH Tài Nguyên-Xanh", "Ban Quản lý dự án", "Bộ Y tế")


@pytest.mark.parametrize("sender", ["Sở Tài nguyên", "tai nguyen", "ài nguyên và", "nguyên", "n", " y t", "y tế",
                                    "Tài Nguyên-Xanh", "quản lý dự", "UBND", "huyện Nhơn Trạc", "tài nguyên và môi",
                                    "ở tài", "ên và mô", " bộ y", "- xanh"])
def test_sender_filter_words_keep_what_the_like_keeps(api, users, sender):
    """The sender filter's words asked of the engine (query.engine_query) only narrow the rows its LIKE
    checks: the same documents as the LIKE alone, with or without words to search."""
    clerk, leader = users["clerk"], users["leader"]
    made = {name: register(api, clerk, f"Về việc thực hiện kế hoạch {i}", sender_name=name)["id"]
            for i, name in enumerate(SENDERS)}
    folded = query.fold(sender)
    expected = {doc_id for name, doc_id in made.items() if folded in query.fold(name)}
    assert ids(api, leader, sender=sender) == expected
    assert ids(api, leader, q="thực hiện", sender=sender) == expected
    assert ids(api, leader, q="thực hiện", sender=sender, sort="date") == expected
    term = query._sender_term(sender)
    if term is not None:  # the words are whole words of the sender (but a last one cut short: a prefix)
        assert all(p in query.fold(sender) for p in term.pieces)
