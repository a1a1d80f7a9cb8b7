"""The working-day calendar: weekends and the office's configured holidays are skipped.

The holidays are one list of dates in the `holidays` setting; the admin edits every day of it.
The public holidays of the Labour Code 2019 (art. 112) are preloaded a year at a time
(`preload_holidays`): the fixed dates, Tết and Giỗ Tổ Hùng Vương from the Vietnamese lunar calendar
(UTC+7, lunar-vn), and a day off in lieu for each one falling on a weekend. The years already
preloaded are kept in the `holidays_preloaded` setting, so a re-preload never brings back a day
the admin deleted nor overrides a day the admin moved.
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lunar_vn import LunarDate, lunar_to_solar

from docflow.core import settings
from docflow.core.enums import URGENCIES
from docflow.core.errors import ValidationFailed
from docflow.core.fields import to_date

PRELOADED_KEY = "holidays_preloaded"
#: the years the lunar calendar library computes
PRELOAD_YEARS = (1901, 2099)

HOLIDAY_NAMES = {
    "new_year": _l("New Year's Day"),
    "tet_eve": _l("Lunar New Year's Eve"),
    "tet": _l("Lunar New Year, day %(n)d"),
    "hung_kings": _l("Hung Kings' Commemoration Day (10/3 lunar)"),
    "reunification": _l("Reunification Day (30/4)"),
    "labour": _l("International Labour Day (1/5)"),
    "national": _l("National Day (2/9)"),
    "national_extra": _l("National Day (adjacent day)"),
    "in_lieu": _l("Day off in lieu of %(day)s"),
}


def holidays() -> frozenset[date]:
    """The configured days off (the `holidays` setting), parsed once per distinct setting value: a page
    asks for them several times (each deadline, each due-soon condition), the setting rarely changes."""
    values = tuple(str(v) for v in settings.get("holidays") or ())
    cached = _parsed.get(values)
    if cached is None:
        out = set()
        for value in values:
            try:
                out.add(date.fromisoformat(value))
            except ValueError:
                continue
        _parsed.clear()  # only the current value is kept
        cached = _parsed[values] = frozenset(out)
    return cached


_parsed: dict[tuple[str, ...], frozenset[date]] = {}


def _national_day_extra(year: int) -> date:
    """The day next to 2/9 (Labour Code art. 112: "1 day before or after", set each year): the one
    that joins the holidays to a weekend, the day before when either would (as chosen 2022-2026)."""
    national = date(year, 9, 2)
    before, after = national - timedelta(days=1), national + timedelta(days=1)
    if before.weekday() >= 5 or national.weekday() == 3:  # Sunday/Monday 2/9, or Thursday: the Friday 3/9
        return after
    return before


def _lunar(day: int, month: int, year: int) -> date:
    return lunar_to_solar(LunarDate(day, month, year))


def public_holidays(year: int) -> dict[date, tuple]:
    """The year's public holidays by the Labour Code 2019, art. 112, as {day: (kind, params)}:
    1/1; Tết, 5 days (the last day of the lunar year and mùng 1-4); Giỗ Tổ Hùng Vương (10/3 lunar);
    30/4; 1/5; 2/9 and the day next to it; then, for each holiday on a Saturday or Sunday, a day off
    in lieu on the next working day (art. 112 cl. 3). The government may still move days: the admin
    edits what it announces."""
    tet = _lunar(1, 1, year)
    days: dict[date, tuple] = {
        date(year, 1, 1): ("new_year", {}),
        tet - timedelta(days=1): ("tet_eve", {}),
        **{tet + timedelta(days=n - 1): ("tet", {"n": n}) for n in range(1, 5)},
        _lunar(10, 3, year): ("hung_kings", {}),
        date(year, 4, 30): ("reunification", {}),
        date(year, 5, 1): ("labour", {}),
        date(year, 9, 2): ("national", {}),
        _national_day_extra(year): ("national_extra", {}),
    }
    taken = set(days)
    for day in sorted(days):
        if day.weekday() < 5:
            continue
        lieu = day + timedelta(days=1)
        while lieu.weekday() >= 5 or lieu in taken:
            lieu += timedelta(days=1)
        taken.add(lieu)
        days[lieu] = ("in_lieu", {"day": day.strftime("%d/%m/%Y")})
    return dict(sorted(days.items()))


def holiday_name(day: date) -> str:
    """The public holiday's name for a day of the calendar ("" for a day the admin added)."""
    if not PRELOAD_YEARS[0] <= day.year <= PRELOAD_YEARS[1]:
        return ""
    found = public_holidays(day.year).get(day)
    if found is None and day.month == 9 and day.day in (1, 3):  # the admin picked the other adjacent day
        found = ("national_extra", {})
    if found is None:
        return ""
    kind, params = found
    return str(HOLIDAY_NAMES[kind] % params) if params else str(HOLIDAY_NAMES[kind])


def preloaded_years() -> set[int]:
    out = set()
    for value in settings.get(PRELOADED_KEY) or []:
        try:
            out.add(int(value))
        except (TypeError, ValueError):
            continue
    return out


def preload_holidays(years, *, actor=None) -> list[int]:
    """Add the public holidays of each year not preloaded before and still without any holiday, and
    record every such year as preloaded (idempotent: a year is considered once, so a day the admin
    later deletes or moves stays deleted or moved). Returns the years whose holidays were added.
    Flushes, never commits."""
    done = preloaded_years()
    todo = sorted({int(y) for y in years if PRELOAD_YEARS[0] <= int(y) <= PRELOAD_YEARS[1]} - done)
    if not todo:
        return []
    current = holidays()
    configured = {d.year for d in current}
    filled = [year for year in todo if year not in configured]
    if filled:
        added = {day for year in filled for day in public_holidays(year)}
        settings.put("holidays", sorted(d.isoformat() for d in current | added), actor=actor)
    settings.put(PRELOADED_KEY, sorted(done | set(todo)), actor=actor)
    return filled


def is_working_day(day: date, off: set[date] | None = None) -> bool:
    off = holidays() if off is None else off
    return day.weekday() < 5 and day not in off


def add_working_days(start: date, days: int, off: set[date] | None = None) -> date:
    """The date `days` working days after `start` (0: start itself, or the next working day
    when start is not one). A deadline of "2 working days" from Friday is Tuesday."""
    off = holidays() if off is None else off
    day = start
    while not is_working_day(day, off):
        day += timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, off):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, off: set[date] | None = None) -> int:
    """Working days after start up to and including end (negative when end is before start)."""
    off = holidays() if off is None else off
    if end == start:
        return 0
    step, sign = (1, 1) if end > start else (-1, -1)
    count, day = 0, start
    while day != end:
        day += timedelta(days=step)
        if is_working_day(day, off):
            count += 1
    return sign * count


def deadline_days(urgency: str) -> int:
    """Working days allowed for an urgency: the office's setting, else the default for that urgency
    (a setting that names only some urgencies keeps the defaults of the others)."""
    defaults = settings.DEFAULTS["deadline_days"]
    configured = settings.get("deadline_days")
    value = configured.get(urgency) if isinstance(configured, dict) else None
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        days = int(defaults.get(urgency, defaults["normal"]))
    return days


def default_due_date(urgency: str, start: date) -> date:
    return add_working_days(start, deadline_days(urgency))


def due_soon(due: date | None, today: date, off: set[date] | None = None, within: int = 1) -> bool:
    """Due today or within `within` working days (and not yet overdue)."""
    if due is None or due < today:
        return False
    return due <= add_working_days(today, within, off)


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy (as the pages show dates) or yyyy-mm-dd (core.fields.to_date); None otherwise."""
    try:
        return to_date(text)
    except ValueError:
        return None


def update_calendar(holiday_lines: str, days: dict, *, actor=None) -> None:
    """The office's working calendar: its holidays (one date a line, then an optional note) and the default handling
    deadline per urgency, in working days."""
    errors: dict[str, list[str]] = {}
    off: set[date] = set()
    for line in (holiday_lines or "").splitlines():
        if not line.strip():
            continue
        token = line.split()[0]  # what follows the date is a note (the page shows the holiday's name)
        day = parse_day(token)
        if day is None:
            errors.setdefault("holidays", []).append(_("Not a date: %(text)s", text=token[:20]))
        else:
            off.add(day)
    clean_days = {}
    for urgency in URGENCIES:
        try:
            value = int(days.get(urgency))
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 60:
            errors[f"days_{urgency}"] = [_("Enter 0 to 60 working days.")]
        clean_days[urgency] = value
    if errors:
        raise ValidationFailed(errors)
    settings.put("holidays", sorted(d.isoformat() for d in off), actor=actor)
    settings.put("deadline_days", clean_days, actor=actor)
