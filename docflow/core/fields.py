"""Field cleaners shared by every service: each reads a raw value (from a form, JSON or the CLI),
returns the clean value, and adds a translated message to `errors[field]` when the value is not
acceptable. A service collects them and raises one `ValidationFailed(errors)`.

Text is refused when too long, never silently truncated.
"""

import re
from datetime import date

from flask_babel import gettext as _

from docflow.core.errors import Conflict, ValidationFailed
from docflow.core.text import nfc


def add_error(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def clean_text(value, field: str, errors: dict, max_len: int, *, required: bool = False,
               label: str | None = None, multiline: bool = False) -> str | None:
    """NFC text; runs of white space folded to one space unless `multiline`; None when empty."""
    if value is None:
        text = None
    else:
        text = nfc(value if isinstance(value, str) else str(value))
        text = text.strip() if multiline else " ".join(text.split())
    if required and not text:
        add_error(errors, field, str(label) if label is not None else _("This field is required."))
    elif text and len(text) > max_len:
        add_error(errors, field, _("At most %(n)d characters.", n=max_len))
    return text or None


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def to_date(value) -> date:
    """A date from `dd/mm/yyyy` (as the pages show and take dates; `dd.mm.yyyy` and `dd-mm-yyyy` too) or
    `yyyy-mm-dd` (ISO: the API, the CLI); ValueError for anything else. The one reading of a typed date."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = _DMY.match(text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return date.fromisoformat(text)


def clean_date(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        return to_date(value)
    except ValueError:
        add_error(errors, field, _("Enter a real date (dd/mm/yyyy)."))
        return None


def clean_int(value, field: str, errors: dict, lo: int = 0, hi: int = 100000) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        add_error(errors, field, _("Enter a whole number."))
        return None
    if not lo <= number <= hi:
        add_error(errors, field, _("Enter a number from %(lo)d to %(hi)d.", lo=lo, hi=hi))
        return None
    return number


def clean_choice(value, field: str, errors: dict, allowed, default=None):
    value = value or default
    if value not in allowed:
        add_error(errors, field, _("Unknown value."))
    return value


def one_text(value, field: str, max_len: int, *, required: bool = False, label: str | None = None,
             multiline: bool = False) -> str | None:
    """`clean_text` for a single field: raises ValidationFailed at once."""
    errors: dict = {}
    text = clean_text(value, field, errors, max_len, required=required, label=label, multiline=multiline)
    if errors:
        raise ValidationFailed(errors)
    return text


def check_version(obj, version) -> None:
    """Optimistic locking: a stale version is refused (409), never silently overwritten."""
    if version is None:
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed({"version": [_("Invalid version.")]}) from None
    if version != obj.version:
        raise Conflict(_("Someone else changed this record meanwhile; reload it and try again."),
                       current_version=obj.version)
