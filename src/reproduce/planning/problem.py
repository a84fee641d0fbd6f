"""Turn the network's work orders, machines and calendars into the engine's plain data.

Resources: each machine (a machine of quantity 3 gives three resources), plus one "bench"
per site for manual operations (assembly, packing) that need no machine. Time is in minutes
from ``origin``. Transport between sites is estimated from their distance (a van in Brussels:
``TRANSPORT_BASE_MINUTES`` plus ``TRANSPORT_MINUTES_PER_KM``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reproduce.network.models import Machine, Site
from reproduce.network.selectors import haversine_km
from reproduce.orders.models import OrderState, WorkOrder, WorkOrderState
from reproduce.orders.selectors import UNFIT, Candidate, candidates
from reproduce.planning.calendars import Span, machine_spans, opening_spans
from reproduce.planning.engine.model import Assignment, Option, Problem, Resource, Task

TRANSPORT_BASE_MINUTES = 30
TRANSPORT_MINUTES_PER_KM = 3
PLANNED_STATES = (
    WorkOrderState.WAITING,
    WorkOrderState.OFFERED,
    WorkOrderState.ACCEPTED,
    WorkOrderState.IN_PROGRESS,
    WorkOrderState.UNASSIGNED,
)


@dataclass
class Index:
    """How engine ids map back to rows."""

    origin: datetime
    machines: dict[str, Machine] = field(default_factory=dict)  # resource id → machine
    sites: dict[str, Site] = field(default_factory=dict)  # site key → site
    bench_site: dict[str, Site] = field(default_factory=dict)  # bench resource → site
    work: dict[str, WorkOrder] = field(default_factory=dict)

    def at(self, minutes: int) -> datetime:
        return self.origin + timedelta(minutes=minutes)

    def minutes(self, moment: datetime) -> int:
        return max(0, int((moment - self.origin).total_seconds() // 60))


def _spans_to_windows(spans: list[Span], index: Index, horizon: int) -> tuple[tuple[int, int], ...]:
    out = []
    for a, b in spans:
        s, e = index.minutes(a), min(index.minutes(b), horizon)
        if s < e:
            out.append((s, e))
    return tuple(sorted(out))


def _work_orders() -> list[WorkOrder]:
    return list(
        WorkOrder.objects.unscoped("the network plan covers every released order")
        .filter(order__state=OrderState.RELEASED, state__in=PLANNED_STATES)
        .select_related(
            "order",
            "site",
            "machine",
            "operation__process",
            "operation__material",
            "manufacturing_order__version__design",
        )
        .prefetch_related("predecessors")
    )


def _options_for(wo: WorkOrder, found: list[Candidate]) -> list[tuple[Site, list[Machine]]]:
    """Where the work order may run: its site once accepted, else every candidate site."""
    if wo.site_id is not None:
        assert wo.site is not None
        match = next((c for c in found if c.site.pk == wo.site_id), None)
        machines = [wo.machine] if wo.machine else (match.machines if match else [])
        return [(wo.site, [m for m in machines if m is not None])]
    return [(c.site, c.machines) for c in found if c.asked not in (*UNFIT, "declined")]


def _transport(sites: dict[str, Site]) -> dict[tuple[str, str], int]:
    out = {}
    for ka, a in sites.items():
        for kb, b in sites.items():
            if ka == kb:
                continue
            km = haversine_km(
                float(a.latitude), float(a.longitude), float(b.latitude), float(b.longitude)
            )
            out[(ka, kb)] = TRANSPORT_BASE_MINUTES + math.ceil(TRANSPORT_MINUTES_PER_KM * km)
    return out


def build_problem(
    origin: datetime,
    *,
    horizon_days: int = 60,
    previous: dict[int, tuple[int, datetime, datetime]] | None = None,
) -> tuple[Problem, Index]:
    """The engine's problem for every open work order of released orders.

    ``previous`` maps work order ids to (machine id, start, end) of the last published plan,
    so that re-planning moves as little as possible."""
    index = Index(origin=origin)
    horizon = horizon_days * 24 * 60
    end = origin + timedelta(days=horizon_days)
    work = _work_orders()
    cache: dict[int, list[Candidate]] = {}
    choices: dict[int, list[tuple[Site, list[Machine]]]] = {}
    for wo in work:
        key = wo.operation_id if wo.operation.process_id else -wo.pk
        if key not in cache:
            cache[key] = candidates(wo)
        choices[wo.pk] = _options_for(wo, cache[key])
    machines = {m.pk: m for opts in choices.values() for _s, ms in opts for m in ms}
    sites = {s.pk: s for opts in choices.values() for s, _ms in opts}
    m_spans = machine_spans(list(machines.values()), origin, end)
    s_spans = opening_spans(list(sites), origin, end)
    resources: dict[str, Resource] = {}
    for m in machines.values():
        windows = _spans_to_windows(m_spans.get(m.pk, []), index, horizon)
        rate = float(m.hourly_rate or 0) / 60
        for copy in range(max(1, m.quantity or 1)):
            rid = f"m{m.pk}" if copy == 0 else f"m{m.pk}.{copy}"
            resources[rid] = Resource(rid, f"s{m.site_id}", windows, rate)
            index.machines[rid] = m
    for s in sites.values():
        index.sites[f"s{s.pk}"] = s
        rid = f"bench{s.pk}"
        resources[rid] = Resource(rid, f"s{s.pk}", _spans_to_windows(s_spans[s.pk], index, horizon))
        index.bench_site[rid] = s
    tasks = []
    previous = previous or {}
    for wo in work:
        index.work[f"w{wo.pk}"] = wo
        options = []
        for site, ms in choices[wo.pk]:
            rids = [r for r, m in index.machines.items() if m in ms] or [f"bench{site.pk}"]
            for rid in rids:
                options.append(Option(rid, wo.minutes, resources[rid].cost_per_minute * wo.minutes))
        prev = previous.get(wo.pk)
        prev_assignment = None
        if prev is not None and f"m{prev[0]}" in resources:
            prev_assignment = Assignment(
                f"m{prev[0]}", index.minutes(prev[1]), index.minutes(prev[2])
            )
        tasks.append(
            Task(
                id=f"w{wo.pk}",
                job=f"o{wo.order_id}",
                options=tuple(options),
                predecessors=tuple(
                    f"w{p.pk}" for p in wo.predecessors.all() if p.state in PLANNED_STATES
                ),
                due=index.minutes(order_due(wo)),
                fixed=prev_assignment if wo.state == WorkOrderState.IN_PROGRESS else None,
                previous=prev_assignment,
            )
        )
    problem = Problem(
        resources=tuple(resources.values()),
        tasks=tuple(tasks),
        transport=_transport(index.sites),
        default_transport=TRANSPORT_BASE_MINUTES,
        horizon=horizon,
    )
    return problem, index


def order_due(wo: WorkOrder) -> datetime:
    from reproduce.orders.services import order_due_at

    return order_due_at(wo.order)
