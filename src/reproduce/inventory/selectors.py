"""Reads on stock and genealogy.

The genealogy walks are one recursive query each. ``UNION`` (not ``UNION ALL``) makes both
PostgreSQL and SQLite add a lot to the work queue only once, so a lot reached by many paths
(fan-in and fan-out over ten levels) is visited once: no path explosion, and a loop — which
the services refuse anyway — could not make the walk run forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Sum

from reproduce.core.actor import Actor
from reproduce.inventory.models import Location, Lot, LotLink, StockBalance, StockEntry


def _milli(value: Decimal | None) -> Decimal:
    """A sum back to the ledger's precision (SQLite adds decimals as floats)."""
    return (value or Decimal(0)).quantize(Decimal("0.001"))


_WALK = """
WITH RECURSIVE walk(id) AS (
    SELECT {next} FROM inventory_lotlink WHERE {start} IN ({placeholders})
    UNION
    SELECT link.{next} FROM inventory_lotlink AS link JOIN walk ON link.{start} = walk.id
)
SELECT id FROM walk
"""


def _walk(lot_ids: Iterable[int], *, down: bool) -> set[int]:
    ids = [int(i) for i in lot_ids]
    if not ids:
        return set()
    start, nxt = ("parent_id", "child_id") if down else ("child_id", "parent_id")
    sql = _WALK.format(next=nxt, start=start, placeholders=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {row[0] for row in cursor.fetchall()}


def trace_down_ids(lot_ids: Iterable[int]) -> set[int]:
    """Every lot made (directly or not) from these lots, the lots themselves excluded."""
    return _walk(lot_ids, down=True)


def trace_up_ids(lot_ids: Iterable[int]) -> set[int]:
    """Every lot these lots were made from (directly or not), themselves excluded."""
    return _walk(lot_ids, down=False)


def links_between(lot_ids: set[int]) -> QuerySet[LotLink]:
    """The genealogy edges inside a traced set (to draw the tree)."""
    return LotLink.objects.unscoped("edges of a trace the caller may read").filter(
        parent_id__in=lot_ids, child_id__in=lot_ids
    )


def lot_on_hand(lot: Lot) -> list[dict[str, Any]]:
    """Where the lot is now: ``[{location, site, quantity}]`` with a non-zero balance."""
    rows = (
        StockEntry.objects.unscoped("entries of a lot the caller may see")
        .filter(lot=lot)
        .values("location", "site")
        .annotate(quantity=Sum("quantity"))
        .exclude(quantity=0)
        .order_by("location")
    )
    return [{**row, "quantity": _milli(row["quantity"])} for row in rows]


def site_on_hand(site_id: int) -> list[dict[str, Any]]:
    """Stock on hand at a site, per lot and location, from the running balances of the
    ledger (a partial index holds only the non-zero ones)."""
    rows = (
        StockBalance.objects.unscoped("stock of a site the caller may read")
        .filter(site_id=site_id)
        .exclude(quantity=0)
        .values("lot", "location", "quantity")
        .order_by()
    )
    found = ({**row, "quantity": _milli(row["quantity"])} for row in rows)
    return [row for row in found if row["quantity"]]


def ledger_mismatches() -> list[dict[str, Any]]:
    """Balances that differ from the sum of their ledger entries (should be none)."""
    sums = {
        (row["lot"], row["location"]): row["total"]
        for row in StockEntry.objects.unscoped("whole-ledger check")
        .values("lot", "location")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    wrong = []
    for row in StockBalance.objects.unscoped("whole-ledger check").values(
        "lot", "location", "quantity"
    ):
        total = sums.pop((row["lot"], row["location"]), None)
        if total is None or _milli(total) != _milli(row["quantity"]):
            wrong.append(row)
    wrong += [
        {"lot": lot, "location": loc, "quantity": None}
        for (lot, loc), total in sums.items()
        if _milli(total) != 0
    ]
    return wrong


def visible_locations(actor: Actor) -> QuerySet[Location]:
    return Location.objects.visible_to(actor).select_related("site")


def total_on_hand(lot: Lot) -> Decimal:
    total = (
        StockEntry.objects.unscoped("entries of a lot the caller may see")
        .filter(lot=lot)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return _milli(total)
