"""Office settings kept in the `settings` table (JSON by key)."""

import sqlalchemy as sa
from flask import g, has_request_context

from docflow.core import audit
from docflow.core.models import Setting
from docflow.extensions import db

DEFAULTS: dict = {
    "agency": {"name": "", "abbr": "", "code": ""},
    # Default handling deadlines by urgency, in working days (domain.md "deadlines").
    "deadline_days": {"normal": 7, "urgent": 2, "very_urgent": 1, "flash": 0},
    "holidays": [],
}


def _row(key: str) -> Setting | None:
    """The setting's row, read once per request: the session's identity map holds its objects weakly, so an
    unreferenced row was read again at every call (a page asks for the holidays at every deadline)."""
    if not has_request_context():
        return db.session.get(Setting, key)
    rows = g.setdefault("_docflow_settings", {})
    row = rows.get(key, _UNREAD)
    if row is _UNREAD or (row is not None and not sa.inspect(row).persistent):  # unread, or rolled back
        row = rows[key] = db.session.get(Setting, key)
    return row


_UNREAD = object()


def get(key: str):
    row = _row(key)
    if row is None:
        default = DEFAULTS.get(key)
        return dict(default) if isinstance(default, dict) else default
    return row.value


def put(key: str, value, *, actor=None) -> Setting:
    row = _row(key)
    before = None if row is None else row.value
    if row is None:
        row = Setting(key=key, value=value)
        db.session.add(row)
        if has_request_context():
            g.setdefault("_docflow_settings", {})[key] = row
    else:
        row.value = value
        row.version += 1
    db.session.flush()
    audit.record("setting.update", object_type="setting", object_id=key, before={"value": before},
                 after={"value": value}, actor=actor)
    return row


def agency() -> dict:
    return {**DEFAULTS["agency"], **(get("agency") or {})}
