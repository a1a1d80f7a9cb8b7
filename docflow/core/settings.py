"""Office settings kept in the `settings` table (JSON by key)."""

from docflow.core import audit
from docflow.core.models import Setting
from docflow.extensions import db

DEFAULTS: dict = {
    "agency": {"name": "", "abbr": "", "code": ""},
    # Default handling deadlines by urgency, in working days (domain.md "deadlines").
    "deadline_days": {"normal": 7, "urgent": 2, "very_urgent": 1, "flash": 0},
    "holidays": [],
}


def get(key: str):
    row = db.session.get(Setting, key)
    if row is None:
        default = DEFAULTS.get(key)
        return dict(default) if isinstance(default, dict) else default
    return row.value


def put(key: str, value, *, actor=None) -> Setting:
    row = db.session.get(Setting, key)
    before = None if row is None else row.value
    if row is None:
        row = Setting(key=key, value=value)
        db.session.add(row)
    else:
        row.value = value
        row.version += 1
    db.session.flush()
    audit.record("setting.update", object_type="setting", object_id=key, before={"value": before},
                 after={"value": value}, actor=actor)
    return row


def agency() -> dict:
    return {**DEFAULTS["agency"], **(get("agency") or {})}
