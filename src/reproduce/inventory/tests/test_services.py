"""Stock services with bad input: every refusal is clear and writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from reproduce.designs.models import Item
from reproduce.inventory import services, views
from reproduce.inventory.models import (
    Lot,
    LotStatus,
    Receipt,
    ReservationState,
    StockEntry,
    TraceEvent,
    TransferLine,
)
from reproduce.inventory.services import InventoryError, LotInput

pytestmark = pytest.mark.django_db


@dataclass
class Stock:
    actor: Any
    store: Any
    floor: Any
    quarantine: Any
    waste: Any
    lot: Lot


def make_stock(world: Any, quantity: str = "12") -> Stock:
    """Lab X with three locations and a lot of 12 kg of post-consumer textile in A1."""
    lab = world.x
    actor = world.actor(lab.manager)
    store = services.create_location(actor=actor, site=lab.site, code="A1", name="Rack A1")
    floor = services.create_location(
        actor=actor, site=lab.site, code="FLOOR", name="Shop floor", kind="production"
    )
    quarantine = services.create_location(
        actor=actor, site=lab.site, code="Q", name="Quarantine", kind="quarantine"
    )
    waste = Item.objects.create(
        organization=lab.org, kind="material", name="Flax/cotton waste", default_unit="KGM"
    )
    receipt = services.receive(
        actor=actor,
        location=store,
        supplier="Les Petits Riens",
        lines=[
            LotInput(
                item=waste,
                quantity=Decimal(quantity),
                origin="secondary",
                code="LPR-001",
                composition=[
                    {"material": "flax", "share": 55},
                    {"material": "cotton", "share": 45},
                ],
            )
        ],
    )
    return Stock(actor, store, floor, quarantine, waste, receipt.lots.get())


def ledger(lot: Lot, location: Any = None) -> Decimal:
    entries = StockEntry.objects.unscoped("test").filter(lot=lot)
    if location is not None:
        entries = entries.filter(location=location)
    return entries.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def entry_count() -> int:
    return StockEntry.objects.unscoped("test").count()


def accepted_work_order(world: Any, lab: Any) -> Any:
    """A work order of an order for the stool, accepted by ``lab``'s site."""
    from reproduce.orders import services as orders
    from reproduce.orders.models import WorkOrder
    from reproduce.orders.services import LineInput
    from reproduce.orders.tests.conftest import in_days

    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, 1)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    coordinator = world.actor(world.coordinator)
    orders.release_order(actor=coordinator, order=order)
    work = WorkOrder.objects.unscoped("test").get(order=order, name="Cut the plywood")
    offer = orders.offer_work_order(actor=coordinator, work_order=work, site=lab.site)
    orders.accept_offer(actor=world.actor(lab.manager), offer=offer)
    work.refresh_from_db()
    return work


# ---------------------------------------------------------------- quantities and units


def test_consuming_more_than_on_hand_is_refused_and_writes_nothing(world):
    s = make_stock(world)
    before = entry_count()
    with pytest.raises(InventoryError) as err:
        services.consume(
            actor=s.actor, lot=s.lot, location=s.store, quantity=Decimal("12.001"), reason="x"
        )
    assert err.value.code == "insufficient_stock"
    assert "12" in err.value.messages[0] and "kg" in err.value.messages[0]
    assert entry_count() == before and ledger(s.lot) == Decimal(12)


def test_a_negative_quantity_received_leaves_no_receipt(world):
    s = make_stock(world)
    receipts = Receipt.objects.unscoped("test").count()
    with pytest.raises(InventoryError) as err:
        services.receive(
            actor=s.actor,
            location=s.store,
            supplier="Someone",
            lines=[
                LotInput(item=s.waste, quantity=Decimal(3)),
                LotInput(item=s.waste, quantity=Decimal(-2)),
            ],
        )
    assert err.value.code == "invalid_quantity"
    assert Receipt.objects.unscoped("test").count() == receipts
    assert Lot.objects.unscoped("test").count() == 1


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-1)])
def test_moves_and_reservations_refuse_non_positive_quantities(world, quantity):
    s = make_stock(world)
    with pytest.raises(InventoryError) as err:
        services.move(
            actor=s.actor, lot=s.lot, from_location=s.store, to_location=s.floor, quantity=quantity
        )
    assert err.value.code == "invalid_quantity"


def test_pieces_of_a_kilogram_lot_need_a_conversion_of_the_item(world):
    s = make_stock(world)
    with pytest.raises(InventoryError) as err:
        services.consume(
            actor=s.actor, lot=s.lot, location=s.store, quantity=Decimal(4), unit="C62", reason="x"
        )
    assert err.value.code == "unit_mismatch"
    services.set_conversion(
        actor=s.actor, item=s.waste, from_unit="C62", to_unit="KGM", factor=Decimal("0.5")
    )
    entry = services.consume(
        actor=s.actor, lot=s.lot, location=s.store, quantity=Decimal(4), unit="C62", reason="x"
    )
    assert entry.quantity == Decimal(-2)
    assert ledger(s.lot) == Decimal(10)


def test_a_conversion_is_positive_and_never_replaces_a_fixed_one(world):
    s = make_stock(world)
    with pytest.raises(InventoryError) as err:
        services.set_conversion(
            actor=s.actor, item=s.waste, from_unit="KGM", to_unit="GRM", factor=Decimal(1000)
        )
    assert err.value.code == "fixed_conversion"
    with pytest.raises(InventoryError) as err:
        services.set_conversion(
            actor=s.actor, item=s.waste, from_unit="C62", to_unit="KGM", factor=Decimal(0)
        )
    assert err.value.code == "invalid_factor"
    with pytest.raises(PermissionDenied):
        services.set_conversion(
            actor=world.actor(world.x.operator),
            item=s.waste,
            from_unit="C62",
            to_unit="KGM",
            factor=Decimal(1),
        )


def test_receiving_checks_codes_gtins_and_composition(world):
    s = make_stock(world)
    cases = [
        (LotInput(item=s.waste, quantity=Decimal(1), code="LPR-001"), "lot_code_taken"),
        (LotInput(item=s.waste, quantity=Decimal(1), code="a b"), "invalid_lot_code"),
        (LotInput(item=s.waste, quantity=Decimal(1), gtin="5412345678901"), "invalid_gtin"),
        (
            LotInput(
                item=s.waste,
                quantity=Decimal(1),
                composition=[{"material": "flax", "share": 70}, {"material": "pet", "share": 40}],
            ),
            "invalid_composition",
        ),
    ]
    for line, code in cases:
        with pytest.raises(InventoryError) as err:
            services.receive(actor=s.actor, location=s.store, supplier="X", lines=[line])
        assert err.value.code == code
    assert Lot.objects.unscoped("test").count() == 1


# ---------------------------------------------------------------- what may be used


def test_a_lot_in_quarantine_is_not_consumable_until_inspected(world):
    s = make_stock(world)
    lot = services.receive(
        actor=s.actor,
        location=s.quarantine,
        supplier="Collector",
        lines=[LotInput(item=s.waste, quantity=Decimal(5), origin="secondary")],
    ).lots.get()
    assert lot.status == LotStatus.QUARANTINE
    work = accepted_work_order(world, world.x)
    with pytest.raises(InventoryError) as err:
        services.consume(actor=s.actor, lot=lot, location=s.quarantine, quantity=1, work_order=work)
    assert err.value.code == "lot_blocked"
    # It may leave the quarantine area, but stays unusable until a check passes.
    services.move(
        actor=s.actor, lot=lot, from_location=s.quarantine, to_location=s.store, quantity=5
    )
    with pytest.raises(InventoryError) as err:
        services.consume(actor=s.actor, lot=lot, location=s.store, quantity=1, work_order=work)
    assert err.value.code == "lot_blocked"
    services.record_inspection(
        actor=s.actor, lot=lot, checks=[{"check": "metal", "result": "pass", "note": ""}]
    )
    lot.refresh_from_db()
    assert lot.status == LotStatus.AVAILABLE
    services.consume(actor=s.actor, lot=lot, location=s.store, quantity=1, work_order=work)
    assert ledger(lot) == Decimal(4)


def test_a_blocked_lot_cannot_be_used_nor_shipped_but_can_be_scrapped(world):
    s = make_stock(world)
    services.record_inspection(
        actor=s.actor,
        lot=s.lot,
        checks=[{"check": "metal fasteners", "result": "fail", "note": "zips left"}],
    )
    s.lot.refresh_from_db()
    assert s.lot.status == LotStatus.BLOCKED
    work = accepted_work_order(world, world.x)
    with pytest.raises(InventoryError) as err:
        services.consume(actor=s.actor, lot=s.lot, location=s.store, quantity=1, work_order=work)
    assert err.value.code == "lot_blocked"
    with pytest.raises(InventoryError) as err:
        services.ship(
            actor=s.actor, from_location=s.store, to_site=world.y.site, lines=[(s.lot, 1)]
        )
    assert err.value.code == "lot_blocked"
    services.consume(actor=s.actor, lot=s.lot, location=s.store, quantity=12, reason="rejected")
    assert ledger(s.lot) == 0


def test_another_organisation_neither_sees_nor_uses_a_private_lot(world):
    s = make_stock(world)
    other = world.actor(world.y.manager)
    assert not Lot.objects.visible_to(other).filter(pk=s.lot.pk).exists()
    with pytest.raises(Http404):
        views.visible_lot(other, s.lot.code)
    with pytest.raises(PermissionDenied):  # not their location
        services.consume(actor=other, lot=s.lot, location=s.store, quantity=1, reason="x")
    their_store = services.create_location(
        actor=other, site=world.y.site, code="B1", name="Rack B1"
    )
    with pytest.raises(InventoryError) as err:  # not their lot
        services.consume(actor=other, lot=s.lot, location=their_store, quantity=1, reason="x")
    assert err.value.code == "not_your_lot"
    assert ledger(s.lot) == Decimal(12)


def test_a_pool_member_may_use_a_pooled_lot_and_an_outsider_may_not(world):
    """Lab Y keeps a pool with lab X. X receives two lots belonging to Y — one pooled — and
    sends part of each to lab Z, who then holds them. Only the pooled one is still X's to use."""
    x, y, z = world.x, world.y, world.z
    ax, ay, az = world.actor(x.manager), world.actor(y.manager), world.actor(z.manager)
    pool = services.create_pool(actor=ay, custodian=y.org, name="Textile pool", members=[x.org])
    store = services.create_location(actor=ax, site=x.site, code="A1", name="Rack A1")
    dock = services.create_location(actor=az, site=z.site, code="DOCK", name="Dock")
    item = Item.objects.create(
        organization=y.org, kind="material", name="Waste", default_unit="KGM"
    )
    lots = services.receive(
        actor=ax,
        location=store,
        supplier="Collector",
        lines=[
            LotInput(item=item, quantity=Decimal(10), owner=y.org, pool=pool, code="POOLED"),
            LotInput(item=item, quantity=Decimal(10), owner=y.org, code="NOTPOOLED"),
        ],
    ).lots.order_by("code")
    not_pooled, pooled = list(lots)
    transfer = services.ship(
        actor=ax, from_location=store, to_site=z.site, lines=[(pooled, 4), (not_pooled, 4)]
    )
    services.receive_transfer(actor=az, transfer=transfer, location=dock)
    pooled.refresh_from_db()
    not_pooled.refresh_from_db()
    assert pooled.custodian == z.org and not_pooled.custodian == z.org
    assert services.may_use(ax, pooled) and not services.may_use(ax, not_pooled)
    services.consume(actor=ax, lot=pooled, location=store, quantity=Decimal(6), reason="used")
    with pytest.raises(InventoryError) as err:
        services.consume(actor=ax, lot=not_pooled, location=store, quantity=1, reason="used")
    assert err.value.code == "not_your_lot"
    outsider = world.actor(world.buyer)
    assert not services.may_use(outsider, pooled)


def test_receiving_into_a_pool_needs_membership(world):
    s = make_stock(world)
    ay = world.actor(world.y.manager)
    pool = services.create_pool(actor=ay, custodian=world.y.org, name="Y only", members=[])
    with pytest.raises(InventoryError) as err:
        services.receive(
            actor=s.actor,
            location=s.store,
            supplier="X",
            lines=[LotInput(item=s.waste, quantity=Decimal(1), pool=pool)],
        )
    assert err.value.code == "not_pool_member"


def test_reserved_stock_is_kept_for_its_work_order(world):
    s = make_stock(world)
    work = accepted_work_order(world, world.x)
    reservation = services.reserve(
        actor=s.actor, lot=s.lot, location=s.store, work_order=work, quantity=Decimal(10)
    )
    with pytest.raises(InventoryError) as err:
        services.consume(actor=s.actor, lot=s.lot, location=s.store, quantity=3, reason="x")
    assert err.value.code == "insufficient_stock"
    with pytest.raises(InventoryError) as err:
        services.reserve(
            actor=s.actor, lot=s.lot, location=s.store, work_order=work, quantity=Decimal(3)
        )
    assert err.value.code == "insufficient_stock"
    services.consume(actor=s.actor, lot=s.lot, location=s.store, quantity=10, work_order=work)
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.CONSUMED
    with pytest.raises(InventoryError) as err:
        services.release_reservation(actor=s.actor, reservation=reservation)
    assert err.value.code == "concurrent_change"


# ---------------------------------------------------------------- moves and transfers


def test_a_move_between_two_sites_is_refused(world):
    s = make_stock(world)
    other_site_location = services.create_location(
        actor=world.actor(world.y.manager), site=world.y.site, code="B1", name="Rack B1"
    )
    before = entry_count()
    with pytest.raises(InventoryError) as err:
        services.move(
            actor=s.actor,
            lot=s.lot,
            from_location=s.store,
            to_location=other_site_location,
            quantity=Decimal(1),
        )
    assert err.value.code == "other_site"
    assert entry_count() == before


def test_a_transfer_is_received_once_with_its_discrepancies(world):
    s = make_stock(world)
    ay = world.actor(world.y.manager)
    dock = services.create_location(actor=ay, site=world.y.site, code="DOCK", name="Dock")
    transfer = services.ship(
        actor=s.actor,
        from_location=s.store,
        to_site=world.y.site,
        lines=[(s.lot, Decimal(5))],
        carrier="cargo bike",
    )
    assert ledger(s.lot) == Decimal(7)  # 5 kg on their way
    line = TransferLine.objects.unscoped("test").get(transfer=transfer)
    services.receive_transfer(
        actor=ay, transfer=transfer, location=dock, received={line.pk: Decimal("4.5")}
    )
    line.refresh_from_db()
    assert line.received_quantity == Decimal("4.5")
    assert line.discrepancy == "Counted 4.5 instead of 5."
    assert ledger(s.lot, dock) == Decimal("4.5")
    event = TraceEvent.objects.unscoped("test").get(transfer=transfer, biz_step="receiving")
    assert event.details == {"discrepancies": {"LPR-001": "Counted 4.5 instead of 5."}}
    before = entry_count()
    with pytest.raises(InventoryError) as err:
        services.receive_transfer(actor=ay, transfer=transfer, location=dock)
    assert err.value.code == "already_received"
    assert entry_count() == before


def test_a_transfer_is_received_at_its_destination_only(world):
    s = make_stock(world)
    transfer = services.ship(
        actor=s.actor, from_location=s.store, to_site=world.y.site, lines=[(s.lot, 2)]
    )
    with pytest.raises(InventoryError) as err:
        services.receive_transfer(actor=s.actor, transfer=transfer, location=s.floor)
    assert err.value.code == "wrong_site"
    with pytest.raises(InventoryError) as err:
        services.ship(actor=s.actor, from_location=s.store, to_site=world.x.site, lines=[])
    assert err.value.code == "same_site"


# ---------------------------------------------------------------- counts, items, locations


def test_a_correction_needs_a_reason_and_may_revive_a_used_up_lot(world):
    s = make_stock(world)
    with pytest.raises(InventoryError) as err:
        services.adjust(actor=s.actor, lot=s.lot, location=s.store, quantity=Decimal(-1), reason="")
    assert err.value.code == "reason_required"
    with pytest.raises(PermissionDenied):
        services.adjust(
            actor=world.actor(world.x.operator),
            lot=s.lot,
            location=s.store,
            quantity=Decimal(-1),
            reason="count",
        )
    services.adjust(actor=s.actor, lot=s.lot, location=s.store, quantity=-12, reason="stolen")
    s.lot.refresh_from_db()
    assert s.lot.status == LotStatus.DEPLETED
    services.adjust(actor=s.actor, lot=s.lot, location=s.store, quantity=2, reason="found")
    s.lot.refresh_from_db()
    assert s.lot.status == LotStatus.AVAILABLE and ledger(s.lot) == Decimal(2)


def test_an_operator_creates_a_material_when_receiving(world):
    operator = world.actor(world.x.operator)
    item = services.create_item(actor=operator, organization=world.x.org, name="Jute sacks")
    assert (item.kind, item.default_unit) == ("material", "KGM")
    with pytest.raises(InventoryError) as err:
        services.create_item(actor=operator, organization=world.x.org, name="jute sacks")
    assert err.value.code == "item_exists"
    with pytest.raises(PermissionDenied):
        services.create_item(
            actor=world.actor(world.y.operator), organization=world.x.org, name="Other"
        )


def test_a_location_with_stock_stays_in_use(world):
    s = make_stock(world)
    with pytest.raises(InventoryError) as err:
        services.update_location(
            actor=s.actor, location=s.store, name="Rack A1", kind="storage", is_active=False
        )
    assert err.value.code == "location_not_empty"
    services.update_location(
        actor=s.actor, location=s.floor, name="Floor", kind="production", is_active=False
    )
    s.floor.refresh_from_db()
    assert not s.floor.is_active


def test_certificates_are_pdf_or_images_only(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reproduce.files.errors import FileRejected
    from reproduce.files.tests.samples import pdf_bytes, stl_bytes

    s = make_stock(world)
    blob = services.store_certificate(SimpleUploadedFile("cert.pdf", pdf_bytes(1)), "cert.pdf")
    services.add_certificates(actor=s.actor, lot=s.lot, blobs=[blob])
    assert list(s.lot.certificates.all()) == [blob]
    with pytest.raises(FileRejected):
        services.store_certificate(SimpleUploadedFile("cert.stl", stl_bytes()), "cert.stl")


def test_received_at_defaults_to_now(world):
    s = make_stock(world)
    assert abs((s.lot.receipt.received_at - timezone.now()).total_seconds()) < 60
