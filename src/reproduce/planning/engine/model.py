"""Plain data classes exchanged between the Django side and the network scheduler.

Time is in integer minutes from the start of the planning horizon (``Problem.origin`` on the
Django side). Nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Interval = tuple[int, int]  # [start, end) in minutes from the horizon start


@dataclass(frozen=True)
class Resource:
    """One machine (a machine with quantity 3 arrives as three resources).

    ``windows`` are the intervals when it can work: site opening hours minus closures, minus
    the machine's unavailabilities, minus fixed bookings. Sorted, disjoint. An empty list
    means the machine is never available in the horizon.
    """

    id: str
    site: str
    windows: tuple[Interval, ...]
    cost_per_minute: float = 0.0


@dataclass(frozen=True)
class Option:
    """One way to run a task: on this resource, for this many working minutes, at this cost."""

    resource: str
    duration: int
    cost: float = 0.0


@dataclass(frozen=True)
class Task:
    """One work order (one operation of one manufacturing order).

    ``job`` groups the tasks whose lateness counts together (a customer order line);
    ``predecessors`` must end (plus transport between their sites) before this one starts.
    ``fixed`` pins the task (already started, or promised and frozen by the coordinator).
    ``previous`` is where the last published plan put it: re-planning moves it only when
    that pays (stability).
    """

    id: str
    job: str
    options: tuple[Option, ...]
    predecessors: tuple[str, ...] = ()
    release: int = 0
    due: int | None = None
    fixed: Assignment | None = None
    previous: Assignment | None = None


@dataclass(frozen=True)
class Assignment:
    resource: str
    start: int
    end: int


@dataclass(frozen=True)
class Weights:
    """Lexicographic in spirit: tardiness first, then makespan, transport, cost, changes."""

    tardiness: int = 1000
    makespan: int = 10
    transport: int = 1
    cost: int = 1
    change: int = 5


@dataclass(frozen=True)
class Problem:
    resources: tuple[Resource, ...]
    tasks: tuple[Task, ...]
    # Minutes to move work from one site to another; a missing pair means 0 for the same
    # site and ``default_transport`` otherwise.
    transport: dict[tuple[str, str], int] = field(default_factory=dict)
    default_transport: int = 0
    horizon: int = 60 * 24 * 90
    weights: Weights = Weights()


Status = Literal["optimal", "feasible", "greedy", "infeasible"]


@dataclass
class Plan:
    status: Status
    assignments: dict[str, Assignment]
    tardiness: dict[str, int]  # per job, minutes late (0 when on time)
    makespan: int
    transport: int  # total minutes of transport between consecutive tasks
    cost: float
    changed: int = 0  # tasks moved compared with ``Task.previous``
    unscheduled: dict[str, str] = field(default_factory=dict)  # task id -> reason code
    lower_bound: int | None = None
    solve_seconds: float = 0.0

    @property
    def total_tardiness(self) -> int:
        return sum(self.tardiness.values())
