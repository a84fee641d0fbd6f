"""Large problems: large-neighbourhood search (LNS) and a rolling horizon.

A CP-SAT model of a few thousand tasks with calendars is too big to improve within a minute
on two cores. Both strategies here solve many small models instead, each built around the
current plan with :class:`.network._Builder` (the tasks outside the neighbourhood are
constants), so every step keeps the plan valid and never makes the objective worse.

* :func:`lns` (used by :func:`.network.solve` above ``network.FULL_MODEL_MAX`` free tasks):
  repeatedly frees a late job (or a random one) together with the jobs competing for its
  machines around the same dates, and re-optimises them.
* :func:`solve` (used above ``network.DECOMPOSE_ABOVE``): a sweep by due date. Jobs (joined
  when linked by precedence) are sorted by due date and cut into slices; each slice is
  re-optimised in turn, everything else kept where the greedy plan (or an earlier slice)
  put it; the remaining half of the time goes to :func:`lns` over the whole plan.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ortools.sat.python import cp_model  # type: ignore[import-untyped]

from . import network
from .model import Index, Plan, Problem, objective

DAY = 24 * 60
Progress = Callable[[float, float, int], None]


class _Search:
    """Shared state of one LNS run: best plan, clock, progress reporting."""

    def __init__(
        self, index: Index, plan: Plan, deadline: float, seed: int, progress: Progress | None
    ) -> None:
        self.index = index
        self.best = plan
        self.best_objective = objective(index.problem, plan, index)
        self.deadline = deadline
        self.began = time.monotonic()
        self.rng = random.Random(seed)  # noqa: S311 - search diversification, not secrets
        self.seed = seed
        self.progress = progress
        self.found = 0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def attempt(
        self,
        free: set[str],
        limit: float,
        workers: int,
        window: tuple[int, int] | None = None,
    ) -> bool:
        """Re-optimise the ``free`` tasks; keep the result if the objective improves."""
        if not free:
            return False
        builder = network._Builder(self.index, self.best, free, window)
        builder.build()
        solver = network.make_solver(limit, workers, self.seed + self.found)
        status = solver.solve(builder.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        plan = builder.extract(solver, "feasible")
        value = objective(self.index.problem, plan, self.index)
        if value >= self.best_objective:
            return False
        self.best, self.best_objective = plan, value
        self.found += 1
        if self.progress is not None:
            self.progress(time.monotonic() - self.began, float(value), self.found)
        return True


def lns(
    index: Index,
    plan: Plan,
    *,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
    size: int = 60,
) -> Plan:
    """Improve ``plan`` by re-optimising neighbourhoods of about ``size`` tasks."""
    search = _Search(index, plan, time.monotonic() + time_limit, seed, progress)
    while search.left() > 0.3:
        free, window = _neighbourhood(index, search.best, search.rng, size)
        began = time.monotonic()
        limit = min(search.left() - 0.1, 1.5)
        improved = search.attempt(free, limit, workers, window)
        # Grow the neighbourhood while sub-problems solve fast, shrink it when they stall.
        if time.monotonic() - began < limit / 3:
            size = min(int(size * 1.2) + 1, 300)
        elif not improved:
            size = max(int(size * 0.8), 30)
    best = search.best
    best.status = "feasible" if search.found else plan.status
    return best


Neighbourhood = tuple[set[str], tuple[int, int]]


def _neighbourhood(index: Index, plan: Plan, rng: random.Random, size: int) -> Neighbourhood:
    """Tasks to free, and the time window they stay in.

    Mostly a late job (weighted by lateness) with every task on its candidate machines
    between its release and its end: re-sequencing those is what can make it earlier.
    Otherwise a random stretch of time on a random set of machines (makespan, transport).
    """
    late = sorted(job for job, minutes in plan.tardiness.items() if minutes > 0)
    if late and rng.random() < 0.9:
        job = rng.choices(late, weights=[plan.tardiness[j] for j in late])[0]
        own = [t for t in index.job_tasks[job] if _movable(index, plan, t)]
        if own:
            lo = min(index.tasks[t].release for t in own) - DAY
            hi = max(plan.assignments[t].end for t in own) + DAY
            machines = {o.resource for t in own for o in index.tasks[t].options}
            return _inside(index, plan, rng, machines, (max(0, lo), hi), size, set(own))
    some = rng.choice(list(plan.assignments.values()))
    lo = max(0, some.start - rng.randrange(DAY, 3 * DAY))
    machines = set(rng.sample(sorted(index.resources), min(40, len(index.resources))))
    return _inside(index, plan, rng, machines, (lo, lo + 4 * DAY), size, set())


def _inside(
    index: Index,
    plan: Plan,
    rng: random.Random,
    machines: set[str],
    window: tuple[int, int],
    size: int,
    free: set[str],
) -> Neighbourhood:
    """Add up to ``size`` movable tasks on ``machines`` lying inside ``window``."""
    lo, hi = window
    hi = max([hi] + [plan.assignments[t].end for t in free])
    lo = min([lo] + [plan.assignments[t].start for t in free])
    found = [
        tid
        for tid, a in plan.assignments.items()
        if a.resource in machines and lo <= a.start and a.end <= hi and _movable(index, plan, tid)
    ]
    rng.shuffle(found)
    free.update(found[: max(0, size - len(free))])
    return free, (lo, hi)


def _movable(index: Index, plan: Plan, tid: str) -> bool:
    return tid in plan.assignments and index.tasks[tid].fixed is None


def solve(
    problem: Problem,
    *,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
    slice_tasks: int = 400,
) -> Plan:
    """Rolling horizon for thousands of tasks: slices by due date, then LNS on the whole."""
    began = time.monotonic()
    index = Index(problem)
    plan = network.best_greedy(index)
    deadline = began + time_limit
    search = _Search(index, plan, deadline, seed, progress)
    slices = _slices(index, plan, slice_tasks)
    for k, free in enumerate(slices):
        # A fifth of the time goes to the sweep, the rest to LNS on the late jobs: the sweep
        # mostly trims makespan and transport, LNS is what removes tardiness.
        share = (deadline - time.monotonic() - 0.8 * time_limit) / (len(slices) - k)
        if share < 0.5:
            break
        lo = min(index.tasks[t].release for t in free)
        hi = max(plan.assignments[t].end for t in free) + 2 * DAY
        search.attempt(free, share, workers, (min(lo, _first_start(plan, free)), hi))
    plan = lns(
        index,
        search.best,
        time_limit=max(0.0, deadline - time.monotonic()),
        workers=workers,
        seed=seed,
        progress=progress,
    )
    plan.status = "feasible" if search.found or plan.status == "feasible" else "greedy"
    plan.solve_seconds = time.monotonic() - began
    return plan


def _first_start(plan: Plan, tasks: set[str]) -> int:
    return min(plan.assignments[t].start for t in tasks)


def _slices(index: Index, plan: Plan, slice_tasks: int) -> list[set[str]]:
    """Groups of linked jobs, ordered by due date, cut into slices of about ``slice_tasks``."""
    groups = _linked_jobs(index)
    no_due = 10**12
    groups.sort(key=lambda g: min(index.job_due.get(j, no_due) for j in g))
    slices: list[set[str]] = [set()]
    for group in groups:
        tasks = {t for j in group for t in index.job_tasks[j] if _movable(index, plan, t)}
        if len(slices[-1]) + len(tasks) > slice_tasks and slices[-1]:
            slices.append(set())
        slices[-1].update(tasks)
    return [s for s in slices if s]


def _linked_jobs(index: Index) -> list[list[str]]:
    """Jobs joined when a precedence links them (they must be solved together)."""
    parent = {job: job for job in index.job_tasks}

    def root(job: str) -> str:
        while parent[job] != job:
            parent[job] = parent[parent[job]]
            job = parent[job]
        return job

    for task in index.problem.tasks:
        for pred in index.edges_into(task):
            parent[root(index.tasks[pred].job)] = root(task.job)
    groups: dict[str, list[str]] = {}
    for job in sorted(parent):
        groups.setdefault(root(job), []).append(job)
    return list(groups.values())
