"""Every screen in French, Dutch and English: the catalogues are complete, compiled and clean."""

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "src/reproduce/locale"
FORBIDDEN = {  # the FEDER rule: the accompaniment is never "training"
    "fr": re.compile(r"\bformations?\b|\bformée?s?\b", re.IGNORECASE),
    "nl": re.compile(r"opleiding|\btraining|opgeleid", re.IGNORECASE),
}


def _entries(po: Path) -> list[dict[str, str]]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], fuzzy flag."""
    entries, current, key = [], {}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = "1"
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return [e for e in entries if "msgid" in e]


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_catalogue_is_complete_and_not_fuzzy(lang):
    entries = [e for e in _entries(LOCALE / lang / "LC_MESSAGES/django.po") if e["msgid"]]
    assert len(entries) > 500
    missing = [
        e["msgid"]
        for e in entries
        if any(v == "" for k, v in e.items() if k.startswith("msgstr")) or "fuzzy" in e
    ]
    assert not missing, f"{len(missing)} untranslated or fuzzy in {lang}: {missing[:10]}"


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_compiled_catalogue_matches_the_source(lang):
    po = LOCALE / lang / "LC_MESSAGES/django.po"
    with (LOCALE / lang / "LC_MESSAGES/django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in _entries(po):
        if not e["msgid"] or "msgid_plural" in e:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if compiled._catalog.get(key) != e["msgstr"]:  # type: ignore[attr-defined]
            stale.append(e["msgid"])
    assert not stale, (
        f"django.mo is older than django.po ({len(stale)} entries): run `make messages`"
    )


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_no_forbidden_word_for_the_accompaniment(lang):
    bad = [
        e["msgstr"]
        for e in _entries(LOCALE / lang / "LC_MESSAGES/django.po")
        if "msgstr" in e
        and FORBIDDEN[lang].search(e["msgstr"])
        and not re.search(r"information|transformation|déformation", e["msgstr"], re.I)
    ]
    assert not bad, bad


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_placeholders_are_kept(lang):
    pattern = re.compile(r"%\(\w+\)[sd]|\{\{\s*\w+\s*\}\}")
    broken = []
    for e in _entries(LOCALE / lang / "LC_MESSAGES/django.po"):
        placeholders = sorted(pattern.findall(e.get("msgid", "")))
        if e.get("msgstr") and placeholders != sorted(pattern.findall(e["msgstr"])):
            broken.append(e["msgid"])
    assert not broken, broken
