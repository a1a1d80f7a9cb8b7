"""Every list is a bounded query (registry/lists.py, decision 12): bounded counts, keyset pages that
cover every visible row once and in order, the visibility rule inside them, and books at scale
(a period, a page of it, the XLSX of a year with every row)."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today


def _register(clerk, received: date, n: int, confidentiality="normal"):
    from docflow.incoming import services

    return services.register_incoming({"sender_name": "Bộ Tài chính", "number_symbol": f"{n}/BTC-VP",
                                       "issued_date": received.isoformat(), "received_date": received.isoformat(),
                                       "subject": f"Văn bản số {n}", "confidentiality": confidentiality}, actor=clerk)


@pytest.fixture
def many(db, users):
    """23 documents over a few days (several a day, so the ordering's later keys matter), two confidential."""
    clerk = users["clerk"]
    start = today() - timedelta(days=6)
    docs = [_register(clerk, start + timedelta(days=i % 5), i, "confidential" if i in (4, 9) else "normal")
            for i in range(23)]
    db.session.commit()
    return docs


def _expected(user):
    from docflow.extensions import db
    from docflow.incoming import services

    return list(db.session.scalars(services.list_incoming(user).with_only_columns(sa.literal_column("documents.id"))))


def test_count_upto_is_exact_below_the_limit_and_flagged_above(many, users):
    from docflow.incoming import services
    from docflow.registry import lists

    stmt = services.list_incoming(users["leader"])
    assert lists.count_upto(stmt, limit=100) == (23, True)
    assert lists.count_upto(stmt, limit=23) == (23, True)
    assert lists.count_upto(stmt, limit=5) == (5, False)
    count = lists.bounded_count(stmt, limit=5)
    assert int(count) == 5 and not count.exact and str(count) == "5+"


@pytest.mark.parametrize("role", ["leader", "archivist", "admin"])
def test_keyset_pages_cover_every_visible_row_once_in_order(many, users, role):
    from docflow.incoming import services
    from docflow.registry import lists

    user = users[role]
    expected = _expected(user)
    seen, after = [], None
    for _ in range(20):
        page = lists.paginate(services.list_incoming(user), lists.INCOMING, per_page=4, after=after, count_limit=6)
        seen += [d.id for d in page.items]
        if not page.has_next:
            break
        after = page.next_cursor
    assert seen == expected
    # page=N reaches the same rows
    by_number = []
    for n in range(1, 8):
        by_number += [d.id for d in lists.paginate(services.list_incoming(user), lists.INCOMING, page=n,
                                                   per_page=4).items]
    assert by_number == expected


def test_a_bad_cursor_is_refused(many, users):
    from docflow.incoming import services
    from docflow.registry import lists

    for bad in ("x", "bm90IGpzb24", "WzEsMl0", "WyIyMDI2LTAxLTAxIiwxLDJd"[:-2]):
        with pytest.raises(lists.BadCursor):
            lists.paginate(services.list_incoming(users["leader"]), lists.INCOMING, after=bad)


def test_api_follows_next_and_flags_a_bounded_total(many, users, api, monkeypatch):
    from docflow.registry import lists

    monkeypatch.setattr(lists, "COUNT_LIMIT", 5)
    monkeypatch.setattr(lists.paginate, "__kwdefaults__", {**lists.paginate.__kwdefaults__, "count_limit": 5})
    leader = api(users["leader"])
    first = leader.get("/incoming?per_page=4").get_json()
    assert set(first) >= {"items", "total", "page", "per_page", "total_is_estimate", "has_more", "next"}
    assert first["has_more"] is True and isinstance(first["total"], int)
    ids, link = [d["id"] for d in first["items"]], first["next"]
    while link:
        body = leader.get(link.removeprefix("/api/v1")).get_json()
        ids += [d["id"] for d in body["items"]]
        link = body["next"]
    assert ids == _expected(users["leader"])
    last = leader.get("/incoming?per_page=4&page=6").get_json()
    assert last["total"] == 23 and last["total_is_estimate"] is False and last["has_more"] is False
    assert leader.get("/incoming?after=garbage").status_code == 422


def test_a_specialist_list_and_total_hold_only_what_they_may_see(many, users, api, login_as, client):
    from docflow.incoming import services

    services.assign(many[0], actor=users["leader"], instruction="Xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    from docflow.extensions import db

    db.session.commit()
    body = api(users["specialist"]).get("/incoming?per_page=50").get_json()
    assert [d["id"] for d in body["items"]] == [many[0].id]
    assert body["total"] == 1 and body["total_is_estimate"] is False
    assert api(users["specialist"]).get("/incoming?per_page=50&page=500").get_json()["items"] == []
    login_as(users["specialist"])
    assert client.get("/incoming/?page=500").status_code == 200


@pytest.mark.parametrize("who", ["specialist", "unit_head"])
def test_a_unit_with_a_long_history_walks_the_flow_and_counts_up_to_the_smaller_limit(many, users, api, who,
                                                                                      monkeypatch):
    """A restricted user who takes part in many documents (access.MANY_PARTICIPATIONS) gets the same list,
    in the same order, from the walk of the flow's index (each document's participant rows probed); its
    total is exact up to access.RESTRICTED_COUNT_LIMIT, then an estimate."""
    from docflow.extensions import db
    from docflow.incoming import services
    from docflow.registry import access

    for doc in [d for d in many if d.confidentiality == "normal"][:7]:
        services.assign(doc, actor=users["leader"], instruction="Xử lý",
                        assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    user = users[who]
    gathered = api(user).get("/incoming?per_page=50").get_json()
    assert gathered["total"] == len(gathered["items"]) >= 5 and not gathered["total_is_estimate"]
    monkeypatch.setattr(access, "MANY_PARTICIPATIONS", 1)
    walked = api(user).get("/incoming?per_page=50").get_json()
    assert walked["items"] == gathered["items"] and walked["total"] == gathered["total"]
    stmt = access.visible_documents(db.session.get(type(user), user.id), "incoming")
    assert stmt.get_execution_options()["count_limit"] == access.RESTRICTED_COUNT_LIMIT
    monkeypatch.setattr(access, "RESTRICTED_COUNT_LIMIT", 3)
    page = api(user).get("/incoming?per_page=2").get_json()
    assert page["total"] == 3 and page["total_is_estimate"] is True and page["has_more"] is True
    pages, link = list(page["items"]), page["next"]
    while link:  # the next links still reach every row once, in order
        body = api(user).get(link.removeprefix("/api/v1")).get_json()
        pages += body["items"]
        link = body["next"]
    assert [d["id"] for d in pages] == [d["id"] for d in gathered["items"]]


def test_the_list_page_says_more_than_when_bounded(many, users, login_as, client, monkeypatch):
    from docflow.incoming import views
    from docflow.registry import lists

    original = lists.bounded_count
    monkeypatch.setattr(lists, "bounded_count", lambda stmt, limit=5: original(stmt, 5))
    monkeypatch.setattr(views, "PER_PAGE", 4)
    login_as(users["leader"])
    html = client.get("/incoming/").get_data(as_text=True)
    assert "Hơn 5 văn bản." in html or "More than 5 documents." in html
    assert client.get("/incoming/?page=3").status_code == 200


# ---- books --------------------------------------------------------------------------------------

def test_book_page_shows_a_month_by_default_paginated(db, users, login_as, client, monkeypatch):
    from docflow.incoming import reports

    clerk = users["clerk"]
    now = today()
    first = date(now.year, now.month, 1)
    for i in range(7):
        _register(clerk, first + timedelta(days=min(i, (now - first).days)), 100 + i)
    before = _register(clerk, first - timedelta(days=1), 99)
    db.session.commit()
    monkeypatch.setattr(reports, "BOOK_PAGE_ROWS", 3)
    monkeypatch.setattr(reports.build, "__kwdefaults__", {**reports.build.__kwdefaults__, "per_page": 3})
    login_as(clerk)
    pages = [client.get(f"/books/incoming?page={p}").get_data(as_text=True) for p in (1, 2, 3)]
    shown = [f"{n}/BTC-VP" for n in range(100, 107) if any(f"{n}/BTC-VP" in html for html in pages)]
    assert len(shown) == 7
    assert all(before.number_symbol not in html for html in pages)
    assert "Tổng số: 7" in pages[0] or "Total: 7" in pages[0] or "7 " in pages[0]
    assert "99/BTC-VP" in client.get(f"/books/incoming?page=3&from={(first - timedelta(days=1)).strftime('%d/%m/%Y')}"
                                     ).get_data(as_text=True)


def test_year_xlsx_holds_every_row_of_the_period(db, users, login_as, client, monkeypatch):
    from openpyxl import load_workbook

    from docflow.incoming import reports
    from docflow.registry import books

    clerk = users["clerk"]
    year = today().year - 1
    made = [_register(clerk, date(year, 1 + i % 12, 1 + i % 28), 200 + i) for i in range(30)]
    _register(clerk, date(year - 1, 12, 31), 999)  # outside the year
    db.session.commit()
    monkeypatch.setattr(books, "XLSX_BATCH", 7)
    monkeypatch.setattr(reports, "XLSX_BATCH", 7)
    login_as(clerk)
    response = client.get(f"/books/incoming.xlsx?from=01/01/{year}&to=31/12/{year}")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).active
    symbols = [row[3] for row in ws.iter_rows(min_row=books.XLSX_HEADER_ROW + 1, values_only=True)]
    assert sorted(symbols) == sorted(d.number_symbol for d in made)


# ---- statements per page ------------------------------------------------------------------------

def _statements(app, call) -> int:
    from docflow.extensions import db

    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return len(seen)


@pytest.mark.parametrize("flow", ["incoming", "outgoing"])
def test_a_list_page_costs_the_same_statements_at_any_size(many, users, api, app, flow):
    """No query per document: the flows' columns come in the page's SELECT and what the schema reads
    of each row is eager-loaded, so 5 rows and 50 rows cost the same statements."""
    if flow == "outgoing":
        from docflow.extensions import db
        from docflow.outgoing import services

        for i in range(12):
            doc = services.create_draft({"doc_type": "CV", "subject": f"Dự thảo {i}", "recipients": [
                {"name": "Sở Tài chính tỉnh Đồng Nai"}, {"name": "Sở Nội vụ tỉnh Đồng Nai"}]},
                actor=users["specialist"])
        db.session.commit()
        assert doc.id
    caller = api(users["specialist"] if flow == "outgoing" else users["leader"])
    caller.get(f"/{flow}?per_page=1")  # the token's first use is recorded once
    small = _statements(app, lambda: caller.get(f"/{flow}?per_page=3"))  # both pages have a next one: both count
    large = _statements(app, lambda: caller.get(f"/{flow}?per_page=11"))
    body = caller.get(f"/{flow}?per_page=11").get_json()
    assert len(body["items"]) == 11 and body["has_more"]
    assert large == small, (small, large)


def test_the_task_inbox_costs_the_same_statements_at_any_size(many, users, api, app):
    from docflow.extensions import db
    from docflow.incoming import services

    for doc in [d for d in many if d.confidentiality == "normal"][:14]:
        services.assign(doc, actor=users["leader"], instruction="Xử lý",
                        assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    db.session.expire_all()
    caller = api(users["specialist"])
    caller.get("/tasks?per_page=1")  # the token's first use is recorded once
    small = _statements(app, lambda: caller.get("/tasks?per_page=3"))
    large = _statements(app, lambda: caller.get("/tasks?per_page=11"))
    body = caller.get("/tasks?per_page=11").get_json()
    assert len(body["items"]) == 11 and body["has_more"] and body["items"][0]["subject"]
    assert large == small, (small, large)


def test_the_task_page_costs_the_same_statements_at_any_size(many, users, login_as, client, app, monkeypatch):
    from docflow.extensions import db
    from docflow.incoming import services, views

    for doc in [d for d in many if d.confidentiality == "normal"][:14]:
        services.assign(doc, actor=users["leader"], instruction="Xử lý",
                        assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    login_as(users["specialist"])
    client.get("/incoming/tasks")
    counts = []
    for size in (3, 11):
        monkeypatch.setattr(views, "PER_PAGE", size)
        db.session.expire_all()
        counts.append(_statements(app, lambda: client.get("/incoming/tasks")))
    assert counts[0] == counts[1], counts


def test_a_page_beyond_the_count_limit_is_not_counted(many, users, monkeypatch):
    """Past the count limit the total is the rows up to the page, an estimate, as counting would have said;
    no count is run for it."""
    from docflow.incoming import services
    from docflow.registry import lists

    counted = []
    original = lists.bounded_count
    monkeypatch.setattr(lists, "bounded_count", lambda *a, **kw: counted.append(1) or original(*a, **kw))
    page = lists.paginate(services.list_incoming(users["leader"]), lists.INCOMING, page=3, per_page=4, count_limit=6)
    assert counted == [] and int(page.total) == 12 and not page.total.exact and page.has_next
    page = lists.paginate(services.list_incoming(users["leader"]), lists.INCOMING, page=1, per_page=4, count_limit=6)
    assert counted == [1] and int(page.total) == 6 and not page.total.exact
