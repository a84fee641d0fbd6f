"""Network scheduling with OR-Tools CP-SAT.

One weighted objective, solved in a single search: ``Weights`` make it lexicographic in
spirit (tardiness 1000 per minute, makespan 10, transport 1, cost 1, change 5), see
:func:`.model.objective`, which evaluates the very same expression on any plan.

Model (per task): an exactly-one choice among its options, each an optional interval on its
resource whose start is restricted to the windows where it fits (long tasks: to the window
openings, with the end read from a table); one literal per candidate site (options grouped
by site) so that the transport lag of a precedence edge costs one conditional constraint
per predecessor site, not one per pair of options. Short tasks are kept inside one window by
putting the closed periods into the machine's no-overlap (far lighter than start domains).

Sizes: up to ``FULL_MODEL_MAX`` free tasks one model is solved (``lower_bound`` is then
CP-SAT's bound on the weighted objective); above, LNS (:func:`.decompose.lns`); above
``DECOMPOSE_ABOVE``, a due-date sweep then LNS (:func:`.decompose.solve`). The better of the
two greedy rules is the hint / start; a plan is only replaced by a strictly better one, so the
result is never worse than greedy (status "greedy" when nothing better was found). Same seed,
same problem: same model and search; under a time limit the result can still vary with the
machine's load (CP-SAT with several workers, and LNS, stop on wall time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model  # type: ignore[import-untyped]

from . import greedy
from .model import (
    CHANGE_RESOURCE_MINUTES,
    Assignment,
    Index,
    Option,
    Plan,
    Problem,
    Task,
    finish_plan,
    long_starts,
    objective,
    option_cost,
    transport_time,
    validate,
)

__all__ = ["DECOMPOSE_ABOVE", "Progress", "solve", "validate"]

Progress = Callable[[float, float, int], None]
DECOMPOSE_ABOVE = 3000  # free tasks; above this ``solve`` hands over to :mod:`.decompose`
FULL_MODEL_MAX = 400  # free tasks; above this one model is too slow: LNS on neighbourhoods

Literal = cp_model.IntVar | int  # a Boolean variable, or the constant 1 when there is no choice


def solve(
    problem: Problem,
    *,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
    decompose_above: int = DECOMPOSE_ABOVE,
) -> Plan:
    """Plan ``problem`` within ``time_limit`` seconds; never worse than the greedy plan."""
    free = sum(1 for t in problem.tasks if t.fixed is None)
    if free > decompose_above:
        from . import decompose  # imported late: decompose itself calls this function

        return decompose.solve(
            problem, time_limit=time_limit, workers=workers, seed=seed, progress=progress
        )
    began = time.monotonic()
    index = Index(problem)
    start = best_greedy(index)
    plan = solve_from(
        index, start, time_limit=time_limit, workers=workers, seed=seed, progress=progress
    )
    plan.solve_seconds = time.monotonic() - began
    return plan


def best_greedy(index: Index) -> Plan:
    """The better (by the objective) of the two dispatching rules: the first solution."""
    plans = [greedy.solve(index.problem, rule=rule, index=index) for rule in ("release", "due")]
    return min(plans, key=lambda p: objective(index.problem, p, index))


def solve_from(
    index: Index,
    start: Plan,
    *,
    time_limit: float,
    workers: int = 2,
    seed: int = 0,
    progress: Progress | None = None,
) -> Plan:
    """Improve the valid plan ``start`` with CP-SAT; its unscheduled tasks stay out."""
    free = sum(1 for t in start.assignments if index.tasks[t].fixed is None)
    if free > FULL_MODEL_MAX:
        from . import decompose

        return decompose.lns(
            index, start, time_limit=time_limit, workers=workers, seed=seed, progress=progress
        )
    builder = _Builder(index, start)
    builder.build()
    solver = make_solver(time_limit, workers, seed)
    status = solver.solve(builder.model, _Callback(progress))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return start
    plan = builder.extract(solver, "optimal" if status == cp_model.OPTIMAL else "feasible")
    if objective(index.problem, plan, index) >= objective(index.problem, start, index):
        # Not better: keep the start plan (an equal one would move tasks for nothing).
        if status == cp_model.OPTIMAL:
            start.status = "optimal"
        plan = start
    plan.lower_bound = round(solver.best_objective_bound)
    return plan


def make_solver(time_limit: float, workers: int, seed: int) -> cp_model.CpSolver:
    """A CP-SAT solver with the settings every model here uses."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # Probing the calendar encodings costs seconds of presolve and buys little here.
    solver.parameters.cp_model_probing_level = 0
    return solver


class _Callback(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    """Reports each improving solution to ``progress``."""

    def __init__(self, progress: Progress | None) -> None:
        super().__init__()
        self.progress = progress
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.progress is not None:
            self.progress(self.wall_time, self.objective_value, self.count)


@dataclass
class _TaskVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    chosen: dict[str, cp_model.IntVar] = field(default_factory=dict)  # resource -> literal
    sites: dict[str, Literal] = field(default_factory=dict)


@dataclass
class _Fixed:
    """A task whose placement is a constant: fixed by the caller."""

    start: int
    end: int
    sites: dict[str, Literal]


class _Builder:
    """Builds the CP-SAT model around the valid plan ``hint``, which it also hints.

    Only the tasks in ``free`` get variables (default: every scheduled task not fixed); the
    others keep their place in ``hint`` and appear as constants where they constrain the free
    ones (same machine, predecessor or successor, same job). This makes the same builder
    serve the full model, the LNS neighbourhoods and the decomposition.
    """

    def __init__(
        self,
        index: Index,
        hint: Plan,
        free: set[str] | None = None,
        window: tuple[int, int] | None = None,
    ) -> None:
        self.index = index
        self.problem = index.problem
        self.hint = hint
        self.full = free is None
        if free is None:
            free = {t for t in hint.assignments if index.tasks[t].fixed is None}
        self.free = free
        # Free tasks stay inside ``window`` (they must already be in it): what lies outside
        # can then be left out of the model, which keeps LNS sub-models small.
        self.lo, self.hi = window or (0, index.problem.horizon)
        self.model = cp_model.CpModel()
        self.vars: dict[str, _TaskVars | _Fixed] = {}
        # Per resource: intervals that must stay inside one window, and those which may
        # cover closed time (long tasks, and constants: fixed tasks may sit anywhere).
        self.short: dict[str, list[cp_model.IntervalVar]] = {}
        self.held: dict[str, list[cp_model.IntervalVar]] = {}
        self.objective: list[cp_model.LinearExprT] = []

    def build(self) -> None:
        """Variables, then constraints, then the objective."""
        for tid in self._included():
            self._task(self.index.tasks[tid])
        for rid in self.short.keys() | self.held.keys():
            self._no_overlap(rid)
        for tid, v in self.vars.items():
            self._edges(self.index.tasks[tid], v)
        self._tardiness_and_makespan()
        self.model.minimize(sum(self.objective))

    def _included(self) -> list[str]:
        """Free tasks plus the placed tasks that constrain them."""
        if self.full:
            return list(self.hint.assignments)
        resources = {o.resource for t in self.free for o in self.index.tasks[t].options}
        near = set(self.free)
        for tid in self.free:
            near.update(self.index.edges_into(self.index.tasks[tid]), self.index.successors[tid])
        return [
            tid
            for tid, a in self.hint.assignments.items()
            if tid in near or (a.resource in resources and a.end > self.lo and a.start < self.hi)
        ]

    def _task(self, task: Task) -> None:
        a = self.hint.assignments[task.id]
        if task.id not in self.free:
            interval = self.model.new_fixed_size_interval_var(a.start, a.end - a.start, "")
            self.held.setdefault(a.resource, []).append(interval)
            self.vars[task.id] = _Fixed(a.start, a.end, {self.index.site(a.resource): 1})
            return
        horizon = self.problem.horizon
        options = [(o, d) for o in self.index.usable_options(task) if (d := self._domain(task, o))]
        lo, hi = max(task.release, self.lo), min(horizon, self.hi)
        start = self.model.new_int_var(lo, hi, f"s_{task.id}")
        end = self.model.new_int_var(lo, hi, f"e_{task.id}")
        tv = _TaskVars(start, end)
        self.vars[task.id] = tv
        for option, domain in options:
            self._option(task, tv, option, domain)
        self.model.add_exactly_one(tv.chosen.values())
        self._sites(task, tv)
        self._change(task, tv)
        self.model.add_hint(start, a.start)
        self.model.add_hint(end, a.end)

    def _domain(self, task: Task, option: Option) -> list[list[int]]:
        """Start values of ``option``: a long task starts at a window opening; a short one
        anywhere, the closed periods in its resource's no-overlap keep it inside a window
        (far lighter for CP-SAT than a start domain made of every window)."""
        windows = self.index.windows[option.resource]
        if self.index.is_long(option):
            pairs = long_starts(windows, option.duration)
            return [[s, s] for s, _ in pairs if s >= task.release]
        fits = any(e - max(s, task.release) >= option.duration for s, e in windows)
        return [[task.release, self.problem.horizon - option.duration]] if fits else []

    def _option(self, task: Task, tv: _TaskVars, option: Option, domain: list[list[int]]) -> None:
        m, rid = self.model, option.resource
        x = m.new_bool_var(f"x_{task.id}_{rid}")
        tv.chosen[rid] = x
        m.add_hint(x, self.hint.assignments[task.id].resource == rid)
        if self.index.is_long(option):
            dom = cp_model.Domain.from_intervals(domain)
            m.add_linear_expression_in_domain(tv.start, dom).only_enforce_if(x)
            pairs = list(long_starts(self.index.windows[rid], option.duration))
            m.add_allowed_assignments([tv.start, tv.end], pairs).only_enforce_if(x)
            size = m.new_int_var(option.duration, self.problem.horizon, "")
            m.add(tv.end == tv.start + size).only_enforce_if(x)
            a = self.hint.assignments[task.id]
            m.add_hint(size, a.end - a.start if a.resource == rid else option.duration)
            interval = m.new_optional_interval_var(tv.start, size, tv.end, x, "")
            self.held.setdefault(rid, []).append(interval)
        else:
            m.add(tv.end == tv.start + option.duration).only_enforce_if(x)
            interval = m.new_optional_fixed_size_interval_var(tv.start, option.duration, x, "")
            self.short.setdefault(rid, []).append(interval)
        cost = round(option_cost(option, self.index.resources[rid]))
        self.objective.append(self.problem.weights.cost * cost * x)

    def _no_overlap(self, rid: str) -> None:
        """Short tasks never cross a closed period; long ones cross them but hold the machine."""
        short, held = self.short.get(rid, []), self.held.get(rid, [])
        if short:
            closed = [
                self.model.new_fixed_size_interval_var(s, e - s, "")
                for s, e in _gaps(self.index.windows.get(rid, []), self.problem.horizon)
                if e > self.lo and s < self.hi
            ]
            self.model.add_no_overlap(short + closed)
        if held and (short or len(held) > 1):
            self.model.add_no_overlap(short + held)

    def _sites(self, task: Task, tv: _TaskVars) -> None:
        """One literal per candidate site: the sum of that site's option literals."""
        by_site: dict[str, list[str]] = {}
        for rid in tv.chosen:
            by_site.setdefault(self.index.site(rid), []).append(rid)
        if len(by_site) == 1:
            tv.sites = dict.fromkeys(by_site, 1)
            return
        hinted = self.index.site(self.hint.assignments[task.id].resource)
        for site, rids in by_site.items():
            if len(rids) == 1:
                tv.sites[site] = tv.chosen[rids[0]]
            else:
                s = self.model.new_bool_var("")
                self.model.add(s == sum(tv.chosen[r] for r in rids))
                self.model.add_hint(s, site == hinted)
                tv.sites[site] = s

    def _change(self, task: Task, tv: _TaskVars) -> None:
        """Penalise moving a task away from its previous assignment (stability)."""
        prev = task.previous
        if prev is None:
            return
        w = self.problem.weights.change
        shift = self.model.new_int_var(0, self.problem.horizon, "")
        self.model.add(shift >= tv.start - prev.start)
        self.model.add(shift >= prev.start - tv.start)
        self.model.add_hint(shift, abs(self.hint.assignments[task.id].start - prev.start))
        kept = tv.chosen.get(prev.resource, 0)
        self.objective.append(w * (shift + CHANGE_RESOURCE_MINUTES * (1 - kept)))

    def _edges(self, task: Task, tv: _TaskVars | _Fixed) -> None:
        for pred in self.index.edges_into(task):
            pv = self.vars.get(pred)
            if pv is None or (isinstance(pv, _Fixed) and isinstance(tv, _Fixed)):
                continue  # both placed: nothing to decide
            lag = self._lag(pv.sites, tv.sites)
            if not isinstance(lag, int):
                a, b = self.hint.assignments[pred], self.hint.assignments[task.id]
                sites = self.index.site(a.resource), self.index.site(b.resource)
                self.model.add_hint(lag, transport_time(self.problem, *sites))
            self.model.add(tv.start >= pv.end + lag)
            self.objective.append(self.problem.weights.transport * lag)

    def _lag(self, before: dict[str, Literal], after: dict[str, Literal]) -> cp_model.IntVar | int:
        """Transport minutes between the chosen sites, as a constant or a bounded variable."""
        table = {(a, b): transport_time(self.problem, a, b) for a in before for b in after}
        values = set(table.values())
        if len(values) == 1:
            return values.pop()
        lag = self.model.new_int_var(min(values), max(values), "")
        for a, lit_a in before.items():
            need = sum(table[(a, b)] * lit_b for b, lit_b in after.items())
            constraint = self.model.add(lag >= need)
            if not isinstance(lit_a, int):
                constraint.only_enforce_if(lit_a)
        return lag

    def _tardiness_and_makespan(self) -> None:
        w, horizon = self.problem.weights, self.problem.horizon
        outside = [a.end for t, a in self.hint.assignments.items() if t not in self.vars]
        makespan = self.model.new_int_var(max(outside, default=0), horizon, "makespan")
        jobs = {self.index.tasks[tid].job for tid in self.free}
        for tid in self.free:
            self.model.add(makespan >= self.vars[tid].end)
        for job in jobs & self.index.job_due.keys():
            due = self.index.job_due[job]
            ends = [
                self.hint.assignments[t].end
                for t in self.index.job_tasks[job]
                if t in self.hint.assignments and t not in self.free
            ]
            tard = self.model.new_int_var(max(0, max(ends, default=0) - due), horizon, "")
            for tid in self.index.job_tasks[job]:
                if tid in self.free:
                    self.model.add(tard >= self.vars[tid].end - due)
            self.model.add_hint(tard, self.hint.tardiness[job])
            self.objective.append(w.tardiness * tard)
        self.model.add_hint(makespan, self.hint.makespan)
        self.objective.append(w.makespan * makespan)

    def extract(self, solver: cp_model.CpSolver, status: str) -> Plan:
        """The plan of the solver's best solution."""
        assignments = dict(self.hint.assignments)
        for tid, v in self.vars.items():
            if isinstance(v, _Fixed):
                continue
            rid = next(r for r, x in v.chosen.items() if solver.boolean_value(x))
            assignments[tid] = Assignment(rid, solver.value(v.start), solver.value(v.end))
        return finish_plan(self.index, status, assignments, dict(self.hint.unscheduled))  # type: ignore[arg-type]


def _gaps(windows: list[tuple[int, int]], horizon: int) -> list[tuple[int, int]]:
    """The closed periods between ``windows`` (and before/after them) up to the horizon."""
    gaps, cursor = [], 0
    for s, e in windows:
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < horizon:
        gaps.append((cursor, horizon))
    return gaps
