"""The working-day calendar (domain.md "deadlines"): weekends and configured holidays are skipped,
default deadlines per urgency, and the due-soon / overdue task lists around them."""

from datetime import date

import pytest
import sqlalchemy as sa

HOLIDAYS = ["2026-04-30", "2026-05-01"]  # Thursday and Friday, then a weekend

WED_BEFORE_HOLIDAY = date(2026, 4, 29)
THU_HOLIDAY = date(2026, 4, 30)
FRI_HOLIDAY = date(2026, 5, 1)
SAT = date(2026, 5, 2)
SUN = date(2026, 5, 3)
MON_AFTER = date(2026, 5, 4)
TUE_AFTER = date(2026, 5, 5)

FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)
SUNDAY = date(2026, 3, 8)
MONDAY = date(2026, 3, 9)
TUESDAY = date(2026, 3, 10)
WEDNESDAY = date(2026, 3, 11)


@pytest.fixture
def holidays(app, db):
    from docflow.core import settings

    settings.put("holidays", HOLIDAYS)
    db.session.commit()


# ---- add_working_days --------------------------------------------------------------------------

def test_add_working_days_across_a_weekend(app):
    from docflow.core.calendar import add_working_days, is_working_day

    assert not is_working_day(SATURDAY) and not is_working_day(SUNDAY) and is_working_day(FRIDAY)
    assert add_working_days(FRIDAY, 0) == FRIDAY
    assert add_working_days(FRIDAY, 1) == MONDAY
    assert add_working_days(FRIDAY, 2) == TUESDAY
    assert add_working_days(date(2026, 3, 5), 2) == MONDAY  # Thursday + 2
    assert add_working_days(FRIDAY, 5) == date(2026, 3, 13)  # a full week later
    # from a weekend day: 0 is the next working day, and counting goes on from there
    assert add_working_days(SATURDAY, 0) == MONDAY
    assert add_working_days(SUNDAY, 0) == MONDAY
    assert add_working_days(SATURDAY, 1) == TUESDAY


def test_add_working_days_across_a_configured_holiday(app, holidays):
    from docflow.core import calendar

    assert calendar.holidays() == {THU_HOLIDAY, FRI_HOLIDAY}
    assert not calendar.is_working_day(THU_HOLIDAY) and not calendar.is_working_day(FRI_HOLIDAY)
    assert calendar.add_working_days(WED_BEFORE_HOLIDAY, 0) == WED_BEFORE_HOLIDAY
    assert calendar.add_working_days(WED_BEFORE_HOLIDAY, 1) == MON_AFTER
    assert calendar.add_working_days(WED_BEFORE_HOLIDAY, 2) == TUE_AFTER
    assert calendar.add_working_days(date(2026, 4, 28), 2) == MON_AFTER
    assert calendar.add_working_days(THU_HOLIDAY, 0) == MON_AFTER
    assert calendar.add_working_days(FRI_HOLIDAY, 1) == TUE_AFTER
    # the same dates without the holidays
    assert calendar.add_working_days(WED_BEFORE_HOLIDAY, 1, off=set()) == THU_HOLIDAY
    assert calendar.working_days_between(WED_BEFORE_HOLIDAY, TUE_AFTER) == 2
    assert calendar.working_days_between(TUE_AFTER, WED_BEFORE_HOLIDAY) == -2


def test_holidays_setting_ignores_garbage(app, db):
    from docflow.core import calendar, settings

    settings.put("holidays", ["2026-04-30", "not a date", "2026-13-01"])
    assert calendar.holidays() == {THU_HOLIDAY}


# ---- default deadlines ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, expected", [
    (WED_BEFORE_HOLIDAY, {"normal": date(2026, 5, 12), "urgent": TUE_AFTER, "very_urgent": MON_AFTER,
                          "flash": WED_BEFORE_HOLIDAY}),
    (THU_HOLIDAY, {"normal": date(2026, 5, 13), "urgent": date(2026, 5, 6), "very_urgent": TUE_AFTER,
                   "flash": MON_AFTER}),
    (FRIDAY, {"normal": date(2026, 3, 17), "urgent": TUESDAY, "very_urgent": MONDAY, "flash": FRIDAY}),
    (SATURDAY, {"normal": date(2026, 3, 18), "urgent": WEDNESDAY, "very_urgent": TUESDAY, "flash": MONDAY}),
])
def test_default_due_date_per_urgency(app, holidays, start, expected):
    from docflow.core.calendar import default_due_date

    assert {urgency: default_due_date(urgency, start) for urgency in expected} == expected


def test_default_due_dates_follow_the_setting(app, db):
    from docflow.core import settings
    from docflow.core.calendar import default_due_date

    settings.put("deadline_days", {"normal": 3, "urgent": 1})  # an office's own rules; the rest default
    assert default_due_date("normal", FRIDAY) == WEDNESDAY
    assert default_due_date("urgent", FRIDAY) == MONDAY
    assert default_due_date("very_urgent", FRIDAY) == MONDAY
    assert default_due_date("flash", SATURDAY) == MONDAY


def test_assignment_gets_the_default_deadline(app, users, db, monkeypatch, holidays):
    from docflow.incoming import services

    monkeypatch.setattr(services, "today", lambda: WED_BEFORE_HOLIDAY)
    for urgency, due in (("normal", date(2026, 5, 12)), ("urgent", TUE_AFTER), ("flash", WED_BEFORE_HOLIDAY)):
        doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": f"{urgency}/SNV",
                                          "issued_date": "2026-04-28", "subject": f"Khẩn {urgency}",
                                          "urgency": urgency}, actor=users["clerk"])
        services.assign(doc, actor=users["leader"], instruction="Xử lý",
                        assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
        db.session.commit()
        assert doc.due_date == due, urgency
        assert [a.due_date for a in services.assignments_of(doc)] == [due]


# ---- due soon / overdue ------------------------------------------------------------------------

def _assigned_due(services, db, users, dues: dict[str, date]) -> dict[str, int]:
    """One document per due date, assigned to the specialist; returns assignment ids by label."""
    from docflow.incoming.models import Assignment

    ids = {}
    for label, due in dues.items():
        doc = services.register_incoming({"sender_name": "Sở Xây dựng", "number_symbol": f"{label}/SXD",
                                          "issued_date": "2026-02-02", "received_date": "2026-02-03",
                                          "subject": f"Hạn {label}"}, actor=users["clerk"])
        services.assign(doc, actor=users["leader"], instruction="Xử lý",
                        assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
        db.session.flush()
        a = db.session.scalar(sa.select(Assignment).where(Assignment.document_id == doc.id))
        a.due_date = due
        ids[label] = a.id
    db.session.commit()
    return ids


def _listed(db, services, user, state) -> set[int]:
    return {a.id for a in db.session.scalars(services.tasks(user, state))}


def test_due_soon_and_overdue_across_a_weekend(app, users, db, monkeypatch):
    from docflow.incoming import services

    monkeypatch.setattr(services, "today", lambda: date(2026, 3, 2))
    ids = _assigned_due(services, db, users, {"thu": date(2026, 3, 5), "fri": FRIDAY, "sat": SATURDAY,
                                              "mon": MONDAY, "tue": TUESDAY, "wed": WEDNESDAY})
    spec = users["specialist"]
    monkeypatch.setattr(services, "today", lambda: FRIDAY)
    # on Friday, the next working day is Monday: everything up to Monday is due soon
    assert _listed(db, services, spec, "due_soon") == {ids["fri"], ids["sat"], ids["mon"]}
    assert _listed(db, services, spec, "overdue") == {ids["thu"]}
    assert _listed(db, services, spec, "open") == set(ids.values())

    monkeypatch.setattr(services, "today", lambda: MONDAY)
    assert _listed(db, services, spec, "due_soon") == {ids["mon"], ids["tue"]}
    assert _listed(db, services, spec, "overdue") == {ids["thu"], ids["fri"], ids["sat"]}

    monkeypatch.setattr(services, "today", lambda: date(2026, 3, 12))
    assert _listed(db, services, spec, "due_soon") == set()
    assert _listed(db, services, spec, "overdue") == set(ids.values())


def test_due_soon_and_overdue_across_a_holiday(app, users, db, monkeypatch, holidays):
    from docflow.incoming import services

    monkeypatch.setattr(services, "today", lambda: date(2026, 4, 20))
    ids = _assigned_due(services, db, users, {"tue": date(2026, 4, 28), "wed": WED_BEFORE_HOLIDAY,
                                              "thu": THU_HOLIDAY, "fri": FRI_HOLIDAY, "sun": SUN,
                                              "mon": MON_AFTER, "tue2": TUE_AFTER})
    spec = users["specialist"]
    monkeypatch.setattr(services, "today", lambda: WED_BEFORE_HOLIDAY)
    # the next working day after Wednesday 29/4 is Monday 4/5
    assert _listed(db, services, spec, "due_soon") == {ids["wed"], ids["thu"], ids["fri"], ids["sun"], ids["mon"]}
    assert _listed(db, services, spec, "overdue") == {ids["tue"]}

    monkeypatch.setattr(services, "today", lambda: MON_AFTER)
    assert _listed(db, services, spec, "due_soon") == {ids["mon"], ids["tue2"]}
    assert _listed(db, services, spec, "overdue") == {ids["tue"], ids["wed"], ids["thu"], ids["fri"], ids["sun"]}

    # the same through the API view of one assignment
    from docflow.incoming.models import Assignment

    assert services.is_overdue(db.session.get(Assignment, ids["wed"]))
    assert not services.is_overdue(db.session.get(Assignment, ids["mon"]))


def test_done_assignments_are_neither_due_soon_nor_overdue(app, users, db, monkeypatch):
    from docflow.incoming import services
    from docflow.incoming.models import Assignment

    monkeypatch.setattr(services, "today", lambda: date(2026, 3, 2))
    ids = _assigned_due(services, db, users, {"late": date(2026, 3, 3), "soon": FRIDAY})
    for a_id in ids.values():
        a = db.session.get(Assignment, a_id)
        services.complete(a.document, "Đã xử lý", actor=users["specialist"])
    db.session.commit()
    monkeypatch.setattr(services, "today", lambda: FRIDAY)
    spec = users["specialist"]
    assert _listed(db, services, spec, "due_soon") == set()
    assert _listed(db, services, spec, "overdue") == set()
    assert _listed(db, services, spec, "done") == set(ids.values())


def test_reminders_around_a_holiday(app, users, db, monkeypatch, holidays):
    from docflow.core.models import Notification
    from docflow.incoming import services

    monkeypatch.setattr(services, "today", lambda: date(2026, 4, 20))
    ids = _assigned_due(services, db, users, {"late": date(2026, 4, 27), "mon": MON_AFTER,
                                              "tue": TUE_AFTER})
    assert services.send_deadline_reminders(on=WED_BEFORE_HOLIDAY) == 2
    db.session.commit()
    kinds = dict(db.session.execute(sa.select(Notification.assignment_id, Notification.kind)
                                    .where(Notification.kind.in_(("due_soon", "overdue")))).all())
    assert kinds == {ids["late"]: "overdue", ids["mon"]: "due_soon"}
    assert services.send_deadline_reminders(on=WED_BEFORE_HOLIDAY) == 0
