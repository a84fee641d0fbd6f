"""Reads of planning: the Gantt rows of a plan, the load of sites and machines, late risks.

Each read takes the acting person: slots are filtered by ``PlannedSlot.visible_to`` (a site
sees its own accepted work, coordinators everything), and a constant number of queries
serves a page whatever the size of the plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

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


@dataclass
class Row:
    key: str
    label: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class Gantt:
    start: datetime
    end: datetime
    days: list[tuple[float, datetime]]  # percent offset and day
    rows: list[Row]


def window(start: datetime | None = None, days: int = 21) -> tuple[datetime, datetime]:
    local = timezone.localtime(start or timezone.now())
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return first, first + timedelta(days=days)


def slots(
    plan: PlanRun | None, actor: Actor, start: datetime, end: datetime
) -> QuerySet[PlannedSlot]:
    if plan is None:
        return PlannedSlot.objects.none()
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
    work_url: str = "",
) -> Gantt:
    """Rows per site (the network) or per machine (one site), bars for the planned work and,
    for one site, its bookings."""
    from django.urls import reverse

    rows: dict[str, Row] = {}
    chosen = slots(plan, actor, start, end)
    if site is not None:
        chosen = chosen.filter(site=site)
    for s in chosen:
        key, label = _row_of(s, site is not None)
        row = rows.setdefault(key, Row(key, label))
        left, width = _bar(start, end, s.starts_at, s.ends_at)
        wo = s.work_order
        row.bars.append(
            Bar(
                left=left,
                width=width,
                label=wo.reference,
                title=f"{wo.reference} · {wo.name} · {wo.order.reference}",
                url=reverse("orders:work_order", args=[wo.pk]),
                late=s.late_minutes > 0 or wo.late_minutes > 0,
                candidate=s.is_candidate,
            )
        )
    if site is not None:
        for booking in site_bookings(site, start, end):
            row = rows.setdefault(
                f"m{booking.machine_id}", Row(f"m{booking.machine_id}", booking.machine.name)
            )
            left, width = _bar(start, end, booking.starts_at, booking.ends_at)
            row.bars.append(
                Bar(left, width, "", booking.purpose or str(booking.machine), "", booking=True)
            )
    days = []
    day = start
    while day < end:
        days.append((_bar(start, end, day, day)[0], day))
        day += timedelta(days=1)
    return Gantt(start, end, days, sorted(rows.values(), key=lambda r: r.label.lower()))


def _row_of(slot: PlannedSlot, per_machine: bool) -> tuple[str, str]:
    if per_machine:
        if slot.machine_id is None:
            return "bench", "—"
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
        .select_related("machine")
    )


@dataclass
class LoadRow:
    label: str
    site: str
    weeks: list[tuple[int, int, int]]  # planned minutes, available minutes, percent


def load(
    plan: PlanRun | None, actor: Actor, start: datetime, *, weeks: int = 4, site: Site | None = None
) -> list[LoadRow]:
    """Planned minutes against available minutes per machine and week (the machines that
    have planned work in the window, or every machine of one site)."""
    end = start + timedelta(weeks=weeks)
    chosen = slots(plan, actor, start, end).exclude(machine__isnull=True)
    if site is not None:
        chosen = chosen.filter(site=site)
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
    rows = []
    for m in sorted(machines, key=lambda m: (m.site.name, m.name)):
        available = [0] * weeks
        copies = max(1, m.quantity or 1)  # three identical printers: three times the time
        for a, b in spans.get(m.pk, []):
            week = min(weeks - 1, int((a - start).days // 7))
            available[week] += copies * int((b - a).total_seconds() // 60)
        cells = []
        for w in range(weeks):
            used = planned[m.pk][w] if m.pk in planned else 0
            cells.append(
                (used, available[w], round(100 * used / available[w]) if available[w] else 0)
            )
        rows.append(LoadRow(m.name, m.site.name, cells))
    return rows


def late_work(actor: Actor) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.visible_to(actor)
        .filter(late_minutes__gt=0, order__state=OrderState.RELEASED)
        .select_related("order", "site")
        .order_by("-late_minutes")[:50]
    )


def late_orders(actor: Actor) -> list[Order]:
    orders = Order.objects.visible_to(actor).filter(
        state=OrderState.RELEASED, planned_end__isnull=False
    )
    return [o for o in orders.select_related("customer") if o.is_late][:50]
