"""Vietnamese text folding: "Đồng Nai", "ĐỒNG NAI" and "dong nai" fold to the same key."""

import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})


def fold(text: str | None) -> str:
    """NFD, drop combining marks, đ→d, lower case, collapse white space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text).strip() if text is not None else None


def like_escape(text: str) -> str:
    """Text for a LIKE pattern with `escape="\\\\"`: % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
