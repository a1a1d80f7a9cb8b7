"""Time helpers: timestamps are naive UTC in the database; 'today' is the office's local day."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def utcnow() -> datetime:
    """Naive UTC timestamp, the form every DateTime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def office_tz() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def today() -> date:
    return datetime.now(office_tz()).date()


def to_local(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(office_tz())


def iso_utc(ts: datetime | None) -> str | None:
    """ISO 8601 with offset, as the API shows timestamps."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.isoformat()


def format_date(value) -> str:
    """dd/mm/yyyy for dates; datetimes are shown in the office's time zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def format_datetime(value) -> str:
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")
