"""Persistent addresses of lots, sites and organisations.

A lot's label carries one address that must never change, shaped like a GS1 Digital Link
when the product has a GTIN (``https://<host>/01/<gtin14>/10/<lot>``), else the platform's own
lot path (``https://<host>/lot/<code>``). The EPCIS export names lots with GS1's canonical
Digital Link domain (``https://id.gs1.org/01/…``) when they have a GTIN, and sites and
organisations by their database id (a name may change, and an unlisted site's name is private).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from django.conf import settings

from reproduce.inventory.models import Lot

GS1_ID = "https://id.gs1.org"


def base_url(base: str | None = None) -> str:
    """The site's canonical address without a trailing slash (``settings.SITE_URL``)."""
    return (base or settings.SITE_URL).rstrip("/")


def _lot_part(code: str) -> str:
    return quote(code, safe="")


def gtin14(gtin: str) -> str:
    return gtin.zfill(14) if gtin else ""


def label_url(lot: Lot, base: str | None = None) -> str:
    """What the QR code of the lot's label encodes (the resolver answers it)."""
    root = base_url(base)
    if lot.gtin:
        return f"{root}/01/{gtin14(lot.gtin)}/10/{_lot_part(lot.code)}"
    return f"{root}/lot/{_lot_part(lot.code)}"


def epc_class(code: str, gtin: str, base: str | None = None) -> str:
    """Class-level identifier of a lot in EPCIS (a lot is a quantity, not a serialised item)."""
    if gtin:
        return f"{GS1_ID}/01/{gtin14(gtin)}/10/{_lot_part(code)}"
    return f"{base_url(base)}/lot/{_lot_part(code)}"


def site_uri(site_id: int, base: str | None = None) -> str:
    return f"{base_url(base)}/id/site/{site_id}"


def organization_uri(organization_id: int, base: str | None = None) -> str:
    return f"{base_url(base)}/id/organization/{organization_id}"


def namespace(base: str | None = None) -> str:
    """The JSON-LD namespace of the platform's EPCIS extensions."""
    return f"{base_url(base)}/ns/epcis/"


def code_from_scan(text: str) -> str:
    """A lot code from what was typed or scanned: the code itself, or a label's address."""
    value = (text or "").strip()
    if "/" not in value:
        return value
    # …/lot/<code> or …/01/<gtin>/10/<code>: the code is the last part of the path.
    path = value.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return unquote(path.rsplit("/", 1)[-1])
