"""Planning pages: the network plan, a site's plan, calendar feeds and bookings."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from reproduce.orders import services as orders
from reproduce.orders.models import WorkOrder
from reproduce.orders.tests.conftest import in_days
from reproduce.planning import services
from reproduce.planning.ical import ensure_feed
from reproduce.planning.models import Booking, PlanState


@pytest.fixture(autouse=True)
def _tasks_later(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def _planned(world: Any) -> Any:
    """A released order, its laser work accepted by lab X, and a published plan."""
    order = orders.create_order(
        actor=world.actor(world.buyer),
        customer=world.customer,
        requested_date=in_days(30),
        lines=[orders.LineInput(world.stool, 2)],
    )
    orders.submit_order(actor=world.actor(world.buyer), order=order)
    orders.release_order(actor=world.actor(world.coordinator), order=order)
    cut = WorkOrder.objects.unscoped("t").get(order=order, name="Cut the plywood")
    offer = orders.offer_work_order(
        actor=world.actor(world.coordinator), work_order=cut, site=world.x.site
    )
    orders.accept_offer(actor=world.actor(world.x.manager), offer=offer)
    run = services.request_plan(actor=world.actor(world.coordinator), reason="test", time_limit=5)
    assert services.run_plan(run.pk).state == PlanState.DONE
    return cut


def _client(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_the_coordinator_sees_the_network_plan(world, client, django_assert_max_num_queries):
    cut = _planned(world)
    c = _client(client, world.coordinator)
    with django_assert_max_num_queries(40):
        response = c.get(reverse("planning:plan"))
    body = response.content.decode()
    assert response.status_code == 200
    assert cut.reference in body and "Lab LABX" in body
    assert "Load of the machines" in body


def test_replanning_is_queued_not_run_in_the_request(world, client):
    _planned(world)
    c = _client(client, world.coordinator)
    response = c.post(reverse("planning:replan"), {"reason": "laser down", "time_limit": 10})
    assert response.status_code == 302
    pending = services.PlanRun.objects.filter(state=PlanState.QUEUED).get()
    page = c.get(reverse("planning:plan")).content.decode()
    assert reverse("planning:run_status", args=[pending.pk]) in page  # polled by htmx


def test_a_site_sees_its_own_plan_and_not_another_sites(world, client):
    cut = _planned(world)
    c = _client(client, world.x.manager)
    own = c.get(reverse("planning:site", args=[world.x.site.slug])).content.decode()
    assert cut.reference in own
    other = c.get(reverse("planning:site", args=[world.z.site.slug])).content.decode()
    assert "visible to its members" in other
    assert c.get(reverse("planning:plan")).status_code == 403


def test_calendar_feeds(world, client):
    cut = _planned(world)
    c = _client(client, world.x.manager)
    response = c.get(reverse("planning:site_ics", args=[world.x.site.slug]))
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert any(cut.reference in str(e["SUMMARY"]) for e in events)
    feed = ensure_feed(world.x.site, world.x.machine)
    anonymous = client.__class__()
    by_token = anonymous.get(reverse("planning:feed", args=[feed.token]))
    assert by_token.status_code == 200 and cut.reference.encode() in by_token.content
    assert anonymous.get(reverse("planning:feed", args=["not-a-token"])).status_code == 404


def _weekday_at(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_a_member_books_a_free_slot_and_cancels_it(world, client):
    c = _client(client, world.y.operator)
    url = reverse("planning:book", args=[world.x.machine.pk])
    start = _weekday_at(10)
    page = c.get(url, {"day": start.date().isoformat(), "minutes": 60}).content.decode()
    assert start.strftime("%H:%M") in page
    response = c.post(url, {"starts_at": start.isoformat(), "minutes": 60, "purpose": "Box"})
    assert response.status_code == 302
    booking = Booking.objects.unscoped("t").get(user=world.y.operator)
    assert booking.machine == world.x.machine
    late = c.post(url, {"starts_at": _weekday_at(20).isoformat(), "minutes": 60})
    assert "opening hours" in late.content.decode()
    cancel = c.post(reverse("planning:cancel_booking", args=[booking.pk]))
    assert cancel.status_code == 302
    booking.refresh_from_db()
    assert booking.state == "cancelled"
