"""Plain data classes exchanged between the Django side and the network scheduler.

Time is in integer minutes from the start of the planning horizon (``Problem.origin`` on the
Django side). Nothing here imports Django.
"""

from __future__ import annotations

import itertools
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

    @property
    def late_jobs(self) -> int:
        """Number of jobs finishing after their due date."""
        return sum(1 for minutes in self.tardiness.values() if minutes > 0)


# --- Shared rules -------------------------------------------------------------------------
# The helpers below are the single definition of the scheduling rules; the greedy dispatcher,
# the CP-SAT model and ``validate`` all use them so the three can never disagree.
#
# Windows: a task normally runs inside ONE window of its resource. A task whose duration is
# longer than the resource's longest window ("long task") starts at the opening of a window
# and runs on every window minute after it until its work is done: it holds the resource
# from start to end (closed time in between included), like a job left on the machine
# overnight. Tardiness: a job's due date is the latest ``due`` among its tasks; the job is
# late by max(0, end of its last scheduled task - due).

CHANGE_RESOURCE_MINUTES = 60  # moving a task to another machine costs as much as a 1 h shift


def transport_time(problem: Problem, site_a: str, site_b: str) -> int:
    """Minutes to move work from ``site_a`` to ``site_b``."""
    if site_a == site_b:
        return problem.transport.get((site_a, site_b), 0)
    return problem.transport.get((site_a, site_b), problem.default_transport)


def clip_windows(windows: tuple[Interval, ...], horizon: int) -> list[Interval]:
    """The windows cut at the horizon, empty ones dropped."""
    return [(s, min(e, horizon)) for s, e in windows if s < min(e, horizon)]


def longest_window(windows: list[Interval]) -> int:
    return max((e - s for s, e in windows), default=0)


def long_end(windows: list[Interval], index: int, duration: int) -> int | None:
    """End of a long task starting at the opening of ``windows[index]`` (None: past horizon)."""
    left = duration
    for s, e in windows[index:]:
        if e - s >= left:
            return s + left
        left -= e - s
    return None


def long_starts(windows: list[Interval], duration: int) -> list[tuple[int, int]]:
    """Every (start, end) a long task of ``duration`` can take on these windows."""
    pairs = []
    for k, (s, _e) in enumerate(windows):
        end = long_end(windows, k, duration)
        if end is None:
            break
        pairs.append((s, end))
    return pairs


def option_cost(option: Option, resource: Resource) -> float:
    """Money cost of running ``option``: its own cost plus the machine's per-minute rate."""
    return option.cost + resource.cost_per_minute * option.duration


@dataclass
class Index:
    """Lookups derived once from a problem (the dataclasses stay plain)."""

    problem: Problem
    resources: dict[str, Resource] = field(init=False)
    windows: dict[str, list[Interval]] = field(init=False)
    longest: dict[str, int] = field(init=False)
    tasks: dict[str, Task] = field(init=False)
    successors: dict[str, list[str]] = field(init=False)
    job_due: dict[str, int] = field(init=False)
    job_tasks: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        p = self.problem
        self.resources = {r.id: r for r in p.resources}
        self.windows = {r.id: clip_windows(r.windows, p.horizon) for r in p.resources}
        self.longest = {rid: longest_window(w) for rid, w in self.windows.items()}
        self.tasks = {t.id: t for t in p.tasks}
        self.successors = {t.id: [] for t in p.tasks}
        for t in p.tasks:
            for pred in self.edges_into(t):
                self.successors[pred].append(t.id)
        self.job_tasks = {}
        for t in p.tasks:
            self.job_tasks.setdefault(t.job, []).append(t.id)
        self.job_due = {}
        for t in p.tasks:
            if t.due is not None:
                self.job_due[t.job] = max(t.due, self.job_due.get(t.job, t.due))

    def edges_into(self, task: Task) -> tuple[str, ...]:
        """Predecessors that constrain ``task``: none for a fixed task (it is a fact)."""
        if task.fixed is not None:
            return ()
        return tuple(p for p in task.predecessors if p in self.tasks)

    def is_long(self, option: Option) -> bool:
        return option.duration > self.longest.get(option.resource, 0)

    def site(self, resource_id: str) -> str:
        return self.resources[resource_id].site

    def usable_options(self, task: Task) -> list[Option]:
        """Options on a known resource with at least one place to run in the horizon."""
        return [o for o in task.options if o.resource in self.resources and self.fits(o)]

    def fits(self, option: Option) -> bool:
        windows = self.windows[option.resource]
        if self.is_long(option):
            return bool(long_starts(windows, option.duration))
        return any(e - s >= option.duration for s, e in windows)

    def option_for(self, task: Task, resource_id: str) -> Option | None:
        return next((o for o in task.options if o.resource == resource_id), None)


def finish_plan(
    index: Index,
    status: Status,
    assignments: dict[str, Assignment],
    unscheduled: dict[str, str],
) -> Plan:
    """Build a :class:`Plan` with every figure computed from the assignments."""
    p = index.problem
    tardiness = {t.job: 0 for t in p.tasks}
    job_end: dict[str, int] = {}
    for tid, a in assignments.items():
        job = index.tasks[tid].job
        job_end[job] = max(job_end.get(job, 0), a.end)
    for job, due in index.job_due.items():
        tardiness[job] = max(0, job_end.get(job, 0) - due)
    return Plan(
        status=status,
        assignments=assignments,
        tardiness=tardiness,
        makespan=max((a.end for a in assignments.values()), default=0),
        transport=sum(edge_transport(index, assignments).values()),
        cost=_plan_cost(index, assignments),
        changed=sum(1 for tid, a in assignments.items() if _moved(index.tasks[tid], a)),
        unscheduled=unscheduled,
    )


def edge_transport(index: Index, assignments: dict[str, Assignment]) -> dict[tuple[str, str], int]:
    """Transport minutes on every precedence edge whose two ends are scheduled."""
    out = {}
    for t in index.problem.tasks:
        if t.id not in assignments:
            continue
        for pred in index.edges_into(t):
            if pred in assignments:
                a, b = assignments[pred].resource, assignments[t.id].resource
                out[(pred, t.id)] = transport_time(index.problem, index.site(a), index.site(b))
    return out


def _plan_cost(index: Index, assignments: dict[str, Assignment]) -> float:
    total = 0.0
    for tid, a in assignments.items():
        option = index.option_for(index.tasks[tid], a.resource)
        if option is not None and a.resource in index.resources:
            total += option_cost(option, index.resources[a.resource])
    return total


def _moved(task: Task, a: Assignment) -> bool:
    prev = task.previous
    return prev is not None and (prev.resource != a.resource or prev.start != a.start)


def change_penalty(task: Task, a: Assignment) -> int:
    """Minutes-equivalent of moving ``task`` away from its previous assignment."""
    prev = task.previous
    if prev is None or task.fixed is not None:
        return 0
    moved_machine = CHANGE_RESOURCE_MINUTES if prev.resource != a.resource else 0
    return abs(a.start - prev.start) + moved_machine


def objective(problem: Problem, plan: Plan, index: Index | None = None) -> int:
    """The weighted objective CP-SAT minimises, evaluated on any plan (lower is better)."""
    index = index or Index(problem)
    w = problem.weights
    cost = sum(
        round(option_cost(o, index.resources[a.resource]))
        for tid, a in plan.assignments.items()
        if (o := index.option_for(index.tasks[tid], a.resource)) is not None
        and index.tasks[tid].fixed is None
    )
    changes = sum(change_penalty(index.tasks[tid], a) for tid, a in plan.assignments.items())
    return (
        w.tardiness * plan.total_tardiness
        + w.makespan * plan.makespan
        + w.transport * plan.transport
        + w.cost * cost
        + w.change * changes
    )


def validate(problem: Problem, plan: Plan) -> list[str]:
    """Every broken rule of ``plan`` as a readable message (empty list: the plan is valid)."""
    index = Index(problem)
    errors: list[str] = []
    for task in problem.tasks:
        errors += _check_task(index, plan, task)
    errors += _check_overlaps(plan)
    errors += _check_figures(index, plan)
    return errors


def _check_task(index: Index, plan: Plan, task: Task) -> list[str]:
    a = plan.assignments.get(task.id)
    if a is None:
        return [] if task.id in plan.unscheduled else [f"{task.id}: neither planned nor listed"]
    if task.id in plan.unscheduled:
        return [f"{task.id}: planned and unscheduled"]
    if task.fixed is not None:
        return [] if a == task.fixed else [f"{task.id}: fixed task moved"]
    errors = _check_placement(index, task, a)
    for pred in index.edges_into(task):
        pa = plan.assignments.get(pred)
        if pa is None:
            errors.append(f"{task.id}: predecessor {pred} unscheduled")
            continue
        lag = transport_time(index.problem, index.site(pa.resource), index.site(a.resource))
        if a.start < pa.end + lag:
            errors.append(f"{task.id}: starts {a.start} < {pred} end {pa.end} + transport {lag}")
    return errors


def _check_placement(index: Index, task: Task, a: Assignment) -> list[str]:
    option = index.option_for(task, a.resource)
    if option is None or a.resource not in index.resources:
        return [f"{task.id}: {a.resource} is not one of its options"]
    errors = [] if a.start >= task.release else [f"{task.id}: starts before its release"]
    windows = index.windows[a.resource]
    if index.is_long(option):
        if (a.start, a.end) not in long_starts(windows, option.duration):
            errors.append(f"{task.id}: long task not aligned on its windows")
    elif a.end - a.start != option.duration:
        errors.append(f"{task.id}: lasts {a.end - a.start} instead of {option.duration}")
    elif not any(s <= a.start and a.end <= e for s, e in windows):
        errors.append(f"{task.id}: [{a.start}, {a.end}) outside the windows of {a.resource}")
    return errors


def _check_overlaps(plan: Plan) -> list[str]:
    by_resource: dict[str, list[tuple[int, int, str]]] = {}
    for tid, a in plan.assignments.items():
        by_resource.setdefault(a.resource, []).append((a.start, a.end, tid))
    errors = []
    for rid, items in by_resource.items():
        items.sort()
        for (_s1, e1, t1), (s2, _e2, t2) in itertools.pairwise(items):
            if s2 < e1:
                errors.append(f"{rid}: {t1} and {t2} overlap")
    return errors


def _check_figures(index: Index, plan: Plan) -> list[str]:
    again = finish_plan(index, plan.status, plan.assignments, plan.unscheduled)
    return [
        f"plan.{name} is {getattr(plan, name)}, recomputed {getattr(again, name)}"
        for name in ("tardiness", "makespan", "transport", "changed")
        if getattr(plan, name) != getattr(again, name)
    ]
