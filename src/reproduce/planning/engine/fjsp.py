"""Flexible job-shop scheduling (minimise the makespan) with OR-Tools CP-SAT.

The solver works in four steps, all inside the caller's time limit:

1. a simple lower bound (job work, machine loads) and a first schedule from randomised
   dispatching rules (:func:`greedy`);
2. a short run of the full CP-SAT model, hinted with that schedule: it proves the easy
   instances optimal and gives CP-SAT's lower bound;
3. our own large-neighbourhood search (:func:`_lns`): relax part of the incumbent (some jobs,
   a time window, some machines, the critical path), keep the machine and the machine order of
   everything else, re-solve that small model with a short limit and a hint, keep it when it is
   no worse. With two workers, two such moves run side by side and each thread starts a new
   one from the current incumbent as soon as its own is done. After many moves without
   improvement, a hinted run of the full model (twice as long each time it did not help).
   It runs until the time is up or the makespan meets the lower bound;
4. the result is checked by :func:`validate` before it is returned.

Plain Python, no Django import. Machines are 0-based here; :mod:`.fjsp_io` converts back.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from .fjsp_io import FjspFormatError, Instance, parse

__all__ = [
    "FjspFormatError",
    "Instance",
    "ScheduledOperation",
    "Solution",
    "greedy",
    "parse",
    "simple_lower_bound",
    "solve",
    "validate",
]

Status = Literal["optimal", "feasible"]
Log = Callable[[str], None] | None


@dataclass(frozen=True)
class ScheduledOperation:
    """Operation ``operation`` of job ``job`` runs on ``machine`` (0-based) over [start, end)."""

    job: int
    operation: int
    machine: int
    start: int
    end: int


@dataclass
class Solution:
    """A schedule, its makespan and what is known about the optimum."""

    makespan: int
    operations: list[ScheduledOperation]
    lower_bound: int | None
    status: Status
    solve_seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)


def validate(instance: Instance, solution: Solution) -> list[str]:
    """The problems of ``solution`` for ``instance``: an empty list when the schedule is valid.

    Checks that every operation is scheduled once, on an eligible machine, for its exact
    duration there, after its job predecessor, without overlap on its machine, and that the
    makespan is the latest end.
    """
    problems: list[str] = []
    by_key = {(o.job, o.operation): o for o in solution.operations}
    if len(by_key) != len(solution.operations):
        problems.append("an operation is scheduled twice")
    for j, k, options in instance.operations():
        op = by_key.get((j, k))
        if op is None:
            problems.append(f"job {j} operation {k} is not scheduled")
            continue
        durations = dict(options)
        if op.machine not in durations:
            problems.append(f"job {j} operation {k}: machine {op.machine} is not eligible")
        elif op.end - op.start != durations[op.machine]:
            problems.append(f"job {j} operation {k}: wrong duration {op.end - op.start}")
        if op.start < 0:
            problems.append(f"job {j} operation {k}: starts before 0")
        previous = by_key.get((j, k - 1))
        if previous is not None and previous.end > op.start:
            problems.append(f"job {j} operation {k}: starts before operation {k - 1} ends")
    problems += _overlaps(solution.operations)
    latest = max((o.end for o in solution.operations), default=0)
    if latest != solution.makespan:
        problems.append(f"makespan {solution.makespan} differs from the latest end {latest}")
    return problems


def _overlaps(operations: Sequence[ScheduledOperation]) -> list[str]:
    """Pairs of operations overlapping on a machine (zero-length ones never overlap)."""
    problems = []
    per_machine: dict[int, list[ScheduledOperation]] = {}
    for op in operations:
        per_machine.setdefault(op.machine, []).append(op)
    for machine, ops in per_machine.items():
        ops = sorted((o for o in ops if o.end > o.start), key=lambda o: o.start)
        for a, b in itertools.pairwise(ops):
            if b.start < a.end:
                problems.append(
                    f"machine {machine}: job {a.job} op {a.operation} overlaps "
                    f"job {b.job} op {b.operation}"
                )
    return problems


# --- flat view of an instance ------------------------------------------------------------------


@dataclass(frozen=True)
class _Flat:
    """Operations numbered 0..n-1 job by job, with the per-operation facts the solver needs."""

    instance: Instance
    keys: list[tuple[int, int]]  # (job, operation) of each flat index
    options: list[tuple[tuple[int, int], ...]]
    job_ops: list[list[int]]
    min_dur: list[int]
    head: list[int]  # least work before the operation in its job
    tail: list[int]  # least work from the operation (included) to the end of its job

    @staticmethod
    def of(instance: Instance) -> _Flat:
        """The flat view of ``instance``."""
        keys: list[tuple[int, int]] = []
        options: list[tuple[tuple[int, int], ...]] = []
        job_ops: list[list[int]] = []
        for j, ops in enumerate(instance.jobs):
            job_ops.append(list(range(len(keys), len(keys) + len(ops))))
            for k, opts in enumerate(ops):
                keys.append((j, k))
                options.append(opts)
        min_dur = [min(d for _, d in opts) for opts in options]
        head, tail = [0] * len(keys), [0] * len(keys)
        for ops_of_job in job_ops:
            acc = 0
            for i in ops_of_job:
                head[i] = acc
                acc += min_dur[i]
            for i in ops_of_job:
                tail[i] = acc - head[i]
        return _Flat(instance, keys, options, job_ops, min_dur, head, tail)

    def prev(self, i: int) -> int | None:
        """The job predecessor of flat operation ``i``."""
        j, k = self.keys[i]
        return self.job_ops[j][k - 1] if k > 0 else None


# A schedule in flat form: machine and start of every operation.
_Sched = tuple[list[int], list[int]]


def _duration(flat: _Flat, i: int, machine: int) -> int:
    return dict(flat.options[i])[machine]


def _makespan(flat: _Flat, sched: _Sched) -> int:
    machines, starts = sched
    return max((starts[i] + _duration(flat, i, machines[i]) for i in range(len(starts))), default=0)


def simple_lower_bound(instance: Instance) -> int:
    """Max of: the least work of each job; for each set of machines an operation may use,
    the least work of the operations confined to it divided by its size (rounded up)."""
    flat = _Flat.of(instance)
    best = max((flat.tail[ops[0]] for ops in flat.job_ops if ops), default=0)
    sets = {frozenset(m for m, _ in opts) for opts in flat.options}
    sets.add(frozenset(range(instance.n_machines)))
    for machines in sets:
        work = sum(
            flat.min_dur[i]
            for i, opts in enumerate(flat.options)
            if {m for m, _ in opts} <= machines
        )
        best = max(best, math.ceil(work / len(machines)))
    return best


# --- dispatching heuristic ---------------------------------------------------------------------


def greedy(instance: Instance, rng: random.Random, noise: float = 0.0) -> _Sched:
    """One dispatching schedule (Giffler–Thompson style): among the ready operations that could
    start before the earliest possible completion, start the one with the most remaining job
    work (perturbed by ``noise``), on the machine where it completes first."""
    return _greedy(_Flat.of(instance), rng, noise)


def _greedy(flat: _Flat, rng: random.Random, noise: float) -> _Sched:
    n = len(flat.keys)
    machines, starts = [0] * n, [0] * n
    free = [0] * flat.instance.n_machines
    job_ready = [0] * len(flat.job_ops)
    nxt = [0] * len(flat.job_ops)
    for _ in range(n):
        ready = []  # (completion, start, operation, machine) of each job's next operation
        for j, ops in enumerate(flat.job_ops):
            if nxt[j] < len(ops):
                i = ops[nxt[j]]
                end, start, m = min(
                    (max(free[m], job_ready[j]) + d, max(free[m], job_ready[j]), m)
                    for m, d in flat.options[i]
                )
                ready.append((end, start, i, m))
        first_end = min(r[0] for r in ready)
        # The conflict set: operations that would be delayed by the first completion.
        conflict = [r for r in ready if r[1] < first_end] or ready
        _, start, i, m = max(conflict, key=lambda r: flat.tail[r[2]] * (1 + noise * rng.random()))
        machines[i], starts[i] = m, start
        free[m] = job_ready[flat.keys[i][0]] = start + _duration(flat, i, m)
        nxt[flat.keys[i][0]] += 1
    return machines, starts


def _total(flat: _Flat, sched: _Sched) -> int:
    """Sum of the job ends (the LNS tie-break between equal makespans)."""
    machines, starts = sched
    return sum(
        starts[ops[-1]] + _duration(flat, ops[-1], machines[ops[-1]]) for ops in flat.job_ops
    )


def _left_shift(flat: _Flat, sched: _Sched) -> _Sched:
    """Same machines and machine orders, every operation as early as possible."""
    machines, starts = sched
    order = sorted(range(len(starts)), key=lambda i: (starts[i], flat.keys[i]))
    free = [0] * flat.instance.n_machines
    new = [0] * len(starts)
    for i in order:
        p = flat.prev(i)
        ready = 0 if p is None else new[p] + _duration(flat, p, machines[p])
        new[i] = max(ready, free[machines[i]])
        free[machines[i]] = new[i] + _duration(flat, i, machines[i])
    return machines, new


def _best_greedy(flat: _Flat, rng: random.Random, seconds: float) -> _Sched:
    """The best of several dispatching runs (the first without noise) within ``seconds``."""
    deadline = time.monotonic() + seconds
    best = _greedy(flat, rng, 0.0)
    best_value = _makespan(flat, best)
    for run in range(200):
        if time.monotonic() > deadline:
            break
        sched = _left_shift(flat, _greedy(flat, rng, 0.1 + 0.1 * (run % 5)))
        value = _makespan(flat, sched)
        if value < best_value:
            best, best_value = sched, value
    return best


# --- CP-SAT model ------------------------------------------------------------------------------


class _CpModel:
    """The CP-SAT model of the whole instance, or of a neighbourhood of an incumbent.

    ``fixed`` pins operations to a machine (no choice variables for them, which is what makes
    a neighbourhood small); ``orders`` are extra "a ends before b starts" pairs that keep the
    machine order of the pinned operations. ``horizon`` bounds the makespan: starts get the
    tight domain [least work before, horizon - least work from here].
    """

    def __init__(
        self,
        flat: _Flat,
        horizon: int,
        fixed: dict[int, int] | None = None,
        orders: Sequence[tuple[int, int]] = (),
        cumulative: bool = True,
        secondary: bool = False,
    ) -> None:
        self.flat = flat
        self.model = cp_model.CpModel()
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.LinearExprT] = []
        self.choice: list[dict[int, cp_model.IntVar]] = []
        per_machine: list[list[cp_model.IntervalVar]] = [
            [] for _ in range(flat.instance.n_machines)
        ]
        for i in range(len(flat.keys)):
            self._operation(i, horizon, (fixed or {}).get(i), per_machine)
        for i in range(len(flat.keys)):
            p = flat.prev(i)
            if p is not None:
                self.model.add(self.ends[p] <= self.starts[i])
        for a, b in orders:
            self.model.add(self.ends[a] <= self.starts[b])
        for intervals in per_machine:
            if len(intervals) > 1:
                self.model.add_no_overlap(intervals)
        if cumulative:
            self._cumulative()
        self.makespan = self.model.new_int_var(0, horizon, "makespan")
        job_ends = [self.ends[ops[-1]] for ops in flat.job_ops]
        self.model.add_max_equality(self.makespan, job_ends)
        if secondary:
            # Makespan first, then the sum of job ends: moves that keep the makespan but
            # compact the schedule are accepted, which opens the way to later improvements.
            weight = len(job_ends) * horizon + 1
            self.model.minimize(self.makespan * weight + cp_model.LinearExpr.sum(job_ends))
        else:
            self.model.minimize(self.makespan)

    def _operation(
        self,
        i: int,
        horizon: int,
        pinned: int | None,
        per_machine: list[list[cp_model.IntervalVar]],
    ) -> None:
        flat, model = self.flat, self.model
        start = model.new_int_var(flat.head[i], max(flat.head[i], horizon - flat.tail[i]), "")
        self.starts.append(start)
        options = flat.options[i] if pinned is None else ((pinned, _duration(flat, i, pinned)),)
        if len(options) == 1:
            m, d = options[0]
            per_machine[m].append(model.new_fixed_size_interval_var(start, d, ""))
            self.ends.append(start + d)
            self.choice.append({m: model.new_constant(1)})
            return
        lits = {}
        for m, d in options:
            lit = model.new_bool_var("")
            per_machine[m].append(model.new_optional_fixed_size_interval_var(start, d, lit, ""))
            lits[m] = lit
        model.add_exactly_one(lits.values())
        end = model.new_int_var(flat.head[i] + flat.min_dur[i], horizon, "")
        model.add(end == start + sum(d * lits[m] for m, d in options))
        self.ends.append(end)
        self.choice.append(lits)

    def _cumulative(self) -> None:
        """Redundant: at most ``n_machines`` operations run at once, each for at least its
        shortest duration. It gives the solver the machine-load bound directly."""
        intervals = [
            self.model.new_fixed_size_interval_var(self.starts[i], d, "")
            for i, d in enumerate(self.flat.min_dur)
            if d > 0
        ]
        if intervals:
            n = self.flat.instance.n_machines
            self.model.add_cumulative(intervals, [1] * len(intervals), n)

    def hint(self, sched: _Sched) -> None:
        """Hint the whole schedule (CP-SAT then starts from a feasible solution)."""
        machines, starts = sched
        for i, var in enumerate(self.starts):
            self.model.add_hint(var, starts[i])
            if len(self.choice[i]) > 1:
                for m, lit in self.choice[i].items():
                    self.model.add_hint(lit, m == machines[i])
        self.model.add_hint(self.makespan, _makespan(self.flat, sched))

    def read(self, solver: cp_model.CpSolver) -> _Sched:
        """The solver's schedule."""
        machines = [0] * len(self.starts)
        starts = [int(solver.value(v)) for v in self.starts]
        for i, lits in enumerate(self.choice):
            for m, lit in lits.items():
                if len(lits) == 1 or solver.boolean_value(lit):
                    machines[i] = m
        return machines, starts


def _solver(seconds: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


# --- large-neighbourhood search ----------------------------------------------------------------


def _critical(flat: _Flat, sched: _Sched) -> list[int]:
    """The operations of one critical path: from a last-ending operation, walk back through
    predecessors (in the job or on the machine) that end exactly when the current one starts."""
    machines, starts = sched
    ends = [starts[i] + _duration(flat, i, machines[i]) for i in range(len(starts))]
    by_machine_end: dict[tuple[int, int], int] = {}
    for i in range(len(starts)):
        by_machine_end[(machines[i], ends[i])] = i
    i = max(range(len(ends)), key=lambda x: ends[x])
    path = [i]
    while starts[i] > 0:
        p = flat.prev(i)
        if p is not None and ends[p] == starts[i]:
            i = p
        elif (machines[i], starts[i]) in by_machine_end:
            i = by_machine_end[(machines[i], starts[i])]
        else:
            break
        if i in path:  # zero-length operations can make the walk loop
            break
        path.append(i)
    return path


def _neighbourhood(
    kind: str, flat: _Flat, sched: _Sched, size: float, rng: random.Random
) -> set[int]:
    """The operations to relax: ``size`` is the target fraction of all operations."""
    machines, starts = sched
    n = len(starts)
    target = max(2, int(size * n))
    if kind == "jobs":
        jobs = list(range(len(flat.job_ops)))
        rng.shuffle(jobs)
        chosen: set[int] = set()
        for j in jobs:
            if len(chosen) >= target:
                break
            chosen.update(flat.job_ops[j])
        return chosen
    if kind == "window":
        order = sorted(range(n), key=lambda i: starts[i])
        first = rng.randrange(max(1, n - target + 1))
        return set(order[first : first + target])
    if kind == "machines":
        ms = list(range(flat.instance.n_machines))
        rng.shuffle(ms)
        chosen = set()
        for m in ms:
            if len(chosen) >= target:
                break
            chosen.update(i for i in range(n) if machines[i] == m)
        return chosen
    chosen = set(_critical(flat, sched))
    # "critical": the critical path, then random operations.
    others = [i for i in range(n) if i not in chosen]
    rng.shuffle(others)
    chosen.update(others[: max(0, target - len(chosen))])
    return chosen


def _orders(sched: _Sched, relaxed: set[int]) -> list[tuple[int, int]]:
    """Consecutive pairs of non-relaxed operations on each machine (keeps their order)."""
    machines, starts = sched
    per_machine: dict[int, list[int]] = {}
    for i in sorted(range(len(starts)), key=lambda x: starts[x]):
        if i not in relaxed:
            per_machine.setdefault(machines[i], []).append(i)
    return [(a, b) for ops in per_machine.values() for a, b in itertools.pairwise(ops)]


KINDS = ("jobs", "window", "machines", "critical")
# Time limit of one neighbourhood solve: small enough for many moves per second, large enough
# to solve most neighbourhoods (their size adapts to it).
MOVE_SECONDS = 0.2
SECONDARY = True
# LNS rounds without improvement before a run of the full model, and the length of that run.
STALL = 15
FULL_SECONDS = 1.5
FULL_GROWTH = 2.0  # the next full run is this much longer when one did not improve
# The first full-model run: this share of the time limit, at least 0.5 s, at most FIRST_MAX s
# (longer runs of the full model gain little on the hard instances, the LNS gains more).
FIRST_SHARE = 0.15
FIRST_MAX = 3.0
GROW = 1.5  # growth of a neighbourhood solved completely (else x 0.85)
# Neighbourhood models are small and start from a hint: skip the costly presolve and LP.
MOVE_PARAMS: dict[str, int | bool] = {
    "linearization_level": 0,
    "cp_model_probing_level": 0,
    "symmetry_level": 0,
    "max_presolve_iterations": 1,
}


@dataclass
class _Move:
    """The outcome of one neighbourhood solve."""

    kind: str
    sched: _Sched | None
    value: int
    total: int  # sum of job ends, the tie-break
    complete: bool  # the neighbourhood was solved to optimality


@dataclass
class _Search:
    """The state of the LNS: incumbent, bound, per-neighbourhood sizes, counters."""

    flat: _Flat
    best: _Sched
    best_value: int
    lower_bound: int
    rng: random.Random
    sizes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.2))
    stats: dict[str, int] = field(default_factory=lambda: {"moves": 0, "improvements": 0})
    full_seconds: float = field(default_factory=lambda: FULL_SECONDS)

    def prepare(self, kind: str) -> tuple[str, _CpModel, int]:
        """Build the model of one neighbourhood of the incumbent (in the main thread: all
        random draws come from the seeded generator, in the order the moves finish)."""
        relaxed = _neighbourhood(kind, self.flat, self.best, self.sizes[kind], self.rng)
        machines = self.best[0]
        fixed = {i: machines[i] for i in range(len(machines)) if i not in relaxed}
        orders = _orders(self.best, relaxed)
        model = _CpModel(
            self.flat, self.best_value, fixed, orders, cumulative=False, secondary=SECONDARY
        )
        model.hint(self.best)
        return kind, model, self.rng.randrange(1 << 30)

    def run(self, kind: str, model: _CpModel, seed: int, seconds: float) -> _Move:
        """Solve one prepared neighbourhood with one CP-SAT worker (thread-safe)."""
        solver = _solver(min(seconds, MOVE_SECONDS), 1, seed)
        for name, value in MOVE_PARAMS.items():
            setattr(solver.parameters, name, value)
        status = solver.solve(model.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _Move(kind, None, self.best_value, 0, False)
        sched = model.read(solver)
        value = int(solver.value(model.makespan))
        return _Move(kind, sched, value, _total(self.flat, sched), status == cp_model.OPTIMAL)

    def accept(self, moves: Sequence[_Move]) -> None:
        """Keep the best move when no worse than the incumbent; adapt neighbourhood sizes."""
        self.stats["moves"] += len(moves)
        for move in moves:
            # Grow a neighbourhood solved completely, shrink one that was not.
            factor = GROW if move.complete else 0.85
            self.sizes[move.kind] = min(0.8, max(0.03, self.sizes[move.kind] * factor))
        found = [m for m in moves if m.sched is not None]
        if not found:
            return
        move = min(found, key=lambda m: (m.value, m.total))
        if move.value < self.best_value:
            self.stats["improvements"] += 1
        if (move.value, move.total) <= (self.best_value, _total(self.flat, self.best)):
            assert move.sched is not None
            # CP-SAT leaves slack where it costs nothing: compact, which keeps the value.
            self.best, self.best_value = _left_shift(self.flat, move.sched), move.value

    def full(self, seconds: float, workers: int) -> None:
        """A hinted run of the full model: keep its schedule when no worse, raise the bound."""
        seed = self.rng.randrange(1 << 30)
        sched, bound, proven = _full_model(self.flat, self.best, seconds, workers, seed)
        self.stats["full_runs"] = self.stats.get("full_runs", 0) + 1
        if sched is not None and _makespan(self.flat, sched) <= self.best_value:
            self.best, self.best_value = _left_shift(self.flat, sched), _makespan(self.flat, sched)
        if proven:
            self.lower_bound = self.best_value
        elif bound is not None:
            self.lower_bound = max(self.lower_bound, bound)


def _lns(search: _Search, deadline: float, parallel: int, log: Log) -> None:
    """Neighbourhood solves on ``parallel`` threads (CP-SAT releases the GIL), until the
    deadline or the lower bound. Each thread gets a new neighbourhood of the current incumbent
    as soon as its previous one is done (no waiting for the slower one). After STALL x
    ``parallel`` moves without improvement, a short hinted run of the full model (CP-SAT's
    own neighbourhoods, another search) diversifies and may raise the lower bound."""
    turn = stall = 0
    running: set[Future[_Move]] = set()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        while True:
            remaining = deadline - time.monotonic()
            done_searching = search.best_value <= search.lower_bound or remaining < 0.05
            if stall >= STALL * parallel or done_searching:
                if running:  # let the outstanding moves finish first
                    finished, running = wait(running)
                    for future in finished:
                        stall = _take(search, future.result(), stall, log)
                    continue
                if done_searching:
                    break
                before = search.best_value
                search.full(min(remaining, search.full_seconds), parallel)
                stall = 0
                if search.best_value < before and log:
                    log(f"full model: makespan {search.best_value}")
                elif search.best_value == before:
                    # A plateau for the LNS and the short full run: give CP-SAT's own search
                    # more time on the next stall.
                    search.full_seconds *= FULL_GROWTH
                continue
            while len(running) < parallel:
                job = search.prepare(KINDS[turn % len(KINDS)])
                turn += 1
                seconds = min(2.0, deadline - time.monotonic())
                running.add(pool.submit(search.run, *job, seconds))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                stall = _take(search, future.result(), stall, log)


def _take(search: _Search, move: _Move, stall: int, log: Log) -> int:
    """Accept ``move`` if no worse; the new count of moves without improvement."""
    before = search.best_value
    search.accept([move])
    if search.best_value < before:
        if log:
            log(f"lns: makespan {search.best_value} after {search.stats['moves']} moves")
        return 0
    return stall + 1


# --- entry point -------------------------------------------------------------------------------


def _full_model(
    flat: _Flat, start: _Sched, seconds: float, workers: int, seed: int
) -> tuple[_Sched | None, int | None, bool]:
    """Solve the whole model, hinted with ``start``: (schedule, lower bound, proven optimal)."""
    model = _CpModel(flat, _makespan(flat, start))
    model.hint(start)
    solver = _solver(seconds, workers, seed)
    status = solver.solve(model.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None, False
    sched = model.read(solver)
    return sched, math.ceil(solver.best_objective_bound - 1e-6), status == cp_model.OPTIMAL


def solve(
    instance: Instance,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    log: Log = None,
) -> Solution:
    """Minimise the makespan of ``instance`` within ``time_limit`` seconds of wall clock.

    ``workers`` is the number of CP-SAT threads (and of neighbourhoods solved side by side);
    ``seed`` fixes the random generator of ours and CP-SAT's seeds, but the sub-solves stop on
    wall-clock limits and, with several workers, finish in an order that depends on the
    machine's load, so two runs with the same seed usually differ. ``log``
    receives progress lines. The status is "optimal" only when the makespan is proven minimal.
    """
    t0 = time.monotonic()
    deadline = t0 + max(0.1, time_limit - 0.1)
    flat = _Flat.of(instance)
    rng = random.Random(seed)  # noqa: S311 - search randomness, not security
    bound = simple_lower_bound(instance)
    best = _left_shift(flat, _best_greedy(flat, rng, min(0.3, 0.03 * time_limit)))
    value = _makespan(flat, best)
    if log:
        log(f"greedy: makespan {value}, lower bound {bound}")
    proven = value <= bound
    if not proven:
        first = min(FIRST_MAX, max(0.5, FIRST_SHARE * time_limit))
        seconds = min(deadline - time.monotonic(), first)
        sched, cp_bound, proven = _full_model(flat, best, seconds, workers, seed)
        if sched is not None and _makespan(flat, sched) <= value:
            best, value = sched, _makespan(flat, sched)
        bound = max(bound, cp_bound or 0)
        if log:
            log(f"full model: makespan {value}, lower bound {bound}")
    search = _Search(flat, best, value, value if proven else bound, rng)
    _lns(search, deadline, max(1, workers), log)
    return _solution(flat, search, time.monotonic() - t0)


def _solution(flat: _Flat, search: _Search, seconds: float) -> Solution:
    machines, starts = search.best
    ops = [
        ScheduledOperation(
            j, k, machines[i], starts[i], starts[i] + _duration(flat, i, machines[i])
        )
        for i, (j, k) in enumerate(flat.keys)
    ]
    value = search.best_value
    status: Status = "optimal" if value <= search.lower_bound else "feasible"
    lower = value if status == "optimal" else search.lower_bound
    return Solution(value, ops, lower, status, seconds, dict(search.stats))
