"""search_index mirrors each document's rule, filter and facet columns (migration 0027, search/models.py
MIRRORED), kept by triggers, so that PostgreSQL counts and facets a result set from the index rows alone
(query._index_statement) with the visibility rule said over them (access.over_mirror). Every test's end checks
that every row's mirrored columns are its document's (tests/conftest.py `_search_tags_in_step`)."""

import re

import pytest
import sqlalchemy as sa

from docflow.registry import access
from docflow.registry.models import Document
from docflow.search import indexer
from docflow.search.models import MIRRORED, SearchIndex
from tests.search.helpers import draft, register, search, statements_said


def _mirror(db, document_id: int) -> dict:
    row = db.session.execute(sa.select(*(SearchIndex.__table__.c[c] for c in MIRRORED))
                             .where(SearchIndex.document_id == document_id)).one()
    return dict(zip(MIRRORED, row, strict=True))


def test_a_document_changed_behind_the_flows_is_mirrored_and_hidden(db, api, users):
    letter = register(api, users["clerk"], "Phương án phòng cháy kho lưu trữ")
    assert _mirror(db, letter["id"])["confidentiality"] == "normal"
    assert search(api, users["admin"], q="phong chay")["total"] == 1
    # a change no document event announces (a console, a repair script): the trigger writes the index row
    db.session.execute(sa.update(Document).where(Document.id == letter["id"])
                       .values(confidentiality="secret", status="completed", year=2025))
    db.session.commit()
    mirrored = _mirror(db, letter["id"])
    assert (mirrored["confidentiality"], mirrored["status"], mirrored["year"]) == ("secret", "completed", 2025)
    # the admin is office-wide but cleared for normal documents only: absent from the total and the facets
    answer = search(api, users["admin"], q="phong chay")
    assert answer["total"] == 0 and not any(answer["facets"].values())
    assert search(api, users["leader"], q="phong chay")["facets"]["year"][0]["key"] == 2025
    indexer.retag([letter["id"]])  # the tags, which only narrow, follow the events (conftest checks them too)
    db.session.commit()


def test_an_index_row_written_without_them_takes_them_from_its_document(db, api, users):
    letter = register(api, users["clerk"], "Công văn về lịch tiếp công dân")
    db.session.execute(sa.delete(SearchIndex).where(SearchIndex.document_id == letter["id"]))
    prefixes = indexer.prefix_lexemes("lich tiep cong dan") if db.engine.dialect.name == "postgresql" else ""
    db.session.execute(sa.insert(SearchIndex).values(document_id=letter["id"], body="lich tiep cong dan",
                                                     attachments_text="", tags="", prefixes=prefixes))
    db.session.commit()
    doc = db.session.get(Document, letter["id"])
    assert _mirror(db, letter["id"]) == {c: getattr(doc, c) for c in MIRRORED}
    assert doc.direction == "incoming" and doc.confidentiality == "normal" and doc.received_date is not None
    indexer.retag([letter["id"]])
    db.session.commit()


def test_the_rule_over_the_mirror_is_the_rule(db, api, users):
    """access.over_mirror(visible_filter(user)) keeps exactly the index rows of the documents
    visible_filter(user) keeps, in both of its shapes, for every kind of user."""
    clerk = users["clerk"]
    register(api, clerk, "Thư mời họp giao ban")
    register(api, clerk, "Kế hoạch bảo vệ bí mật nhà nước", confidentiality="confidential")
    draft(api, users["specialist"], "Dự thảo báo cáo tổng kết")  # private to its drafter until submitted
    mine = register(api, clerk, "Giao phòng xử lý hồ sơ đất đai")
    assert api(users["leader"]).post(f"/incoming/{mine['id']}/assign", json={
        "assignees": [{"user_id": users["specialist"].id, "role": "primary"}]}).status_code == 200
    index = SearchIndex.__table__
    for name, user in users.items():
        for probe in (False, True):
            rule = access.visible_filter(user, probe=probe)
            over = access.over_mirror(rule, index)
            assert over is not None
            on_documents = set(db.session.scalars(sa.select(Document.id).where(rule)))
            on_index = set(db.session.scalars(sa.select(index.c.document_id).where(over)))
            assert on_index == on_documents, (name, probe)
    assert access.over_mirror(Document.subject.like("%x%"), index) is None  # a column the row does not hold


def test_postgresql_counts_from_the_index_rows_alone(app, db, api, users):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's count over search_index: SQLite's is driven by the FTS5 hits")
    for i in range(3):
        register(api, users["clerk"], f"Báo cáo tiến độ giải ngân đợt {i}")
    with statements_said(db.engine) as statements:
        answer = search(api, users["leader"], q="giai ngan", sort="date")
    assert answer["total"] == 3 and {f["key"] for f in answer["facets"]["direction"]} == {"incoming"}
    counts = [s for s in statements if "capped" in s]
    assert len(counts) == 1
    assert "FROM search_index" in counts[0] and not re.search(r"(?<!_)\bdocuments\b", counts[0])
    # words in every document: tested row by row along the primary key (query._dense), not through the GIN bitmap
    assert "ts_match_vq" in counts[0] and "ORDER BY search_index.document_id" in counts[0]
    answer = search(api, users["leader"], q="khongcotu")
    assert answer["total"] == 0


def test_postgresql_ranks_the_counted_ids_without_the_index(app, db, api, users):
    """A ranked page within RANK_CAP is the count's ids looked up by key and ranked (query._engine_selects'
    `known`), not the GIN bitmap built a second time; ranked as the words rank them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's ranked page: SQLite's is scored apart from its hits (test_rank.py)")
    once = register(api, users["clerk"], "Báo cáo giải ngân vốn đầu tư công")
    twice = register(api, users["clerk"], "Giải ngân, giải ngân và giải ngân: đôn đốc giải ngân vốn")
    register(api, users["clerk"], "Kế hoạch tuyển dụng công chức")
    with statements_said(db.engine) as statements:
        answer = search(api, users["leader"], q="giai ngan")
    assert answer["sort"] == "relevance"
    assert [d["id"] for d in answer["items"]] == [twice["id"], once["id"]]
    ranked = [s for s in statements if "ts_rank" in s]
    assert len(ranked) == 1 and "@@" not in ranked[0] and "= ANY (" in ranked[0]
