"""PostgreSQL counts and pages a large result set from its newest months (query._windowed), and reads the hits
of a query expected to be few from the GIN bitmap (query._matches(fenced=True)): the same documents, the same
rule, the same order as the whole result set."""

import pytest
import sqlalchemy as sa

from docflow.auth.models import User
from docflow.search import query
from tests.search.helpers import register

MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")


@pytest.fixture
def spread(api, users, db):
    """Three letters about "quy hoạch" in each of six months (the newest month's third one secret), and
    "lưu trữ" only in the oldest month."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's GIN path: SQLite's engine reads the hits in id order and stops at the cap")
    clerk = users["clerk"]
    docs = []
    for month in MONTHS:
        for day in (3, 14, 25):
            extra = {"confidentiality": "secret"} if (month, day) == (MONTHS[-1], 25) else {}
            docs.append(register(api, clerk, f"Quy hoạch vùng ngày {day}", issued_date=f"{month}-{day:02d}",
                                 received_date=f"{month}-{day:02d}", **extra)["id"])
    register(api, clerk, "Lưu trữ hồ sơ", issued_date="2026-01-09", received_date="2026-01-10")
    register(api, clerk, "Lưu trữ tài liệu", issued_date="2026-01-19", received_date="2026-01-20")
    return docs


def _run(app, username, args, monkeypatch, estimate=None, **settings):
    """The search's result, whether it was counted from the windows, and the page of the whole result set
    sorted (query.ordered)."""
    for name, value in settings.items():
        monkeypatch.setattr(query, name, value)
    if estimate is not None:  # the planner's statistics of a 20-row table say little: the estimate is given
        monkeypatch.setattr(query, "_estimates", lambda engine: (estimate, estimate))
    seen = []
    windowed = query._windowed

    def spy(*a, **kw):
        seen.append(windowed(*a, **kw))
        return seen[-1]

    monkeypatch.setattr(query, "_windowed", spy)
    with app.test_request_context():
        user = query.db.session.scalar(sa.select(User).where(User.username == username))
        loaded = query.load_args(args)
        result = query.search(user, loaded)
        page, per_page = loaded["page"], loaded["per_page"]
        whole = [d.id for d in query.db.session.scalars(
            query.ordered(user, query.parse(args.get("q")), loaded, False).offset((page - 1) * per_page)
            .limit(per_page)).unique()]
        query.db.session.rollback()
    return result, bool(seen and seen[-1]), whole


@pytest.mark.parametrize("who", ["leader", "specialist", "archivist"])
@pytest.mark.parametrize("args", [{"q": "quy hoach", "per_page": 2}, {"q": "quy hoach", "per_page": 2, "page": 2},
                                  {"q": "quy*", "sort": "date", "per_page": 3},
                                  {"q": "quy hoach", "to": "2026-05-31", "per_page": 2}])
def test_a_large_result_set_is_counted_and_paged_from_its_newest_months(app, users, spread, monkeypatch, who, args):
    result, windowed, whole = _run(app, users[who].username, args, monkeypatch, estimate=10**6,
                                   CAP=3, RESTRICTED_CAP=3, PHRASE_CAP=3)
    visible = set(whole)
    if who == "specialist":  # takes part in none of them: nothing, counted from the windows or not
        assert result.total == 0 and result.items == [] and not visible
        return
    assert windowed  # the newest two months hold more than the cap
    assert not result.total_exact and result.total == 3 and result.sort == "date"
    assert [d.id for d in result.items] == whole  # the page of the whole result set, newest first
    # the facets count the newest cap + 1 visible documents: all of 2026 here; the secret letter is among
    # them for the leader only (the archivist is cleared to "confidential")
    assert sum(f["count"] for f in result.facets["year"]) == 4
    secret = spread[-1]
    assert (secret in whole) == (who == "leader" and args.get("page", 1) == 1 and "to" not in args)
    if who == "archivist":
        assert all(d.confidentiality != "secret" for d in result.items)


def test_windows_that_hold_too_few_hits_fall_back_to_the_whole_result_set(app, users, spread, monkeypatch):
    result, windowed, whole = _run(app, users["leader"].username, {"q": "luu tru"}, monkeypatch, estimate=10**6,
                                   CAP=1)
    assert not windowed  # only the oldest month holds them
    assert result.total == 1 and not result.total_exact
    assert [d.id for d in result.items] == whole[:20] and len(whole) == 2
    result, windowed, _whole = _run(app, users["leader"].username, {"q": "luu tru"}, monkeypatch, estimate=10**6,
                                    CAP=10_000)
    assert not windowed and result.total == 2 and result.total_exact


def test_an_estimate_of_few_hits_counts_the_whole_result_set(app, users, spread, monkeypatch):
    result, windowed, _whole = _run(app, users["leader"].username, {"q": "quy hoach"}, monkeypatch, estimate=1,
                                    CAP=3)
    assert not windowed and result.total == 3 and not result.total_exact


@pytest.mark.parametrize("who", ["leader", "clerk", "specialist"])
@pytest.mark.parametrize("q", ["quy hoach", "quy*", "luu tru", "vung -luu"])
def test_hits_read_from_the_bitmap_are_the_same_documents(app, users, spread, monkeypatch, who, q):
    """FENCED_SHARE 1: every count reads its hits as a set of their own; 0: never."""
    results = []
    for share in (1.0, 0.0):
        result, _windowed, _whole = _run(app, users[who].username, {"q": q, "per_page": 50}, monkeypatch,
                                         estimate=1, FENCED_SHARE=share)
        results.append((result.total, result.total_exact, result.facets, [d.id for d in result.items]))
    assert results[0] == results[1]
    if who == "leader" and q == "quy hoach":
        assert results[0][0] == len(spread)


def test_the_estimates_of_a_query(app, users, spread, db):
    """At most the rarest part's hits: each word of a phrase and each group of tags estimated alone."""
    db.session.execute(sa.text("ANALYZE search_index"))
    with app.test_request_context():
        engine = query.Parsed(terms=query.parse('"quy hoach vung" luu*').terms, tags=((query.tag("year", 2026),),))
        at_most, planner = query._estimates(engine)
        assert isinstance(at_most, int) and isinstance(planner, int)
        assert at_most <= query._explained_rows(query.pg_tsquery(query.Parsed(terms=query.parse("luu*").terms)))
        assert query._estimates(query.Parsed(tags=((query.tag("year", 2026),),))) is None
