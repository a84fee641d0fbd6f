"""The FEDER wording rule: the accompaniment is never called a "training".

The programme is financed by the ERDF (FEDER), whose rules forbid presenting it as vocational
schooling: the words are listed in ``_PATTERNS`` below. :func:`find_forbidden` flags them in
the texts an officer writes (calls, e-mails) and suggests the words to use instead:
*accompagnement*,
*atelier*, *session d'apprentissage* (NL *begeleiding*, *workshop*, *leersessie*; EN
*accompaniment*, *workshop*, *learning session*).

Only whole words match, whatever their case: "information", "transformation", "uniforme",
"retraining"… are not flagged; the plural and upper-case forms of the listed words are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The suggestion for a flagged word, in the language of the word.
SUGGESTIONS = {
    "fr": "accompagnement / atelier / session d'apprentissage",
    "nl": "begeleiding / workshop / leersessie",
    "en": "accompaniment / workshop / learning session",
}

# One pattern per language; (?<!\w) / (?!\w) make them whole words in any Unicode text.
# "formé" needs its accent: "forme" (a shape) is an ordinary word.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("fr", re.compile(r"(?<!\w)(?:formations?|formée?s?)(?!\w)", re.IGNORECASE)),  # feder-ok
    ("en", re.compile(r"(?<!\w)(?:trainings?|trained)(?!\w)", re.IGNORECASE)),
    ("nl", re.compile(r"(?<!\w)(?:opleidingen|opleiding|opgeleide?|trainingen)(?!\w)", re.I)),
]


@dataclass(frozen=True)
class Finding:
    """A forbidden word found in a text: the word as written, where, and what to say instead."""

    word: str
    start: int
    language: str  # the language the word belongs to: fr, nl or en
    suggestion: str

    @property
    def end(self) -> int:
        return self.start + len(self.word)


def find_forbidden(text: str) -> list[Finding]:
    """The words of ``text`` the FEDER rule forbids, in the order they appear.

    "training" is both English and Dutch: it is reported once, with the English suggestion
    (the message shown to the officer gives both when the text is Dutch, see
    :func:`describe`)."""
    if not text:
        return []
    found: dict[int, Finding] = {}
    for language, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            found.setdefault(
                match.start(),
                Finding(match.group(0), match.start(), language, SUGGESTIONS[language]),
            )
    return [found[k] for k in sorted(found)]


def check_texts(texts: dict[str, str]) -> dict[str, list[Finding]]:
    """``find_forbidden`` over several named texts (field name → text): only those with a
    finding are returned."""
    return {name: hits for name, text in texts.items() if (hits := find_forbidden(text or ""))}


def describe(findings: list[Finding], language: str | None = None) -> str:
    """One sentence for the officer: the words found and what to write instead.

    ``language`` is the language of the text (fr, nl, en) when known: its suggestion is given.
    """
    words = ", ".join(dict.fromkeys(f"“{f.word}”" for f in findings))
    suggestion = SUGGESTIONS.get(language or "", "") or findings[0].suggestion
    return str(
        _("FEDER rule: do not write %(words)s; write instead: %(suggestion)s.")
        % {"words": words, "suggestion": suggestion}
    )
