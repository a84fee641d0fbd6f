"""A work order accepted by lab X, with stock to consume, built through the real services.

``shop.wo`` is the stool order's "Cut the plywood" work order assigned to lab X;
``shop.store`` and ``shop.floor`` are X's locations; ``shop.lot`` holds 10 plywood sheets
(pieces) in the store; ``shop.foreign_lot`` is lab Y's private lot (same item kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from reproduce.designs.models import Item
from reproduce.inventory import services as stock
from reproduce.inventory.services import LotInput
from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrder
from reproduce.orders.tests.conftest import in_days


@dataclass
class Shop:
    world: Any
    order: Any
    wo: WorkOrder
    others: list[WorkOrder]
    store: Any
    floor: Any
    sheet: Any
    lot: Any
    fibre_lot: Any
    foreign_lot: Any

    @property
    def operator(self) -> Any:
        return self.world.actor(self.world.x.operator)


def _lot(actor: Any, location: Any, item: Any, quantity: str, code: str) -> Any:
    receipt = stock.receive(
        actor=actor,
        location=location,
        supplier="Bois & Co",
        lines=[LotInput(item=item, quantity=Decimal(quantity), code=code)],
    )
    return receipt.lots.get()


def build_shop(world: Any) -> Shop:
    coordinator = world.actor(world.coordinator)
    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[orders.LineInput(world.stool, 2)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    orders.release_order(actor=coordinator, order=order)
    work = list(WorkOrder.objects.unscoped("test").filter(order=order).order_by("pk"))
    wo = next(w for w in work if w.name == "Cut the plywood")
    orders.assign_work_order(actor=coordinator, work_order=wo, site=world.x.site, reason="test")
    wo.refresh_from_db()
    manager = world.actor(world.x.manager)
    store = stock.create_location(actor=manager, site=world.x.site, code="A1", name="Rack A1")
    floor = stock.create_location(
        actor=manager, site=world.x.site, code="FLOOR", name="Shop floor", kind="production"
    )
    sheet = Item.objects.create(
        organization=world.x.org, kind="material", name="Plywood sheet", default_unit="C62"
    )
    fibre = Item.objects.create(
        organization=world.x.org, kind="material", name="Fibre", default_unit="KGM"
    )
    y_manager = world.actor(world.y.manager)
    y_store = stock.create_location(actor=y_manager, site=world.y.site, code="B1", name="Rack")
    y_item = Item.objects.create(
        organization=world.y.org, kind="material", name="Y plywood", default_unit="C62"
    )
    return Shop(
        world=world,
        order=order,
        wo=wo,
        others=[w for w in work if w.pk != wo.pk],
        store=store,
        floor=floor,
        sheet=sheet,
        lot=_lot(manager, store, sheet, "10", "PLY-001"),
        fibre_lot=_lot(manager, store, fibre, "5", "FIB-001"),
        foreign_lot=_lot(y_manager, y_store, y_item, "10", "YPLY-01"),
    )


@pytest.fixture
def shop(world: Any) -> Shop:
    return build_shop(world)
