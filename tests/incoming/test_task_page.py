"""The task inbox's pages (incoming.task_page: each part of the inbox read from its own index and merged) are
the pages of the inbox's statement (incoming.tasks) paginated as it is: the same tasks in the same order,
the same next-page flag and count, for every state and page; beyond the count limit it is that statement's
own pagination. The page and the API serve them."""

from datetime import datetime, timedelta

import pytest

from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.registry import lists
from tests.stats.office_figures import assign, register


@pytest.fixture
def inbox(db, users, make_user):
    """A unit head of KT with tasks of their own and of their unit, open (overdue, due soon, later, undated)
    and done, and a colleague's task they do not see."""
    head = make_user("unit_head", unit="KT")
    other = make_user("specialist", unit="VX")
    day = today()
    dues = [day - timedelta(days=3), day, day + timedelta(days=1), day + timedelta(days=20), None]
    done_at = datetime(2026, 1, 5, 9, 0)
    for i in range(14):
        doc = register(users, day - timedelta(days=30), f"{i + 1}/TP", f"Việc {i}")
        target = {"user": head} if i % 3 == 0 else {"unit_id": head.unit_id} if i % 3 == 1 else {"user": other}
        assign(users, doc, dues[i % len(dues)] or day, **target)
        for a in incoming.assignments_of(doc):
            if dues[i % len(dues)] is None:
                a.due_date = None
            if i % 4 == 3:
                a.state, a.done_at = "done", done_at + timedelta(hours=i % 5)  # ties in done_at: the id decides
    db.session.flush()
    return head


@pytest.mark.parametrize("state", ["open", "overdue", "due_soon", "done"])
def test_the_merged_pages_are_the_statements_pages(db, inbox, state):
    for per_page in (1, 2, 3, 50):
        for page in range(1, 8):
            merged = incoming.task_page(inbox, state, page=page, per_page=per_page)
            plain = lists.paginate(incoming.tasks(inbox, state), page=page, per_page=per_page)
            assert [a.id for a in merged.items] == [a.id for a in plain.items], (state, per_page, page)
            assert merged.has_next == plain.has_next
            assert (int(merged.total), merged.total.exact) == (int(plain.total), plain.total.exact)
    assert incoming.count_tasks(inbox, state) == lists.bounded_count(incoming.tasks(inbox, state))


def test_beyond_the_count_limit(db, inbox, monkeypatch):
    monkeypatch.setattr(incoming, "TASK_COUNT_LIMIT", 2)
    first = incoming.task_page(inbox, "open", page=1, per_page=1)
    assert (int(first.total), first.total.exact, first.has_next) == (2, False, True)
    deep = incoming.task_page(inbox, "open", page=3, per_page=1)  # past the limit: the statement's own pages
    plain = lists.paginate(incoming.tasks(inbox, "open"), page=3, per_page=1)
    assert [a.id for a in deep.items] == [a.id for a in plain.items] and deep.has_next == plain.has_next
    assert not deep.total.exact


def test_the_page_and_the_api_serve_the_merged_pages(db, inbox, client, login_as, token_for):
    db.session.commit()
    expected = [a.id for a in incoming.task_page(inbox, "open", page=1, per_page=50).items]
    login_as(inbox)
    html = client.get("/incoming/tasks").get_data(as_text=True)
    subjects = [a.document.subject for a in incoming.task_page(inbox, "open", page=1, per_page=50).items]
    assert subjects and all(s in html for s in subjects)
    client.post("/auth/logout")
    headers = {"Authorization": f"Bearer {token_for(inbox)}"}
    body = client.get("/api/v1/tasks?state=open&per_page=50", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == expected
    assert body["total"] == len(expected) and body["has_more"] is False
    body = client.get("/api/v1/tasks?state=done&per_page=1&page=2", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [
        a.id for a in incoming.task_page(inbox, "done", page=2, per_page=1).items]


def test_a_count_the_caller_has_is_not_counted_again(db, inbox):
    given = lists.Count(7)
    assert incoming.task_page(inbox, "open", page=1, per_page=1, counted=given).total is given
    last = incoming.task_page(inbox, "open", page=1, per_page=50, counted=given)  # one page: its rows are the count
    assert int(last.total) == len(last.items) and not last.has_next


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_the_tabs_counts_are_each_lists_count(db, inbox, monkeypatch, limit):
    """The inbox's open, due-soon and overdue counts (count_task_tabs) are each list's bounded count; the open
    tasks are counted only when the overdue ones (open tasks too) are within the limit."""
    expected = {state: incoming.count_tasks(inbox, state, limit) for state in ("open", "due_soon", "overdue")}
    asked = []
    count_tasks = incoming.count_tasks
    monkeypatch.setattr(incoming, "count_tasks", lambda user, state, lim=None: asked.append(state)
                        or count_tasks(user, state, lim))
    tabs = incoming.count_task_tabs(inbox, limit)
    assert {s: (int(c), c.exact) for s, c in tabs.items()} == {s: (int(c), c.exact) for s, c in expected.items()}
    assert ("open" in asked) == expected["overdue"].exact
    if limit == 1:  # the fixture's overdue tasks are over it: the open ones are not counted
        assert not expected["overdue"].exact and "open" not in asked
    if limit == 1000:
        assert all(c.exact for c in expected.values()) and "open" in asked
