"""API schemas of the stock (the REST API in ``inventory/api.py``).

Quantities are decimals written as strings in JSON (no precision lost), always in the unit
given next to them: ``unit`` is a UN/ECE Recommendation 20 code (``KGM`` kilogram, ``C62``
piece, ``MTR`` metre…) and ``unit_symbol`` its short symbol. Lots are named by their code;
sites, locations and work orders by their id. States are stable codes with a label in the
caller's language.

The functions at the end turn models into these shapes (plain dicts the schemas validate).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from reproduce.designs.models import UNIT_SYMBOLS
from reproduce.inventory.models import (
    Location,
    Lot,
    Receipt,
    Reservation,
    StockEntry,
    StockPool,
    Transfer,
)

UNIT_HELP = "UN/ECE Rec 20 code: KGM, GRM, C62 (piece), MTR, MMT, MTK, LTR, MLT, MTQ, SET, PR"


def _symbol(unit: str) -> str:
    return UNIT_SYMBOLS.get(unit, unit)


def number(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(value).quantize(Decimal("0.001"))  # exact sums on SQLite too
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


# ---------------------------------------------------------------- references


class OrganizationRef(Schema):
    id: int
    name: str


class SiteRef(Schema):
    id: int
    slug: str
    name: str


class LocationRef(Schema):
    id: int
    code: str
    name: str
    kind: str
    site: SiteRef


class ItemRef(Schema):
    id: int
    name: str
    kind: str = Field(description="material, part or design")
    default_unit: str = Field(description=UNIT_HELP)


class PoolRef(Schema):
    id: int
    name: str


class WorkOrderRef(Schema):
    id: int
    reference: str


# ---------------------------------------------------------------- locations and pools


class LocationOut(LocationRef):
    kind_label: str
    is_active: bool


class LocationIn(Schema):
    site_id: int = Field(description="A site of your organisation")
    code: str = Field(min_length=1, max_length=30, description="Short, unique within the site")
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["storage", "production", "quarantine", "shipping"] = Field(
        "storage",
        description="Stock in a quarantine location cannot be consumed nor shipped",
    )


class PoolOut(Schema):
    id: int
    name: str
    description: str
    custodian: OrganizationRef = Field(description="Keeps the pooled stock")
    members: list[OrganizationRef] = Field(description="May use the pooled stock")


# ---------------------------------------------------------------- lots and the ledger


class CompositionPart(Schema):
    material: str = Field(min_length=1, max_length=80)
    share: Decimal = Field(ge=0, le=100, description="Percent")


class ContaminantCheck(Schema):
    check: str = Field(min_length=1, max_length=120, description="e.g. metal fasteners")
    result: Literal["pass", "fail"]
    note: str = Field("", max_length=200)


class LotOut(Schema):
    code: str
    item: ItemRef
    on_hand: Decimal = Field(description="Sum of the lot's ledger, every location")
    unit: str = Field(description=UNIT_HELP)
    unit_symbol: str
    status: str = Field(description="available, quarantine, blocked, depleted")
    status_label: str
    origin: str = Field(description="virgin, secondary, bio_based, produced")
    grade: str = Field(description="A, B, C, X (rejected) or empty")
    recycled_share: Decimal | None = Field(description="Recycled content in percent")
    gtin: str
    owner: OrganizationRef
    custodian: OrganizationRef = Field(description="The organisation holding it now")
    pool: PoolRef | None
    created_at: datetime


class OnHandOut(Schema):
    location: LocationRef
    quantity: Decimal


class ReservationOut(Schema):
    id: int
    lot: str = Field(description="Lot code")
    location: LocationRef
    work_order: WorkOrderRef
    quantity: Decimal = Field(description="In the lot's unit")
    state: str = Field(description="active, consumed, released")
    created_at: datetime


class LotDetailOut(LotOut):
    supplier: str
    collection_source: str
    composition: list[dict[str, Any]] = Field(description="[{material, share}]")
    contaminant_checks: list[dict[str, Any]] = Field(description="[{check, result, note}]")
    receipt: str | None = Field(description="Reference of the delivery it came with")
    work_order: WorkOrderRef | None = Field(description="The work order that made it")
    site: SiteRef = Field(description="Site of origin in the network")
    where: list[OnHandOut] = Field(description="Locations with a balance")
    reservations: list[ReservationOut] = Field(description="Active reservations")
    certificates: int = Field(description="Number of certificates attached")


class EntryOut(Schema):
    id: int
    kind: str = Field(
        description="receipt, production, consumption, scrap, move, shipment, transfer_in, "
        "adjustment"
    )
    kind_label: str
    quantity: Decimal = Field(description="Signed, in the lot's unit")
    location: LocationRef
    work_order: str | None = Field(description="Work order reference")
    transfer: str | None = Field(description="Transfer reference")
    reason: str
    recorded_at: datetime


class SiteStockRow(Schema):
    lot: str = Field(description="Lot code")
    item: ItemRef
    location: LocationRef
    quantity: Decimal
    unit: str
    status: str


# ---------------------------------------------------------------- receiving


class ReceiptLineIn(Schema):
    item_id: int = Field(description="An item of the receiving site's organisation")
    quantity: Decimal = Field(description="More than zero")
    unit: str = Field("", description="Default: the item's unit. " + UNIT_HELP)
    code: str = Field("", max_length=20, description="Lot code; made for you when empty")
    origin: Literal["virgin", "secondary", "bio_based"] = "virgin"
    supplier: str = Field("", max_length=200, description="Default: the delivery's supplier")
    collection_source: str = Field("", max_length=300)
    composition: list[CompositionPart] = Field(default_factory=list, max_length=20)
    contaminant_checks: list[ContaminantCheck] = Field(default_factory=list, max_length=20)
    grade: Literal["", "A", "B", "C", "X"] = ""
    recycled_share: Decimal | None = Field(None, ge=0, le=100)
    gtin: str = Field("", max_length=14)
    pool_id: int | None = Field(
        None,
        description="Put the lot in this pool (your organisation must be a member); it then "
        "belongs to the pool's custodian on behalf of the members",
    )


class ReceiptIn(Schema):
    location_id: int = Field(description="A location of one of your sites")
    supplier: str = Field(min_length=1, max_length=200)
    delivery_note: str = Field("", max_length=100)
    received_at: datetime | None = Field(None, description="Default: now")
    note: str = Field("", max_length=300)
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=50)


class ReceiptOut(Schema):
    id: int
    reference: str
    site: SiteRef
    supplier: str
    delivery_note: str
    received_at: datetime
    lots: list[LotOut]


# ---------------------------------------------------------------- acting on a lot


class InspectionIn(Schema):
    checks: list[ContaminantCheck] = Field(default_factory=list, max_length=20)
    grade: Literal["", "A", "B", "C", "X"] = ""
    note: str = Field("", max_length=300)


class MoveIn(Schema):
    from_location_id: int
    to_location_id: int = Field(description="A location of the same site")
    quantity: Decimal
    unit: str = Field("", description="Default: the lot's unit. " + UNIT_HELP)


class AdjustIn(Schema):
    location_id: int
    quantity: Decimal = Field(description="Signed correction in the lot's unit")
    reason: str = Field(min_length=1, max_length=200)


class ScrapIn(Schema):
    location_id: int
    quantity: Decimal
    unit: str = Field("", description="Default: the lot's unit. " + UNIT_HELP)
    reason: str = Field(min_length=1, max_length=200)


class ReservationIn(Schema):
    location_id: int
    work_order_id: int = Field(description="Work accepted by or running at the site")
    quantity: Decimal
    unit: str = Field("", description="Default: the lot's unit. " + UNIT_HELP)


# ---------------------------------------------------------------- transfers


class TransferLineOut(Schema):
    id: int
    lot: str = Field(description="Lot code")
    item: str
    quantity: Decimal = Field(description="Shipped, in the lot's unit")
    received_quantity: Decimal | None
    discrepancy: str
    unit: str


class TransferOut(Schema):
    id: int
    reference: str
    state: str = Field(description="prepared, shipped, received, cancelled")
    state_label: str
    from_site: SiteRef
    from_location: LocationRef
    to_site: SiteRef
    to_location: LocationRef | None
    carrier: str
    note: str
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLineOut]


class ShipLineIn(Schema):
    lot: str = Field(description="Lot code")
    quantity: Decimal = Field(description="In the lot's unit")


class ShipIn(Schema):
    from_location_id: int
    to_site_id: int = Field(description="Any other site of the network")
    lines: list[ShipLineIn] = Field(min_length=1, max_length=50)
    carrier: str = Field("", max_length=120)
    note: str = Field("", max_length=300)
    work_order_id: int | None = Field(None, description="The work order this supplies")


class ReceiveLineIn(Schema):
    line_id: int
    received_quantity: Decimal = Field(ge=0, description="Counted, in the lot's unit")
    discrepancy: str = Field("", max_length=300)


class TransferReceiveIn(Schema):
    location_id: int = Field(description="A location of the receiving site")
    lines: list[ReceiveLineIn] = Field(
        default_factory=list,
        description="Counted quantities; a line left out is received as shipped",
    )


# ---------------------------------------------------------------- shapes


def organization_ref(org: Any) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name}


def site_ref(site: Any) -> dict[str, Any]:
    return {"id": site.pk, "slug": site.slug, "name": site.name}


def location_ref(location: Location) -> dict[str, Any]:
    return {
        "id": location.pk,
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "site": site_ref(location.site),
    }


def location_out(location: Location) -> dict[str, Any]:
    return {
        **location_ref(location),
        "kind_label": str(location.get_kind_display()),
        "is_active": location.is_active,
    }


def pool_out(pool: StockPool) -> dict[str, Any]:
    return {
        "id": pool.pk,
        "name": pool.name,
        "description": pool.description,
        "custodian": organization_ref(pool.organization),
        "members": [organization_ref(m) for m in pool.members.all()],
    }


def item_ref(item: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "kind": item.kind,
        "default_unit": item.default_unit,
    }


def lot_out(lot: Lot, on_hand: Decimal) -> dict[str, Any]:
    return {
        "code": lot.code,
        "item": item_ref(lot.item),
        "on_hand": number(on_hand),
        "unit": lot.unit,
        "unit_symbol": _symbol(lot.unit),
        "status": lot.status,
        "status_label": str(lot.get_status_display()),
        "origin": lot.origin,
        "grade": lot.grade,
        "recycled_share": lot.recycled_share,
        "gtin": lot.gtin,
        "owner": organization_ref(lot.owner),
        "custodian": organization_ref(lot.custodian),
        "pool": {"id": lot.pool.pk, "name": lot.pool.name} if lot.pool else None,
        "created_at": lot.created_at,
    }


def reservation_out(reservation: Reservation) -> dict[str, Any]:
    return {
        "id": reservation.pk,
        "lot": reservation.lot.code,
        "location": location_ref(reservation.location),
        "work_order": {
            "id": reservation.work_order.pk,
            "reference": reservation.work_order.reference,
        },
        "quantity": number(reservation.quantity),
        "state": reservation.state,
        "created_at": reservation.created_at,
    }


def entry_out(entry: StockEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "quantity": number(entry.quantity),
        "location": location_ref(entry.location),
        "work_order": entry.work_order.reference if entry.work_order else None,
        "transfer": entry.transfer.reference if entry.transfer else None,
        "reason": entry.reason,
        "recorded_at": entry.recorded_at,
    }


def receipt_out(receipt: Receipt, lots: list[tuple[Lot, Decimal]]) -> dict[str, Any]:
    return {
        "id": receipt.pk,
        "reference": receipt.reference,
        "site": site_ref(receipt.site),
        "supplier": receipt.supplier,
        "delivery_note": receipt.delivery_note,
        "received_at": receipt.received_at,
        "lots": [lot_out(lot, q) for lot, q in lots],
    }


def transfer_out(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.pk,
        "reference": transfer.reference,
        "state": transfer.state,
        "state_label": str(transfer.get_state_display()),
        "from_site": site_ref(transfer.from_site),
        "from_location": location_ref(transfer.from_location),
        "to_site": site_ref(transfer.to_site),
        "to_location": location_ref(transfer.to_location) if transfer.to_location else None,
        "carrier": transfer.carrier,
        "note": transfer.note,
        "shipped_at": transfer.shipped_at,
        "received_at": transfer.received_at,
        "lines": [
            {
                "id": line.pk,
                "lot": line.lot.code,
                "item": line.lot.item.name,
                "quantity": number(line.quantity),
                "received_quantity": number(line.received_quantity),
                "discrepancy": line.discrepancy,
                "unit": line.lot.unit,
            }
            for line in transfer.lines.all()
        ],
    }
