"""Seeded random networks of workshops for the benchmark and the tests.

Sites sit in a 16 x 12 km box (Brussels-sized); transport takes 15 to 90 minutes, growing
with distance. Sites open on weekdays (8-18, 9-17 or 10-20, some on Saturday), a few close
for a day, a few machines are down for half a day. Each order is a job of a few operations
(a chain, sometimes two parallel first steps); each operation uses one process and can run
on a handful of the machines offering it, at machine-dependent speed. Minute 0 is a Monday
at midnight.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .model import Interval, Option, Problem, Resource, Task

DAY = 24 * 60
PROCESSES = ("laser", "cnc", "print3d", "sewing", "welding", "lathe", "paint", "assembly")
POPULARITY = (5, 4, 4, 2, 2, 1, 2, 3)  # how often orders need each process
HOURS = ((8, 18), (9, 17), (10, 20))


@dataclass(frozen=True)
class Shape:
    """Size and tension of a generated network."""

    sites: int = 40
    machines: int = 200
    orders: int = 500
    ops: tuple[int, int] = (3, 6)
    days: int = 42  # horizon
    release_days: int = 7  # orders arrive over the first week
    tight: float = 0.5  # share of orders with a tight due date
    choices: tuple[int, int] = (3, 6)  # capable machines per operation
    long_share: float = 0.01  # operations longer than a working day
    work: tuple[int, int] = (40, 300)  # minutes of one operation on a standard machine


def network(seed: int = 0, shape: Shape | None = None) -> Problem:
    """A random :class:`Problem`; the same seed and shape always give the same problem."""
    shape = shape or Shape()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    coords = [(rng.uniform(0, 16), rng.uniform(0, 12)) for _ in range(shape.sites)]
    sites = [f"S{k:02d}" for k in range(shape.sites)]
    hours = {s: _site_windows(rng, shape.days) for s in sites}
    resources, by_process = _machines(rng, shape, sites, hours)
    tasks: list[Task] = []
    for k in range(shape.orders):
        tasks += _order(rng, shape, f"J{k:04d}", by_process)
    return Problem(
        resources=tuple(resources),
        tasks=tuple(tasks),
        transport=_transport(sites, coords),
        default_transport=60,
        horizon=shape.days * DAY,
    )


def _site_windows(rng: random.Random, days: int) -> list[Interval]:
    opens, closes = rng.choice(HOURS)
    saturday = rng.random() < 0.2
    closed = {d for d in range(days) if rng.random() < 0.02}
    return [
        (d * DAY + opens * 60, d * DAY + closes * 60)
        for d in range(days)
        if (d % 7 < 5 or (d % 7 == 5 and saturday)) and d not in closed
    ]


def _machines(
    rng: random.Random, shape: Shape, sites: list[str], hours: dict[str, list[Interval]]
) -> tuple[list[Resource], dict[str, list[tuple[str, float]]]]:
    resources = []
    by_process: dict[str, list[tuple[str, float]]] = {p: [] for p in PROCESSES}
    for k in range(shape.machines):
        site = sites[k % len(sites)]
        process = PROCESSES[k % len(PROCESSES)] if k < len(PROCESSES) else _pick_process(rng)
        windows = _minus_downtime(rng, hours[site], shape.days)
        rid = f"M{k:03d}"
        resources.append(Resource(rid, site, tuple(windows), round(rng.uniform(0.2, 1.5), 2)))
        by_process[process].append((rid, rng.uniform(0.8, 1.5)))
    return resources, by_process


def _pick_process(rng: random.Random) -> str:
    return rng.choices(PROCESSES, weights=POPULARITY)[0]


def _minus_downtime(rng: random.Random, windows: list[Interval], days: int) -> list[Interval]:
    """Drop the afternoon of a random day now and then (maintenance)."""
    if rng.random() > 0.3:
        return list(windows)
    day = rng.randrange(days)
    return [(s, s + (e - s) // 2) if s // DAY == day else (s, e) for s, e in windows]


def _order(
    rng: random.Random, shape: Shape, job: str, by_process: dict[str, list[tuple[str, float]]]
) -> list[Task]:
    count = rng.randint(*shape.ops)
    release = rng.randrange(shape.release_days) * DAY + rng.choice((0, 8 * 60, 12 * 60))
    durations = [_base_duration(rng, shape) for _ in range(count)]
    due = release + _allowance(rng, shape, sum(durations), count)
    parallel = count >= 3 and rng.random() < 0.3  # ops 0 and 1 both feed op 2
    tasks = []
    for k, base in enumerate(durations):
        machines = by_process[_pick_process(rng)]
        chosen = rng.sample(machines, min(len(machines), rng.randint(*shape.choices)))
        options = tuple(Option(rid, max(5, round(base * speed / 5) * 5)) for rid, speed in chosen)
        preds = _predecessors(job, k, parallel)
        last = k == count - 1
        tasks.append(Task(f"{job}-{k}", job, options, preds, release, due if last else None))
    return tasks


def _base_duration(rng: random.Random, shape: Shape) -> int:
    if rng.random() < shape.long_share:
        return rng.randrange(700, 1000, 10)  # longer than any opening day
    return rng.randrange(*shape.work, 10)


def _allowance(rng: random.Random, shape: Shape, work: int, count: int) -> int:
    """Calendar minutes granted to an order: tight ones barely cover work plus transport."""
    factor = rng.uniform(1.0, 1.6) if rng.random() < shape.tight else rng.uniform(2.0, 5.0)
    working_days = factor * (work * 1.2 + count * 60) / 600  # ~10 opening hours a day
    return math.ceil(working_days) * DAY + 18 * 60


def _predecessors(job: str, k: int, parallel: bool) -> tuple[str, ...]:
    if k == 0 or (parallel and k == 1):
        return ()
    if parallel and k == 2:
        return (f"{job}-0", f"{job}-1")
    return (f"{job}-{k - 1}",)


def _transport(sites: list[str], coords: list[tuple[float, float]]) -> dict[tuple[str, str], int]:
    span = math.hypot(16, 12)
    out = {}
    for a, (xa, ya) in zip(sites, coords, strict=True):
        for b, (xb, yb) in zip(sites, coords, strict=True):
            if a != b:
                distance = math.hypot(xa - xb, ya - yb)
                out[(a, b)] = 15 + round(75 * distance / span / 5) * 5
    return out
