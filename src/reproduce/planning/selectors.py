"""Reads of planning: the Gantt rows of a plan, the load of sites and machines, late risks.

Each read takes the acting person: slots are filtered by ``PlannedSlot.visible_to`` (a site
sees its own accepted work, coordinators everything), and a constant number of queries
serves a page whatever the size of the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reproduce.core.actor import Actor
from reproduce.network.models import Machine, Site
from reproduce.orders.models import Order, OrderState, WorkOrder
from reproduce.planning.calendars import machine_spans
from reproduce.planning.models import Booking, BookingState, PlannedSlot, PlanRun


@dataclass
class Bar:
    left: float  # percent of the window
    width: float
    label: str
    title: str
    url: str
    late: bool = False
    candidate: bool = False
    booking: bool = False
    lane: int = 0  # bars overlapping in time are drawn one under the other


@dataclass
class Row:
    key: str
    label: str
    bars: list[Bar] = field(default_factory=list)
    lanes: int = 1

    def stack(self) -> None:
        """Put each bar on the first lane free at its start."""
        ends: list[float] = []
        for bar in sorted(self.bars, key=lambda b: b.left):
            lane = next((i for i, end in enumerate(ends) if end <= bar.left), len(ends))
            if lane == len(ends):
                ends.append(0.0)
            ends[lane] = bar.left + bar.width
            bar.lane = lane
        self.lanes = max(1, len(ends))


@dataclass
class Gantt:
    start: datetime
    end: datetime
    days: list[tuple[float, datetime]]  # percent offset and day
    rows: list[Row]
    day_width: float = 0.0  # percent
    now: float | None = None  # percent offset of the present moment, if in the window


def window(start: datetime | None = None, days: int = 21) -> tuple[datetime, datetime]:
    local = timezone.localtime(start or timezone.now())
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return first, first + timedelta(days=days)


def slots(
    plan: PlanRun | None, actor: Actor, start: datetime, end: datetime
) -> QuerySet[PlannedSlot]:
    if plan is None:
        return PlannedSlot.objects.unscoped("no plan: nothing to read").none()
    return (
        PlannedSlot.objects.visible_to(actor)
        .filter(plan=plan, ends_at__gt=start, starts_at__lt=end)
        .select_related("site", "machine", "work_order__order")
        .order_by("starts_at")
    )


def _bar(start: datetime, end: datetime, a: datetime, b: datetime) -> tuple[float, float]:
    total = (end - start).total_seconds()
    left = max(0.0, (a - start).total_seconds() / total * 100)
    right = min(100.0, (b - start).total_seconds() / total * 100)
    return round(left, 3), round(max(right - left, 0.8), 3)


def gantt(
    plan: PlanRun | None,
    actor: Actor,
    start: datetime,
    end: datetime,
    *,
    site: Site | None = None,
    accepted_only: bool = False,
    with_bookings: bool = False,
) -> Gantt:
    """Rows per site (the network) or per machine (one site), bars for the planned work and,
    with ``with_bookings``, the site's bookings. Two queries whatever the size of the plan."""
    rows: dict[str, Row] = {}
    chosen = slots(plan, actor, start, end)
    if site is not None:
        chosen = chosen.filter(site=site)
    if accepted_only:
        chosen = chosen.filter(is_candidate=False)
    for s in chosen:
        key, label = _row_of(s, site is not None)
        row = rows.setdefault(key, Row(key, label))
        left, width = _bar(start, end, s.starts_at, s.ends_at)
        wo = s.work_order
        late = s.late_minutes > 0 or wo.late_minutes > 0
        when = (
            f"{timezone.localtime(s.starts_at):%d/%m %H:%M}–"
            f"{timezone.localtime(s.ends_at):%d/%m %H:%M}"
        )
        title = f"{wo.reference} {wo.name} · {wo.order.reference} · {when}"
        if s.is_candidate:
            title += " · " + _("not accepted yet")
        if late:
            title += " · " + _("late")
        row.bars.append(
            Bar(
                left=left,
                width=width,
                label=f"{wo.reference} · {wo.order.reference}",
                title=title,
                url=reverse("orders:work_order", args=[wo.pk]),
                late=late,
                candidate=s.is_candidate,
            )
        )
    if site is not None and with_bookings:
        for booking in site_bookings(site, start, end):
            key = f"m{booking.machine_id}"
            row = rows.setdefault(key, Row(key, booking.machine.name))
            left, width = _bar(start, end, booking.starts_at, booking.ends_at)
            label = _("Booked")
            title = f"{label}: {timezone.localtime(booking.starts_at):%d/%m %H:%M}–" + (
                f"{timezone.localtime(booking.ends_at):%H:%M}"
            )
            row.bars.append(Bar(left, width, label, title, "", booking=True))
    days = []
    day = start
    while day < end:
        days.append((_bar(start, end, day, day)[0], day))
        day += timedelta(days=1)
    for row in rows.values():
        row.stack()
    now = timezone.now()
    return Gantt(
        start,
        end,
        days,
        sorted(rows.values(), key=lambda r: r.label.lower()),
        day_width=round(100 / max(1, len(days)), 3),
        now=_bar(start, end, now, now)[0] if start <= now < end else None,
    )


def _row_of(slot: PlannedSlot, per_machine: bool) -> tuple[str, str]:
    if per_machine:
        if slot.machine_id is None:
            return "bench", _("Bench work (no machine)")
        assert slot.machine is not None
        return f"m{slot.machine_id}", slot.machine.name
    return f"s{slot.site_id}", slot.site.name


def site_bookings(site: Site, start: datetime, end: datetime) -> QuerySet[Booking]:
    return (
        Booking.objects.unscoped("bookings of a site the caller may see")
        .filter(
            machine__site=site,
            state=BookingState.CONFIRMED,
            ends_at__gt=start,
            starts_at__lt=end,
        )
        .select_related("machine", "user")
    )


@dataclass
class LoadRow:
    label: str
    site: str
    weeks: list[tuple[int, int, int]]  # planned minutes, available minutes, percent
    is_site: bool = False  # the total of a site's machines, before them


def _cells(used: list[int], available: list[int]) -> list[tuple[int, int, int]]:
    return [(u, a, round(100 * u / a) if a else 0) for u, a in zip(used, available, strict=True)]


def load(
    plan: PlanRun | None,
    actor: Actor,
    start: datetime,
    *,
    weeks: int = 4,
    site: Site | None = None,
    accepted_only: bool = False,
) -> list[LoadRow]:
    """Planned minutes against available minutes per machine and week (the machines that
    have planned work in the window, or every machine of one site), each site's total
    first when it has several machines."""
    end = start + timedelta(weeks=weeks)
    chosen = slots(plan, actor, start, end).exclude(machine__isnull=True)
    if site is not None:
        chosen = chosen.filter(site=site)
    if accepted_only:
        chosen = chosen.filter(is_candidate=False)
    planned: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for s in chosen:
        week = min(weeks - 1, max(0, int((s.starts_at - start).days // 7)))
        # Work minutes, not the span: a long job left on the machine overnight does not
        # load it while the workshop is closed.
        span = int((s.ends_at - s.starts_at).total_seconds() // 60)
        planned[s.machine_id or 0][week] += min(span, s.work_order.minutes)
    ids = set(planned)
    if site is not None:
        ids |= set(site.machines.values_list("pk", flat=True))
    machines = list(
        Machine.objects.unscoped("machines of visible slots")
        .filter(pk__in=ids)
        .select_related("site")
    )
    spans = machine_spans(machines, start, end)
    rows: list[LoadRow] = []
    by_site: dict[int, list[Machine]] = defaultdict(list)
    for m in machines:
        by_site[m.site_id].append(m)
    for members in sorted(by_site.values(), key=lambda ms: ms[0].site.name.lower()):
        site_rows = []
        site_used, site_available = [0] * weeks, [0] * weeks
        for m in sorted(members, key=lambda m: m.name.lower()):
            available = [0] * weeks
            copies = max(1, m.quantity or 1)  # three identical printers: three times the time
            for a, b in spans.get(m.pk, []):
                week = min(weeks - 1, int((a - start).days // 7))
                available[week] += copies * int((b - a).total_seconds() // 60)
            used = planned[m.pk] if m.pk in planned else [0] * weeks
            for w in range(weeks):
                site_used[w] += used[w]
                site_available[w] += available[w]
            site_rows.append(LoadRow(m.name, m.site.name, _cells(used, available)))
        name = members[0].site.name
        if len(site_rows) > 1:
            rows.append(LoadRow(name, name, _cells(site_used, site_available), is_site=True))
        rows.extend(site_rows)
    return rows


def duration_label(minutes: int) -> str:
    """How long, rounded to what matters: 3 days, 5 h, 40 min."""
    if minutes >= 24 * 60:
        days = round(minutes / (24 * 60))
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes >= 60:
        return _("%(n)d h") % {"n": round(minutes / 60)}
    return _("%(n)d min") % {"n": minutes}


def late_work(actor: Actor) -> list[WorkOrder]:
    """Work orders of released orders planned to end after their due time, latest first
    (each with ``late_label``)."""
    rows = list(
        WorkOrder.objects.visible_to(actor)
        .filter(late_minutes__gt=0, order__state=OrderState.RELEASED)
        .select_related("order", "site")
        .order_by("-late_minutes")[:50]
    )
    for wo in rows:
        wo.late_label = duration_label(wo.late_minutes)  # type: ignore[attr-defined]
    return rows


def late_orders(actor: Actor) -> QuerySet[Order]:
    """Released orders planned to end after the day their customer asked for."""
    return (
        Order.objects.visible_to(actor)
        .filter(
            state=OrderState.RELEASED,
            planned_end__isnull=False,
            planned_end__date__gt=F("requested_date"),
        )
        .select_related("customer")
        .order_by("requested_date")[:50]
    )
