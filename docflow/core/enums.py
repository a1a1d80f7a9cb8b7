"""Vocabulary of api.md, with display labels."""

from flask_babel import lazy_gettext as _l

ROLES = ("admin", "clerk", "leader", "unit_head", "specialist", "archivist")
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "clerk": _l("Clerk"),
    "leader": _l("Leader"),
    "unit_head": _l("Unit head"),
    "specialist": _l("Specialist"),
    "archivist": _l("Archivist"),
}

# Ordered from lowest to highest: a user sees a level only if cleared for it.
CLEARANCES = ("normal", "confidential", "secret", "top_secret")
CLEARANCE_LABELS = {
    "normal": _l("Normal"),
    "confidential": _l("Confidential (Mật)"),
    "secret": _l("Secret (Tối mật)"),
    "top_secret": _l("Top secret (Tuyệt mật)"),
}

URGENCIES = ("normal", "urgent", "very_urgent", "flash")
URGENCY_LABELS = {
    "normal": _l("Normal"),
    "urgent": _l("Urgent (Khẩn)"),
    "very_urgent": _l("Very urgent (Thượng khẩn)"),
    "flash": _l("Flash (Hỏa tốc)"),
}

MEDIA = ("paper", "electronic")
MEDIUM_LABELS = {"paper": _l("Paper"), "electronic": _l("Electronic")}

DIRECTIONS = ("incoming", "outgoing")
DIRECTION_LABELS = {"incoming": _l("Incoming"), "outgoing": _l("Outgoing")}


def clearance_rank(level: str) -> int:
    return CLEARANCES.index(level)


def cleared_levels(clearance: str) -> tuple[str, ...]:
    """The confidentiality levels a user with this clearance may see."""
    return CLEARANCES[: clearance_rank(clearance) + 1]
