"""The filters' tags (docflow.search.indexer.tags): what a document's are, that the migration fills them as the
code makes them, that no query can name one, and that a stale one is caught after any test (tests/conftest.py)."""

import importlib.util
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from docflow.demo import seed
from docflow.registry.models import Document
from docflow.search import indexer, query
from docflow.search.models import SearchIndex
from tests.conftest import _search_tags_in_step
from tests.search.helpers import draft, ids, register, search

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _migration(name: str = "20261201_0021_search_tags.py"):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), VERSIONS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_documents_tags():
    assert indexer.tags("incoming", 2026, "in_review", "top_secret", "very_urgent", 3, 5, date(2026, 1, 31),
                        date(2026, 2, 2)) == "#y2026 #dincoming #sinreview #ctopsecret #uveryurgent #t3 #r5 #m202601"
    # no issue date: the month of arrival; no year, register or date (a draft): no tag for them
    assert indexer.tags("incoming", 2026, "registered", "normal", "normal", 1, None, None, date(2025, 12, 30)) \
        == "#y2026 #dincoming #sregistered #cnormal #unormal #t1 #m202512"
    assert indexer.tags("outgoing", None, "draft", "normal", "flash", 2, None, None, None) \
        == "#doutgoing #sdraft #cnormal #uflash #t2"


def test_the_migration_fills_the_tags_as_the_code_makes_them(app, db, users, api):
    seed.seed_documents(300, 2, seed=11)
    draft(api, users["specialist"], "Dự thảo chưa có số")  # no year, register or date yet
    sql = _migration().tags_sql(db.engine.dialect.name)
    made = dict(db.session.execute(sa.text(f"SELECT d.id, {sql} FROM documents d")).all())  # noqa: S608
    docs = db.session.scalars(sa.select(Document)).all()
    assert len(made) == len(docs) > 300
    # 0021 made the filters' tags; the participation tags came with 0022 (below)
    assert made == {doc.id: indexer.document_tags(doc, ()) for doc in docs}


def test_the_participation_migration_appends_the_tags_as_the_code_makes_them(app, db, users, api):
    seed.seed_documents(300, 2, seed=12)
    draft(api, users["specialist"], "Dự thảo của chuyên viên")  # a person and their unit take part
    doc = register(api, users["clerk"], "Công văn giao cho cá nhân")
    assert api(users["leader"]).post(f"/incoming/{doc['id']}/assign", json={
        "assignees": [{"user_id": users["specialist"].id, "role": "primary"}]}).status_code == 200
    base = _migration().tags_sql(db.engine.dialect.name)
    db.session.execute(sa.text(f"UPDATE search_index SET tags = (SELECT {base} FROM documents d "  # noqa: S608
                               "WHERE d.id = search_index.document_id)"))
    db.session.execute(sa.text(_migration("20261201_0022_participation_tags.py").participation_sql(
        db.engine.dialect.name)))
    made = dict(db.session.execute(sa.select(SearchIndex.document_id, SearchIndex.tags)).all())
    docs = db.session.scalars(sa.select(Document)).all()
    expected = {d.id: indexer.document_tags(d) for d in docs}
    assert made == expected
    # and 0023 appends the symbol tags of the rows' texts
    symbols = _migration("20261202_0023_symbol_tags.py")
    symbols.retag(db.session.connection(), symbols.with_symbol_tags)
    texts = {r.document_id: r for r in db.session.execute(sa.select(
        SearchIndex.document_id, SearchIndex.tags, SearchIndex.body, SearchIndex.attachments_text,
        SearchIndex.symbol_norm))}
    db.session.commit()
    assert {i: r.tags for i, r in texts.items()} == {
        d.id: indexer.with_symbol_tags(indexer.document_tags(d), texts[d.id].body, texts[d.id].attachments_text,
                                       texts[d.id].symbol_norm) for d in docs}
    assert sum("#x" in r.tags for r in texts.values()) > 300  # every registered letter has its own
    # what the rows hold: the seed's units as units, a specialist's draft by person and unit
    kinds = {t[:2] for tags in made.values() for t in tags.split()}
    assert {"#a", "#n", "#p"} <= kinds


def test_the_filters_tags(app, db, users):
    with app.test_request_context():
        args = query.load_args({"q": "thực hiện", "year": "2026", "status": "in_review", "doc_type": "CV",
                                "from": "2025-11-15", "to": "2026-02-01", "urgency": "flash"})
        tags = query.filter_tags(args)
        cv = db.session.scalar(sa.text("SELECT id FROM doc_types WHERE code = 'CV'"))
        assert set(tags) == {("#y2026",), ("#sinreview",), ("#uflash",), (f"#t{cv}",),
                             ("#m202511", "#m202512", "#m202601", "#m202602")}
        # a period of more than MONTH_TAGS months is not asked as months; an unknown type not at all
        long = query.load_args({"q": "a", "from": "2020-01-01", "to": "2026-01-01", "doc_type": "ZZ"})
        assert query.filter_tags(long) == ()
        # asked of the engine only beside words to search
        assert query.engine_query(query.parse(""), args).tags == ()
        assert query.engine_query(query.parse("thực hiện"), args).tags == tags
        match = query.fts5_match(query.engine_query(query.parse("thực hiện"), args))
        assert match.startswith("{body attachments_text} : (") and '{tags} : ("#y2026")' in match


@pytest.mark.parametrize("q", ["y2026", "sregistered", "dincoming", "#sregistered", "cnormal", "unormal"])
def test_no_query_names_a_tag(api, users, q):
    doc = register(api, users["clerk"], "Kế hoạch kiểm tra")
    assert ids(api, users["leader"], q="kiểm tra", status="registered", year=doc["year"]) == {doc["id"]}
    assert ids(api, users["leader"], q=q) == set()
    assert search(api, users["leader"], q=q + "*")["total"] == 0


def test_a_stale_tag_is_caught(app, db, users, api):
    doc = register(api, users["clerk"], "Công văn về tiền lương")
    _search_tags_in_step()  # in step
    db.session.execute(sa.update(SearchIndex).where(SearchIndex.document_id == doc["id"]).values(tags=""))
    db.session.commit()
    with pytest.raises(AssertionError, match="out of step"):
        _search_tags_in_step()
    indexer.retag([doc["id"]])
    db.session.commit()


def test_the_viewers_tags(app, db, users, make_user):
    """What the engine is asked for the viewer: what a restricted viewer takes part in, as registry/access.py's
    sets (a unit head: the unit through any row; a specialist: the unit as a unit); nothing for an office-wide
    role or a viewer who borrows a dossier, nor of anyone's clearance (it narrows nothing and costs bm25 a read
    of its doclist: query.viewer_tags)."""
    from docflow.archive.models import Dossier, Loan

    with app.test_request_context():
        spec, head, leader, clerk = users["specialist"], users["unit_head"], users["leader"], users["clerk"]
        unit = spec.unit_id
        assert query.viewer_tags(spec) == ((f"#p{spec.id}", f"#n{unit}"),)
        assert query.viewer_tags(head) == ((f"#p{head.id}", f"#a{unit}"),)
        assert query.viewer_tags(leader) == ()  # office-wide, cleared for everything
        assert query.viewer_tags(clerk) == ()  # office-wide, not cleared for top secret
        assert query.viewer_tags(None) == ()
        loner = make_user("specialist", username="loner1")
        loner.unit_id = None  # a person of no unit
        assert query.viewer_tags(loner) == ((f"#p{loner.id}",),)
        dossier = Dossier(year=2026, code="09", title="Hồ sơ cho mượn")
        db.session.add(dossier)
        db.session.flush()
        loan = Loan(dossier_id=dossier.id, borrower_id=spec.id, reason="Tra cứu", due_date=date(2026, 12, 31),
                    state="approved")
        db.session.add(loan)
        db.session.flush()
        assert query.viewer_tags(spec) == ((f"#p{spec.id}", f"#n{unit}"),)  # approved is not lent
        loan.state = "lent"
        db.session.flush()
        assert query.viewer_tags(spec) == ()
        # asked beside the words, and never without them
        assert query.engine_query(query.parse("thực hiện"), {}, spec).tags == ()
        assert query.engine_query(query.parse(""), {}, head).tags == ()
        assert query.engine_query(query.parse("thực hiện"), {}, head).tags == query.viewer_tags(head)
        db.session.rollback()


def test_the_participation_tags():
    assert indexer.participation_tags([(7, 3), (None, 3), (None, 12), (7, None), (9, 3)]) == [
        "#a12", "#a3", "#n12", "#n3", "#p7", "#p9"]
    assert indexer.participation_tags([]) == []


def test_the_unit_filter_is_probed_where_the_engine_holds_its_tag(app, db, users):
    """`unit` with words: the engine's hits all carry `#a<unit>`, so each row is proved the unit's by its own
    participant rows (a correlated EXISTS by the index on document_id), not by the unit's whole participation
    gathered first (an IN list: KT's 120k rows at 1M, ~60 ms a statement on SQLite). Without words the list
    stays: a small unit's few documents drive the statement. test_plans checks both give the same answers."""
    unit = users["specialist"].unit_id

    def sql(engine):
        (cond,) = query.filters({"unit": unit}, None, engine)
        return str(cond.compile(db.engine)).lower()

    with app.test_request_context():
        words = query.engine_query(query.parse("ngân sách"), {"unit": unit})
        assert (f"#a{unit}",) in words.tags
        probed = sql(words)
        assert probed.startswith("exists") and "document_participants.document_id = documents.id" in probed
        gathered = sql(query.engine_query(query.parse(""), {"unit": unit}))
        assert gathered.startswith("documents.id in") and "coalesce" not in gathered
        assert sql(None) == gathered
