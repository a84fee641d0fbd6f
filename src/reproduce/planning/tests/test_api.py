"""The REST API of planning: machine bookings and free time, the network plan and its slots,
as a client sees them (``world``: see ``reproduce/orders/tests/conftest.py``)."""

import json
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrder
from reproduce.orders.services import LineInput
from reproduce.orders.tests.conftest import in_days
from reproduce.planning.models import PlannedSlot, PlanRun, PlanState

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type=JSON)


def _next_weekday(hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _booking(machine: Any, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "machine_id": machine.pk,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "purpose": "Prototype",
    }


# ---------------------------------------------------------------- bookings


def test_a_member_books_machine_time_inside_opening_hours(world, client_for):
    operator = client_for(world.x.operator)
    booked = _post(
        operator,
        "/api/v1/bookings",
        _booking(world.x.machine, _next_weekday(10), _next_weekday(11)),
    )
    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert (body["state"], body["is_mine"], body["machine"]["id"]) == (
        "confirmed",
        True,
        world.x.machine.pk,
    )
    listed = operator.get("/api/v1/bookings").json()
    assert [b["id"] for b in listed["items"]] == [body["id"]]
    # The host workshop's manager sees it too; another workshop does not.
    assert client_for(world.x.manager).get(f"/api/v1/bookings/{body['id']}").status_code == 200
    assert client_for(world.z.manager).get(f"/api/v1/bookings/{body['id']}").status_code == 404


def test_a_booking_outside_opening_hours_is_refused(world, client_for):
    evening = _post(
        client_for(world.x.operator),
        "/api/v1/bookings",
        _booking(world.x.machine, _next_weekday(19), _next_weekday(20)),
    )
    assert evening.status_code == 422
    assert evening.json()["code"] == "outside_opening_hours"


def test_two_bookings_of_the_same_slot_the_second_gets_409(world, client_for):
    slot = _booking(world.x.machine, _next_weekday(10), _next_weekday(12))
    assert _post(client_for(world.x.operator), "/api/v1/bookings", slot).status_code == 201
    second = _post(client_for(world.y.operator), "/api/v1/bookings", slot)
    assert (second.status_code, second.json()["code"]) == (409, "slot_taken")


def test_a_booking_is_cancelled_once_by_its_booker(world, client_for):
    operator = client_for(world.x.operator)
    booked = _post(
        operator,
        "/api/v1/bookings",
        _booking(world.x.machine, _next_weekday(14), _next_weekday(15)),
    ).json()
    url = f"/api/v1/bookings/{booked['id']}/cancel"
    assert _post(client_for(world.z.operator), url).status_code == 404  # not theirs to see
    cancelled = _post(operator, url)
    assert cancelled.json()["state"] == "cancelled"
    again = _post(operator, url)
    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")


def test_free_slots_of_a_machine_leave_out_the_booked_time(world, client_for):
    start = _next_weekday(10)
    _post(
        client_for(world.x.operator),
        "/api/v1/bookings",
        _booking(world.x.machine, start, _next_weekday(11)),
    )
    url = f"/api/v1/machines/{world.x.machine.pk}/slots?date={start.date().isoformat()}&minutes=60"
    answer = client_for(world.y.operator).get(url)
    assert answer.status_code == 200, answer.content
    starts = [datetime.fromisoformat(s["starts_at"]) for s in answer.json()["slots"]]
    assert _next_weekday(9) in starts and _next_weekday(11) in starts
    assert _next_weekday(9, 30) not in starts and start not in starts  # overlap the booking
    assert max(starts) == _next_weekday(16)  # the site closes at 17:00
    odd = client_for(world.y.operator).get(url.replace("minutes=60", "minutes=45"))
    assert odd.status_code == 422


# ---------------------------------------------------------------- the plan


def test_asking_for_a_plan_queues_a_run(world, client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    coordinator = client_for(world.coordinator)
    assert coordinator.get("/api/v1/plan").json()["code"] == "no_plan"
    asked = _post(coordinator, "/api/v1/plan", {"reason": "New order", "time_limit": 10})
    assert asked.status_code == 202, asked.content
    run = asked.json()
    assert (run["state"], run["reason"], run["time_limit"]) == ("queued", "New order", 10)
    # A plan already waiting is answered instead of a second one.
    assert _post(coordinator, "/api/v1/plan", {"reason": "Again"}).json()["id"] == run["id"]
    assert coordinator.get(f"/api/v1/plan/runs/{run['id']}").json()["state"] == "queued"
    assert coordinator.get("/api/v1/plan/runs/latest").json()["id"] == run["id"]
    assert _post(coordinator, "/api/v1/plan", {"reason": ""}).status_code == 422
    refused = _post(client_for(world.x.manager), "/api/v1/plan", {"reason": "Mine"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client_for(world.x.manager).get(f"/api/v1/plan/runs/{run['id']}").status_code == 403


def _published_plan(world: Any) -> tuple[PlanRun, list[WorkOrder]]:
    """A published plan placing the customer's plywood cut at X: accepted by X, and its
    assembly at X as a candidate (X has not accepted it)."""
    coordinator = world.actor(world.coordinator)
    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[LineInput(world.stool, 1)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    work = orders.release_order(actor=coordinator, order=order)
    cut, assemble = work[0], work[1]
    orders.assign_work_order(actor=coordinator, work_order=cut, site=world.x.site, reason="Test")
    plan = PlanRun.objects.create(
        state=PlanState.DONE, is_published=True, origin=timezone.now(), reason="test"
    )
    for wo, machine, hour, candidate in [
        (cut, world.x.machine, 9, False),
        (assemble, None, 13, True),
    ]:
        PlannedSlot.objects.create(
            plan=plan,
            work_order=wo,
            site=world.x.site,
            machine=machine,
            starts_at=_next_weekday(hour),
            ends_at=_next_weekday(hour + 1),
            is_candidate=candidate,
        )
    return plan, [cut, assemble]


def test_the_plan_and_its_slots_for_the_coordinator(world, client_for):
    plan, (cut, assemble) = _published_plan(world)
    coordinator = client_for(world.coordinator)
    summary = coordinator.get("/api/v1/plan").json()
    assert (summary["id"], summary["is_published"]) == (plan.pk, True)
    slots = coordinator.get("/api/v1/plan/slots").json()
    assert [s["work_order"]["id"] for s in slots["items"]] == [cut.pk, assemble.pk]
    by_machine = coordinator.get(f"/api/v1/plan/slots?machine={world.x.machine.pk}").json()
    assert by_machine["count"] == 1
    later = coordinator.get("/api/v1/plan/slots", {"from": _next_weekday(12).isoformat()}).json()
    assert [s["work_order"]["id"] for s in later["items"]] == [assemble.pk]
    assert client_for(world.x.manager).get("/api/v1/plan/slots").status_code == 403


def test_a_site_sees_its_accepted_work_in_its_plan_not_the_candidates(world, client_for):
    _plan, (cut, _assemble) = _published_plan(world)
    url = f"/api/v1/sites/{world.x.site.slug}/plan"
    own = client_for(world.x.manager).get(url).json()
    assert [s["work_order"]["id"] for s in own["items"]] == [cut.pk]
    assert own["items"][0]["is_candidate"] is False
    assert client_for(world.y.manager).get(url).json()["count"] == 0
    assert client_for(world.coordinator).get(url).json()["count"] == 2
    assert client_for(world.x.manager).get("/api/v1/sites/no-such-site/plan").status_code == 404


def test_the_openapi_describes_planning(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/plan",
        "/api/v1/plan/runs/latest",
        "/api/v1/plan/runs/{plan_id}",
        "/api/v1/plan/slots",
        "/api/v1/sites/{slug}/plan",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/bookings/{booking_id}/cancel",
        "/api/v1/machines/{machine_id}/slots",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/v1/plan"] and "get" in paths["/api/v1/plan"]
    assert not [p for p in paths if p.endswith(".ics")]
