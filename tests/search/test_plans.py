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
from tests.search.helpers import search

QUERIES = [
    {"q": "thực hiện"}, {"q": "thực hiện", "sort": "date"}, {"q": "tỉnh", "per_page": 7, "page": 3},
    {"q": '"thực hiện chuyển đổi số"'}, {"q": '"ngân sách nhà nước"', "sort": "date"}, {"q": "ngân*"},
    {"q": "quy*", "sort": "date"}, {"q": "thực hiện -tỉnh"}, {"q": "y tế", "status": "assigned"},
    {"q": "thực hiện", "doc_type": "QĐ"}, {"q": "Đồng Nai", "urgency": "flash"},
    {"q": "thực hiện", "from": "{year}-01-01", "to": "{year}-06-30"}, {"q": "kế hoạch", "year": "{last_year}"},
    {"q": "giáo dục", "confidentiality": "confidential"}, {"q": "", "sort": "date"},
    {"q": "", "sort": "date", "per_page": 9, "page": 4}, {"q": "", "status": "completed", "sort": "date"},
    {"q": "thực hiện", "sender": "Sở Tài"}, {"q": "khongcotu"}, {"q": "quy*", "year": "{last_year}"},
    {"q": '"kế hoạch"', "urgency": "flash"},
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


def test_the_count_over_the_index_rows_is_the_count_over_the_documents(app, office_seeded, db, monkeypatch):
    """PostgreSQL counts and facets from search_index alone (query._index_statement: the rule and the filters
    said over the row's mirrored columns), its words tested row by row when they are in many documents
    (`_dense`) or through the GIN bitmap otherwise: every answer is the one of the hits joined to their
    documents, for every kind of viewer and every query of the mix, under low caps and above them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's count over search_index: SQLite's count is driven by the FTS5 hits")
    index_statement, dense = query._index_statement, query._dense
    with app.test_request_context():
        assert dense(_user(office_seeded["leader"].username), query.parse("thực hiện"))  # in half the subjects
        assert not dense(_user(office_seeded["leader"].username), query.parse("khongcotu"))
        asked = []
        monkeypatch.setattr(query, "_within", lambda e, cap, rows: asked.append(rows) or False)
        for q in ("thực hiện", '"thực hiện chuyển đổi số"', "thực hiện tỉnh"):
            dense(_user(office_seeded["leader"].username), query.parse(q))
        # a phrase's threshold is its own: through the index its rows are tested for their positions anyway
        assert asked == [query.DENSE_ROWS, query.PHRASE_DENSE_ROWS, query.DENSE_ROWS]
        for caps in ((query.CAP, query.RESTRICTED_CAP, query.PHRASE_CAP), (60, 25, 15)):
            monkeypatch.setattr(query, "CAP", caps[0])
            monkeypatch.setattr(query, "RESTRICTED_CAP", caps[1])
            monkeypatch.setattr(query, "PHRASE_CAP", caps[2])
            for who in WHO:
                user = _user(office_seeded[who].username)
                for params in QUERIES:
                    answers = []
                    for way in ("joined", "dense", "bitmap"):
                        g.pop("search_dense", None)
                        monkeypatch.setattr(query, "_index_statement", (lambda *a: None) if way == "joined"
                                            else index_statement)
                        # "dense": every query it may take tested row by row along the primary key
                        # (`_dense`); "bitmap": none
                        monkeypatch.setattr(query, "_within", lambda e, cap, rows, way=way: way == "dense")
                        result = query.search(user, _args(params))
                        # above the cap the facets count the first cap + 1 hits each plan reads: which ones
                        # is the plan's (facets_exact False); their sum is the same
                        facets = (result.facets if result.facets_exact else
                                  sum(f["count"] for f in result.facets["direction"]))
                        answers.append(([d.id for d in result.items], result.total, result.total_exact, facets,
                                        result.sort))
                        query.db.session.rollback()
                    assert answers[1] == answers[0] and answers[2] == answers[0], (who, params, caps)
