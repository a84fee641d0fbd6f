"""Fill or correct entries of a .po catalogue from a JSON file {msgid: msgstr}; clears "fuzzy".

    python scripts/po_fill.py src/reproduce/locale/fr/LC_MESSAGES/django.po translations.json

For the handful of strings added between two translation rounds; whole catalogues are
translated in the .po files themselves.
"""

import json
import sys
from pathlib import Path


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_path: Path, translations: dict[str, str]) -> int:
    blocks = po_path.read_text(encoding="utf-8").split("\n\n")
    changed = 0
    for i, block in enumerate(blocks):
        lines = block.splitlines()
        msgid, collecting, start = "", False, None
        for n, line in enumerate(lines):
            if line.startswith("msgid "):
                msgid, collecting = json.loads(line[6:]), True
            elif line.startswith('"') and collecting:
                msgid += json.loads(line)
            elif line.startswith("msgstr "):
                collecting, start = False, n
                break
        if start is None or msgid not in translations:
            continue
        head = [
            ln
            for ln in lines[:start]
            if not (ln.startswith("#,") and "fuzzy" in ln) and not ln.startswith("#|")
        ]
        blocks[i] = "\n".join([*head, f"msgstr {_quote(translations[msgid])}"])
        changed += 1
    po_path.write_text("\n\n".join(blocks), encoding="utf-8")
    return changed


if __name__ == "__main__":
    path, source = Path(sys.argv[1]), Path(sys.argv[2])
    print(fill(path, json.loads(source.read_text(encoding="utf-8"))), "entries filled")
