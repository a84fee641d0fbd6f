"""The network plan: built from the database, solved by the engine, published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from reproduce.network import services as network
from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrder
from reproduce.orders.tests.conftest import in_days
from reproduce.planning import services
from reproduce.planning.models import PlannedSlot, PlanState
from reproduce.planning.problem import build_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_later(settings: Any) -> None:
    # The test runs the plan itself, as the worker would.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _released(world: Any, days: int = 30, quantity: int = 2) -> Any:
    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(days),
        lines=[orders.LineInput(world.stool, quantity)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    orders.release_order(actor=world.actor(world.coordinator), order=order)
    return order


def _plan(world: Any) -> Any:
    run = services.request_plan(actor=world.actor(world.coordinator), reason="test", time_limit=5)
    return services.run_plan(run.pk)


def test_the_plan_places_every_work_order_inside_opening_hours_in_order(world):
    order = _released(world)
    run = _plan(world)
    assert run.state == PlanState.DONE and run.is_published
    slots = {s.work_order.name: s for s in PlannedSlot.objects.unscoped("test").filter(plan=run)}
    assert set(slots) == {"Cut the plywood", "Assemble", "Pack", "Print the connector"}
    for slot in slots.values():
        local = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        if slot.ends_at - slot.starts_at <= timedelta(hours=8):
            assert local[0].hour >= 9 and (local[1].hour, local[1].minute) <= (17, 0)
            assert local[0].weekday() < 5
    assert slots["Assemble"].starts_at >= slots["Print the connector"].ends_at
    assert slots["Assemble"].starts_at >= slots["Cut the plywood"].ends_at
    assert slots["Print the connector"].machine == world.z.machine
    order.refresh_from_db()
    assert order.planned_end == max(s.ends_at for s in slots.values())


def test_a_plan_request_never_runs_twice_at_once(world):
    coordinator = world.actor(world.coordinator)
    first = services.request_plan(actor=coordinator, reason="a", time_limit=5)
    again = services.request_plan(actor=coordinator, reason="b", time_limit=5)
    assert again.pk == first.pk


def test_an_impossible_due_date_is_planned_anyway_and_explained(world):
    order = _released(world, days=0, quantity=40)
    _plan(world)
    order.refresh_from_db()
    assert order.is_late
    assert "ends on" in order.delay_reason
    assert WorkOrder.objects.unscoped("test").filter(order=order, late_minutes__gt=0).exists()


def test_replanning_after_a_machine_goes_down_keeps_the_rest(world):
    _released(world)
    first = _plan(world)
    before = {
        s.work_order_id: (s.machine_id, s.starts_at)
        for s in PlannedSlot.objects.unscoped("test").filter(plan=first)
    }
    start = timezone.now()
    network.add_unavailability(
        actor=world.actor(world.x.manager),
        machine=world.x.machine,
        starts_at=start,
        ends_at=start + timedelta(days=14),
        reason="breakdown",
    )
    second = _plan(world)
    after = {
        s.work_order_id: (s.machine_id, s.starts_at)
        for s in PlannedSlot.objects.unscoped("test").filter(plan=second)
    }
    cut = WorkOrder.objects.unscoped("test").get(name="Cut the plywood")
    assert after[cut.pk][0] == world.y.machine.pk  # moved to the other laser
    printing = WorkOrder.objects.unscoped("test").get(name="Print the connector")
    assert after[printing.pk] == before[printing.pk]  # untouched


def test_bookings_are_fixed_for_the_plan(world):
    from reproduce.planning.bookings import free_slots

    origin = timezone.now()
    problem, _index = build_problem(origin)
    assert problem.tasks == ()  # no released order yet
    day = origin + timedelta(days=1)
    while timezone.localtime(day).weekday() >= 5:
        day += timedelta(days=1)
    slots = free_slots(world.x.machine, day, timedelta(hours=1))
    assert slots and all(timezone.localtime(a).hour >= 9 for a, _b in slots)
