"""The ledger, genealogy and trace core, through the real services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from reproduce.designs.models import Item
from reproduce.inventory import selectors, services
from reproduce.inventory.models import (
    EventType,
    LotLink,
    LotStatus,
    Origin,
    StockEntry,
    TraceEvent,
)
from reproduce.inventory.services import InventoryError, LotInput, Output

pytestmark = pytest.mark.django_db


def _setup(world: Any) -> dict[str, Any]:
    lab = world.x
    actor = world.actor(lab.manager)
    store = services.create_location(actor=actor, site=lab.site, code="A1", name="Rack A1")
    floor = services.create_location(
        actor=actor, site=lab.site, code="FLOOR", name="Shop floor", kind="production"
    )
    waste = Item.objects.create(
        organization=lab.org, kind="material", name="Flax/cotton waste", default_unit="KGM"
    )
    fibre = Item.objects.create(
        organization=lab.org, kind="material", name="Shredded fibre", default_unit="KGM"
    )
    receipt = services.receive(
        actor=actor,
        location=store,
        supplier="Les Petits Riens",
        lines=[
            LotInput(
                item=waste,
                quantity=Decimal("12"),
                origin=Origin.SECONDARY,
                collection_source="Les Petits Riens, Anderlecht",
                composition=[
                    {"material": "flax", "share": 55},
                    {"material": "cotton", "share": 45},
                ],
                grade="A",
            )
        ],
    )
    return {
        "actor": actor,
        "store": store,
        "floor": floor,
        "waste": waste,
        "fibre": fibre,
        "lot": receipt.lots.get(),
    }


def test_receiving_posts_the_ledger_and_an_event(world):
    s = _setup(world)
    lot = s["lot"]
    assert services.on_hand(lot) == Decimal("12")
    assert lot.recycled_share == Decimal(100)
    event = TraceEvent.objects.unscoped("test").get(receipt=lot.receipt)
    assert (event.type, event.action, event.biz_step) == (EventType.OBJECT, "ADD", "receiving")


def test_consuming_more_than_on_hand_is_refused_and_writes_nothing(world):
    s = _setup(world)
    before = StockEntry.objects.unscoped("test").count()
    with pytest.raises(InventoryError) as err:
        services.consume(
            actor=s["actor"],
            lot=s["lot"],
            location=s["store"],
            quantity=Decimal("12.5"),
            reason="test",
        )
    assert err.value.code == "insufficient_stock"
    assert StockEntry.objects.unscoped("test").count() == before


@pytest.mark.parametrize("quantity", [Decimal("0"), Decimal("-1")])
def test_a_quantity_must_be_positive(world, quantity):
    s = _setup(world)
    with pytest.raises(InventoryError) as err:
        services.consume(
            actor=s["actor"], lot=s["lot"], location=s["store"], quantity=quantity, reason="x"
        )
    assert err.value.code == "invalid_quantity"


def test_pieces_of_a_kilogram_lot_need_a_conversion(world):
    s = _setup(world)
    with pytest.raises(InventoryError) as err:
        services.consume(
            actor=s["actor"],
            lot=s["lot"],
            location=s["store"],
            quantity=Decimal(3),
            unit="C62",
            reason="x",
        )
    assert err.value.code == "unit_mismatch"
    entry = services.consume(
        actor=s["actor"],
        lot=s["lot"],
        location=s["store"],
        quantity=Decimal(500),
        unit="GRM",
        reason="sample",
    )
    assert entry.quantity == Decimal("-0.5")


def test_production_links_inputs_to_outputs_and_traces_both_ways(world):
    s = _setup(world)
    services.move(
        actor=s["actor"],
        lot=s["lot"],
        from_location=s["store"],
        to_location=s["floor"],
        quantity=Decimal(12),
    )
    fibre = services.produce(
        actor=s["actor"],
        site=world.x.site,
        location=s["floor"],
        outputs=[Output(item=s["fibre"], quantity=Decimal("11.4"))],
        inputs=[(s["lot"], Decimal(12))],
    )[0]
    assert fibre.recycled_share == Decimal("100.00")
    assert selectors.trace_down_ids([s["lot"].pk]) == {fibre.pk}
    assert selectors.trace_up_ids([fibre.pk]) == {s["lot"].pk}
    with pytest.raises(InventoryError) as err:
        services.link_lots(parent=fibre, child=s["lot"], quantity=None, event=None)
    assert err.value.code == "genealogy_cycle"
    assert LotLink.objects.unscoped("test").count() == 1


def test_the_last_kilograms_deplete_the_lot(world):
    s = _setup(world)
    services.consume(
        actor=s["actor"],
        lot=s["lot"],
        location=s["store"],
        quantity=Decimal(12),
        reason="all of it",
    )
    s["lot"].refresh_from_db()
    assert s["lot"].status == LotStatus.DEPLETED


def test_balances_follow_the_ledger(world):
    s = _setup(world)
    services.move(
        actor=s["actor"],
        lot=s["lot"],
        from_location=s["store"],
        to_location=s["floor"],
        quantity=Decimal(5),
    )
    services.consume(
        actor=s["actor"], lot=s["lot"], location=s["floor"], quantity=Decimal(2), reason="test"
    )
    assert selectors.ledger_mismatches() == []
    on_hand = {row["location"]: row["quantity"] for row in selectors.site_on_hand(world.x.site.pk)}
    assert on_hand == {s["store"].pk: Decimal(7), s["floor"].pk: Decimal(3)}
    s["lot"].refresh_from_db()
    assert s["lot"].status == LotStatus.AVAILABLE  # moving is not using up
