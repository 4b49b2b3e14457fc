"""Vietnamese text folding shared by search, slugs and import matching.

Citizens type without diacritics ("ly lich tu phap") and often on phones that drop them, so every searchable
text is compared in a folded form: lower case, no tone or vowel marks, đ → d, words separated by one space.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_WORD_RE = re.compile(r"[0-9a-z]+(?:[./][0-9a-z]+)*")


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d) and collapse whitespace."""
    lowered = text.replace("đ", "d").replace("Đ", "d").lower()
    decomposed = unicodedata.normalize("NFD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def words(text: str) -> list[str]:
    """The folded words of a text: letters and digits, keeping codes such as 1.001193 or 60/2014 whole."""
    return _WORD_RE.findall(fold(text))


def slugify_vi(text: str) -> str:
    return "-".join(words(text).__iter__()) if text else ""


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would run as a formula is quoted (CSV injection); other values as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
