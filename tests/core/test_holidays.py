"""The public holidays (Labour Code 2019, art. 112) preloaded into the working calendar: the fixed
dates, Tết and Giỗ Tổ Hùng Vương from the Vietnamese lunar calendar (UTC+7), the days off in lieu;
deadlines skip them; the admin edits every day, and a re-preload never undoes an edit."""

from datetime import date, timedelta

import pytest

# 2026: Tết Bính Ngọ is Tuesday 17/02; Giỗ Tổ (10/3 lunar) is Sunday 26/04, off in lieu on Monday 27/04;
# 2/9 is a Wednesday and the adjacent day the Tuesday 1/9.
HOLIDAYS_2026 = {
    date(2026, 1, 1),
    date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20),
    date(2026, 4, 26), date(2026, 4, 27),
    date(2026, 4, 30), date(2026, 5, 1),
    date(2026, 9, 1), date(2026, 9, 2),
}
# 2027: Tết Đinh Mùi is Saturday 06/02, so mùng 1 and mùng 2 fall on the weekend and are taken on
# Wednesday 10/02 and Thursday 11/02; Giỗ Tổ is Friday 16/04; 1/5 is a Saturday (off on Monday 3/5);
# 2/9 is a Thursday and the adjacent day the Friday 3/9.
HOLIDAYS_2027 = {
    date(2027, 1, 1),
    date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8), date(2027, 2, 9),
    date(2027, 2, 10), date(2027, 2, 11),
    date(2027, 4, 16),
    date(2027, 4, 30), date(2027, 5, 1), date(2027, 5, 3),
    date(2027, 9, 2), date(2027, 9, 3),
}


def test_public_holidays_of_2026_and_2027(app):
    from docflow.core import calendar

    assert set(calendar.public_holidays(2026)) == HOLIDAYS_2026
    assert set(calendar.public_holidays(2027)) == HOLIDAYS_2027


@pytest.mark.parametrize("year, tet, hung_kings", [
    (2026, date(2026, 2, 17), date(2026, 4, 26)),
    (2027, date(2027, 2, 6), date(2027, 4, 16)),
    # The new moon of 2 February 2030 is at 23:07 in Hà Nội (UTC+7) but 00:07 on 3 February in
    # Beijing (UTC+8): the Vietnamese Tết is the 2nd, a day before the Chinese one.
    (2030, date(2030, 2, 2), date(2030, 4, 12)),
    # 2007: the same one-day gap (Vietnam 17/02, China 18/02).
    (2007, date(2007, 2, 17), date(2007, 4, 26)),
])
def test_lunar_dates_are_the_vietnamese_ones(app, year, tet, hung_kings):
    from docflow.core import calendar

    days = calendar.public_holidays(year)
    assert days[tet][0] == "tet" and days[tet][1] == {"n": 1}
    assert days[hung_kings][0] == "hung_kings"
    assert days[tet - timedelta(days=1)][0] == "tet_eve"


@pytest.mark.parametrize("year, extra", [
    (2021, date(2021, 9, 3)),  # Thursday 2/9: Friday 3/9
    (2022, date(2022, 9, 1)),  # Friday 2/9: Thursday 1/9
    (2024, date(2024, 9, 3)),  # Monday 2/9: Tuesday 3/9 (1/9 is a Sunday)
    (2025, date(2025, 9, 1)),  # Tuesday 2/9: Monday 1/9
    (2026, date(2026, 9, 1)),
])
def test_the_day_next_to_national_day_joins_a_weekend(app, year, extra):
    from docflow.core import calendar

    days = calendar.public_holidays(year)
    assert days[date(year, 9, 2)][0] == "national"
    assert days[extra][0] == "national_extra"


def test_preload_fills_the_years_once(app, db):
    from docflow.core import calendar, settings

    assert calendar.holidays() == set()
    assert calendar.preload_holidays([2026, 2027]) == [2026, 2027]
    db.session.commit()
    assert calendar.holidays() == HOLIDAYS_2026 | HOLIDAYS_2027
    assert settings.get(calendar.PRELOADED_KEY) == [2026, 2027]
    # idempotent
    assert calendar.preload_holidays([2026, 2027]) == []
    db.session.commit()
    assert calendar.holidays() == HOLIDAYS_2026 | HOLIDAYS_2027


def test_a_year_the_admin_set_by_hand_is_left_alone(app, db):
    from docflow.core import calendar, settings

    settings.put("holidays", ["2027-02-08"])  # the admin entered the government's own list for 2027
    assert calendar.preload_holidays([2026, 2027]) == [2026]
    db.session.commit()
    assert calendar.holidays() == HOLIDAYS_2026 | {date(2027, 2, 8)}


def test_deadlines_skip_the_preloaded_holidays(app, db):
    from docflow.core import calendar

    calendar.preload_holidays([2026, 2027])
    db.session.commit()
    # Friday 13/02/2026 + 1 working day: the Tết week (16-20/02) and two weekends are skipped
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    # Friday 24/04/2026 + 1: Monday 27/04 is the day off in lieu of Giỗ Tổ
    assert calendar.add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)
    # Monday 31/08/2026 + 1: 1/9 and 2/9 are off
    assert calendar.add_working_days(date(2026, 8, 31), 1) == date(2026, 9, 3)
    # Thursday 04/02/2027 + 2: Tết and its days in lieu run to Thursday 11/02
    assert calendar.add_working_days(date(2027, 2, 4), 2) == date(2027, 2, 15)
    assert calendar.default_due_date("urgent", date(2027, 4, 29)) == date(2027, 5, 5)


def test_an_assignment_deadline_skips_tet(app, users, db, monkeypatch):
    from docflow.core import calendar
    from docflow.incoming import services

    calendar.preload_holidays([2026])
    db.session.commit()
    monkeypatch.setattr(services, "today", lambda: date(2026, 2, 12))  # Thursday before Tết
    doc = services.register_incoming({"sender_name": "Sở Nội vụ", "number_symbol": "01/SNV",
                                      "issued_date": "2026-02-11", "subject": "Khẩn trước Tết",
                                      "urgency": "urgent"}, actor=users["clerk"])
    services.assign(doc, actor=users["leader"], instruction="Xử lý",
                    assignees=[{"user_id": users["specialist"].id, "role": "primary"}])
    db.session.commit()
    # 2 working days from Thursday 12/02: Friday 13/02, then (after Tết) Monday 23/02
    assert doc.due_date == date(2026, 2, 23)


@pytest.fixture
def admin_client(client, users, login_as, monkeypatch):
    from docflow.admin import views

    monkeypatch.setattr(views, "today", lambda: date(2026, 11, 30))
    login_as(users["admin"])
    return client


def _post_calendar(client, lines: str):
    return client.post("/admin/calendar", data={"holidays": lines, "days_normal": "7", "days_urgent": "2",
                                                "days_very_urgent": "1", "days_flash": "0"})


def test_the_calendar_page_preloads_this_year_and_the_next(admin_client, db):
    from docflow.core import calendar

    page = admin_client.get("/admin/calendar")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    db.session.rollback()
    assert calendar.holidays() == HOLIDAYS_2026 | HOLIDAYS_2027
    # named in the page's language
    assert "17/02/2026  Lunar New Year, day 1" in html and "27/04/2026  Day off in lieu of 26/04/2026" in html
    admin_client.post("/auth/lang/vi", data={"next": "/admin/calendar"})
    html = admin_client.get("/admin/calendar").get_data(as_text=True)
    assert "17/02/2026  Tết Nguyên đán (mùng 1)" in html
    assert "26/04/2026  Giỗ Tổ Hùng Vương (10/3 âm lịch)" in html
    assert "27/04/2026  Nghỉ bù ngày 26/04/2026" in html
    assert "01/09/2026  Quốc khánh (ngày liền kề)" in html
    # another year on demand
    html = admin_client.get("/admin/calendar?year=2028").get_data(as_text=True)
    db.session.rollback()
    assert date(2028, 1, 26) in calendar.holidays()  # Tết Mậu Thân 2028
    assert "2028" in html
    assert admin_client.get("/admin/calendar?year=99999").status_code == 200


def test_an_admin_edit_survives_a_re_preload(admin_client, db):
    from docflow.core import calendar

    html = admin_client.get("/admin/calendar").get_data(as_text=True)
    db.session.rollback()
    lines = html.split('name="holidays"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    lines = lines.replace("01/09/2026", "31/08/2026")  # the government chose Monday 31/08 instead of 1/9
    lines = "\n".join(line for line in lines.splitlines() if not line.startswith("16/02/2026"))  # deleted
    assert _post_calendar(admin_client, lines).status_code == 302
    db.session.rollback()
    expected = (HOLIDAYS_2026 - {date(2026, 9, 1), date(2026, 2, 16)}) | {date(2026, 8, 31)} | HOLIDAYS_2027
    assert calendar.holidays() == expected
    # opening the page again, asking for the year again, and the init's preload change nothing
    admin_client.get("/admin/calendar")
    admin_client.get("/admin/calendar?year=2026")
    db.session.rollback()
    assert calendar.preload_holidays([2026, 2027]) == []
    db.session.commit()
    assert calendar.holidays() == expected
    # the admin may also empty a year: it stays empty
    _post_calendar(admin_client, "\n".join(f"{d:%d/%m/%Y}" for d in sorted(HOLIDAYS_2027)))
    admin_client.get("/admin/calendar")
    db.session.rollback()
    assert calendar.holidays() == HOLIDAYS_2027
