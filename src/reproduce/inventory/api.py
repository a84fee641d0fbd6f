"""REST API of the stock: locations, pools, lots and their ledger, receiving, inspections,
moves, corrections, scrap, reservations, transfers between sites, and a site's stock.

Handlers validate input, find the objects through the tenancy helpers (a lot, transfer or
reservation the caller may not see answers 404, whether it exists or not; a lot named in a
body that is not the caller's answers 422 with the same message as a missing one) and call
``inventory.services``, which check the permissions (403) and the stock, refusing with a
stable code: 409 for the state of the stock (``insufficient_stock``, ``lot_blocked``,
``already_received``), 422 for the values sent (``invalid_quantity``, ``unit_mismatch``,
``invalid_lot_code``…). Nothing is half-written: each call is one transaction.

Quantities are in the lot's unit unless a ``unit`` is sent; a unit without a conversion for
the item (kilograms of a lot counted in pieces) is refused with ``unit_mismatch``.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from reproduce.api.auth import require_authenticated
from reproduce.api.errors import ErrorOut
from reproduce.api.idempotency import idempotent
from reproduce.api.pagination import Page, PageParams, page_of
from reproduce.core.actor import Actor
from reproduce.core.permissions import access, get_visible_or_404, require
from reproduce.designs.models import Item
from reproduce.inventory import selectors, services
from reproduce.inventory.models import (
    Location,
    Lot,
    Reservation,
    ReservationState,
    StockBalance,
    StockEntry,
    Transfer,
)
from reproduce.inventory.schemas import (
    AdjustIn,
    EntryOut,
    InspectionIn,
    LocationIn,
    LocationOut,
    LotDetailOut,
    LotOut,
    MoveIn,
    PoolOut,
    ReceiptIn,
    ReceiptOut,
    ReservationIn,
    ReservationOut,
    ScrapIn,
    ShipIn,
    SiteStockRow,
    TransferOut,
    TransferReceiveIn,
    entry_out,
    item_ref,
    location_out,
    location_ref,
    lot_out,
    number,
    pool_out,
    receipt_out,
    reservation_out,
    transfer_out,
)
from reproduce.inventory.selectors import (
    balances,
    lot_for,
    my_lots,
    my_pools,
    stock_rows,
    visible_lot,
)
from reproduce.inventory.services import LotInput
from reproduce.network.models import Site
from reproduce.orders.models import WorkOrder, WorkOrderState

router = Router(tags=["stock"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=3))

# ---------------------------------------------------------------- helpers


def _location(actor: Actor, location_id: int, field: str = "location_id") -> Location:
    location = (
        Location.objects.visible_to(actor).select_related("site").filter(pk=location_id).first()
    )
    if location is None:
        raise ValidationError({field: _("No such location.")})
    return location  # type: ignore[no-any-return]


def _with_on_hand(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    return lots.select_related("item", "owner", "custodian", "pool").annotate(
        on_hand=Coalesce(Sum("entries__quantity"), ZERO)
    )


def _lot_out(lot: Lot) -> dict[str, Any]:
    return lot_out(lot, getattr(lot, "on_hand", None) or selectors.total_on_hand(lot))


def _detail(actor: Actor, code: str) -> LotDetailOut:
    lot = visible_lot(actor, code)
    where = selectors.lot_on_hand(lot)
    locations = (
        Location.objects.unscoped("locations of a lot the caller may see")
        .select_related("site")
        .in_bulk([r["location"] for r in where])
    )
    reservations = lot.reservations.filter(state=ReservationState.ACTIVE).select_related(
        "lot", "location__site", "work_order"
    )
    return LotDetailOut.model_validate(
        {
            **lot_out(lot, selectors.total_on_hand(lot)),
            "supplier": lot.supplier,
            "collection_source": lot.collection_source,
            "composition": lot.composition,
            "contaminant_checks": lot.contaminant_checks,
            "receipt": lot.receipt.reference if lot.receipt else None,
            "work_order": {"id": lot.work_order.pk, "reference": lot.work_order.reference}
            if lot.work_order
            else None,
            "site": {"id": lot.site.pk, "slug": lot.site.slug, "name": lot.site.name},
            "where": [
                {
                    "location": location_ref(locations[r["location"]]),
                    "quantity": number(r["quantity"]),
                }
                for r in where
            ],
            "reservations": [reservation_out(r) for r in reservations],
            "certificates": lot.certificates.count(),
        }
    )


def _entry(entry: StockEntry) -> EntryOut:
    fresh = (
        StockEntry.objects.unscoped("the entry just written")
        .select_related("location__site", "work_order", "transfer")
        .get(pk=entry.pk)
    )
    return EntryOut.model_validate(entry_out(fresh))


def _transfers(actor: Actor) -> QuerySet[Transfer]:
    return (
        Transfer.objects.visible_to(actor)
        .select_related("from_site", "to_site", "from_location__site", "to_location__site")
        .prefetch_related("lines__lot__item")
    )


def _transfer_out(actor: Actor, transfer_id: int) -> TransferOut:
    transfer = _transfers(actor).filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404
    return TransferOut.model_validate(transfer_out(transfer))


# ---------------------------------------------------------------- locations and pools


@router.get("/locations", response=Page[LocationOut], summary="Stock locations")
@access("authenticated")
def list_locations(
    request: HttpRequest, page: Query[PageParams], site_id: int | None = None
) -> dict[str, Any]:
    """The stock locations of your organisations' sites (shelves, racks, production areas,
    quarantine, dock), by site and code. Filter: ``site_id``."""
    actor = require_authenticated(request)
    rows = Location.objects.owned_by(list(actor.organization_ids)).select_related("site")
    if site_id is not None:
        rows = rows.filter(site_id=site_id)
    items, count = page_of(rows.order_by("site__name", "code"), page)
    return {"items": [location_out(loc) for loc in items], "count": count}


@router.post("/locations", response={201: LocationOut, **ERRORS}, summary="Create a location")
@access("member", perm="stock.manage")
@idempotent
def create_location(request: HttpRequest, payload: LocationIn) -> tuple[int, Any]:
    """A new stock location in a site of your organisation (managers). 422 when the site
    already has a location with this code."""
    actor = require_authenticated(request)
    site = Site.objects.owned_by(list(actor.organization_ids)).filter(pk=payload.site_id).first()
    if site is None:
        raise ValidationError({"site_id": _("Choose a site of your organisation.")})
    location = services.create_location(
        actor=actor, site=site, code=payload.code, name=payload.name, kind=payload.kind
    )
    return 201, LocationOut.model_validate(location_out(location))


@router.get("/pools", response=Page[PoolOut], summary="Stock pools")
@access("authenticated")
def list_pools(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The stock pools your organisations keep or belong to, with their members. A pooled
    lot may be used by every member of its pool."""
    actor = require_authenticated(request)
    rows = my_pools(actor).select_related("organization").prefetch_related("members")
    items, count = page_of(rows.order_by("name"), page)
    return {"items": [pool_out(p) for p in items], "count": count}


# ---------------------------------------------------------------- lots


@router.get("/lots", response=Page[LotOut], summary="Lots")
@access("authenticated")
def list_lots(
    request: HttpRequest,
    page: Query[PageParams],
    site_id: int | None = None,
    item_id: int | None = None,
    status: str = "",
    pool_id: int | None = None,
    code: str = "",
) -> dict[str, Any]:
    """Lots your organisations own, hold or share through a pool, newest first, with what is
    on hand. Filters: ``site_id`` (lots with stock at that site), ``item_id``, ``status``
    (available, quarantine, blocked, depleted), ``pool_id``, ``code`` (part of a lot code)."""
    actor = require_authenticated(request)
    lots = my_lots(actor)
    if site_id is not None:
        at_site = StockEntry.objects.unscoped("lots with stock at a site, narrowed just above")
        lots = lots.filter(pk__in=at_site.filter(site_id=site_id).values("lot"))
    if item_id is not None:
        lots = lots.filter(item_id=item_id)
    if status:
        lots = lots.filter(status=status)
    if pool_id is not None:
        lots = lots.filter(pool_id=pool_id)
    if code:
        lots = lots.filter(code__icontains=code)
    items, count = page_of(_with_on_hand(lots).order_by("-created_at", "-pk"), page)
    return {"items": [_lot_out(lot) for lot in items], "count": count}


@router.get("/lots/{code}", response={200: LotDetailOut, 404: ErrorOut}, summary="One lot")
@access("member", object="code", model="inventory.Lot")
def get_lot(request: HttpRequest, code: str) -> LotDetailOut:
    """Everything about a lot: origin, composition, checks, grade, owner and custodian, where
    it is now (on hand per location) and its active reservations. 404 for a lot of another
    organisation (nothing is revealed)."""
    return _detail(require_authenticated(request), code)


@router.get(
    "/lots/{code}/entries",
    response={200: Page[EntryOut], 404: ErrorOut},
    summary="Stock movements of a lot",
)
@access("member", object="code", model="inventory.Lot")
def list_entries(request: HttpRequest, code: str, page: Query[PageParams]) -> dict[str, Any]:
    """The lot's ledger, newest first: every receipt, move, consumption, scrap, shipment and
    correction as a signed quantity in the lot's unit. The on-hand quantity is their sum."""
    lot = visible_lot(require_authenticated(request), code)
    entries = lot.entries.select_related("location__site", "work_order", "transfer").order_by(
        "-recorded_at", "-pk"
    )
    items, count = page_of(entries, page)
    return {"items": [entry_out(e) for e in items], "count": count}


# ---------------------------------------------------------------- receiving


def _lot_input(actor: Actor, location: Location, line: Any, index: int) -> LotInput:
    item = Item.objects.owned_by(location.site.organization_id).filter(pk=line.item_id).first()
    if item is None:
        raise ValidationError(
            {"lines": _("Line %(n)s: choose an item of the site's organisation.") % {"n": index}}
        )
    pool = None
    if line.pool_id is not None:
        pool = my_pools(actor).select_related("organization").filter(pk=line.pool_id).first()
        if pool is None:
            raise ValidationError({"lines": _("Line %(n)s: no such pool.") % {"n": index}})
    return LotInput(
        item=item,
        quantity=line.quantity,
        unit=line.unit,
        code=line.code,
        origin=line.origin,
        supplier=line.supplier,
        collection_source=line.collection_source,
        composition=[{"material": c.material, "share": c.share} for c in line.composition],
        contaminant_checks=[c.model_dump() for c in line.contaminant_checks],
        grade=line.grade,
        recycled_share=line.recycled_share,
        gtin=line.gtin,
        owner=pool.organization if pool else None,
        pool=pool,
    )


@router.post("/receipts", response={201: ReceiptOut, **ERRORS}, summary="Receive a delivery")
@access("member", perm="stock.receive")
@idempotent
def create_receipt(request: HttpRequest, payload: ReceiptIn) -> tuple[int, Any]:
    """Receive goods from outside the network at a location of your site: one lot per line,
    each posted on the ledger, with an EPCIS receiving event. Secondary material is 100 %
    recycled unless ``recycled_share`` says otherwise; a failed contaminant check or grade X
    blocks the lot; a quarantine location puts it in quarantine. Refusals: 422
    ``invalid_quantity``, ``invalid_lot_code``, ``lot_code_taken``, ``invalid_gtin``,
    ``invalid_composition``, ``not_pool_member``. Certificates are attached on the lot page."""
    actor = require_authenticated(request)
    location = _location(actor, payload.location_id)
    lines = [_lot_input(actor, location, line, i) for i, line in enumerate(payload.lines, 1)]
    receipt = services.receive(
        actor=actor,
        location=location,
        supplier=payload.supplier,
        lines=lines,
        delivery_note=payload.delivery_note,
        received_at=payload.received_at,
        note=payload.note,
    )
    lots = list(_with_on_hand(receipt.lots.all()).order_by("pk"))  # type: ignore[attr-defined]
    body = receipt_out(receipt, [(lot, getattr(lot, "on_hand", Decimal(0))) for lot in lots])
    return 201, ReceiptOut.model_validate(body)


# ---------------------------------------------------------------- acting on a lot


@router.post(
    "/lots/{code}/inspections",
    response={201: LotDetailOut, **ERRORS},
    summary="Record an inspection",
)
@access("member", perm="stock.receive", object="code", model="inventory.Lot")
@idempotent
def inspect_lot(request: HttpRequest, code: str, payload: InspectionIn) -> tuple[int, Any]:
    """Contaminant checks and a grade, by the organisation holding or owning the lot: a
    failed check (or grade X) blocks it, passing checks release a lot in quarantine. An
    EPCIS inspecting event is recorded."""
    actor = require_authenticated(request)
    lot = lot_for(actor, code, "stock.receive", shared=False)
    if not payload.checks and not payload.grade:
        raise ValidationError({"checks": _("Record at least one check or a grade.")})
    services.record_inspection(
        actor=actor,
        lot=lot,
        checks=[c.model_dump() for c in payload.checks],
        grade=payload.grade,
        note=payload.note,
    )
    return 201, _detail(actor, code)


@router.post("/lots/{code}/moves", response={201: LotDetailOut, **ERRORS}, summary="Move stock")
@access("member", perm="stock.move", object="code", model="inventory.Lot")
@idempotent
def move_lot(request: HttpRequest, code: str, payload: MoveIn) -> tuple[int, Any]:
    """Move stock of the lot between two locations of the same site (422 ``other_site``:
    between sites, ship a transfer). 409 ``insufficient_stock`` when less is free there."""
    actor = require_authenticated(request)
    lot = lot_for(actor, code, "stock.move", shared=False)
    services.move(
        actor=actor,
        lot=lot,
        from_location=_location(actor, payload.from_location_id, "from_location_id"),
        to_location=_location(actor, payload.to_location_id, "to_location_id"),
        quantity=payload.quantity,
        unit=payload.unit,
    )
    return 201, _detail(actor, code)


@router.post(
    "/lots/{code}/adjustments", response={201: EntryOut, **ERRORS}, summary="Correct after a count"
)
@access("member", perm="stock.manage", object="code", model="inventory.Lot")
@idempotent
def adjust_lot(request: HttpRequest, code: str, payload: AdjustIn) -> tuple[int, Any]:
    """Managers: a signed correction of the lot at a location after a count, with a reason.
    The ledger keeps it as a new entry; a negative correction cannot take more than is free
    (409 ``insufficient_stock``)."""
    actor = require_authenticated(request)
    lot = lot_for(actor, code, "stock.manage", shared=False)
    entry = services.adjust(
        actor=actor,
        lot=lot,
        location=_location(actor, payload.location_id),
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return 201, _entry(entry)


@router.post("/lots/{code}/scrap", response={201: EntryOut, **ERRORS}, summary="Scrap stock")
@access("member", perm="stock.move", object="code", model="inventory.Lot")
@idempotent
def scrap_lot(request: HttpRequest, code: str, payload: ScrapIn) -> tuple[int, Any]:
    """Take stock out as waste, saying why (also for a blocked lot). 409
    ``insufficient_stock``; 422 ``unit_mismatch`` for a unit the item cannot convert to."""
    actor = require_authenticated(request)
    lot = lot_for(actor, code, "stock.move", shared=False)
    entry = services.consume(
        actor=actor,
        lot=lot,
        location=_location(actor, payload.location_id),
        quantity=payload.quantity,
        unit=payload.unit,
        reason=payload.reason,
    )
    return 201, _entry(entry)


def _work_order(actor: Actor, work_order_id: int) -> WorkOrder:
    work_order = (
        WorkOrder.objects.visible_to(actor)
        .filter(
            pk=work_order_id,
            site__organization__in=list(actor.organization_ids),
            state__in=(WorkOrderState.ACCEPTED, WorkOrderState.IN_PROGRESS),
        )
        .first()
    )
    if work_order is None:
        raise ValidationError(
            {"work_order_id": _("Choose work accepted by or running at one of your sites.")}
        )
    return work_order  # type: ignore[no-any-return]


@router.post(
    "/lots/{code}/reservations",
    response={201: ReservationOut, **ERRORS},
    summary="Reserve stock for a work order",
)
@access("member", perm="stock.move", object="code", model="inventory.Lot")
@idempotent
def reserve_lot(request: HttpRequest, code: str, payload: ReservationIn) -> tuple[int, Any]:
    """Keep stock of the lot at a location for a work order of your site: nobody else can
    consume it meanwhile. 409 ``insufficient_stock`` when less is free."""
    actor = require_authenticated(request)
    lot = lot_for(actor, code, "stock.move", shared=False)
    reservation = services.reserve(
        actor=actor,
        lot=lot,
        location=_location(actor, payload.location_id),
        work_order=_work_order(actor, payload.work_order_id),
        quantity=payload.quantity,
        unit=payload.unit,
    )
    fresh = Reservation.objects.unscoped("the reservation just made").select_related(
        "lot", "location__site", "work_order"
    )
    return 201, ReservationOut.model_validate(reservation_out(fresh.get(pk=reservation.pk)))


@router.post(
    "/reservations/{reservation_id}/release",
    response={200: ReservationOut, **ERRORS},
    summary="Release a reservation",
)
@access("member", perm="stock.move", object="reservation_id", model="inventory.Reservation")
def release_reservation(request: HttpRequest, reservation_id: int) -> ReservationOut:
    """Give reserved stock back to the free stock (409 ``concurrent_change`` when it is no
    longer active)."""
    actor = require_authenticated(request)
    reservation = get_visible_or_404(Reservation, actor, pk=reservation_id)
    require(actor, "stock.move", reservation.location.site.organization_id)
    services.release_reservation(actor=actor, reservation=reservation)
    fresh = Reservation.objects.unscoped("the reservation just released").select_related(
        "lot", "location__site", "work_order"
    )
    return ReservationOut.model_validate(reservation_out(fresh.get(pk=reservation.pk)))


# ---------------------------------------------------------------- transfers


@router.get("/transfers", response=Page[TransferOut], summary="Transfers between sites")
@access("authenticated")
def list_transfers(
    request: HttpRequest, page: Query[PageParams], direction: str = "", state: str = ""
) -> dict[str, Any]:
    """Transfers leaving or arriving at your organisations' sites, newest first. Filters:
    ``direction`` (incoming, outgoing), ``state`` (shipped, received)."""
    actor = require_authenticated(request)
    orgs = list(actor.organization_ids)
    incoming, outgoing = Q(to_site__organization__in=orgs), Q(from_site__organization__in=orgs)
    chosen = {"incoming": incoming, "outgoing": outgoing}.get(direction, incoming | outgoing)
    rows = _transfers(actor).filter(chosen)
    if state:
        rows = rows.filter(state=state)
    items, count = page_of(rows.order_by("-created_at", "-pk"), page)
    return {"items": [transfer_out(t) for t in items], "count": count}


@router.post("/transfers", response={201: TransferOut, **ERRORS}, summary="Ship to another site")
@access("member", perm="stock.move")
@idempotent
def ship_transfer(request: HttpRequest, payload: ShipIn) -> tuple[int, Any]:
    """Send lots from a location of your site to another site of the network: the stock
    leaves now (ledger ``shipment``) and arrives when the other site receives it. 409
    ``insufficient_stock`` or ``lot_blocked``; 422 ``same_site``."""
    actor = require_authenticated(request)
    location = _location(actor, payload.from_location_id, "from_location_id")
    to_site = Site.objects.visible_to(actor).filter(pk=payload.to_site_id).first()
    if to_site is None:
        raise ValidationError({"to_site_id": _("No such site.")})
    lines = []
    for line in payload.lines:
        lot = Lot.objects.visible_to(actor).filter(code=line.lot).first()
        if lot is None:
            raise ValidationError(
                {"lines": _("None of your lots has the code %(code)s.") % {"code": line.lot}}
            )
        lines.append((lot, line.quantity))
    work_order = _work_order(actor, payload.work_order_id) if payload.work_order_id else None
    transfer = services.ship(
        actor=actor,
        from_location=location,
        to_site=to_site,
        lines=lines,
        carrier=payload.carrier,
        work_order=work_order,
        note=payload.note,
    )
    return 201, _transfer_out(actor, transfer.pk)


@router.get(
    "/transfers/{transfer_id}", response={200: TransferOut, 404: ErrorOut}, summary="One transfer"
)
@access("member", object="transfer_id", model="inventory.Transfer")
def get_transfer(request: HttpRequest, transfer_id: int) -> TransferOut:
    """A transfer with its lines: shipped and received quantities and discrepancies."""
    return _transfer_out(require_authenticated(request), transfer_id)


@router.post(
    "/transfers/{transfer_id}/receive",
    response={200: TransferOut, **ERRORS},
    summary="Receive a transfer",
)
@access("member", perm="stock.receive", object="transfer_id", model="inventory.Transfer")
def receive_transfer(
    request: HttpRequest, transfer_id: int, payload: TransferReceiveIn
) -> TransferOut:
    """The receiving site counts what arrived, once: each line's counted quantity (as
    shipped when left out) is posted at the location; a difference is recorded as a
    discrepancy. 409 ``already_received`` the second time; 422 ``wrong_site``."""
    actor = require_authenticated(request)
    transfer = get_visible_or_404(Transfer, actor, pk=transfer_id)
    require(actor, "stock.receive", transfer.to_site.organization_id)
    known = set(transfer.lines.values_list("pk", flat=True))
    unknown = [line.line_id for line in payload.lines if line.line_id not in known]
    if unknown:
        raise ValidationError(
            {
                "lines": _("These lines are not of this transfer: %(ids)s.")
                % {"ids": ", ".join(str(i) for i in unknown)}
            }
        )
    services.receive_transfer(
        actor=actor,
        transfer=transfer,
        location=_location(actor, payload.location_id),
        received={line.line_id: line.received_quantity for line in payload.lines},
        discrepancies={line.line_id: line.discrepancy for line in payload.lines},
    )
    return _transfer_out(actor, transfer.pk)


# ---------------------------------------------------------------- a site's stock


@router.get(
    "/sites/{site_id}/stock",
    response={200: Page[SiteStockRow], 404: ErrorOut},
    summary="Stock on hand at a site",
)
@access("member", object="site_id", model="network.Site")
def site_stock(request: HttpRequest, site_id: int, page: Query[PageParams]) -> dict[str, Any]:
    """On hand at a site per lot and location (the sum of the ledger, zero balances left
    out). At your own sites: every lot; at another site: only your lots and your pools'."""
    actor = require_authenticated(request)
    site = get_visible_or_404(Site, actor, pk=site_id)
    entries = StockBalance.objects.unscoped("stock of a site, narrowed below").filter(site=site)
    if site.organization_id not in actor.organization_ids:
        entries = entries.filter(lot__in=my_lots(actor).values("pk"))
    rows, count = page_of(balances(entries), page)
    return {
        "items": [
            {
                "lot": row.lot.code,
                "item": item_ref(row.lot.item),
                "location": location_ref(row.location),
                "quantity": row.quantity,
                "unit": row.lot.unit,
                "status": row.lot.status,
            }
            for row in stock_rows(rows)
        ],
        "count": count,
    }
