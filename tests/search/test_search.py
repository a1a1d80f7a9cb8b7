"""Search semantics through GET /api/v1/search: folding, symbols, phrases, prefixes, exclusions, filters,
facets, snippets; attachment text; the index kept in step with the document events; reindex."""

import pytest
import sqlalchemy as sa

from docflow.search import indexer
from docflow.search.models import SearchIndex
from tests.fixtures import files as F
from tests.registry.test_attachments import upload
from tests.search.helpers import draft, ids, register, search


@pytest.fixture
def docs(api, users):
    clerk = users["clerk"]
    return {
        "dongnai": register(api, clerk, "Về việc quản lý đất đai tỉnh Đồng Nai", number_symbol="15/QĐ-UBND",
                            doc_type="QĐ", sender_name="Ủy ban nhân dân tỉnh Đồng Nai")["id"],
        "ngansach": register(api, clerk, "Báo cáo dự toán ngân sách nhà nước năm 2026",
                             number_symbol="4321/SNN-PTNT", sender_name="Sở Nông nghiệp và PTNT")["id"],
        "vanthu": register(api, clerk, "Kiểm tra công tác văn thư, lưu trữ", sender_name="Sở Nội vụ")["id"],
        "dong": register(api, clerk, "Đông đủ cán bộ nai lưng làm việc")["id"],
    }


def test_diacritics_and_case_meet(api, users, docs):
    leader = users["leader"]
    found = [ids(api, leader, q=q) for q in ("dong nai", "Đồng Nai", "ĐỒNG NAI", "đồng nai")]
    assert found[0] == found[1] == found[2] == found[3]
    assert docs["dongnai"] in found[0]
    assert ids(api, leader, q="dat dai") == {docs["dongnai"]}
    assert ids(api, leader, q="đất đai") == {docs["dongnai"]}


def test_words_all_must_match_and_phrase(api, users, docs):
    leader = users["leader"]
    assert ids(api, leader, q="ngân sách") == {docs["ngansach"]}
    assert ids(api, leader, q="ngan sach 2026") == {docs["ngansach"]}
    assert ids(api, leader, q="ngan sach dong") == set()
    both = ids(api, leader, q="dong nai")
    assert {docs["dongnai"], docs["dong"]} <= both
    assert ids(api, leader, q='"dong nai"') == {docs["dongnai"]}


def test_prefix_and_exclusion(api, users, docs):
    leader = users["leader"]
    assert docs["ngansach"] in ids(api, leader, q="ngan*")
    assert docs["ngansach"] in ids(api, leader, q="ngâ*")
    assert ids(api, leader, q="dong -lung") == {docs["dongnai"]}
    assert ids(api, leader, q='nai -"dat dai"') == {docs["dong"]}


@pytest.mark.parametrize("q", ["15/QĐ-UBND", "15/qđ-ubnd", "15/QD-UBND", " 15/QĐ-UBND "])
def test_number_symbol_finds_its_document(api, users, docs, q):
    assert docs["dongnai"] in ids(api, users["leader"], q=q)


def test_other_symbol(api, users, docs):
    assert ids(api, users["leader"], q="4321/SNN-PTNT") == {docs["ngansach"]}
    assert docs["ngansach"] in ids(api, users["leader"], q="ptnt")


def test_answer_shape_facets_and_snippet(api, users, docs):
    answer = search(api, users["leader"], q="dong nai")
    assert {"items", "total", "facets", "page", "per_page"} <= set(answer)
    assert answer["total"] == 2
    item = next(i for i in answer["items"] if i["id"] == docs["dongnai"])
    assert {"id", "direction", "number", "number_symbol", "subject", "snippet", "doc_type", "issued_date",
            "received_date", "status"} <= set(item)
    assert "<mark>Đồng</mark> <mark>Nai</mark>" in item["snippet"]
    facets = answer["facets"]
    assert set(facets) >= {"doc_type", "direction", "year", "status"}
    assert {f["key"]: f["count"] for f in facets["doc_type"]} == {"QĐ": 1, "CV": 1}
    assert {f["key"]: f["count"] for f in facets["direction"]} == {"incoming": 2}
    assert all({"key", "label", "count"} <= set(f) for f in facets["status"])


def test_snippet_is_escaped(api, users):
    doc = register(api, users["clerk"], "<script>alert(1)</script> về bảo mật")
    item = search(api, users["leader"], q="bao mat")["items"][0]
    assert item["id"] == doc["id"]
    assert "<script>" not in item["snippet"] and "&lt;script&gt;" in item["snippet"]


def test_filters(api, users, docs):
    leader = users["leader"]
    assert ids(api, leader, q="dong", doc_type="QĐ") == {docs["dongnai"]}
    assert ids(api, leader, sender="nong nghiep") == {docs["ngansach"]}
    assert ids(api, leader, q="dong nai", direction="outgoing") == set()
    assert len(ids(api, leader, **{"from": "2026-01-01", "to": "2026-01-31"})) == 4
    assert ids(api, leader, **{"from": "2025-01-01", "to": "2025-01-31"}) == set()
    assert ids(api, leader, q="dong", status="cancelled") == set()
    assert api(leader).get("/search?from=2026-02-01&to=2026-01-01").status_code == 422
    assert api(leader).get("/search?direction=sideways").status_code == 422


def test_sort_by_date_and_paging(api, users, docs):
    answer = search(api, users["leader"], q="", sort="date", per_page=2, page=2)
    assert answer["total"] == 4 and len(answer["items"]) == 2 and answer["page"] == 2


# ---- attachments ---------------------------------------------------------------------------------------

@pytest.fixture
def inline_jobs(app):
    app.config["JOBS_INLINE"] = True


@pytest.mark.parametrize("builder,name", [(F.pdf_bytes, "quyet-dinh.pdf"), (F.docx_bytes, "quyet-dinh.docx")])
def test_words_inside_attachments_are_found(api, users, db, inline_jobs, builder, name):
    doc = register(api, users["clerk"], "Giấy mời không tiêu đề")
    assert ids(api, users["leader"], q="tang cuong") == set()
    assert upload(api, users["clerk"], doc["id"], builder(), name).status_code == 201
    found = search(api, users["leader"], q="tăng cường công tác")
    assert [i["id"] for i in found["items"]] == [doc["id"]]
    # the fragment is the attachment's own text, accents and all, not the index's folded copy
    assert ("Quyết định về việc <mark>tăng</mark> <mark>cường</mark> <mark>công</mark> <mark>tác</mark> văn thư"
            in found["items"][0]["snippet"])
    unaccented = search(api, users["leader"], q="cong tac van*")["items"][0]["snippet"]
    assert "Quyết định về việc tăng cường <mark>công</mark> <mark>tác</mark> <mark>văn</mark> thư" in unaccented


def test_a_symbol_finds_the_documents_that_cite_it(api, users, db, inline_jobs):
    """A query that is one number-symbol finds its document and those whose text or attachments cite it
    (through the symbol tags: indexer.symbol_tags), also after a later event rewrites the row; a longer
    symbol that starts the same is another symbol."""
    clerk, leader = users["clerk"], users["leader"]
    own = register(api, clerk, "Kế hoạch tập huấn nghiệp vụ", number_symbol="3/KH-UBND")
    cited = register(api, clerk, "Triển khai Kế hoạch số 3/KH-UBND, kèm phụ lục")
    other = register(api, clerk, "Triển khai Kế hoạch số 3/KH-UBND-VX của Sở")
    scanned = register(api, clerk, "Công văn gửi kèm tài liệu")
    pdf = F.pdf_bytes(lines=("Căn cứ Kế hoạch số 3/KH-UBND ngày 05/01/2026 của Ủy ban nhân dân tỉnh",))
    assert upload(api, clerk, scanned["id"], pdf, "can-cu.pdf").status_code == 201
    for q in ("3/KH-UBND", "3/kh-ubnd", '"3/KH-UBND"'):
        found = search(api, leader, q=q)
        assert {i["id"] for i in found["items"]} == {own["id"], cited["id"], scanned["id"]}, q
        assert found["items"][0]["id"] == own["id"]  # the exact number-symbol first
    assert ids(api, leader, q="3/KH-UBND-VX") == {other["id"]}
    # a later event writes the row again: the attachment's citation stays in its tags
    r = api(clerk).patch(f"/incoming/{scanned['id']}", json={"version": scanned["version"],
                                                            "subject": "Công văn gửi kèm tài liệu (bổ sung)"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert scanned["id"] in ids(api, leader, q="3/KH-UBND")
    # the words written apart are words: all of them, anywhere
    assert {own["id"], cited["id"], other["id"], scanned["id"]} <= ids(api, leader, q="3 KH UBND")


def test_a_symbol_is_asked_of_the_engine_as_one_tag(app, db, users):
    from docflow.search import query

    with app.test_request_context():
        engine = query.engine_query(query.parse("3/KH-UBND"), {})
        assert engine.terms == [] and engine.tags == (("#x3khubnd",),)
        assert query.fts5_match(engine) == '{tags} : ("#x3khubnd")'
        # not one symbol in the index's shape: the phrase of its words, as any text
        for q in ("15/QĐ-UBND,16/QĐ-UBND", "15/QĐ*", "ngân sách 15/QĐ-UBND"):
            engine = query.engine_query(query.parse(q), {})
            assert not any(t for group in engine.tags for t in group if t.startswith("#x")), q
            assert engine.terms, q


def test_a_symbols_search_runs_without_parallel_workers_on_postgresql(app, db, users, api):
    """PostgreSQL: a query asked as a number-symbol's tag turns parallel workers off for its statements only
    (query._serial_if_symbol); the setting is the session's again afterwards, and a word's search keeps it."""
    from sqlalchemy import event

    from docflow.auth.models import User
    from docflow.search import query

    register(api, users["clerk"], "Kế hoạch tập huấn", number_symbol="3/KH-UBND")
    said = []

    def listen(conn, cursor, statement, *args):
        said.append(statement)

    with app.test_request_context():
        user = db.session.get(User, users["leader"].id)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            for q in ("3/KH-UBND", "tập huấn"):
                said.clear()
                before = db.session.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar() \
                    if db.engine.dialect.name == "postgresql" else None
                assert query.search(user, query.load_args({"q": q})).total == 1
                serial = [s for s in said if "max_parallel_workers_per_gather" in s and "SHOW" not in s]
                if db.engine.dialect.name != "postgresql" or q == "tập huấn":
                    assert serial == [], q  # SQLite has no such setting; a word's search keeps the planner's
                else:
                    assert serial == ["SET LOCAL max_parallel_workers_per_gather = 0",
                                      "RESET max_parallel_workers_per_gather"]
                    assert said.index(serial[0]) < min(i for i, s in enumerate(said) if "search_index" in s)
                    assert db.session.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar() == before
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
            db.session.rollback()


# ---- kept in step --------------------------------------------------------------------------------------

def test_register_update_cancel_are_reflected(api, users):
    clerk, leader = users["clerk"], users["leader"]
    doc = register(api, clerk, "Về việc phòng chống lụt bão")
    assert ids(api, leader, q="lut bao") == {doc["id"]}
    r = api(clerk).patch(f"/incoming/{doc['id']}", json={"version": doc["version"], "subject": "Về việc hạn hán"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert ids(api, leader, q="lut bao") == set()
    assert ids(api, leader, q="han han") == {doc["id"]}
    r = api(clerk).post(f"/incoming/{doc['id']}/cancel", json={"reason": "Đăng ký nhầm sổ"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert ids(api, leader, q="han han", status="cancelled") == {doc["id"]}
    assert ids(api, leader, q="nham so") == {doc["id"]}


def test_outgoing_draft_is_indexed_with_recipients(api, users):
    doc = draft(api, users["specialist"], "Đề nghị phối hợp kiểm kê tài sản")
    assert ids(api, users["specialist"], q="kiem ke") == {doc["id"]}
    assert ids(api, users["specialist"], q="so tai chinh") == {doc["id"]}
    # shown by the recipient it matched, as written
    other = draft(api, users["specialist"], "Đề nghị phối hợp kiểm kê tài sản",
                  recipients=[{"name": "Sở Kế hoạch và Đầu tư"}])
    items = search(api, users["specialist"], q="dau tu")["items"]
    assert [(i["id"], i["snippet"]) for i in items] == [(other["id"], "Sở Kế hoạch và <mark>Đầu</mark> <mark>tư</mark>")]


def test_rolled_back_registration_leaves_no_index_row(app, db, users):
    from docflow.incoming import services

    before = db.session.scalar(sa.select(sa.func.count()).select_from(SearchIndex))
    doc = services.register_incoming({"sender_name": "Sở Y tế", "number_symbol": "9/SYT-VP", "issued_date": "2026-01-05",
                                      "doc_type": "CV", "subject": "Phòng chống dịch bệnh"}, actor=users["clerk"])
    assert db.session.get(SearchIndex, doc.id) is not None  # written in the registration's transaction
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchIndex)) == before


def test_reindex_rebuilds_an_emptied_index(api, users, db, docs):
    db.session.execute(sa.delete(SearchIndex))
    db.session.commit()
    assert ids(api, users["leader"], q="dong nai") == set()
    assert indexer.reindex(batch_size=2) == 4
    assert ids(api, users["leader"], q="dong nai") == {docs["dongnai"], docs["dong"]}
    assert ids(api, users["leader"], q="15/QĐ-UBND") >= {docs["dongnai"]}
    assert ids(api, users["leader"], q="đồn*") >= {docs["dongnai"], docs["dong"]}  # the rows' prefixes rewritten
    # again, on a full index (triggers / GIN indexes come back each time)
    indexes = sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_index'")
    before = dict(db.session.execute(indexes).all()) if db.engine.dialect.name == "postgresql" else {}
    assert indexer.reindex() == 4
    if before:  # PostgreSQL's two indexes, built side by side (core.tx.side_by_side), as the migrations made them
        assert "docflow_prefixed(tsv, prefixes)" in before["ix_search_index_tsv"]
        assert dict(db.session.execute(indexes).all()) == before
    register(api, users["clerk"], "Sau khi lập lại chỉ mục")
    assert len(ids(api, users["leader"], q="chi muc")) == 1


def test_reindex_command(app, api, users, docs):
    result = app.test_cli_runner().invoke(args=["docflow", "reindex"])
    assert result.exit_code == 0, result.output
    assert "4 documents indexed" in result.output



def test_reindex_reads_ahead_beside_its_writes_and_a_failure_stops_it_whole(api, users, db, docs, monkeypatch):
    """PostgreSQL: reindex reads and folds each batch in a thread of its own, the next one while it writes the
    last (indexer._read_ahead; SQLite reads them in turn); a failure there stops reindex, and the engine's own
    index comes back (SQLite's triggers, PostgreSQL's GIN indexes)."""
    import threading

    real, readers = indexer._batch_rows, []

    def batch_rows(first, last):
        readers.append(threading.current_thread() is threading.main_thread())
        return real(first, last)

    monkeypatch.setattr(indexer, "_batch_rows", batch_rows)
    assert indexer.reindex(batch_size=1) == 4
    postgresql = db.engine.dialect.name == "postgresql"
    assert len(readers) >= 4 and set(readers) == {not postgresql}  # PostgreSQL: off the writing thread
    assert ids(api, users["leader"], q="dong nai") == {docs["dongnai"], docs["dong"]}

    def failing(first, last):
        if readers:
            raise RuntimeError("the disk is gone")
        readers.append(first)
        return real(first, last)

    readers.clear()
    monkeypatch.setattr(indexer, "_batch_rows", failing)
    with pytest.raises(RuntimeError, match="the disk is gone"):
        indexer.reindex(batch_size=1)
    monkeypatch.setattr(indexer, "_batch_rows", real)
    found = register(api, users["clerk"], "Sau khi lập lại chỉ mục thất bại")  # indexed by the engine's own
    assert ids(api, users["leader"], q="chi muc that bai") == {found["id"]}
    assert indexer.reindex() == 5
    assert ids(api, users["leader"], q="dong nai") == {docs["dongnai"], docs["dong"]}


def test_reindex_leaves_sqlites_full_text_index_in_one_segment(api, users, db):
    """SQLite: 'rebuild' writes a segment each time its in-memory buffer fills (a dozen at 1M), and a row's
    probe looks each word up in every segment; reindex merges them ('optimize'). The buffer is made tiny
    here so that a rebuild of a few hundred letters alone leaves several."""
    from docflow.demo import seed

    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's GIN indexes are built whole by reindex (test_reindex_rebuilds_an_emptied_index)
    assert seed.seed_documents(600, 1, seed=5) == 600
    segments = "SELECT count(DISTINCT segid) FROM search_fts_idx"
    try:
        db.session.execute(sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', 64)"))
        db.session.execute(sa.text(indexer.FTS5_REBUILD[0]))
        db.session.commit()
        assert db.session.execute(sa.text(segments)).scalar() > 1  # what 'rebuild' alone leaves
        assert indexer.reindex() == 600
        assert db.session.execute(sa.text(segments)).scalar() == 1
        assert search(api, users["leader"], q="ngan sach")["total"] > 0
    finally:
        db.session.rollback()
        db.session.execute(sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', 1048576)"))
        db.session.commit()
