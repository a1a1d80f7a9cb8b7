"""The fast paths of a large result set (query._walk_date_index: the date index walked, the engine probed
row by row) give the same page as fetching every hit and sorting them; the facets say when they are capped;
a number-symbol prefers its exact key."""

import pytest
import sqlalchemy as sa

from docflow.auth.models import User
from docflow.search import query
from tests.search.helpers import draft, register, search


@pytest.fixture
def many(api, users):
    """Nine letters about "quy hoạch" over eight dates (one confidential, one assigned to KT), two without it,
    and a draft of the specialist's (no date: last)."""
    clerk = users["clerk"]
    docs = []
    for i, day in enumerate((3, 17, 9, 25, 1, 12, 17, 6, 20)):
        extra = {"confidentiality": "confidential"} if i == 4 else {}
        docs.append(register(api, clerk, f"Quy hoạch vùng {i} thực hiện", issued_date=f"2026-02-{day:02d}",
                             received_date=f"2026-03-{day:02d}", **extra))
    register(api, clerk, "Báo cáo khác", issued_date="2026-02-11", received_date="2026-03-11")
    register(api, clerk, "Kế hoạch khác", issued_date="2026-02-12", received_date="2026-03-12")
    docs.append(draft(api, users["specialist"], "Quy hoạch nháp"))
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


@pytest.mark.parametrize("who", ["leader", "clerk", "specialist", "admin"])
@pytest.mark.parametrize("args", [{"q": "quy hoach", "sort": "date"}, {"q": "quy hoach"},
                                  {"q": "quy hoach", "per_page": 3, "page": 2}, {"q": "quy*", "direction": "incoming"},
                                  {"q": "quy hoach -vung", "sort": "date"}, {"q": "", "sort": "date"}])
def test_large_result_walks_the_date_index_newest_visible_first(app, users, many, monkeypatch, who, args):
    username = users[who].username
    result, walked, sorted_, dates = _page(app, username, args, monkeypatch, CAP=2)
    if (result.page - 1) * result.per_page >= result.total:
        assert walked == []  # beyond the (capped) total: no page, as before
        return
    assert walked == sorted_  # the same documents, in the same order, as the whole result set sorted
    assert dates == sorted(dates, key=lambda d: (d is not None, d), reverse=True)
    if not result.total_exact:
        assert result.sort == "date" and not result.facets_exact


def test_large_exact_result_may_walk_too(app, users, many, monkeypatch):
    for who in ("leader", "specialist", "clerk"):
        args = {"q": "quy hoach", "sort": "date"}
        result, walked, sorted_, _dates = _page(app, users[who].username, args, monkeypatch,
                                                WALK_MIN=1, WALK_ROWS=10**9)
        assert result.total_exact and walked == sorted_ and walked


def test_walk_order_sqlite_uses_the_index(app, users, many):
    with app.test_request_context():
        user = query.db.session.scalar(sa.select(User).where(User.username == users["leader"].username))
        stmt = query.ordered(user, query.parse("quy hoach"), {}, False, large=True).limit(20)
        sql = str(stmt.compile(query.db.engine))
        if query.db.engine.dialect.name == "sqlite":
            assert f"INDEXED BY {query.DATE_INDEX}" in sql
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


def test_exact_number_symbol_preferred(api, users, db):
    clerk = users["clerk"]
    one = register(api, clerk, "Báo cáo tháng", number_symbol="1/BC-CAT")
    eleven = register(api, clerk, "Báo cáo quý", number_symbol="11/BC-CAT")
    assert {i["id"] for i in search(api, users["leader"], q="1/BC-CAT")["items"]} == {one["id"]}
    assert {i["id"] for i in search(api, users["leader"], q="11/BC-CAT")["items"]} == {eleven["id"]}
    if db.engine.dialect.name == "postgresql":  # no exact key: the symbol quoted in part (pg_trgm)
        assert {i["id"] for i in search(api, users["leader"], q="1/BC-CA")["items"]} == {one["id"], eleven["id"]}
