"""Loading the shared process and material taxonomy, and the communes, from data files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from reproduce.network.models import Commune, Material, Process

DATA_DIR = Path(__file__).resolve().parent / "data"


@transaction.atomic
def load_taxonomy(path: Path | None = None) -> tuple[int, int]:
    """Create or update processes and materials from ``taxonomy.json`` (idempotent)."""
    data = json.loads((path or DATA_DIR / "taxonomy.json").read_text(encoding="utf-8"))
    by_code: dict[str, Process] = {}
    for entry in data["processes"]:
        process, _ = Process.objects.update_or_create(
            code=entry["code"],
            defaults={
                "wikipedia_url": entry["wikipedia"],
                "label_fr": entry["label"]["fr"],
                "label_nl": entry["label"]["nl"],
                "label_en": entry["label"]["en"],
                "synonyms": entry.get("synonyms", []),
            },
        )
        by_code[process.code] = process
    for entry in data["processes"]:
        parent = by_code.get(entry.get("parent") or "")
        if parent is not None and by_code[entry["code"]].parent_id != parent.pk:
            Process.objects.filter(pk=by_code[entry["code"]].pk).update(parent=parent)
    for entry in data["materials"]:
        Material.objects.update_or_create(
            code=entry["code"],
            defaults={
                "category": entry["category"],
                "wikipedia_url": entry["wikipedia"],
                "label_fr": entry["label"]["fr"],
                "label_nl": entry["label"]["nl"],
                "label_en": entry["label"]["en"],
                "synonyms": entry.get("synonyms", []),
            },
        )
    return len(data["processes"]), len(data["materials"])


@transaction.atomic
def load_communes(path: Path | None = None) -> int:
    data = json.loads((path or DATA_DIR / "geo" / "communes.json").read_text(encoding="utf-8"))
    for entry in data:
        Commune.objects.update_or_create(
            nis_code=entry["nis"],
            defaults={
                "name_fr": entry["name_fr"],
                "name_nl": entry["name_nl"],
                "name_en": entry.get("name_en") or entry["name_fr"],
                "centroid_lat": Decimal(str(entry["centroid"][0])).quantize(Decimal("0.00001")),
                "centroid_lon": Decimal(str(entry["centroid"][1])).quantize(Decimal("0.00001")),
            },
        )
    return len(data)


def commune_for_postcode(postcode: str) -> Commune | None:
    """The commune of a Brussels postcode (from communes.json), or None outside the region."""
    data = json.loads((DATA_DIR / "geo" / "communes.json").read_text(encoding="utf-8"))
    for entry in data:
        if postcode.strip() in entry.get("postcodes", []):
            return Commune.objects.filter(nis_code=entry["nis"]).first()
    return None
