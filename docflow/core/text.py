"""Vietnamese text folding: "Đồng Nai", "ĐỒNG NAI" and "dong nai" fold to the same key."""

import re
import unicodedata

from flask_babel import gettext as _

#: the common block's marks with one regular expression (half the time of testing each character); any
#: other combining mark (another script's) one by one
_MARKS = "".join(chr(cp) for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp)))
_COMMON_MARKS = re.compile(f"[{_MARKS}]+")
#: a character that is neither ASCII nor one of those marks: when there is none (Vietnamese text), the marks
#: are every non-ASCII character left, and dropping all of them (encode 'ignore') is ~10x the regex's speed
_OTHER = re.compile(rf"[^\x00-\x7f{_MARKS}]")


def fold(text: str | None) -> str:
    """NFD, drop combining marks, đ→d, lower case, collapse white space."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    # đ, Đ, Ð (eth, as OCR reads Đ), ð → d: four replaces (str.translate with a dict cost more than all else)
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d").replace("Ð", "d")
                                       .replace("ð", "d"))
    if _OTHER.search(decomposed) is None:
        stripped = decomposed.encode("ascii", "ignore").decode("ascii")
    else:
        stripped = _COMMON_MARKS.sub("", decomposed)
        if not stripped.isascii():
            stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text).strip() if text is not None else None


def like_escape(text: str) -> str:
    """Text for a LIKE pattern with `escape="\\\\"`: % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---- text that is not text -------------------------------------------------------------------------

#: control characters a text field may hold: tab, line feed and carriage return (textareas send CRLF)
ALLOWED_CONTROLS = frozenset("\t\n\r")


def bad_text_reason(text) -> str | None:
    """Why `text` cannot be stored as text, or None when it can (or is not a string).

    A lone UTF-16 surrogate (JSON "\\ud800") is not Unicode: it cannot be encoded, hashed or stored.
    A control character other than tab and line breaks (NUL first: PostgreSQL refuses it, SQLite
    keeps it) is never meant in an official letter's fields. The message is translated."""
    if not isinstance(text, str) or text.isprintable():
        return None
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            return _("The text is not valid Unicode (it holds a lone surrogate).")
        if (code < 0x20 or 0x7F <= code <= 0x9F) and ch not in ALLOWED_CONTROLS:
            return _("The text holds a control character (code %(code)s), which is not allowed.",
                     code=f"U+{code:04X}")
    return None
