"""A realistic Cohort 1 chain built through the real services (shared by the tests).

Lab X receives 12 kg of post-consumer flax/cotton from Les Petits Riens, inspects it,
shreds it into fibre and makes a pulp batch, and ships the pulp to lab Y. Lab Y receives it,
makes 300 paper sheets for the customer's order (work order "Pack" of a stool order, the
sheets being that design's product) and packs 100 of them into a box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reproduce.designs.models import Item
from reproduce.inventory import services as stock
from reproduce.inventory.models import Location, Lot, Transfer
from reproduce.inventory.services import LotInput, Output


@dataclass
class Chain:
    waste: Lot
    fibre: Lot
    pulp: Lot
    sheets: Lot
    box: Lot
    transfer: Transfer
    work_order: Any
    order: Any
    x_store: Location
    y_store: Location


def _locations(world: Any, lab: Any) -> tuple[Location, Location]:
    actor = world.actor(lab.manager)
    store = stock.create_location(actor=actor, site=lab.site, code="STORE", name="Store")
    floor = stock.create_location(
        actor=actor, site=lab.site, code="FLOOR", name="Floor", kind="production"
    )
    return store, floor


def _work_order(world: Any) -> Any:
    from reproduce.orders import services as orders
    from reproduce.orders.models import WorkOrder
    from reproduce.orders.services import LineInput
    from reproduce.orders.tests.conftest import in_days

    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, 1, {})],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    orders.release_order(actor=world.actor(world.coordinator), order=order)
    work_order = WorkOrder.objects.unscoped("test").get(order=order, name="Pack")
    orders.assign_work_order(
        actor=world.actor(world.coordinator),
        work_order=work_order,
        site=world.y.site,
        reason="agreed by phone",
    )
    work_order.refresh_from_db()
    return order, work_order


def _inspect(actor: Any, lot: Lot) -> None:
    checks = [{"check": "metal fasteners", "result": "pass"}]
    stock.record_inspection(actor=actor, lot=lot, checks=checks, grade="A")


def build_chain(world: Any, *, gtin: str = "") -> Chain:
    x, y = world.x, world.y
    xa, ya = world.actor(x.manager), world.actor(y.manager)
    x_store, x_floor = _locations(world, x)
    y_store, y_floor = _locations(world, y)
    item = Item.objects.create
    waste_item = item(
        organization=x.org, kind="material", name="Flax/cotton waste", default_unit="KGM"
    )
    fibre_item = item(
        organization=x.org, kind="material", name="Shredded fibre", default_unit="KGM"
    )
    pulp_item = item(organization=x.org, kind="material", name="Paper pulp", default_unit="KGM")
    sheet_item = item(
        organization=y.org,
        kind="design",
        design=world.stool.design,
        name="Paper sheet A4",
        default_unit="C62",
    )
    box_item = item(organization=y.org, kind="part", name="Box of sheets", default_unit="C62")
    earlier = timezone.now() - timedelta(days=3)
    receipt = stock.receive(
        actor=xa,
        location=x_store,
        supplier="Les Petits Riens",
        delivery_note="BL-42",
        received_at=earlier,
        lines=[
            LotInput(
                item=waste_item,
                quantity=Decimal(12),
                code="WASTE-001",
                origin="secondary",
                collection_source="Les Petits Riens, Anderlecht",
                composition=[
                    {"material": "flax", "share": 55},
                    {"material": "cotton", "share": 45},
                ],
                grade="A",
            )
        ],
    )
    waste = receipt.lots.get()
    _inspect(xa, waste)
    stock.move(
        actor=xa, lot=waste, from_location=x_store, to_location=x_floor, quantity=Decimal(12)
    )
    stock.consume(actor=xa, lot=waste, location=x_floor, quantity=Decimal(12), reason="shredding")
    fibre = stock.produce(
        actor=xa,
        site=x.site,
        location=x_floor,
        outputs=[Output(item=fibre_item, quantity=Decimal("11.4"), code="FIBRE-001")],
        inputs=[(waste, Decimal(12))],
    )[0]
    stock.consume(actor=xa, lot=fibre, location=x_floor, quantity=Decimal("11.4"), reason="pulp")
    pulp = stock.produce(
        actor=xa,
        site=x.site,
        location=x_store,
        outputs=[Output(item=pulp_item, quantity=Decimal(11), code="PULP-001")],
        inputs=[(fibre, Decimal("11.4"))],
    )[0]
    transfer = stock.ship(
        actor=xa, from_location=x_store, to_site=y.site, lines=[(pulp, Decimal(11))]
    )
    line = transfer.lines.get()
    stock.receive_transfer(
        actor=ya,
        transfer=transfer,
        location=y_store,
        received={line.pk: Decimal("10.8")},
        discrepancies={line.pk: "wet bag, weighed less"},
    )
    pulp.refresh_from_db()  # Y is its custodian now
    order, work_order = _work_order(world)
    stock.move(
        actor=ya, lot=pulp, from_location=y_store, to_location=y_floor, quantity=Decimal("10.8")
    )
    stock.consume(
        actor=ya, lot=pulp, location=y_floor, quantity=Decimal("10.8"), work_order=work_order
    )
    sheets = stock.produce(
        actor=ya,
        site=y.site,
        location=y_store,
        outputs=[Output(item=sheet_item, quantity=Decimal(300), code="SHEETS-001", gtin=gtin)],
        inputs=[(pulp, Decimal("10.8"))],
        work_order=work_order,
    )[0]
    box = stock.pack(
        actor=ya,
        location=y_store,
        item=box_item,
        children=[(sheets, Decimal(100))],
        code="BOX-001",
    )
    return Chain(
        waste=waste,
        fibre=fibre,
        pulp=pulp,
        sheets=Lot.objects.unscoped("test").get(pk=sheets.pk),
        box=box,
        transfer=transfer,
        work_order=work_order,
        order=order,
        x_store=x_store,
        y_store=y_store,
    )
