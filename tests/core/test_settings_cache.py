"""Office settings are read once per request (core/settings.py): the session holds its objects weakly, so a
page asking for the holidays at every deadline read the row again each time. What a request writes it reads
back; what it rolls back it no longer sees."""

from datetime import date

import sqlalchemy as sa

from docflow.core import calendar, settings


def _statements(db):
    seen = []

    def count(_conn, _cursor, statement, *_rest):
        if "settings" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    return seen, lambda: sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_request_reads_a_setting_once(app, db):
    settings.put("holidays", ["2026-09-02", "2026-09-01"])
    db.session.commit()
    db.session.expunge_all()
    with app.test_request_context("/"):
        seen, stop = _statements(db)
        try:
            days = [calendar.holidays() for _ in range(4)]
            off = calendar.add_working_days(date(2026, 8, 31), 1)
        finally:
            stop()
    assert days[0] == {date(2026, 9, 1), date(2026, 9, 2)} and all(d == days[0] for d in days)
    assert off == date(2026, 9, 3)
    assert len(seen) == 1


def test_a_request_sees_what_it_writes_and_not_what_it_rolls_back(app, db):
    with app.test_request_context("/"):
        assert settings.get("holidays") == []  # no row yet: the default, remembered as missing
        settings.put("holidays", ["2026-01-01"])
        assert settings.get("holidays") == ["2026-01-01"]
        assert calendar.holidays() == {date(2026, 1, 1)}
        db.session.rollback()
        assert settings.get("holidays") == []
        assert calendar.holidays() == frozenset()
        settings.put("holidays", ["2026-04-30"])
        db.session.commit()
        settings.put("holidays", ["2026-05-01"])
        assert calendar.holidays() == {date(2026, 5, 1)}
        db.session.rollback()
        assert settings.get("holidays") == ["2026-04-30"]  # the committed row, read again
