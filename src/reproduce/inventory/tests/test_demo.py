"""The demo holds the Cohort 1 chain (textile waste → fibre → pulp → sheets), the MobiFab
chain with its shared plywood pool, and work in progress on the shop floor."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from reproduce.inventory import selectors
from reproduce.inventory.demo import MARKER_LOT, SHOP_FLOOR_LOGIN, load_demo_traceability
from reproduce.inventory.models import (
    EventType,
    Lot,
    Reservation,
    StockEntry,
    TraceEvent,
    Transfer,
)
from reproduce.orders.models import Order, OrderState, WorkOrder, WorkOrderState


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """Network, designs, orders and traceability demos loaded once for the module, in a
    transaction rolled back at the end (each test runs in a savepoint within it)."""
    from reproduce.designs.demo import load_demo_designs
    from reproduce.network.demo import load_demo_network
    from reproduce.orders.demo import load_demo_orders

    media = str(tmp_path_factory.mktemp("demo-media"))
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override("en"),
        transaction.atomic(),
    ):
        load_demo_network()
        load_demo_designs()
        load_demo_orders(plan_seconds=5)
        yield load_demo_traceability()
        transaction.set_rollback(True)


def _lot(code: str) -> Lot:
    return Lot.objects.unscoped("test").get(code=code)


def _codes(ids: set[int]) -> set[str]:
    return set(Lot.objects.unscoped("test").filter(pk__in=ids).values_list("code", flat=True))


@pytest.mark.django_db
def test_the_textile_waste_traces_down_to_the_paper_sheets_and_the_box(demo: Any) -> None:
    assert demo.loaded
    waste = _lot(MARKER_LOT)
    assert (waste.origin, waste.grade, waste.supplier) == (
        "secondary",
        "A",
        "Les Petits Riens – dons de textiles",
    )
    assert {c["material"] for c in waste.composition} == {"lin", "coton"}
    assert _codes(selectors.trace_down_ids([waste.pk])) == {
        "GF-C1-FIBRE",
        "GF-C1-PULPE",
        "GF-C1-PAPIER",
        "GF-C1-CARTON",
    }
    sheets = _lot("GF-C1-PAPIER")
    assert sheets.passport_public and "materials" in sheets.public_fields()
    assert sheets.gtin and sheets.recycled_share == Decimal(100)
    assert MARKER_LOT in _codes(selectors.trace_up_ids([sheets.pk]))
    # The three work orders of the paper order ran at GreenFabric and completed the order.
    order = Order.objects.unscoped("test").get(lines__version__design__slug__startswith="papier")
    assert order.state == OrderState.COMPLETED
    sites = set(WorkOrder.objects.unscoped("test").filter(order=order).values_list("site__slug"))
    assert sites == {("greenfabric-molenbeek",)}


@pytest.mark.django_db
def test_the_transfer_to_greenfabric_records_the_discrepancy(demo: Any) -> None:
    transfer = Transfer.objects.unscoped("test").get(lines__lot__code=MARKER_LOT)
    line = transfer.lines.get()
    assert (line.quantity, line.received_quantity) == (Decimal(12), Decimal("11.8"))
    assert "11,8 kg" in line.discrepancy
    received = TraceEvent.objects.unscoped("test").get(transfer=transfer, biz_step="receiving")
    assert MARKER_LOT in received.details["discrepancies"]


@pytest.mark.django_db
def test_every_event_type_and_step_is_in_the_demo(demo: Any) -> None:
    events = TraceEvent.objects.unscoped("test")
    assert set(events.values_list("type", flat=True)) == set(EventType.values)
    steps = set(events.values_list("biz_step", flat=True))
    assert {"receiving", "inspecting", "shipping", "transforming", "packing"} <= steps


@pytest.mark.django_db
def test_the_mobifab_bench_goes_back_to_the_pooled_plywood_and_the_timber(demo: Any) -> None:
    benches = _lot("MOBIFAB-BANC-01")
    assert selectors.total_on_hand(benches) == Decimal(4)
    upstream = _codes(selectors.trace_up_ids([benches.pk]))
    assert {"RDC-CP18-A", "RDC-BOIS-4595", "BANC-ENTR-01", "CONN-01"} <= upstream
    plywood = _lot("RDC-CP18-A")
    assert plywood.pool is not None
    members = set(plywood.pool.members.values_list("slug", flat=True))
    assert {"cityfab-1", "mobifab", "microfactory"} <= members
    # The second pooled lot went to MicroFactory, another member of the pool.
    assert _lot("RDC-CP18-B").custodian.slug == "microfactory"
    bench_order = Order.objects.unscoped("test").get(
        is_demo=True, lines__version__design__slug="mobifab-bench"
    )
    assert bench_order.state == OrderState.COMPLETED


@pytest.mark.django_db
def test_the_shop_floor_has_a_paused_job_and_waiting_ones(demo: Any) -> None:
    from reproduce.accounts.models import User
    from reproduce.core.actor import actor_for_user
    from reproduce.production.models import RunState
    from reproduce.production.selectors import my_work
    from reproduce.production.services import run_of

    work = my_work(actor_for_user(User.objects.get(email=SHOP_FLOOR_LOGIN)))
    states = [wo.state for wo in work]
    assert states[0] == WorkOrderState.IN_PROGRESS
    run = run_of(work[0])
    assert run is not None and run.state == RunState.PAUSED
    assert WorkOrderState.ACCEPTED in states[1:]
    assert Reservation.objects.unscoped("test").filter(lot__code="EF-BACHE-2601").exists()


@pytest.mark.django_db
def test_loading_twice_changes_nothing(demo: Any) -> None:
    lots = Lot.objects.unscoped("test").count()
    entries = StockEntry.objects.unscoped("test").count()
    again = load_demo_traceability()
    assert not again.loaded and again.lots == []
    assert Lot.objects.unscoped("test").count() == lots
    assert StockEntry.objects.unscoped("test").count() == entries
