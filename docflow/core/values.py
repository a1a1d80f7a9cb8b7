"""Small parsers shared by the services."""

from docflow.extensions import db

MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """A database id from user input (int or digit string within INTEGER), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def get_by_id(model, value):
    """session.get for user-supplied ids: None for anything that is not a valid id."""
    ident = as_id(value)
    return db.session.get(model, ident) if ident is not None else None


def posted_id(value) -> str | None:
    """A posted id for a service: None when not given, the digits when a valid id, else "invalid"
    (which the service refuses like an unknown id)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    return text if as_id(text) is not None else "invalid"
