"""Reads on stock and genealogy.

The genealogy walks are one recursive query each. ``UNION`` (not ``UNION ALL``) makes both
PostgreSQL and SQLite add a lot to the work queue only once, so a lot reached by many paths
(fan-in and fan-out over ten levels) is visited once: no path explosion, and a loop — which
the services refuse anyway — could not make the walk run forever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from reproduce.core.actor import Actor
from reproduce.core.permissions import NetworkRoleName, has_perm
from reproduce.designs.models import UNIT_SYMBOLS
from reproduce.inventory.models import (
    Location,
    Lot,
    LotLink,
    Reservation,
    ReservationState,
    StockBalance,
    StockEntry,
    StockPool,
)


def _milli(value: Decimal | None) -> Decimal:
    """A sum back to the ledger's precision (SQLite adds decimals as floats)."""
    return (value or Decimal(0)).quantize(Decimal("0.001"))


def shown(value: Decimal | None) -> Decimal:
    """A quantity to show: exact to the gram, no trailing zeros, never "1E+1"."""
    value = _milli(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


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
    ledger (a covering partial index holds only the non-zero ones)."""
    rows = (
        StockBalance.objects.unscoped("stock of a site the caller may read")
        .filter(site_id=site_id)
        .exclude(quantity=0)
        .values_list("lot", "location", "quantity")
        .order_by()
    )
    if connection.vendor == "sqlite":  # its sums of decimals drift: back to the gram
        rows = [(lot, loc, _milli(q)) for lot, loc, q in rows]
    return [{"lot": lot, "location": loc, "quantity": q} for lot, loc, q in rows if q]


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


# ---------------------------------------------------------------- the stock pages' reads


def my_lots(actor: Actor) -> QuerySet[Lot]:
    """Lots the actor's organisations own, hold, or share through a pool (not the whole
    network a coordinator may read: these pages are the workshop's own stock)."""
    orgs = list(actor.organization_ids)
    member = StockPool.members.through.objects.filter(
        stockpool=OuterRef("pool"), organization__in=orgs
    )
    return Lot.objects.unscoped("lots of the actor's organisations, filtered here").filter(
        Q(owner__in=orgs) | Q(custodian__in=orgs) | Q(Exists(member))
    )


def stock_balances(actor: Actor) -> QuerySet[StockBalance]:
    """Running balances at the actor's sites, and of lots the actor's organisations may use
    wherever they are (the balances are the sums of the ledger, kept with each entry)."""
    orgs = list(actor.organization_ids)
    return StockBalance.objects.unscoped("the actor's sites and lots, filtered here").filter(
        Q(site__organization__in=orgs) | Q(lot__in=my_lots(actor).values("pk"))
    )


def balances(rows: QuerySet[StockBalance]) -> QuerySet[Any]:
    """On hand per lot and location, zero balances left out, in site/location/lot order."""
    return (
        rows.exclude(quantity=0)
        .values("lot", "location", "quantity")
        .order_by("location__site__name", "location__code", "lot__code")
    )


def item_totals(rows: QuerySet[StockBalance]) -> list[dict[str, Any]]:
    """On hand per item and unit over some balances."""
    totals = (
        rows.values("lot__item", "lot__item__name", "lot__unit")
        .annotate(total=Sum("quantity"))
        .order_by("lot__item__name", "lot__unit")
    )
    return [
        {"name": r["lot__item__name"], "quantity": shown(r["total"]), "unit": r["lot__unit"]}
        for r in totals
        if shown(r["total"])
    ]


@dataclass
class StockRow:
    lot: Lot
    location: Location
    quantity: Decimal
    reserved: Decimal

    @property
    def free(self) -> Decimal:
        return self.quantity - self.reserved

    @property
    def unit(self) -> str:
        return UNIT_SYMBOLS.get(self.lot.unit, self.lot.unit)


def stock_rows(rows: list[dict[str, Any]]) -> list[StockRow]:
    """The balances of one page, with their lots, locations and reservations (3 queries)."""
    lot_ids = {r["lot"] for r in rows}
    location_ids = {r["location"] for r in rows}
    lots = Lot.objects.unscoped("lots of balances the caller may read").select_related(
        "item", "owner", "custodian", "pool"
    )
    lots_by_id = lots.in_bulk(lot_ids)
    locations = Location.objects.unscoped("locations of those balances").select_related("site")
    locations_by_id = locations.in_bulk(location_ids)
    reserved = {
        (r["lot"], r["location"]): r["total"]
        for r in Reservation.objects.unscoped("reservations of those balances")
        .filter(lot__in=lot_ids, location__in=location_ids, state=ReservationState.ACTIVE)
        .values("lot", "location")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    return [
        StockRow(
            lot=lots_by_id[r["lot"]],
            location=locations_by_id[r["location"]],
            quantity=shown(r["quantity"]),
            reserved=shown(reserved.get((r["lot"], r["location"]))),
        )
        for r in rows
    ]


def my_pools(actor: Actor) -> QuerySet[StockPool]:
    orgs = list(actor.organization_ids)
    member = StockPool.members.through.objects.filter(
        stockpool=OuterRef("pk"), organization__in=orgs
    )
    return StockPool.objects.unscoped("pools the actor's organisations keep or belong to").filter(
        Q(organization__in=orgs) | Q(Exists(member))
    )


LOT_RELATED = ("item", "owner", "custodian", "pool", "receipt", "work_order", "site")


def visible_lot(actor: Actor, code: str, *, shared: bool = True) -> Lot:
    """The lot if the actor may see it (owner, custodian, pool member, coordinator); 404
    otherwise, whether it exists or not. ``shared=False`` leaves out the lots the actor sees
    only as a pool member (acts that belong to the owner or the custodian)."""
    lots = Lot.objects.visible_to(actor)
    if not shared and not actor.has_network_role(NetworkRoleName.COORDINATOR):
        orgs = list(actor.organization_ids)
        lots = lots.filter(Q(owner__in=orgs) | Q(custodian__in=orgs))
    lot = lots.select_related(*LOT_RELATED).filter(code=code).first()
    if lot is None:
        raise Http404
    return lot  # type: ignore[no-any-return]


def acting_orgs(actor: Actor, lot: Lot, perm: str) -> list[int]:
    """The actor's organisations related to the lot (owner, custodian, pool member) in
    which they hold ``perm``."""
    related = {lot.owner_id, lot.custodian_id}
    if lot.pool_id is not None:
        related |= set(
            StockPool.members.through.objects.filter(
                stockpool_id=lot.pool_id, organization_id__in=list(actor.organization_ids)
            ).values_list("organization_id", flat=True)
        )
    return [o for o in actor.organization_ids if o in related and has_perm(actor, perm, o)]


def lot_for(actor: Actor, code: str, perm: str, *, shared: bool = True) -> Lot:
    """A lot to act on: 404 if not visible, 403 without ``perm`` in an organisation that owns,
    holds or (``shared``) shares it."""
    lot = visible_lot(actor, code, shared=shared)
    if not acting_orgs(actor, lot, perm):
        raise PermissionDenied(_("You do not have the permission to do this."))
    return lot
