"""Planning pages: the network plan, a site's plan, calendar feeds and bookings.

The plans are written here directly (PlanRun + PlannedSlot rows): the pages read a plan,
they do not depend on how the scheduler computes it. The ``world`` fixture comes from the
root conftest (``reproduce.orders.tests.conftest.build_world``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from reproduce.network.models import Site
from reproduce.orders import services as orders
from reproduce.orders.models import Order, WorkOrder
from reproduce.orders.tests.conftest import in_days
from reproduce.planning.ical import ensure_feed
from reproduce.planning.models import Booking, PlannedSlot, PlanRun, PlanState


@pytest.fixture(autouse=True)
def _tasks_later(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _weekday_at(hour: int, days: int = 1) -> datetime:
    """``hour`` o'clock on the first working day at least ``days`` from today."""
    day = timezone.localdate() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _released(world: Any) -> Order:
    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[orders.LineInput(world.stool, 2)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    orders.release_order(actor=world.actor(world.coordinator), order=order)
    return order


def _accepted_cut(world: Any, order: Order) -> WorkOrder:
    cut = WorkOrder.objects.unscoped("t").get(order=order, name="Cut the plywood")
    offer = orders.offer_work_order(
        actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
    )
    orders.accept_offer(actor=world.actor(world.x.manager), offer=offer)
    cut.refresh_from_db()
    return cut


def _plan(**stats: Any) -> PlanRun:
    now = timezone.now()
    return PlanRun.objects.create(
        state=PlanState.DONE,
        reason="test",
        origin=now,
        time_limit=20,
        is_published=True,
        started_at=now,
        finished_at=now,
        stats={
            "status": "feasible",
            "work_orders": 2,
            "unscheduled": 0,
            "late_orders": 0,
            "tardiness_minutes": 0,
            "changed": 1,
            "solve_seconds": 3.2,
            **stats,
        },
    )


def _slot(plan: PlanRun, wo: WorkOrder, site: Any, machine: Any, start: datetime, **kw: Any) -> Any:
    return PlannedSlot.objects.create(
        plan=plan,
        work_order=wo,
        site=site,
        machine=machine,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        **kw,
    )


@pytest.fixture
def planned(world: Any) -> Any:
    """A released order whose laser work lab X accepted, planned on X's laser tomorrow; its
    3D printing is a candidate (not accepted) at lab Z, and late."""
    order = _released(world)
    cut = _accepted_cut(world, order)
    printing = WorkOrder.objects.unscoped("t").get(order=order, name="Print the connector")
    plan = _plan()
    accepted = _slot(plan, cut, world.x.site, world.x.machine, _weekday_at(10))
    candidate = _slot(
        plan, printing, world.z.site, world.z.machine, _weekday_at(9), is_candidate=True
    )
    WorkOrder.objects.unscoped("t").filter(pk=printing.pk).update(late_minutes=180)
    return type(
        "Planned",
        (),
        {
            "order": order,
            "cut": cut,
            "printing": printing,
            "plan": plan,
            "slot": accepted,
            "candidate": candidate,
        },
    )


def _client(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


# ---------------------------------------------------------------- the network plan


def test_the_coordinator_sees_the_network_plan(world, client, planned):
    c = _client(client, world.coordinator)
    body = c.get(reverse("planning:plan")).content.decode()
    assert reverse("orders:work_order", args=[planned.cut.pk]) in body  # a bar links to it
    assert planned.cut.reference in body and planned.order.reference in body
    assert "Lab LABX" in body and "Lab LABZ" in body  # one row per site
    assert "gantt-bar candidate late" in body  # the not-accepted, late printing
    assert "Moved since the previous plan" in body and "limit 20 s" in body
    assert "Late risks" in body and "3 h" in body  # the late printing work order
    assert "Load of the machines" in body and "laser-cutting labx" in body
    assert reverse("planning:replan") in body


def test_choosing_a_site_shows_its_machines(world, client, planned):
    c = _client(client, world.coordinator)
    body = c.get(reverse("planning:plan"), {"site": world.x.site.slug}).content.decode()
    timeline = body.split('id="late-heading"')[0]
    assert "by machine" in timeline and "laser-cutting labx" in timeline
    assert planned.cut.reference in timeline and planned.printing.reference not in timeline


def test_the_plan_page_reads_a_bounded_number_of_queries(world, client, planned):
    c = _client(client, world.coordinator)
    with CaptureQueriesContext(connection) as small:
        assert c.get(reverse("planning:plan")).status_code == 200
    # Many more slots, on every site and on the bench: the page reads as many queries.
    other = _released(world)
    start = _weekday_at(13, days=2)
    for i, wo in enumerate(WorkOrder.objects.unscoped("t").filter(order=other)):
        lab = [world.x, world.y, world.z][i % 3]
        _slot(planned.plan, wo, lab.site, lab.machine if i % 2 else None, start)
    with CaptureQueriesContext(connection) as big:
        assert c.get(reverse("planning:plan")).status_code == 200
    assert len(big) == len(small) <= 40


def test_only_the_network_reads_the_plan(world, client, planned):
    assert _client(client, world.x.manager).get(reverse("planning:plan")).status_code == 403
    assert _client(client, world.x.manager).post(reverse("planning:replan")).status_code == 403


def test_replanning_is_queued_and_its_progress_polled(world, client, planned):
    c = _client(client, world.coordinator)
    response = c.post(reverse("planning:replan"), {"reason": "laser down", "time_limit": 10})
    assert response.status_code == 302 and response["Location"] == reverse("planning:plan")
    pending = PlanRun.objects.get(state=PlanState.QUEUED)  # queued, not run in the request
    assert pending.time_limit == 10
    status_url = reverse("planning:run_status", args=[pending.pk])
    page = c.get(reverse("planning:plan")).content.decode()
    assert status_url in page and 'hx-trigger="every 2s"' in page
    PlanRun.objects.filter(pk=pending.pk).update(
        state=PlanState.RUNNING,
        started_at=timezone.now(),
        progress={"elapsed": 4.5, "objective": 1200.0, "solutions": 3},
    )
    running = c.get(status_url).content.decode()
    assert "every 2s" in running and "4,5 s of 10 s" in running and "1200" in running
    PlanRun.objects.filter(pk=pending.pk).update(state=PlanState.DONE)
    done = c.get(status_url).content.decode()
    assert "hx-trigger" not in done  # polling stops
    assert "The new plan is ready" in done


def test_a_refused_time_limit_is_shown_on_the_form(world, client, planned):
    c = _client(client, world.coordinator)
    response = c.post(reverse("planning:replan"), {"reason": "x", "time_limit": 600})
    assert response.status_code == 200 and "120" in response.content.decode()
    assert not PlanRun.objects.filter(state=PlanState.QUEUED).exists()


# ---------------------------------------------------------------- a site's plan


def test_a_site_sees_its_own_plan_and_not_another_sites(world, client, planned):
    c = _client(client, world.x.manager)
    own = c.get(reverse("planning:site", args=[world.x.site.slug])).content.decode()
    assert planned.cut.reference in own and "laser-cutting labx" in own
    assert planned.printing.reference not in own
    assert reverse("planning:site_ics", args=[world.x.site.slug]) in own
    assert reverse("planning:machine_ics", args=[world.x.machine.pk]) in own
    assert "/planning/feeds/" in own  # the manager gets the secret addresses
    # Another listed site: its page exists (the site is public) but not its plan.
    listed = c.get(reverse("planning:site", args=[world.z.site.slug])).content.decode()
    assert "visible to its members" in listed
    assert planned.printing.reference not in listed
    # An unlisted site of another organisation does not exist for lab X.
    Site.objects.unscoped("t").filter(pk=world.z.site.pk).update(is_listed=False)
    assert c.get(reverse("planning:site", args=[world.z.site.slug])).status_code == 404


def test_a_sites_operator_sees_the_plan_without_the_secret_feeds(world, client, planned):
    body = (
        _client(client, world.x.operator)
        .get(reverse("planning:site", args=[world.x.site.slug]))
        .content.decode()
    )
    assert planned.cut.reference in body and "/planning/feeds/" not in body


def test_a_coordinator_sees_only_accepted_work_on_a_site_page(world, client, planned):
    c = _client(client, world.coordinator)
    body = c.get(reverse("planning:site", args=[world.z.site.slug])).content.decode()
    assert "Timeline by machine" in body and planned.printing.reference not in body


# ---------------------------------------------------------------- calendar feeds


def _events(content: bytes) -> list[Any]:
    return list(Calendar.from_ical(content).walk("VEVENT"))


def test_calendar_feeds(world, client, planned):
    booking = Booking.objects.create(
        machine=world.x.machine,
        user=world.y.operator,
        starts_at=_weekday_at(14),
        ends_at=_weekday_at(15),
    )
    c = _client(client, world.x.manager)
    response = c.get(reverse("planning:site_ics", args=[world.x.site.slug]))
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    work = [e for e in events if planned.cut.reference in str(e["SUMMARY"])]
    assert len(work) == 1
    assert "Cut the plywood" in str(work[0]["SUMMARY"])
    assert planned.order.reference in str(work[0]["DESCRIPTION"])
    assert "Stool" in str(work[0]["DESCRIPTION"])
    assert work[0]["DTSTART"].dt == planned.slot.starts_at
    assert any(str(e["UID"]).startswith(f"booking-{booking.pk}@") for e in events)
    assert planned.printing.reference.encode() not in response.content  # not lab X's
    again = _events(c.get(reverse("planning:site_ics", args=[world.x.site.slug])).content)
    assert {str(e["UID"]) for e in again} == {str(e["UID"]) for e in events}  # stable
    machine = c.get(reverse("planning:machine_ics", args=[world.x.machine.pk]))
    assert planned.cut.reference.encode() in machine.content


def test_the_secret_feed_works_without_a_session(world, client, planned):
    feed = ensure_feed(world.x.site, world.x.machine)
    assert ensure_feed(world.x.site, world.x.machine) == feed  # created once
    anonymous = Client()
    by_token = anonymous.get(reverse("planning:feed", args=[feed.token]))
    assert by_token.status_code == 200
    assert any(planned.cut.reference in str(e["SUMMARY"]) for e in _events(by_token.content))
    assert anonymous.get(reverse("planning:feed", args=["not-a-token"])).status_code == 404


def test_a_foreign_member_reads_an_empty_site_calendar(world, client, planned):
    c = _client(client, world.z.manager)
    response = c.get(reverse("planning:site_ics", args=[world.x.site.slug]))
    assert response.status_code == 200 and not _events(response.content)


# ---------------------------------------------------------------- bookings


def test_a_member_books_a_free_slot_and_cancels_it(world, client):
    c = _client(client, world.y.operator)
    url = reverse("planning:book", args=[world.x.machine.pk])
    start = _weekday_at(10)
    page = c.get(url, {"day": start.date().isoformat(), "minutes": 60}).content.decode()
    assert start.strftime("%H:%M") in page
    response = c.post(url, {"starts_at": start.isoformat(), "minutes": 60, "purpose": "Box"})
    assert response.status_code == 302
    booking = Booking.objects.unscoped("t").get(user=world.y.operator)
    assert booking.machine == world.x.machine and booking.purpose == "Box"
    mine = c.get(reverse("planning:bookings")).content.decode()
    assert (
        "laser-cutting labx" in mine
        and reverse("planning:cancel_booking", args=[booking.pk]) in mine
    )
    # The host's manager sees it among the bookings of the lab's machines.
    hosted = _client(Client(), world.x.manager).get(reverse("planning:bookings")).content.decode()
    assert "operator@laby.test" in hosted
    cancel = c.post(reverse("planning:cancel_booking", args=[booking.pk]))
    assert cancel.status_code == 302
    booking.refresh_from_db()
    assert booking.state == "cancelled"


def test_booking_errors_are_shown(world, client):
    c = _client(client, world.y.operator)
    url = reverse("planning:book", args=[world.x.machine.pk])
    late = c.post(url, {"starts_at": _weekday_at(20).isoformat(), "minutes": 60})
    assert late.status_code == 200 and "opening hours" in late.content.decode()
    Booking.objects.create(
        machine=world.x.machine,
        user=world.x.operator,
        starts_at=_weekday_at(10),
        ends_at=_weekday_at(12),
    )
    taken = c.post(url, {"starts_at": _weekday_at(11).isoformat(), "minutes": 60})
    assert "already taken" in taken.content.decode()
    assert not Booking.objects.unscoped("t").filter(user=world.y.operator).exists()


def test_the_booking_page_opens_on_a_day_with_free_slots(world, client):
    body = (
        _client(client, world.y.operator)
        .get(reverse("planning:book", args=[world.x.machine.pk]))
        .content.decode()
    )
    assert "starts_at" in body and "09:00" in body  # the lab opens at 9 on working days


def test_a_machine_for_trained_operators(world, client):
    type(world.x.machine).objects.unscoped("t").filter(pk=world.x.machine.pk).update(
        requires_trained_operator=True
    )
    c = _client(client, world.y.operator)
    url = reverse("planning:book", args=[world.x.machine.pk])
    assert "needs a trained operator" in c.get(url).content.decode()
    refused = c.post(url, {"starts_at": _weekday_at(10).isoformat(), "minutes": 60})
    assert "validate your skill" in refused.content.decode()
    assert not Booking.objects.unscoped("t").exists()
