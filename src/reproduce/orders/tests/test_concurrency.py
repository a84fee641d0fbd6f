"""Races on PostgreSQL, with real concurrent transactions (threads, each its own connection).

SQLite serialises writers at the file level, so these races cannot happen there; the
conditional updates they exercise are also covered by the stale-object tests in
test_orders.py, which run on both databases.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from django.db import connection, connections

from reproduce.orders import services
from reproduce.orders.models import Offer, Order, WorkOrder
from reproduce.orders.services import LineInput, OrderError
from reproduce.orders.tests.conftest import in_days

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
        except OrderError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        return sorted(pool.map(run, calls))


def _submitted(world: Any) -> Order:
    order = services.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, 1)],
    )
    services.submit_order(actor=world.actor(world.buyer), order=order)
    return order


def test_two_coordinators_releasing_the_same_order_leave_one_release(world):
    order = _submitted(world)
    coordinator = world.actor(world.coordinator)

    def release() -> None:
        services.release_order(
            actor=coordinator, order=Order.objects.unscoped("t").get(pk=order.pk)
        )

    assert _race(release, release) == ["concurrent_change", "ok"]
    assert WorkOrder.objects.unscoped("t").filter(order=order).count() == 4


def test_two_sites_accepting_the_same_work_leave_one_winner(world):
    order = _submitted(world)
    coordinator = world.actor(world.coordinator)
    services.release_order(actor=coordinator, order=order)
    cut = WorkOrder.objects.unscoped("t").get(order=order, name="Cut the plywood")
    ox = services.offer_work_order(actor=coordinator, work_order=cut, site=world.x.site)
    oy = services.offer_work_order(actor=coordinator, work_order=cut, site=world.y.site)

    def accept(offer: Offer, user: Any) -> Any:
        return lambda: services.accept_offer(
            actor=world.actor(user), offer=Offer.objects.unscoped("t").get(pk=offer.pk)
        )

    results = _race(accept(ox, world.x.manager), accept(oy, world.y.manager))
    assert results[1] == "ok" and results[0] in ("already_assigned", "offer_closed")
    cut.refresh_from_db()
    accepted = Offer.objects.unscoped("t").filter(work_order=cut, state="accepted")
    assert accepted.count() == 1 and accepted.get().site == cut.site
