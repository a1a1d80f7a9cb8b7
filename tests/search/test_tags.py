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

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "20261201_0021_search_tags.py"


def _migration():
    spec = importlib.util.spec_from_file_location("search_tags_migration", MIGRATION)
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
    assert made == {doc.id: indexer.document_tags(doc) for doc in docs}


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
    db.session.execute(sa.update(SearchIndex).where(SearchIndex.document_id == doc["id"])
                       .values(tags=indexer.document_tags(db.session.get(Document, doc["id"]))))
    db.session.commit()
