"""Property: whatever sequence of receipts, consumptions, moves and corrections happens, the
stock on hand per lot and location is the sum of the ledger, matches a simple model of the
operations that were accepted, and never goes below zero."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import given, settings
from hypothesis import strategies as st

from reproduce.designs.models import Item
from reproduce.inventory import selectors, services
from reproduce.inventory.models import StockEntry
from reproduce.inventory.services import MILLI, InventoryError, LotInput

pytestmark = pytest.mark.django_db

LOCATIONS = 3
quantities = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal(30), places=3, allow_nan=False
)
location_index = st.integers(0, LOCATIONS - 1)
lot_index = st.integers(0, 3)
operations = st.one_of(
    st.tuples(st.just("receive"), location_index, lot_index, quantities),
    st.tuples(st.just("consume"), location_index, lot_index, quantities),
    st.tuples(st.just("move"), location_index, lot_index, quantities, location_index),
    st.tuples(st.just("adjust"), location_index, lot_index, quantities, st.booleans()),
)


def _apply(
    op: tuple[Any, ...], s: dict[str, Any], lots: list[Any], model: dict[tuple[int, int], Decimal]
) -> None:
    """Run one operation through the services; update the model only if it was accepted."""
    kind, where, which, quantity = op[:4]
    location = s["locations"][where]
    if kind == "receive" or not lots:
        receipt = services.receive(
            actor=s["actor"],
            location=location,
            supplier="Property",
            lines=[LotInput(item=s["item"], quantity=quantity)],
        )
        lot = receipt.lots.get()
        lots.append(lot)
        model[(lot.pk, location.pk)] += quantity
        return
    lot = lots[which % len(lots)]
    try:
        if kind == "consume":
            services.consume(
                actor=s["actor"], lot=lot, location=location, quantity=quantity, reason="test"
            )
            model[(lot.pk, location.pk)] -= quantity
        elif kind == "move":
            target = s["locations"][op[4]]
            services.move(
                actor=s["actor"],
                lot=lot,
                from_location=location,
                to_location=target,
                quantity=quantity,
            )
            model[(lot.pk, location.pk)] -= quantity
            model[(lot.pk, target.pk)] += quantity
        else:
            signed = quantity if op[4] else -quantity
            services.adjust(
                actor=s["actor"], lot=lot, location=location, quantity=signed, reason="count"
            )
            model[(lot.pk, location.pk)] += signed
    except InventoryError as exc:
        # Refusals are the expected ones only, and they leave the model as it was.
        assert exc.code in {"insufficient_stock", "same_location"}, exc.code


def _ledger() -> dict[tuple[int, int], Decimal]:
    rows = (
        StockEntry.objects.unscoped("test")
        .values("lot", "location")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    # Rounded to the 3 decimals of every quantity: SQLite sums decimals as floats.
    return {(r["lot"], r["location"]): r["total"].quantize(MILLI) for r in rows}


def test_on_hand_is_always_the_sum_of_the_ledger_and_never_negative(world):
    lab = world.x
    actor = world.actor(lab.manager)
    s = {
        "actor": actor,
        "item": Item.objects.create(
            organization=lab.org, kind="material", name="Fibre", default_unit="KGM"
        ),
        "locations": [
            services.create_location(actor=actor, site=lab.site, code=f"L{i}", name=f"Rack {i}")
            for i in range(LOCATIONS)
        ],
    }

    @settings(max_examples=60, deadline=None, database=None)
    @given(ops=st.lists(operations, min_size=2, max_size=20))
    def run(ops: list[tuple[Any, ...]]) -> None:
        with transaction.atomic():
            lots: list[Any] = []
            model: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
            for op in ops:
                _apply(op, s, lots, model)
                ledger = _ledger()
                assert all(total >= 0 for total in ledger.values()), ledger
            expected = {k: v for k, v in model.items() if v != 0}
            assert {k: v for k, v in _ledger().items() if v != 0} == expected
            site = {
                (r["lot"], r["location"]): r["quantity"]
                for r in selectors.site_on_hand(lab.site.pk)
            }
            assert site == expected
            for lot in lots:
                assert services.on_hand(lot) == sum(
                    (v for (lot_id, _loc), v in expected.items() if lot_id == lot.pk), Decimal(0)
                )
            transaction.set_rollback(True)

    run()
