"""Writes on stock: receipts, moves, reservations, consumption, production, transfers.

Every function runs in one transaction, posts ledger entries through :func:`_post` and
records the business event (:class:`TraceEvent`) the EPCIS export publishes. Taking stock out
locks the lot row first (``select_for_update`` on PostgreSQL; SQLite transactions are
``IMMEDIATE``, so writers queue) and then re-reads the ledger: two operators consuming the last
kilograms leave a correct ledger, and the second one gets ``insufficient_stock``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import ean

from reproduce.core import audit
from reproduce.core.actor import Actor
from reproduce.core.permissions import require
from reproduce.designs.models import UNIT_SYMBOLS, Item, ItemKind, Unit
from reproduce.files.models import Blob
from reproduce.inventory.models import (
    BizStep,
    EntryKind,
    EventType,
    Grade,
    ItemConversion,
    Location,
    LocationKind,
    Lot,
    LotLink,
    LotRole,
    LotStatus,
    Origin,
    PassportField,
    Receipt,
    Reservation,
    ReservationState,
    StockBalance,
    StockEntry,
    StockPool,
    TraceEvent,
    TraceEventLot,
    Transfer,
    TransferLine,
    TransferState,
)

ZERO = Decimal(0)
MILLI = Decimal("0.001")  # quantities have 3 decimals (QUANTITY in models)
LOT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,19}$")  # fits GS1 AI (10): ≤ 20 chars
# Conversions that hold for every item (UN/ECE Rec 20 codes): factor from → to.
FIXED_CONVERSIONS: dict[tuple[str, str], Decimal] = {
    ("KGM", "GRM"): Decimal(1000),
    ("MTR", "MMT"): Decimal(1000),
    ("LTR", "MLT"): Decimal(1000),
    ("MTQ", "LTR"): Decimal(1000),
}


class InventoryError(ValidationError):
    """A refused stock change, with a stable ``code`` the API maps to a status."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


# ---------------------------------------------------------------- units and quantities


def convert(quantity: Decimal, *, from_unit: str, to_unit: str, item: Item) -> Decimal:
    """``quantity`` of ``from_unit`` expressed in ``to_unit`` for ``item``.

    Fixed conversions (kg↔g, m↔mm, l↔ml, m³↔l) always apply; others need an
    :class:`ItemConversion` of the item (e.g. one paper sheet weighs 0.004 kg).
    """
    if from_unit == to_unit:
        return quantity
    for (a, b), factor in FIXED_CONVERSIONS.items():
        if (from_unit, to_unit) == (a, b):
            return quantity * factor
        if (from_unit, to_unit) == (b, a):
            return quantity / factor
    conversions = ItemConversion.objects.owned_by(item.organization_id).filter(item=item)
    for conversion in conversions:
        if (conversion.from_unit, conversion.to_unit) == (from_unit, to_unit):
            return quantity * conversion.factor
        if (conversion.from_unit, conversion.to_unit) == (to_unit, from_unit):
            return quantity / conversion.factor
    raise InventoryError(
        _("%(item)s is counted in %(to)s: there is no conversion from %(from)s.")
        % {
            "item": item.name,
            "to": UNIT_SYMBOLS.get(to_unit, to_unit),
            "from": UNIT_SYMBOLS.get(from_unit, from_unit),
        },
        code="unit_mismatch",
    )


def _positive(quantity: Decimal) -> Decimal:
    if quantity is not None and not isinstance(quantity, Decimal):
        quantity = Decimal(str(quantity))  # an int or float from a caller: exact decimal
    if quantity is None or not quantity.is_finite() or quantity <= ZERO:
        raise InventoryError(_("The quantity must be more than zero."), code="invalid_quantity")
    return quantity


def _in_lot_unit(lot: Lot, quantity: Decimal, unit: str | None) -> Decimal:
    quantity = _positive(quantity)
    value = convert(quantity, from_unit=unit or lot.unit, to_unit=lot.unit, item=lot.item)
    return value.quantize(MILLI)


# ---------------------------------------------------------------- reading the ledger


def on_hand(lot: Lot, location: Location | None = None) -> Decimal:
    """The sum of the lot's ledger entries (at one location, or everywhere)."""
    entries = StockEntry.objects.unscoped("the caller holds the lot").filter(lot=lot)
    if location is not None:
        entries = entries.filter(location=location)
    return _exact(entries.aggregate(total=Sum("quantity"))["total"])


def _exact(total: Decimal | None) -> Decimal:
    """A sum of ledger quantities, exact. SQLite adds decimals as floating point numbers
    (12.5 - 12.175 comes back as 0.324999…); every quantity has 3 decimals, so rounding the
    sum to 3 decimals gives the exact value back (PostgreSQL sums exactly anyway)."""
    return (total or ZERO).quantize(MILLI)


def reserved(lot: Lot, location: Location, *, except_work_order: Any = None) -> Decimal:
    rows = Reservation.objects.unscoped("the caller holds the lot").filter(
        lot=lot, location=location, state=ReservationState.ACTIVE
    )
    if except_work_order is not None:
        rows = rows.exclude(work_order=except_work_order)
    return _exact(rows.aggregate(total=Sum("quantity"))["total"])


def available(lot: Lot, location: Location, *, for_work_order: Any = None) -> Decimal:
    """On hand minus what other work orders reserved."""
    return on_hand(lot, location) - reserved(lot, location, except_work_order=for_work_order)


# ---------------------------------------------------------------- helpers


def _lock(lot: Lot) -> Lot:
    """Lock the lot row until the transaction ends (PostgreSQL); re-read its status."""
    return (
        Lot.objects.unscoped("lock of a lot the caller already holds")
        .select_for_update()
        .select_related("item")
        .get(pk=lot.pk)
    )


def may_use(actor: Actor, lot: Lot) -> bool:
    """Owner, custodian, or member of the lot's pool (the pool is how stock is shared)."""
    orgs = actor.organization_ids
    if lot.owner_id in orgs or lot.custodian_id in orgs:
        return True
    if lot.pool_id is None:
        return False
    return StockPool.members.through.objects.filter(
        stockpool_id=lot.pool_id, organization_id__in=list(orgs)
    ).exists()


def _require_at_site(actor: Actor, perm: str, location: Location) -> None:
    require(actor, perm, location.site.organization_id)


def _post(
    *,
    actor: Actor | None,
    lot: Lot,
    location: Location,
    kind: str,
    quantity: Decimal,
    event: TraceEvent | None = None,
    **links: Any,
) -> StockEntry:
    entry = StockEntry.objects.create(
        lot=lot,
        site_id=location.site_id,
        location=location,
        kind=kind,
        quantity=quantity,
        event=event,
        recorded_by=actor.user if actor else None,
        **links,
    )
    _add_to_balance(lot, location, quantity)
    return entry


def _add_to_balance(lot: Lot, location: Location, quantity: Decimal) -> None:
    """Keep the running sum of the ledger in step, in the entry's transaction."""
    balances = StockBalance.objects.unscoped("the balance of the entry just posted")
    if balances.filter(lot=lot, location=location).update(quantity=F("quantity") + quantity):
        return
    try:
        with transaction.atomic():
            balances.create(lot=lot, location=location, site_id=location.site_id, quantity=quantity)
    except IntegrityError:  # created meanwhile by a concurrent first entry
        balances.filter(lot=lot, location=location).update(quantity=F("quantity") + quantity)


def _take(
    *,
    actor: Actor | None,
    lot: Lot,
    location: Location,
    quantity: Decimal,
    kind: str,
    work_order: Any = None,
    event: TraceEvent | None = None,
    reason: str = "",
    transfer: Transfer | None = None,
) -> StockEntry:
    """Take ``quantity`` (lot unit) out of a location, refusing to go below what is free."""
    lot = _lock(lot)
    _check_usable(lot, location, kind)
    free = available(lot, location, for_work_order=work_order)
    if quantity > free:
        raise InventoryError(
            _("Not enough stock of lot %(lot)s at %(location)s: %(free)s %(unit)s available.")
            % {
                "lot": lot.code,
                "location": location.code,
                "free": free.normalize(),
                "unit": UNIT_SYMBOLS.get(lot.unit, lot.unit),
            },
            code="insufficient_stock",
        )
    entry = _post(
        actor=actor,
        lot=lot,
        location=location,
        kind=kind,
        quantity=-quantity,
        event=event,
        work_order=work_order,
        reason=reason,
        transfer=transfer,
    )
    if work_order is not None:
        _settle_reservations(lot, location, work_order, quantity)
    # A move posts its incoming entry right after: the lot is not used up.
    if kind != EntryKind.MOVE and on_hand(lot) <= ZERO:
        Lot.objects.unscoped("the locked lot").filter(pk=lot.pk).update(status=LotStatus.DEPLETED)
    return entry


# Movements that put material into use or send it away. A blocked or not yet inspected lot
# must not go into a product nor leave the site, but it can still be moved (into a quarantine
# area), scrapped or corrected after a count: refusing those would trap rejected material.
_USES = frozenset({EntryKind.CONSUMPTION, EntryKind.SHIPMENT})


def _check_usable(lot: Lot, location: Location, kind: str) -> None:
    if kind not in _USES:
        return
    if lot.status in (LotStatus.BLOCKED, LotStatus.QUARANTINE) or (
        location.kind == LocationKind.QUARANTINE
    ):
        raise InventoryError(
            _("Lot %(lot)s cannot be used: it is blocked or in quarantine.") % {"lot": lot.code},
            code="lot_blocked",
        )


def _settle_reservations(lot: Lot, location: Location, work_order: Any, used: Decimal) -> None:
    rows = Reservation.objects.unscoped("reservations of a locked lot").filter(
        lot=lot, location=location, work_order=work_order, state=ReservationState.ACTIVE
    )
    for reservation in rows.order_by("created_at"):
        if used <= ZERO:
            break
        if reservation.quantity <= used:
            used -= reservation.quantity
            reservation.state = ReservationState.CONSUMED
            reservation.save(update_fields=["state"])
        else:
            reservation.quantity -= used
            reservation.save(update_fields=["quantity"])
            used = ZERO


def _event(
    *,
    actor: Actor | None,
    type: str,
    biz_step: str,
    site: Any,
    organization_id: int,
    lots: Iterable[tuple[Lot, str, Decimal | None]],
    action: str = "",
    disposition: str = "",
    occurred_at: datetime | None = None,
    **fields: Any,
) -> TraceEvent:
    event = TraceEvent.objects.create(
        type=type,
        action=action,
        biz_step=biz_step,
        disposition=disposition,
        occurred_at=occurred_at or timezone.now(),
        organization_id=organization_id,
        site=site,
        **fields,
    )
    TraceEventLot.objects.bulk_create(
        TraceEventLot(event=event, lot=lot, role=role, quantity=quantity, unit=lot.unit)
        for lot, role, quantity in lots
    )
    return event


def new_lot_code() -> str:
    """A short code nobody has to invent: L + 8 characters (no 0/O, 1/I confusion)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "L" + "".join(secrets.choice(alphabet) for _ in range(8))


def _check_code(code: str) -> str:
    code = code.strip()
    if not LOT_CODE.match(code):
        raise InventoryError(
            _("A lot code has 3 to 20 letters, digits, dots, dashes or underscores."),
            code="invalid_lot_code",
        )
    if Lot.objects.unscoped("uniqueness of lot codes").filter(code=code).exists():
        raise InventoryError(_("This lot code is already used."), code="lot_code_taken")
    return code


def _check_gtin(gtin: str) -> str:
    gtin = (gtin or "").strip()
    if gtin and not (gtin.isdigit() and len(gtin) in (8, 12, 13, 14) and ean.is_valid(gtin)):
        raise InventoryError(_("This GTIN is not valid (check digit)."), code="invalid_gtin")
    return gtin.zfill(14) if gtin else ""


# ---------------------------------------------------------------- locations and pools


def create_location(
    *, actor: Actor, site: Any, code: str, name: str, kind: str = LocationKind.STORAGE
) -> Location:
    require(actor, "stock.manage", site.organization_id)
    location = Location(site=site, code=code.strip(), name=name.strip(), kind=kind)
    location.full_clean()
    location.save()
    audit.record(
        actor=actor, action="location.create", obj=location, organization_id=site.organization_id
    )
    return location


def create_pool(
    *, actor: Actor, custodian: Any, name: str, members: Sequence[Any], description: str = ""
) -> StockPool:
    require(actor, "stock.manage", custodian.pk)
    pool = StockPool.objects.create(organization=custodian, name=name, description=description)
    pool.members.set({custodian.pk, *(m.pk for m in members)})
    audit.record(
        actor=actor,
        action="pool.create",
        obj=pool,
        organization_id=custodian.pk,
        changes={"members": sorted(pool.members.values_list("pk", flat=True))},
    )
    return pool


@transaction.atomic
def update_location(
    *, actor: Actor, location: Location, name: str, kind: str, is_active: bool = True
) -> Location:
    """Rename a location, change its kind, or take it out of use (its ledger stays)."""
    require(actor, "stock.manage", location.site.organization_id)
    if not is_active and any(row["quantity"] > ZERO for row in _balances(location=location)):
        raise InventoryError(
            _("Move or use the stock of this location before taking it out of use."),
            code="location_not_empty",
        )
    before = audit.snapshot(location, ["name", "kind", "is_active"])
    location.name, location.kind, location.is_active = name.strip(), kind, is_active
    location.full_clean()
    location.save(update_fields=["name", "kind", "is_active"])
    audit.record(
        actor=actor,
        action="location.update",
        obj=location,
        organization_id=location.site.organization_id,
        changes=audit.diff(before, audit.snapshot(location, ["name", "kind", "is_active"])),
    )
    return location


def _balances(*, location: Location) -> list[dict[str, Any]]:
    return list(
        StockBalance.objects.unscoped("stock of a location the caller manages")
        .filter(location=location)
        .values("lot", "quantity")
    )


# ---------------------------------------------------------------- items and unit conversions

STOCK_ITEM_KINDS = (ItemKind.MATERIAL, ItemKind.PART)


@transaction.atomic
def create_item(
    *,
    actor: Actor,
    organization: Any,
    name: str,
    kind: str = ItemKind.MATERIAL,
    default_unit: str = Unit.KILOGRAM,
    specification: str = "",
    supplier: str = "",
    is_recycled: bool = False,
) -> Item:
    """A material or bought part the workshop keeps in stock, created while receiving it.

    Receiving staff (``stock.receive``) may create one: the designs library's items need
    ``design.edit``, but a delivery at the door should not wait for a manager.
    """
    require(actor, "stock.receive", organization.pk)
    if kind not in STOCK_ITEM_KINDS:
        raise InventoryError(_("Choose a material or a bought part."), code="invalid_kind")
    if not name.strip():
        raise InventoryError(_("Give the item a name."), code="name_required")
    if Item.objects.owned_by(organization).filter(name__iexact=name.strip(), kind=kind).exists():
        raise InventoryError(
            _("Your organisation already has an item with this name."), code="item_exists"
        )
    item = Item(
        organization=organization,
        kind=kind,
        name=name.strip(),
        default_unit=default_unit,
        specification=specification.strip(),
        supplier=supplier.strip(),
        is_recycled=is_recycled,
    )
    item.full_clean(exclude=["organization", "material", "design"])
    item.save()
    audit.record(
        actor=actor,
        action="item.created",
        obj=item,
        organization_id=organization.pk,
        changes=audit.snapshot(item, ["kind", "name", "default_unit"]),
    )
    return item


@transaction.atomic
def set_conversion(
    *, actor: Actor, item: Item, from_unit: str, to_unit: str, factor: Decimal
) -> ItemConversion:
    """How many ``to_unit`` make one ``from_unit`` of the item (replaces an earlier one)."""
    require(actor, "stock.manage", item.organization_id)
    units = set(Unit.values)
    if from_unit not in units or to_unit not in units or from_unit == to_unit:
        raise InventoryError(_("Choose two different units."), code="invalid_unit")
    if (from_unit, to_unit) in FIXED_CONVERSIONS or (to_unit, from_unit) in FIXED_CONVERSIONS:
        raise InventoryError(
            _("This conversion is always known; no need to enter it."), code="fixed_conversion"
        )
    if factor is None or factor <= ZERO:
        raise InventoryError(_("The factor must be more than zero."), code="invalid_factor")
    existing = ItemConversion.objects.owned_by(item.organization_id).filter(item=item)
    existing.filter(from_unit=to_unit, to_unit=from_unit).delete()  # one direction per pair
    conversion, _created = existing.update_or_create(
        item=item, from_unit=from_unit, to_unit=to_unit, defaults={"factor": factor}
    )
    audit.record(
        actor=actor,
        action="item.conversion",
        obj=conversion,
        organization_id=item.organization_id,
        changes={"from": from_unit, "to": to_unit, "factor": str(factor)},
    )
    return conversion


@transaction.atomic
def remove_conversion(*, actor: Actor, conversion: ItemConversion) -> None:
    organization_id = conversion.item.organization_id
    require(actor, "stock.manage", organization_id)
    audit.record(
        actor=actor,
        action="item.conversion_removed",
        obj=conversion,
        organization_id=organization_id,
        changes={"from": conversion.from_unit, "to": conversion.to_unit},
    )
    conversion.delete()


# ---------------------------------------------------------------- receiving


@dataclass
class LotInput:
    """One received lot (a line of the delivery note)."""

    item: Item
    quantity: Decimal
    unit: str = ""
    code: str = ""
    origin: str = Origin.VIRGIN
    supplier: str = ""
    collection_source: str = ""
    composition: list[dict[str, Any]] = field(default_factory=list)
    contaminant_checks: list[dict[str, Any]] = field(default_factory=list)
    grade: str = ""
    recycled_share: Decimal | None = None
    gtin: str = ""
    owner: Any = None  # default: the receiving site's organisation
    pool: StockPool | None = None
    certificates: list[Blob] = field(default_factory=list)  # see store_certificate()


def _check_composition(composition: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = ZERO
    clean = []
    for part in composition:
        material = str(part.get("material", "")).strip()
        try:
            share = Decimal(str(part.get("share", "")))
        except ArithmeticError:
            share = Decimal(-1)
        if not material or share < ZERO or share > 100:
            raise InventoryError(
                _("Each part of the composition needs a material and a share between 0 and 100."),
                code="invalid_composition",
            )
        total += share
        clean.append({"material": material, "share": str(share)})
    if total > 100:
        raise InventoryError(
            _("The composition adds up to more than 100 %."), code="invalid_composition"
        )
    return clean


def _check_pool(pool: StockPool | None, organization_id: int) -> None:
    if pool is not None and not pool.members.filter(pk=organization_id).exists():
        raise InventoryError(
            _("Your organisation is not a member of the pool %(pool)s.") % {"pool": pool.name},
            code="not_pool_member",
        )


# Certificates (organic, recycled content, test reports) are documents or photos of them.
CERTIFICATE_KINDS = frozenset({"pdf", "png", "jpeg", "webp"})


def store_certificate(upload: IO[bytes] | Any, filename: str) -> Blob:
    """Check an uploaded certificate like a design file (content detected from the bytes,
    PDF or image only) and store it; raises ``FileRejected``."""
    from reproduce.files.services import ingest

    return ingest(upload, filename, allowed_kinds=set(CERTIFICATE_KINDS))


@transaction.atomic
def add_certificates(*, actor: Actor, lot: Lot, blobs: Sequence[Blob]) -> Lot:
    """Attach more certificates to a lot (stored with :func:`store_certificate`)."""
    require(actor, "stock.receive", lot.custodian_id)
    if not blobs:
        raise InventoryError(_("Choose at least one file."), code="empty_upload")
    lot.certificates.add(*blobs)
    audit.record(
        actor=actor,
        action="lot.certificates",
        obj=lot,
        organization_id=lot.custodian_id,
        changes={"added": [b.sha256[:12] for b in blobs]},
    )
    return lot


def check_line(line: LotInput, organization_id: int) -> None:
    """The checks :func:`receive` makes on one line, for a form to show a refusal next to
    the line it concerns before anything is written."""
    _positive(line.quantity)
    if line.code:
        _check_code(line.code)
    _check_gtin(line.gtin)
    _check_composition(line.composition)
    _check_pool(line.pool, organization_id)


def _status_from_checks(checks: list[dict[str, Any]], grade: str, location: Location) -> str:
    if grade == Grade.REJECTED or any(c.get("result") == "fail" for c in checks):
        return LotStatus.BLOCKED
    if location.kind == LocationKind.QUARANTINE:
        return LotStatus.QUARANTINE
    return LotStatus.AVAILABLE


@transaction.atomic
def receive(
    *,
    actor: Actor,
    location: Location,
    supplier: str,
    lines: Sequence[LotInput],
    delivery_note: str = "",
    received_at: datetime | None = None,
    note: str = "",
) -> Receipt:
    """Receive goods from outside the network: one lot per line, each on the ledger."""
    _require_at_site(actor, "stock.receive", location)
    if not lines:
        raise InventoryError(_("A receipt needs at least one line."), code="empty_receipt")
    site = location.site
    receipt = Receipt.objects.create(
        reference=f"R{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}",
        site=site,
        supplier=supplier,
        delivery_note=delivery_note,
        received_at=received_at or timezone.now(),
        received_by=actor.user,
        note=note,
    )
    lots = []
    for line in lines:
        quantity = _positive(line.quantity)
        unit = line.unit or line.item.default_unit
        _check_pool(line.pool, site.organization_id)
        checks = list(line.contaminant_checks)
        lot = Lot.objects.create(
            code=_check_code(line.code) if line.code else new_lot_code(),
            item=line.item,
            unit=unit,
            owner_id=(line.owner.pk if line.owner else site.organization_id),
            custodian_id=site.organization_id,
            pool=line.pool,
            status=_status_from_checks(checks, line.grade, location),
            gtin=_check_gtin(line.gtin),
            origin=line.origin,
            supplier=line.supplier or supplier,
            collection_source=line.collection_source,
            composition=_check_composition(line.composition),
            contaminant_checks=checks,
            grade=line.grade,
            recycled_share=line.recycled_share
            if line.recycled_share is not None
            else (Decimal(100) if line.origin == Origin.SECONDARY else None),
            receipt=receipt,
            site=site,
            created_by=actor.user,
        )
        if line.certificates:
            lot.certificates.set(line.certificates)
        lots.append((lot, quantity))
    event = _event(
        actor=actor,
        type=EventType.OBJECT,
        action="ADD",
        biz_step=BizStep.RECEIVING,
        disposition="in_progress",
        site=site,
        organization_id=site.organization_id,
        lots=[(lot, LotRole.OBJECT, q) for lot, q in lots],
        receipt=receipt,
        occurred_at=receipt.received_at,
        details={"supplier": supplier, "delivery_note": delivery_note},
    )
    for lot, quantity in lots:
        _post(
            actor=actor,
            lot=lot,
            location=location,
            kind=EntryKind.RECEIPT,
            quantity=quantity,
            event=event,
        )
    audit.record(
        actor=actor,
        action="stock.receive",
        obj=receipt,
        organization_id=site.organization_id,
        changes={"lots": [lot.code for lot, _q in lots]},
    )
    return receipt


@transaction.atomic
def record_inspection(
    *, actor: Actor, lot: Lot, checks: list[dict[str, Any]], grade: str = "", note: str = ""
) -> TraceEvent:
    """Contaminant checks and grade of a lot: a failed check blocks it, a pass frees it."""
    require(actor, "stock.receive", lot.custodian_id)
    lot = _lock(lot)
    for check in checks:
        if not str(check.get("check", "")).strip() or check.get("result") not in ("pass", "fail"):
            raise InventoryError(
                _("Each check needs a name and a result (pass or fail)."), code="invalid_check"
            )
    lot.contaminant_checks = [*lot.contaminant_checks, *checks]
    if grade:
        lot.grade = grade
    failed = grade == Grade.REJECTED or any(c["result"] == "fail" for c in checks)
    if failed:
        lot.status = LotStatus.BLOCKED
    elif lot.status == LotStatus.QUARANTINE:
        lot.status = LotStatus.AVAILABLE
    lot.save(update_fields=["contaminant_checks", "grade", "status"])
    site = _current_site(lot) or lot.site
    event = _event(
        actor=actor,
        type=EventType.OBJECT,
        action="OBSERVE",
        biz_step=BizStep.INSPECTING,
        disposition="non_conformant" if failed else "conformant",
        site=site,
        organization_id=lot.custodian_id,
        lots=[(lot, LotRole.OBJECT, None)],
        details={"checks": checks, "grade": grade, "note": note},
    )
    audit.record(
        actor=actor,
        action="lot.inspect",
        obj=lot,
        organization_id=lot.custodian_id,
        changes={"checks": checks, "grade": grade},
    )
    return event


def _current_site(lot: Lot) -> Any:
    entry = (
        StockEntry.objects.unscoped("the caller holds the lot")
        .filter(lot=lot)
        .values("site")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
        .order_by("-total", "site")  # where most of it is
        .first()
    )
    if entry is None:
        return None
    from reproduce.network.models import Site

    return Site.objects.unscoped("site of a lot the caller holds").get(pk=entry["site"])


# ---------------------------------------------------------------- moving, reserving, adjusting


@transaction.atomic
def move(
    *,
    actor: Actor,
    lot: Lot,
    from_location: Location,
    to_location: Location,
    quantity: Decimal,
    unit: str = "",
) -> tuple[StockEntry, StockEntry]:
    """Move stock between two locations of the same site."""
    _require_at_site(actor, "stock.move", from_location)
    if from_location.site_id != to_location.site_id:
        raise InventoryError(_("Between two sites, use a transfer."), code="other_site")
    if from_location.pk == to_location.pk:
        raise InventoryError(_("Choose another location."), code="same_location")
    amount = _in_lot_unit(lot, quantity, unit)
    out = _take(actor=actor, lot=lot, location=from_location, quantity=amount, kind=EntryKind.MOVE)
    into = _post(actor=actor, lot=lot, location=to_location, kind=EntryKind.MOVE, quantity=amount)
    return out, into


@transaction.atomic
def reserve(
    *,
    actor: Actor,
    lot: Lot,
    location: Location,
    work_order: Any,
    quantity: Decimal,
    unit: str = "",
) -> Reservation:
    """Keep stock for a work order: others cannot consume it meanwhile."""
    _require_at_site(actor, "stock.move", location)
    if not may_use(actor, lot):
        raise InventoryError(_("This lot is not yours to use."), code="not_your_lot")
    amount = _in_lot_unit(lot, quantity, unit)
    locked = _lock(lot)
    free = available(locked, location)
    if amount > free:
        raise InventoryError(
            _("Only %(free)s %(unit)s of lot %(lot)s can still be reserved.")
            % {
                "free": free.normalize(),
                "unit": UNIT_SYMBOLS.get(lot.unit, lot.unit),
                "lot": lot.code,
            },
            code="insufficient_stock",
        )
    reservation = Reservation.objects.create(
        lot=locked,
        location=location,
        work_order=work_order,
        quantity=amount,
        created_by=actor.user,
    )
    audit.record(
        actor=actor,
        action="stock.reserve",
        obj=reservation,
        organization_id=location.site.organization_id,
        changes={"lot": lot.code, "quantity": str(amount)},
    )
    return reservation


@transaction.atomic
def release_reservation(*, actor: Actor, reservation: Reservation) -> None:
    _require_at_site(actor, "stock.move", reservation.location)
    updated = (
        Reservation.objects.unscoped("the caller holds it")
        .filter(pk=reservation.pk, state=ReservationState.ACTIVE)
        .update(state=ReservationState.RELEASED)
    )
    if updated != 1:
        raise InventoryError(_("This reservation is no longer active."), code="concurrent_change")
    audit.record(
        actor=actor,
        action="stock.release",
        obj=reservation,
        organization_id=reservation.location.site.organization_id,
    )


@transaction.atomic
def adjust(
    *, actor: Actor, lot: Lot, location: Location, quantity: Decimal, reason: str
) -> StockEntry:
    """Correct the ledger after a count (``quantity`` signed, in the lot's unit)."""
    _require_at_site(actor, "stock.manage", location)
    if not reason.strip():
        raise InventoryError(_("Say why the stock is corrected."), code="reason_required")
    quantity = Decimal(str(quantity))
    if quantity == ZERO or not quantity.is_finite():
        raise InventoryError(_("The correction cannot be zero."), code="invalid_quantity")
    if quantity < ZERO:
        return _take(
            actor=actor,
            lot=lot,
            location=location,
            quantity=-quantity,
            kind=EntryKind.ADJUSTMENT,
            reason=reason,
        )
    locked = _lock(lot)
    entry = _post(
        actor=actor,
        lot=locked,
        location=location,
        kind=EntryKind.ADJUSTMENT,
        quantity=quantity,
        reason=reason,
    )
    if locked.status == LotStatus.DEPLETED:  # found again at a count
        Lot.objects.unscoped("the locked lot").filter(pk=lot.pk).update(status=LotStatus.AVAILABLE)
    return entry


# ---------------------------------------------------------------- consuming and producing


@transaction.atomic
def consume(
    *,
    actor: Actor,
    lot: Lot,
    location: Location,
    quantity: Decimal,
    unit: str = "",
    work_order: Any = None,
    reason: str = "",
) -> StockEntry:
    """Take material out of stock for a work order (or scrap it with a reason)."""
    _require_at_site(actor, "stock.move", location)
    lot = _lock(lot)  # decide on the current owner, custodian and pool
    if not may_use(actor, lot):
        raise InventoryError(_("This lot is not yours to use."), code="not_your_lot")
    amount = _in_lot_unit(lot, quantity, unit)
    kind = EntryKind.CONSUMPTION if work_order is not None else EntryKind.SCRAP
    if kind == EntryKind.SCRAP and not reason.strip():
        raise InventoryError(_("Say why the stock is scrapped."), code="reason_required")
    return _take(
        actor=actor,
        lot=lot,
        location=location,
        quantity=amount,
        kind=kind,
        work_order=work_order,
        reason=reason,
    )


def would_cycle(parent: Lot, child: Lot) -> bool:
    """Whether linking parent → child closes a loop (child already upstream of parent)."""
    from reproduce.inventory.selectors import trace_up_ids

    return parent.pk == child.pk or child.pk in trace_up_ids([parent.pk])


def link_lots(*, parent: Lot, child: Lot, quantity: Decimal | None, event: Any) -> LotLink:
    if would_cycle(parent, child):
        raise InventoryError(
            _("Lot %(child)s is already upstream of lot %(parent)s: this would be a loop.")
            % {"child": child.code, "parent": parent.code},
            code="genealogy_cycle",
        )
    try:
        with transaction.atomic():
            return LotLink.objects.create(
                parent=parent, child=child, quantity=quantity, event=event
            )
    except IntegrityError:
        link = LotLink.objects.unscoped("existing link").get(parent=parent, child=child)
        if quantity is not None:
            link.quantity = (link.quantity or ZERO) + quantity
            link.save(update_fields=["quantity"])
        return link


def _recycled_share(inputs: Sequence[tuple[Lot, Decimal]]) -> Decimal | None:
    """Mass-weighted recycled share of the inputs counted in the same unit (else unknown)."""
    weighted = [(lot, q) for lot, q in inputs if lot.recycled_share is not None]
    if not weighted or len(weighted) != len(inputs):
        return None
    units = {lot.unit for lot, _q in weighted}
    if len(units) != 1:
        return None
    total = sum((q for _lot, q in weighted), ZERO)
    if total <= ZERO:
        return None
    share = sum(((lot.recycled_share or ZERO) * q for lot, q in weighted), ZERO) / total
    return share.quantize(Decimal("0.01"))


@dataclass
class Output:
    item: Item
    quantity: Decimal
    unit: str = ""
    code: str = ""
    gtin: str = ""


@transaction.atomic
def produce(
    *,
    actor: Actor | None,
    site: Any,
    location: Location,
    outputs: Sequence[Output],
    inputs: Sequence[tuple[Lot, Decimal]] = (),
    work_order: Any = None,
    owner: Any = None,
    occurred_at: datetime | None = None,
) -> list[Lot]:
    """New lots made from ``inputs`` (already consumed): ledger, genealogy, transformation.

    ``inputs`` are ``(lot, quantity in the lot's unit)``. Care, repair and disposal
    instructions and the public passport choice are copied from the inputs' item's latest
    lot of the same item, if any, so a regular product keeps its passport text.
    """
    if actor is not None:
        require(actor, "work.execute", site.organization_id)
    if not outputs:
        raise InventoryError(_("Say what was produced."), code="empty_output")
    share = _recycled_share(inputs)
    made = []
    for output in outputs:
        quantity = _positive(output.quantity)
        template = (
            Lot.objects.unscoped("passport text of the same item")
            .filter(item=output.item, owner_id=(owner.pk if owner else site.organization_id))
            .exclude(care_instructions="", disposal_instructions="")
            .order_by("-created_at")
            .first()
        )
        lot = Lot.objects.create(
            code=_check_code(output.code) if output.code else new_lot_code(),
            item=output.item,
            unit=output.unit or output.item.default_unit,
            owner_id=owner.pk if owner else site.organization_id,
            custodian_id=site.organization_id,
            origin=Origin.PRODUCED,
            recycled_share=share,
            gtin=_check_gtin(output.gtin),
            work_order=work_order,
            site=site,
            care_instructions=template.care_instructions if template else "",
            repair_instructions=template.repair_instructions if template else "",
            disposal_instructions=template.disposal_instructions if template else "",
            passport_public=template.passport_public if template else False,
            passport_fields=template.passport_fields if template else [],
            created_by=actor.user if actor else None,
        )
        made.append((lot, quantity))
    event = _event(
        actor=actor,
        type=EventType.TRANSFORMATION,
        biz_step=BizStep.TRANSFORMING,
        disposition="active",
        site=site,
        organization_id=site.organization_id,
        lots=[(lot, LotRole.INPUT, q) for lot, q in inputs]
        + [(lot, LotRole.OUTPUT, q) for lot, q in made],
        work_order=work_order,
        occurred_at=occurred_at,
    )
    for lot, quantity in made:
        _post(
            actor=actor,
            lot=lot,
            location=location,
            kind=EntryKind.PRODUCTION,
            quantity=quantity,
            event=event,
            work_order=work_order,
        )
        for parent, used in inputs:
            link_lots(parent=parent, child=lot, quantity=used, event=event)
    return [lot for lot, _q in made]


@transaction.atomic
def pack(
    *,
    actor: Actor,
    location: Location,
    item: Item,
    children: Sequence[tuple[Lot, Decimal]],
    code: str = "",
    gtin: str = "",
) -> Lot:
    """Pack lots into a new lot (a box, a pallet): an EPCIS AggregationEvent."""
    _require_at_site(actor, "stock.move", location)
    site = location.site
    for child, quantity in children:
        _take(
            actor=actor,
            lot=child,
            location=location,
            quantity=_positive(quantity),
            kind=EntryKind.CONSUMPTION,
            reason="packing",
        )
    parent = Lot.objects.create(
        code=_check_code(code) if code else new_lot_code(),
        item=item,
        unit=item.default_unit,
        owner_id=site.organization_id,
        custodian_id=site.organization_id,
        origin=Origin.PRODUCED,
        recycled_share=_recycled_share(children),
        gtin=_check_gtin(gtin),
        site=site,
        created_by=actor.user,
    )
    event = _event(
        actor=actor,
        type=EventType.AGGREGATION,
        action="ADD",
        biz_step=BizStep.PACKING,
        disposition="in_progress",
        site=site,
        organization_id=site.organization_id,
        lots=[(c, LotRole.CHILD, q) for c, q in children],
        parent_lot=parent,
    )
    _post(
        actor=actor,
        lot=parent,
        location=location,
        kind=EntryKind.PRODUCTION,
        quantity=Decimal(1),
        event=event,
    )
    for child, quantity in children:
        link_lots(parent=child, child=parent, quantity=quantity, event=event)
    return parent


# ---------------------------------------------------------------- transfers between sites


@transaction.atomic
def ship(
    *,
    actor: Actor,
    from_location: Location,
    to_site: Any,
    lines: Sequence[tuple[Lot, Decimal]],
    carrier: str = "",
    work_order: Any = None,
    note: str = "",
) -> Transfer:
    """Send lots to another site: stock leaves the sender now, arrives when received."""
    _require_at_site(actor, "stock.move", from_location)
    if to_site.pk == from_location.site_id:
        raise InventoryError(_("Choose another site: use a move inside a site."), code="same_site")
    if not lines:
        raise InventoryError(_("A transfer needs at least one lot."), code="empty_transfer")
    transfer = Transfer.objects.create(
        reference=f"T{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}",
        from_site=from_location.site,
        from_location=from_location,
        to_site=to_site,
        work_order=work_order,
        state=TransferState.SHIPPED,
        carrier=carrier,
        created_by=actor.user,
        shipped_at=timezone.now(),
        note=note,
    )
    event = _event(
        actor=actor,
        type=EventType.OBJECT,
        action="OBSERVE",
        biz_step=BizStep.SHIPPING,
        disposition="in_transit",
        site=from_location.site,
        organization_id=from_location.site.organization_id,
        lots=[(lot, LotRole.OBJECT, q) for lot, q in lines],
        transfer=transfer,
        source_site=from_location.site,
        destination_site=to_site,
    )
    for lot, quantity in lines:
        if not may_use(actor, lot):
            raise InventoryError(_("This lot is not yours to use."), code="not_your_lot")
        amount = _positive(quantity)
        TransferLine.objects.create(transfer=transfer, lot=lot, quantity=amount)
        _take(
            actor=actor,
            lot=lot,
            location=from_location,
            quantity=amount,
            kind=EntryKind.SHIPMENT,
            event=event,
            transfer=transfer,
            work_order=work_order,
        )
    audit.record(
        actor=actor,
        action="transfer.ship",
        obj=transfer,
        organization_id=from_location.site.organization_id,
    )
    return transfer


@transaction.atomic
def receive_transfer(
    *,
    actor: Actor,
    transfer: Transfer,
    location: Location,
    received: dict[int, Decimal] | None = None,
    discrepancies: dict[int, str] | None = None,
) -> Transfer:
    """Receive a shipped transfer, once: ``received`` maps line id → quantity counted."""
    _require_at_site(actor, "stock.receive", location)
    if location.site_id != transfer.to_site_id:
        raise InventoryError(
            _("Receive the transfer in a location of %(site)s.") % {"site": transfer.to_site.name},
            code="wrong_site",
        )
    claimed = (
        Transfer.objects.unscoped("claim of a transfer the caller holds")
        .filter(pk=transfer.pk, state=TransferState.SHIPPED)
        .update(
            state=TransferState.RECEIVED,
            received_at=timezone.now(),
            received_by=actor.user,
            to_location=location,
        )
    )
    if claimed != 1:
        raise InventoryError(
            _("This transfer was already received or cancelled."), code="already_received"
        )
    transfer.refresh_from_db()
    received = received or {}
    discrepancies = discrepancies or {}
    lines = list(transfer.lines.select_related("lot"))
    event = _event(
        actor=actor,
        type=EventType.OBJECT,
        action="OBSERVE",
        biz_step=BizStep.RECEIVING,
        disposition="in_progress",
        site=transfer.to_site,
        organization_id=transfer.to_site.organization_id,
        lots=[(ln.lot, LotRole.OBJECT, received.get(ln.pk, ln.quantity)) for ln in lines],
        transfer=transfer,
        source_site=transfer.from_site,
        destination_site=transfer.to_site,
    )
    problems = {}
    for line in lines:
        count = received.get(line.pk, line.quantity)
        if count is None or count < ZERO:
            raise InventoryError(
                _("A received quantity cannot be negative."), code="invalid_quantity"
            )
        note = discrepancies.get(line.pk, "").strip()
        if count != line.quantity and not note:
            note = _("Counted %(count)s instead of %(sent)s.") % {
                "count": count.normalize(),
                "sent": line.quantity.normalize(),
            }
        line.received_quantity = count
        line.discrepancy = note
        line.save(update_fields=["received_quantity", "discrepancy"])
        if note:
            problems[line.lot.code] = note
        if count > ZERO:
            _post(
                actor=actor,
                lot=line.lot,
                location=location,
                kind=EntryKind.TRANSFER_IN,
                quantity=count,
                event=event,
                transfer=transfer,
            )
            changes: dict[str, Any] = {"custodian_id": transfer.to_site.organization_id}
            if line.lot.status == LotStatus.DEPLETED:
                changes["status"] = LotStatus.AVAILABLE
            Lot.objects.unscoped("the received lot").filter(pk=line.lot_id).update(**changes)
    if problems:
        event.details = {"discrepancies": problems}
        event.save(update_fields=["details"])
    audit.record(
        actor=actor,
        action="transfer.receive",
        obj=transfer,
        organization_id=transfer.to_site.organization_id,
        changes=problems,
    )
    return transfer


# ---------------------------------------------------------------- the passport


@transaction.atomic
def set_passport(
    *,
    actor: Actor,
    lot: Lot,
    public: bool,
    fields: Sequence[str],
    care: str | None = None,
    repair: str | None = None,
    disposal: str | None = None,
) -> Lot:
    """The owner chooses what of the lot's passport is public."""
    require(actor, "stock.manage", lot.owner_id)
    unknown = set(fields) - set(PassportField.values)
    if unknown:
        raise InventoryError(
            _("Unknown passport part: %(part)s.") % {"part": ", ".join(sorted(unknown))},
            code="invalid_field",
        )
    before = audit.snapshot(lot, ["passport_public", "passport_fields"])
    lot.passport_public = public
    lot.passport_fields = sorted(set(fields))
    for name, value in (
        ("care_instructions", care),
        ("repair_instructions", repair),
        ("disposal_instructions", disposal),
    ):
        if value is not None:
            setattr(lot, name, value.strip())
    # Only the passport's own fields: the caller's copy may predate an inspection.
    lot.save(
        update_fields=[
            "passport_public",
            "passport_fields",
            "care_instructions",
            "repair_instructions",
            "disposal_instructions",
        ]
    )
    audit.record(
        actor=actor,
        action="lot.passport",
        obj=lot,
        organization_id=lot.owner_id,
        changes=audit.diff(before, audit.snapshot(lot, ["passport_public", "passport_fields"])),
    )
    return lot
