"""Text normalisation for search: accent-free, case-free, punctuation-free."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(value: str) -> str:
    """``"Découpe LASER (6 mm)"`` → ``"decoupe laser 6 mm"``."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def tokens(value: str) -> list[str]:
    return [t for t in normalize(value).split() if t]
