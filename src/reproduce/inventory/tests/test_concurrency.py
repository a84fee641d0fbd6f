"""Two operators taking the last kilograms of a lot at the same instant (PostgreSQL).

Each thread has its own connection and transaction; the services lock the lot row before
re-reading the ledger, so exactly one of them gets the stock and the other a clear
``insufficient_stock``. SQLite serialises writers, so the race cannot happen there.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Sum

from reproduce.inventory import services
from reproduce.inventory.models import Location, Lot, LotStatus, StockEntry
from reproduce.inventory.services import InventoryError
from reproduce.inventory.tests.test_services import accepted_work_order, make_stock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrent writers need PostgreSQL"
    ),
]


def _race(*calls: Any) -> list[str]:
    """Run the calls at the same instant in threads; 'ok' or the error code of each."""
    barrier = Barrier(len(calls))

    def run(call: Any) -> str:
        try:
            barrier.wait()
            call()
            return "ok"
        except InventoryError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return sorted(pool.map(run, calls))


def test_two_operators_consuming_the_last_kilograms_leave_a_correct_ledger(world):
    s = make_stock(world, quantity="8")
    work = accepted_work_order(world, world.x)
    operator = world.actor(world.x.operator)

    def take_the_last_six() -> Any:
        def call() -> None:
            services.consume(
                actor=operator,
                lot=Lot.objects.unscoped("t").get(pk=s.lot.pk),
                location=Location.objects.unscoped("t").get(pk=s.store.pk),
                quantity=Decimal(6),
                work_order=work,
            )

        return call

    assert _race(take_the_last_six(), take_the_last_six()) == ["insufficient_stock", "ok"]
    total = StockEntry.objects.unscoped("t").filter(lot=s.lot).aggregate(t=Sum("quantity"))["t"]
    assert total == Decimal(2) and total >= 0


def test_two_operators_emptying_a_lot_leave_it_depleted_once(world):
    s = make_stock(world, quantity="5")
    operator = world.actor(world.x.operator)

    def scrap_all() -> None:
        services.consume(
            actor=operator,
            lot=Lot.objects.unscoped("t").get(pk=s.lot.pk),
            location=Location.objects.unscoped("t").get(pk=s.store.pk),
            quantity=Decimal(5),
            reason="wet",
        )

    assert _race(scrap_all, scrap_all) == ["insufficient_stock", "ok"]
    assert services.on_hand(s.lot) == 0
    assert Lot.objects.unscoped("t").get(pk=s.lot.pk).status == LotStatus.DEPLETED
