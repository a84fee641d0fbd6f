"""iCalendar feeds of a site's or a machine's planned work, bookings and closures.

Calendar apps subscribe without signing in, so each feed also has a secret address
(:class:`~reproduce.planning.models.CalendarFeed`); a signed-in member reads the same feed
through the site's page. Events carry stable UIDs so that a re-plan moves them in the
subscriber's calendar instead of duplicating them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from reproduce.network.models import Closure, Machine, Site
from reproduce.planning.models import Booking, BookingState, CalendarFeed, PlannedSlot
from reproduce.planning.services import latest_plan

PAST_DAYS, FUTURE_DAYS = 14, 120


def ensure_feed(site: Site, machine: Machine | None = None) -> CalendarFeed:
    """The secret feed of a site (or one of its machines), created on first use."""
    feeds = CalendarFeed.objects.unscoped("feed of a site the caller manages")
    found = feeds.filter(site=site, machine=machine).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return feeds.create(site=site, machine=machine)
    except IntegrityError:  # created meanwhile by another request
        return feeds.get(site=site, machine=machine)


def ensure_feeds(site: Site, machines: list[Machine]) -> list[tuple[str, CalendarFeed]]:
    """The secret feeds of a site and of each of its machines (name, feed), site first; one
    query when they all exist already."""
    feeds = CalendarFeed.objects.unscoped("feeds of a site the caller manages")
    found = {f.machine_id: f for f in feeds.filter(site=site)}
    out = [(site.name, found.get(None) or ensure_feed(site))]
    out += [(m.name, found.get(m.pk) or ensure_feed(site, m)) for m in machines]
    return out


def _domain() -> str:
    return settings.SITE_URL.split("//")[-1].split("/")[0] or "reproduce"


def _event(uid: str, summary: str, start: datetime, end: datetime, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"{uid}@{_domain()}")
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", timezone.now())
    if description:
        event.add("description", description)
    return event


def _slot_events(
    site: Site, machine: Machine | None, start: datetime, end: datetime
) -> list[Event]:
    plan = latest_plan()
    if plan is None:
        return []
    rows = PlannedSlot.objects.unscoped("the feed of one site").filter(
        plan=plan, site=site, is_candidate=False, ends_at__gt=start, starts_at__lt=end
    )
    if machine is not None:
        rows = rows.filter(machine=machine)
    events = []
    for s in rows.select_related(
        "work_order__order", "machine", "work_order__manufacturing_order__version__design"
    ):
        wo = s.work_order
        design = wo.manufacturing_order.version
        description = _("Order %(order)s · %(qty)s × %(design)s %(version)s · %(machine)s") % {
            "order": wo.order.reference,
            "qty": wo.quantity,
            "design": design.design.name,
            "version": design.number,
            "machine": s.machine.name if s.machine else _("bench work"),
        }
        events.append(
            _event(
                f"work-order-{wo.pk}",
                f"{wo.reference} {wo.name}",
                s.starts_at,
                s.ends_at,
                description,
            )
        )
    return events


def _booking_events(
    site: Site, machine: Machine | None, start: datetime, end: datetime
) -> list[Event]:
    rows = Booking.objects.unscoped("the feed of one site").filter(
        machine__site=site, state=BookingState.CONFIRMED, ends_at__gt=start, starts_at__lt=end
    )
    if machine is not None:
        rows = rows.filter(machine=machine)
    return [
        _event(
            f"booking-{b.pk}",
            _("Booked: %(machine)s") % {"machine": b.machine.name},
            b.starts_at,
            b.ends_at,
        )
        for b in rows.select_related("machine")
    ]


def _closure_events(site: Site, start: datetime, end: datetime) -> list[Event]:
    rows = Closure.objects.unscoped("the feed of one site").filter(
        site=site, end_date__gte=start.date(), start_date__lte=end.date()
    )
    events = []
    for c in rows:
        event = Event()
        event.add("uid", f"closure-{c.pk}@{_domain()}")
        event.add("summary", _("Closed"))
        event.add("dtstart", c.start_date)
        event.add("dtend", c.end_date + timedelta(days=1))
        event.add("dtstamp", timezone.now())
        events.append(event)
    return events


def calendar(site: Site, machine: Machine | None = None, *, full: bool = True) -> bytes:
    """The feed. ``full`` False (someone who may not see the site's plan) gives an empty
    calendar with the same name: the address exists, the work stays private."""
    cal = Calendar()
    cal.add("prodid", "-//ReProduce//network plan//EN")
    cal.add("version", "2.0")
    name = machine.name if machine is not None else site.name
    cal.add("x-wr-calname", f"ReProduce · {name}")
    if full:
        start = timezone.now() - timedelta(days=PAST_DAYS)
        end = timezone.now() + timedelta(days=FUTURE_DAYS)
        for event in (
            _slot_events(site, machine, start, end)
            + _booking_events(site, machine, start, end)
            + _closure_events(site, start, end)  # a machine stops when its site closes
        ):
            cal.add_component(event)
    return cal.to_ical()
