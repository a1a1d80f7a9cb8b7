"""The working-day calendar: weekends and the office's configured holidays are skipped."""

from datetime import date, timedelta

from docflow.core import settings


def holidays() -> set[date]:
    out = set()
    for value in settings.get("holidays") or []:
        try:
            out.add(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return out


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
    """dd/mm/yyyy (as the pages show dates) or yyyy-mm-dd."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def update_calendar(holiday_lines: str, days: dict, *, actor=None) -> None:
    """The office's working calendar: its holidays (one date a line) and the default handling
    deadline per urgency, in working days."""
    from flask_babel import gettext as _

    from docflow.core.enums import URGENCIES
    from docflow.core.errors import ValidationFailed

    errors: dict[str, list[str]] = {}
    off: set[date] = set()
    for line in (holiday_lines or "").splitlines():
        if not line.strip():
            continue
        day = parse_day(line)
        if day is None:
            errors.setdefault("holidays", []).append(_("Not a date: %(text)s", text=line.strip()[:20]))
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
