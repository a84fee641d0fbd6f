"""The lot passport: what a visitor who scans a label may learn about the lot.

Its parts follow what the EU Digital Product Passport for textiles will ask (ESPR,
Regulation (EU) 2024/1781): product identification, the responsible organisation and the
producing workshops, materials composition and origin, recycled content, care and repair,
end of life. The owner chooses which parts are public (``Lot.passport_fields``) and previews
every part on the passport settings page; an unpublished passport answers 404 to everyone.

Facts of upstream lots that belong to another organisation are shown only as far as that
organisation published them: the material and its composition always, the supplier and the
collection source only when that lot's own passport publishes its materials. Workshops are
named only when their site is listed publicly. A missing fact is said to be missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from reproduce.core.actor import ANONYMOUS
from reproduce.designs.models import UNIT_SYMBOLS, Design, DesignVersion, License, Visibility
from reproduce.inventory.models import EntryKind, Lot, Origin, PassportField, StockEntry
from reproduce.inventory.selectors import trace_up_ids
from reproduce.network.models import Site
from reproduce.traceability.identifiers import base_url, label_url

MAX_SOURCES = 50  # material sources listed; the rest is counted
RAW = (Origin.SECONDARY, Origin.VIRGIN, Origin.BIO_BASED)
PART_LABELS = dict(PassportField.choices)
PART_HELP = {
    PassportField.DESIGN: _("The design the lot was made from, its version and its licence."),
    PassportField.MATERIALS: _(
        "The materials it was made from and where they came from: supplier, collection source,"
        " composition and grade."
    ),
    PassportField.RECYCLED: _("The share of recycled or recovered material it contains."),
    PassportField.WORKSHOPS: _("The workshops of the network that made it."),
    PassportField.CARE: _("How to care for it, repair it, and what to do at its end of life."),
}


@dataclass
class Disclosure:
    """Which parts the reader gets, and whether it is the owner's preview."""

    parts: set[str]
    preview: bool


def public_access(lot: Lot) -> Disclosure | None:
    """What anyone reads on the public passport: None (→ 404) until the owner publishes it,
    whoever asks — its owner previews it on the passport settings page."""
    if not lot.passport_public:
        return None
    return Disclosure(parts=lot.public_fields(), preview=False)


def preview_access() -> Disclosure:
    """The owner's preview: every part, published or not."""
    return Disclosure(parts=set(PassportField.values), preview=True)


def find_lot(code: str) -> Lot | None:
    """The lot of a code, before any access check (callers answer 404 alike when None)."""
    return (
        Lot.objects.unscoped("passport: public_access decides what is shown")
        .select_related(
            "item__design",
            "owner",
            "site",
            "work_order__site",
            "work_order__manufacturing_order__version__design",
        )
        .filter(code=code)
        .first()
    )


def build(lot: Lot, access: Disclosure, *, base: str | None = None) -> dict[str, Any]:
    """The passport as plain data (the API's JSON and the page's context)."""
    parts = access.parts
    data: dict[str, Any] = {
        "lot_code": lot.code,
        "url": label_url(lot, base),
        "published": lot.passport_public,
        "preview": access.preview,
        "published_parts": sorted(lot.public_fields()),
        "shown_parts": sorted(parts),
        "product": _product(lot),
        "responsible": {"name": lot.owner.name},
        "design": None,
        "materials": None,
        "recycled_content": None,
        "workshops": None,
        "care": None,
        "missing": [],
    }
    upstream: list[Lot] | None = None
    if parts & {PassportField.MATERIALS, PassportField.WORKSHOPS}:
        upstream = _upstream(lot)
    builders: dict[str, Any] = {
        PassportField.DESIGN: lambda: _design(lot, base),
        PassportField.MATERIALS: lambda: _materials(lot, upstream or []),
        PassportField.RECYCLED: lambda: _recycled(lot),
        PassportField.WORKSHOPS: lambda: _workshops(lot, upstream or []),
        PassportField.CARE: lambda: _care(lot),
    }
    keys: dict[str, str] = {
        PassportField.DESIGN: "design",
        PassportField.MATERIALS: "materials",
        PassportField.RECYCLED: "recycled_content",
        PassportField.WORKSHOPS: "workshops",
        PassportField.CARE: "care",
    }
    for part in PassportField.values:
        if part not in parts:
            continue
        value = builders[part]()
        data[keys[part]] = value
        if value is None or value.get("known") is False:
            data["missing"].append(part)
    return data


def _made_quantity(lot: Lot) -> Decimal | None:
    from django.db.models import Sum

    total = (
        StockEntry.objects.unscoped("the lot of a passport being shown")
        .filter(lot=lot, kind__in=(EntryKind.RECEIPT, EntryKind.PRODUCTION))
        .aggregate(total=Sum("quantity"))["total"]
    )
    return total


def _product(lot: Lot) -> dict[str, Any]:
    return {
        "name": lot.item.name,
        "gtin": lot.gtin or None,
        "lot": lot.code,
        "quantity": _made_quantity(lot),
        "unit": lot.unit,
        "unit_symbol": UNIT_SYMBOLS.get(lot.unit, lot.unit),
        "made_on": lot.created_at.date().isoformat(),
        "origin": lot.origin,
        "origin_label": str(lot.get_origin_display()),
    }


def _version(lot: Lot) -> tuple[Design | None, DesignVersion | None]:
    work_order = lot.work_order
    if work_order is not None:
        version = work_order.manufacturing_order.version
        return version.design, version
    if lot.item.design_id is not None:
        return lot.item.design, None
    return None, None


def _design(lot: Lot, base: str | None) -> dict[str, Any] | None:
    design, version = _version(lot)
    if design is None:
        return None
    if design.visibility != Visibility.PUBLIC:
        # Only a design the library shows to everyone is named on a public page.
        return {"known": False, "reason": "not_public"}
    try:
        link = base_url(base) + reverse("designs:detail", args=[design.slug])
    except NoReverseMatch:  # pragma: no cover - the designs app is always installed
        link = ""
    return {
        "known": True,
        "name": design.name,
        "version": version.number if version is not None else None,
        "licence": design.license,
        "licence_name": str(License(design.license).label)
        if design.license in License.values
        else design.license,
        "licensor": design.licensor,
        "url": link,
    }


def _upstream(lot: Lot) -> list[Lot]:
    ids = trace_up_ids([lot.pk]) | {lot.pk}
    return list(
        Lot.objects.unscoped("upstream of a passport: what is shown is filtered below")
        .filter(pk__in=ids)
        .select_related("item", "work_order__site__organization", "site__organization")
        .order_by("created_at", "pk")
    )


def _materials(lot: Lot, upstream: list[Lot]) -> dict[str, Any]:
    raw = [u for u in upstream if u.origin in RAW]
    sources = [_source(lot, u) for u in raw[:MAX_SOURCES]]
    return {
        "known": bool(sources),
        "sources": sources,
        "more": max(0, len(raw) - MAX_SOURCES),
    }


def _source(lot: Lot, source: Lot) -> dict[str, Any]:
    disclosed = source.owner_id == lot.owner_id or PassportField.MATERIALS in (
        source.public_fields()
    )
    return {
        "material": source.item.name,
        "origin": source.origin,
        "origin_label": str(source.get_origin_display()),
        "composition": [
            {"material": str(part.get("material", "")), "share": str(part.get("share", ""))}
            for part in (source.composition or [])
        ],
        "grade": source.grade or None,
        "recycled_share": source.recycled_share,
        "supplier": (source.supplier or None) if disclosed else None,
        "collection_source": (source.collection_source or None) if disclosed else None,
        "disclosed": disclosed,
    }


def _recycled(lot: Lot) -> dict[str, Any]:
    return {
        "known": lot.recycled_share is not None,
        "share_percent": lot.recycled_share,
        "basis": "mass-weighted share of the recycled or recovered inputs",
    }


def _workshops(lot: Lot, upstream: list[Lot]) -> dict[str, Any]:
    sites: dict[int, Site] = {}
    for u in upstream:
        if u.work_order is not None and u.work_order.site is not None:
            sites.setdefault(u.work_order.site_id, u.work_order.site)  # type: ignore[arg-type]
        elif u.origin == Origin.PRODUCED:
            sites.setdefault(u.site_id, u.site)
    listed = set(
        Site.objects.visible_to(ANONYMOUS).filter(pk__in=list(sites)).values_list("pk", flat=True)
    )
    named = [
        {
            "name": s.name,
            "organization": s.organization.name,
            "city": s.city or None,
            "url": _site_url(s),
        }
        for pk, s in sites.items()
        if pk in listed
    ]
    return {"known": bool(sites), "named": named, "unnamed": len(sites) - len(named)}


def _site_url(site: Site) -> str:
    try:
        return base_url() + reverse("network:site_detail", args=[site.slug])
    except NoReverseMatch:  # pragma: no cover
        return ""


def _care(lot: Lot) -> dict[str, Any]:
    texts = {
        "care": lot.care_instructions or None,
        "repair": lot.repair_instructions or None,
        "end_of_life": lot.disposal_instructions or None,
    }
    return {"known": any(texts.values()), **texts}
