"""Site and machine calendars as intervals: opening hours minus closures, unavailabilities
and bookings. Shared by the scheduler's input, bookings and the load views."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils import timezone

from reproduce.network.models import Closure, Machine, MachineUnavailability, OpeningHours

Span = tuple[datetime, datetime]


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def opening_spans(site_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Span]]:
    """For each site, its open periods between ``start`` and ``end`` (closures removed)."""
    hours: dict[int, list[OpeningHours]] = defaultdict(list)
    for row in OpeningHours.objects.unscoped("calendars for planning").filter(site_id__in=site_ids):
        hours[row.site_id].append(row)
    closed: dict[int, set[date]] = defaultdict(set)
    closures = Closure.objects.unscoped("calendars for planning").filter(
        site_id__in=site_ids, end_date__gte=start.date(), start_date__lte=end.date()
    )
    for c in closures:
        closed[c.site_id].update(_days(c.start_date, c.end_date))
    tz = timezone.get_current_timezone()
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    spans: dict[int, list[Span]] = {}
    for site_id in site_ids:
        out: list[Span] = []
        for day in _days(first, last):
            if day in closed[site_id]:
                continue
            for row in sorted(hours[site_id], key=lambda r: r.opens):
                if row.weekday != day.weekday():
                    continue
                a = timezone.make_aware(datetime.combine(day, row.opens), tz)
                b = timezone.make_aware(datetime.combine(day, row.closes), tz)
                a, b = max(a, start), min(b, end)
                if a < b:
                    out.append((a, b))
        spans[site_id] = out
    return spans


def subtract(spans: list[Span], blocks: list[Span]) -> list[Span]:
    """``spans`` minus ``blocks`` (both lists of [start, end) periods)."""
    result = []
    for a, b in spans:
        pieces = [(a, b)]
        for x, y in blocks:
            nxt = []
            for p, q in pieces:
                if y <= p or x >= q:
                    nxt.append((p, q))
                    continue
                if p < x:
                    nxt.append((p, x))
                if y < q:
                    nxt.append((y, q))
            pieces = nxt
        result.extend(pieces)
    return result


def machine_blocks(machine_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Span]]:
    """Unavailabilities and confirmed bookings of each machine overlapping the period."""
    from reproduce.planning.models import Booking, BookingState

    blocks: dict[int, list[Span]] = defaultdict(list)
    for u in MachineUnavailability.objects.unscoped("calendars for planning").filter(
        machine_id__in=machine_ids, ends_at__gt=start, starts_at__lt=end
    ):
        blocks[u.machine_id].append((u.starts_at, u.ends_at))
    for b in Booking.objects.unscoped("calendars for planning").filter(
        machine_id__in=machine_ids,
        state=BookingState.CONFIRMED,
        ends_at__gt=start,
        starts_at__lt=end,
    ):
        blocks[b.machine_id].append((b.starts_at, b.ends_at))
    return blocks


def machine_spans(machines: list[Machine], start: datetime, end: datetime) -> dict[int, list[Span]]:
    """When each machine can work: its site's open periods minus its own blocks."""
    opening = opening_spans(sorted({m.site_id for m in machines}), start, end)
    blocks = machine_blocks([m.pk for m in machines], start, end)
    return {m.pk: subtract(opening.get(m.site_id, []), blocks.get(m.pk, [])) for m in machines}
