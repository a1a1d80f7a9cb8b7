"""The search's cheaper plans give exactly the rows of the plain ones, on a seeded office (the demo seed's
letters over three years, their units, states and confidentiality):

- a large result set's page read from the first candidates of the date order with one FTS5 rowid range
  (`query._walked_page` / `_range_walked`, SQLite) is the page of the whole result set sorted by date, whatever
  the number of candidates it starts from and however it grows;
- the visibility rule gathered (a user who takes part in few documents) or probed row by row (many) gives the
  same totals, facets and pages;
- a phrase is counted up to PHRASE_CAP, then shown newest first;
- the filters' tags asked of the engine (query.filter_tags) and the viewer's (query.viewer_tags: what they
  take part in) change no answer, only the work."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import g

from docflow.auth import services
from docflow.auth.models import User
from docflow.demo import seed
from docflow.search import query
from docflow.search.models import SearchIndex
from tests.search.helpers import search

QUERIES = [
    {"q": "thực hiện"}, {"q": "thực hiện", "sort": "date"}, {"q": "tỉnh", "per_page": 7, "page": 3},
    {"q": '"thực hiện chuyển đổi số"'}, {"q": '"ngân sách nhà nước"', "sort": "date"}, {"q": "ngân*"},
    {"q": "quy*", "sort": "date"}, {"q": "thực hiện -tỉnh"}, {"q": "y tế", "status": "assigned"},
    {"q": "thực hiện", "doc_type": "QĐ"}, {"q": "Đồng Nai", "urgency": "flash"},
    {"q": "thực hiện", "from": "{year}-01-01", "to": "{year}-06-30"}, {"q": "kế hoạch", "year": "{last_year}"},
    {"q": "giáo dục", "confidentiality": "confidential"}, {"q": "", "sort": "date"},
    {"q": "", "sort": "date", "per_page": 9, "page": 4}, {"q": "", "status": "completed", "sort": "date"},
    {"q": "thực hiện", "sender": "Sở Tài"}, {"q": "khongcotu"},
]
WHO = ("leader", "clerk", "unit_head", "specialist", "newcomer")


@pytest.fixture
def office_seeded(db, users, make_user):
    services.create_unit({"code": "MOI", "name": "Phòng mới thành lập"})
    db.session.commit()
    users = {**users, "newcomer": make_user("specialist", unit="MOI", username="newcomer1")}
    seed.seed_documents(900, 3, seed=7, attachments=0.3)
    return users


def _args(params: dict) -> dict:
    year = query.date.today().year
    unit = query.db.session.scalar(sa.select(User.unit_id).where(User.username == "head1"))
    return query.load_args({k: v.format(year=year, last_year=year - 1, unit=unit) if isinstance(v, str) else v
                            for k, v in params.items()})


def _reference(user, args: dict, result) -> list[int]:
    """The page of the plain plan: every match fetched from the engine's hits and sorted (by relevance then
    date when the search ranked, by date otherwise)."""
    parsed = query.parse(args.get("q"))
    page, per_page = args.get("page", 1), args.get("per_page", 20)
    with _without_tags():
        stmt = query.ordered(user, parsed, args, result.sort == "relevance" and bool(parsed))
        return [d.id for d in query.db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)).unique()]


@contextmanager
def _without_tags():
    """The engine asked for the words alone: the filters and the rule decided by their own conditions only."""
    tags, viewer = query.filter_tags, query.viewer_tags
    query.filter_tags = lambda _args: ()
    query.viewer_tags = lambda _user: ()
    g.pop("search_engine_query", None)  # engine_query's answers for this request
    try:
        yield
    finally:
        query.filter_tags, query.viewer_tags = tags, viewer
        g.pop("search_engine_query", None)


def _user(name: str) -> User:
    return query.db.session.scalar(sa.select(User).where(User.username == name))


@pytest.mark.parametrize("walk", [(1, 2), (40, 4)], ids=["from_one_candidate", "default"])
def test_walked_pages_are_the_sorted_pages(app, office_seeded, monkeypatch, walk):
    monkeypatch.setattr(query, "WALK_FIRST", walk[0])
    monkeypatch.setattr(query, "WALK_GROWTH", walk[1])
    monkeypatch.setattr(query, "WALK_PAGES", 0 if walk[0] == 1 else 2)
    monkeypatch.setattr(query, "CAP", 60)
    monkeypatch.setattr(query, "RESTRICTED_CAP", 25)
    monkeypatch.setattr(query, "PHRASE_CAP", 15)
    walked = 0
    with app.test_request_context():
        for who in WHO:
            user = _user(office_seeded[who].username)
            for params in QUERIES:
                args = _args(params)
                result = query.search(user, args)
                if (args["page"] - 1) * args["per_page"] >= result.total:
                    assert result.items == []  # beyond the (capped) total: no page, as before
                    continue
                assert [d.id for d in result.items] == _reference(user, args, result), (who, params)
                walked += not result.total_exact
                query.db.session.rollback()
    assert walked > 20  # most of the mix is above the (lowered) caps: the walk ran


def test_gathered_and_probed_rule_give_the_same_answers(app, office_seeded, monkeypatch):
    with app.test_request_context():
        for who in WHO:
            user = _user(office_seeded[who].username)
            for params in QUERIES:
                args = _args(params)
                answers = []
                for many in (False, True):
                    monkeypatch.setattr(query, "_takes_part_in_many", lambda _user, many=many: many)
                    result = query.search(user, args)
                    answers.append(([d.id for d in result.items], result.total, result.total_exact,
                                    result.facets, result.sort))
                    query.db.session.rollback()
                assert answers[0] == answers[1], (who, params)


def test_the_newcomer_sees_nothing_and_the_specialist_their_units_share(app, office_seeded):
    with app.test_request_context():
        newcomer, specialist = _user("newcomer1"), _user(office_seeded["specialist"].username)
        for params in ({"q": "thực hiện"}, {"q": "", "sort": "date"}):
            assert query.search(newcomer, _args(params)).total == 0
            assert query.search(specialist, _args(params)).total > 0
        assert not query._takes_part_in_many(newcomer)


def test_a_phrase_is_counted_up_to_the_phrase_cap(api, office_seeded, monkeypatch):
    leader = office_seeded["leader"]
    whole = search(api, leader, q='"thực hiện chuyển đổi số"', per_page=200, sort="date")
    assert whole["total_exact"] and whole["total"] > 5
    monkeypatch.setattr(query, "PHRASE_CAP", whole["total"] - 3)
    answer = search(api, leader, q='"thực hiện chuyển đổi số"', per_page=200)
    assert answer["total"] == whole["total"] - 3 and not answer["total_exact"] and not answer["facets_exact"]
    assert answer["sort"] == "date" and answer["items"] == whole["items"]
    words = search(api, leader, q="thực hiện chuyển đổi số", per_page=1)  # the same words, not a phrase
    assert words["total_exact"] and words["total"] >= whole["total"]
    assert search(api, leader, q='"thực"')["total_exact"]  # one quoted word is not a phrase


FILTERED = [
    {"q": "thực hiện", "status": "completed"}, {"q": "thực hiện", "confidentiality": "confidential"},
    {"q": "kế hoạch", "doc_type": "QĐ", "sort": "date"}, {"q": "thực hiện tỉnh", "doc_type": "CV", "per_page": 5,
                                                       "page": 2},
    {"q": "ngân*", "status": "assigned", "year": "{year}"}, {"q": '"thực hiện chuyển đổi số"', "doc_type": "KH"},
    {"q": "thực hiện -tỉnh", "confidentiality": "secret"}, {"q": "y tế", "status": "assigned", "sender": "Sở"},
    {"q": "thực hiện", "unit": "{unit}"}, {"q": "kế hoạch", "unit": "{unit}", "sort": "date", "per_page": 5},
]


def test_the_filters_tags_give_the_same_answers(app, office_seeded):
    """The filters' tags asked of the engine (`#y2026`, `#tQD`, the months of a period...) give the same
    page, total and facets as the filters' conditions alone, for every role, filter and sort; and they are
    asked (a test that would pass without them proves nothing)."""
    asked, found = [], []
    with app.test_request_context():
        for who in WHO:
            user = _user(office_seeded[who].username)
            for params in FILTERED + QUERIES:
                args = _args(params)
                g.pop("search_engine_query", None)
                tagged = query.engine_query(query.parse(args.get("q")), args, user).tags
                asked.append(bool(tagged))
                answers = []
                for plain in (False, True):
                    g.pop("search_engine_query", None)
                    if plain:
                        with _without_tags():
                            result = query.search(user, args)
                    else:
                        result = query.search(user, args)
                    answers.append(([d.id for d in result.items], result.total, result.total_exact,
                                    result.facets, result.sort))
                    query.db.session.rollback()
                assert answers[0] == answers[1], (who, params)
                found.append(bool(tagged) and answers[0][1] > 0)
    assert sum(asked) > 40 and sum(found) > 25  # tags asked, and results found with them


def test_the_walk_probes_the_engine_per_row_on_postgresql(app, users):
    """PostgreSQL: the walk's text condition is fenced (OFFSET 0), so the planner cannot turn it into a join
    over every hit (it did for a phrase it guessed rare: 108k hits sorted, 0.9-2.2 s at 1M)."""
    with app.test_request_context():
        user = _user(users["leader"].username)
        stmt = query.ordered(user, query.parse('"thực hiện chuyển đổi số"'), {}, False, large=True).limit(20)
        sql = str(stmt.compile(query.db.engine))
        if query.db.engine.dialect.name == "postgresql":
            assert "@@" in sql and "OFFSET" in sql
        query.db.session.rollback()


def test_a_prefix_is_counted_from_its_hits_for_an_office_wide_viewer(app, office_seeded, db, monkeypatch):
    """PostgreSQL: the count of a prefix query (an office-wide viewer's) is planned without hash or merge
    joins, and the settings are back after it; the answers are those of the planner's own choice."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings: SQLite's count is driven by the FTS5 hits already")
    seen, counted, planner_settings = [], query._counted, query._planner_settings

    def spy(*a, **kw):
        seen.append(tuple(query.db.session.execute(sa.text(f"SHOW {name}")).scalar()
                          for name in ("enable_hashjoin", "enable_mergejoin")))
        return counted(*a, **kw)

    monkeypatch.setattr(query, "_counted", spy)
    with app.test_request_context():
        for who, q, during in (("leader", "ngân*", ("off", "off")), ("clerk", "quy*", ("off", "off")),
                               ("leader", "ngân sách", None), ("specialist", "ngân*", ("on", "on"))):
            user = _user(office_seeded[who].username)
            if during is None:  # words: as the planner expects them (test_sparse_words_are_counted_from_their_hits)
                during = ("off", "off") if query._sparse(query.parse(q)) else ("on", "on")
            answers = []
            for forced in (True, False):
                with monkeypatch.context() as patch:
                    if not forced:  # the planner's own choice
                        patch.setattr(query, "_planner_settings", lambda _settings: planner_settings({}))
                    seen.clear()
                    result = query.search(user, _args({"q": q, "per_page": 50}))
                answers.append(([d.id for d in result.items], result.total, result.total_exact, result.facets))
                assert seen == [during if forced else ("on", "on")], (who, q)
                after = tuple(query.db.session.execute(sa.text(f"SHOW {name}")).scalar()
                              for name in ("enable_hashjoin", "enable_mergejoin"))
                assert after == ("on", "on")
                query.db.session.rollback()
            assert answers[0] == answers[1] and answers[0][1] > 0, (who, q)


def test_sparse_words_are_counted_from_their_hits(app, office_seeded, db, monkeypatch):
    """PostgreSQL: words the planner expects in at most SPARSE_SHARE of the documents are counted from their
    hits for an office-wide viewer (no hash or merge join); common words and phrases are left to the planner;
    the answers are the same either way."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings: SQLite's count is driven by the FTS5 hits already")
    db.session.execute(sa.text("ANALYZE search_index"))  # the planner's estimates of the words
    db.session.commit()  # (its statistics are rows of a table: kept past the searches' rollbacks)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(SearchIndex))
    common = query.parse("thực hiện")  # in half the seed's subjects
    share = db.session.scalar(sa.select(sa.func.count()).select_from(SearchIndex).where(
        query.TSV.op("@@")(query.pg_tsquery(common)))) / total
    assert share > 3 * query.SPARSE_SHARE and not query._sparse(common)
    rare = next(word for word in ("Gáo", "Tà Lài", "Mã Đà", "Hàng Gòn") if 0 < db.session.scalar(
        sa.select(sa.func.count()).select_from(SearchIndex).where(query.TSV.op("@@")(
            query.pg_tsquery(query.parse(word))))) <= total * query.SPARSE_SHARE / 3)
    assert query._sparse(query.parse(rare))
    assert not query._sparse(query.parse('"thực hiện chuyển đổi số"'))  # a phrase: left to the planner
    # beside a filter's tags: left to the planner (the bitmap would intersect the tags' long lists too)
    assert not query._sparse(query.Parsed(terms=query.parse(rare).terms, tags=((query.tag("year", 2026),),)))
    seen, counted, planner_settings = [], query._counted, query._planner_settings

    def spy(*a, **kw):
        seen.append(query.db.session.execute(sa.text("SHOW enable_mergejoin")).scalar())
        return counted(*a, **kw)

    monkeypatch.setattr(query, "_counted", spy)
    with app.test_request_context():
        for who, q, during in (("leader", rare, "off"), ("leader", "thực hiện", "on"), ("specialist", rare, "on")):
            user = _user(office_seeded[who].username)
            answers = []
            for forced in (True, False):
                with monkeypatch.context() as patch:
                    if not forced:
                        patch.setattr(query, "_planner_settings", lambda _settings: planner_settings({}))
                    seen.clear()
                    result = query.search(user, _args({"q": q, "per_page": 50}))
                answers.append(([d.id for d in result.items], result.total, result.total_exact, result.facets))
                assert seen == [during if forced else "on"], (who, q)
                query.db.session.rollback()
            assert answers[0] == answers[1], (who, q)
            assert answers[0][1] > 0 or who == "specialist", (who, q)
