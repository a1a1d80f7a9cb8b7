"""The dashboard asks each figure once: the unread notifications (the navigation's badge and the card), whether
the user approves drafts (the menu and the card), the year's totals (the figures and Directive 10), and the
two flows' sums of the statistics' cells in one statement each."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from docflow.core.timeutil import today
from docflow.main import views
from docflow.registry import notifications
from tests.conftest import login
from tests.stats.office_figures import register


@pytest.fixture
def statements(app, db):
    """The SQL of the statements run while the fixture's list is recording (`record` True)."""
    seen, record, dims = [], [False], []

    def log(conn, cursor, statement, params, context, executemany):
        if record[0]:
            seen.append(" ".join(statement.split()))
            values = params.values() if isinstance(params, dict) else params or ()
            dims.extend(v for v in values if v in ("hd", "hud", "hpd"))  # the working days' cells

    sa.event.listen(db.engine, "before_cursor_execute", log)
    yield seen, record, dims
    sa.event.remove(db.engine, "before_cursor_execute", log)


def _unread(db, users, leader, n: int) -> None:
    doc = register(users, today() - timedelta(days=3), "5/TB-NT", "Về việc thông báo")
    for i in range(n):
        notifications.notify(leader.id, "assigned", doc, f"Thông báo {i}")
    db.session.commit()


def test_the_leaders_dashboard_asks_each_figure_once(app, db, users, statements):
    leader = users["leader"]
    _unread(db, users, leader, 3)
    client = app.test_client()
    login(client, leader.username)
    seen, record, dims = statements
    record[0] = True
    html = client.get("/dashboard").get_data(as_text=True)
    record[0] = False
    card = html.split('id="card-notifications"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r'class="badge[^"]*count">3<', card)
    assert len([s for s in seen if s.startswith("SELECT count(notifications.id)")]) == 1
    assert not [s for s in seen if "FROM notifications" in s and s.startswith("SELECT count(*)")]
    assert len([s for s in seen if "FROM workflow_steps" in s]) == 1
    # the year's totals (dim "a" by flow), once for the figures and Directive 10, both flows in one statement
    sums = [s for s in seen if "FROM stat_counts" in s]
    by_flow = [s for s in sums if re.match(r"SELECT stat_counts\.direction, sum", s)]
    assert len(by_flow) == 1 and "stat_counts.direction IN" in by_flow[0]
    months = [s for s in sums if s.startswith("SELECT stat_counts.direction, stat_counts.ym, sum")]
    assert len(months) == 1
    # the per-unit table shows no durations: only the office's figures read the working days' cells
    assert dims == ["hd"]


def test_the_tables_without_durations_count_the_same(db, users):
    from docflow.stats import service
    from tests.stats.office_figures import assign, complete

    leader = users["leader"]
    for i in range(3):
        doc = register(users, today() - timedelta(days=20), f"{i + 1}/KT-TH", f"Việc {i}")
        assign(users, doc, today() - timedelta(days=2 - i), user=users["specialist"])
        if i:
            complete(users, doc, users["specialist"], today() - timedelta(days=5), db)
    db.session.commit()
    period = service.Period(today().year)
    full = service.handling_by(leader, period, "unit")
    short = service.handling_by(leader, period, "unit", days=False)
    assert full and any(r["median_days"] is not None for r in full)
    assert short == [{**r, "avg_days": None, "median_days": None} for r in full]


def test_the_notifications_card_beyond_the_limit(app, db, users, monkeypatch):
    monkeypatch.setattr(views, "CARD_COUNT_LIMIT", 2)
    leader = users["leader"]
    _unread(db, users, leader, 3)
    with app.test_request_context():
        card = views.incoming_cards(leader)["notifications"]
        assert (int(card["count"]), card["count"].exact, str(card["count"])) == (2, False, "2+")
        assert len(card["rows"]) == 3
        assert notifications.unread_count(leader) == 3  # the badge counts on
