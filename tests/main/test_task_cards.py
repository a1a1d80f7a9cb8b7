"""The dashboard's three task cards (main/views.py task_cards: one aggregate and the open card's first rows)
say the same as the inbox's three lists (incoming.tasks: open, due soon, overdue), counted and first rows."""

from datetime import timedelta

import pytest

from docflow.core import calendar
from docflow.core.timeutil import today
from docflow.incoming import services as incoming
from docflow.main import views
from docflow.registry import lists
from tests.stats.office_figures import assign, register


def _separately(db, user) -> dict:
    return {state: (int(lists.bounded_count(incoming.tasks(user, state))),
                    [a.id for a in db.session.scalars(incoming.tasks(user, state).limit(views.SHORT_LIST))])
            for state in ("open", "due_soon", "overdue")}


def _cards(user) -> dict:
    return {state: (int(card["count"]), [a.id for a in card["rows"]]) for state, card in views.task_cards(user).items()}


@pytest.mark.parametrize("overdue,due_soon,later,undated", [(0, 0, 0, 0), (2, 2, 1, 1), (7, 3, 0, 1), (2, 6, 2, 0),
                                                            (0, 7, 0, 2), (3, 0, 0, 4)])
def test_task_cards_are_the_inbox_lists(db, users, make_user, overdue, due_soon, later, undated):
    head = make_user("unit_head", unit="KT")
    other = make_user("specialist", unit="VX")
    day = today()
    soon = calendar.add_working_days(day, 1)
    dues = ([day - timedelta(days=10 + i) for i in range(overdue)] + [day if i % 2 else soon for i in range(due_soon)]
            + [soon + timedelta(days=5 + i) for i in range(later)] + [None] * undated)
    for i, due in enumerate(dues):
        doc = register(users, day - timedelta(days=20), f"{i + 1}/TC-{overdue}{due_soon}", f"Việc {i}")
        assign(users, doc, due, unit_id=head.unit_id) if i % 3 else assign(users, doc, due, user=head)
    elsewhere = register(users, day - timedelta(days=20), "99/TC", "Việc của đơn vị khác")
    assign(users, elsewhere, day - timedelta(days=3), user=other)  # not the head's: in neither
    db.session.flush()
    expected = _separately(db, head)
    assert expected["open"][0] == len(dues) and expected["overdue"][0] == overdue
    assert expected["due_soon"][0] == due_soon
    assert _cards(head) == expected
    assert _cards(other) == _separately(db, other)


def test_task_cards_beyond_the_count_limit(db, users, make_user, monkeypatch):
    """Above CARD_COUNT_LIMIT a card shows the limit, flagged (as lists.bounded_count does); the cards stop
    sooner than the inbox's list (lists.COUNT_LIMIT), which counts on."""
    assert views.CARD_COUNT_LIMIT < lists.COUNT_LIMIT
    monkeypatch.setattr(views, "CARD_COUNT_LIMIT", 2)
    head = make_user("unit_head", unit="KT")
    day = today()
    for i in range(3):
        doc = register(users, day - timedelta(days=20), f"{i + 1}/GH", f"Việc {i}")
        assign(users, doc, day - timedelta(days=5), user=head)
    db.session.flush()
    cards = views.task_cards(head)
    assert (int(cards["open"]["count"]), cards["open"]["count"].exact) == (2, False)
    assert (int(cards["overdue"]["count"]), cards["overdue"]["count"].exact) == (2, False)
    assert (int(cards["due_soon"]["count"]), cards["due_soon"]["count"].exact) == (0, True)


def test_document_cards_count_up_to_the_card_limit(db, users, client, login_as, monkeypatch):
    """The leader's "presented to me" and the clerk's "not yet presented" cards stop at CARD_COUNT_LIMIT too
    ("2+" with a limit of 2), and below it say the exact number."""
    day = today()
    letters = [register(users, day, f"{i + 1}/TB", f"Thông báo {i}") for i in range(5)]
    for doc in letters[:3]:
        incoming.present(doc, actor=users["clerk"], leader_id=users["leader"].id)
    db.session.commit()
    monkeypatch.setattr(views, "CARD_COUNT_LIMIT", 2)

    def badge(html, card):
        part = html.split(f'id="{card}"', 1)[1]
        return part.split('count">', 1)[1].split("<", 1)[0]

    login_as(users["leader"])
    assert badge(client.get("/dashboard").get_data(as_text=True), "card-presented") == "2+"
    client.post("/auth/logout")
    login_as(users["clerk"])
    assert badge(client.get("/dashboard").get_data(as_text=True), "card-not-presented") == "2"
