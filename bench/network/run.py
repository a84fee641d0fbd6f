"""Network scheduler: CP-SAT (with LNS) against the greedy dispatcher on generated networks.

    python -m bench.network.run [--quick] [--seed 1] [--workers 2]

Three scenarios, every plan checked with ``validate``:

1. medium: 40 sites, 200 machines, 500 orders (about 2,250 work orders), 60 s.
   Goal: at least 30 % less total tardiness than greedy.
2. large: 80 sites, 400 machines, 1,100 orders (about 5,000 work orders), 240 s of search.
   Goal: planned (valid) within 5 minutes, greedy included.
3. re-planning: the medium plan, one busy machine down for a day; re-plan with ``previous``
   set and from scratch, and count the tasks that moved.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from reproduce.planning.engine import generate, greedy, network  # noqa: E402
from reproduce.planning.engine.model import (  # noqa: E402
    Plan,
    Problem,
    Task,
    validate,
)

DAY = 24 * 60


@dataclass(frozen=True)
class Sizes:
    medium: generate.Shape
    medium_seconds: float
    large: generate.Shape
    large_seconds: float
    replan_seconds: float


FULL = Sizes(
    generate.Shape(),
    60.0,
    generate.Shape(sites=80, machines=400, orders=1100),
    240.0,
    30.0,
)
QUICK = Sizes(
    generate.Shape(sites=10, machines=50, orders=120),
    10.0,
    generate.Shape(sites=20, machines=100, orders=700),
    30.0,
    5.0,
)


def row(name: str, problem: Problem, plan: Plan, seconds: float) -> None:
    errors = validate(problem, plan)
    print(
        f"  {name:<14} tardiness {plan.total_tardiness:>8} min  late jobs {plan.late_jobs:>4}"
        f"  makespan {plan.makespan:>6}  transport {plan.transport:>7}"
        f"  unscheduled {len(plan.unscheduled):>3}  {seconds:7.1f} s  {plan.status}"
        f"  {'valid' if not errors else f'{len(errors)} ERRORS: {errors[:2]}'}"
    )


def timed_greedy(problem: Problem, rule: greedy.Rule) -> tuple[Plan, float]:
    began = time.monotonic()
    plan = greedy.solve(problem, rule=rule)
    return plan, time.monotonic() - began


def compare(problem: Problem, seconds: float, args: argparse.Namespace) -> tuple[Plan, Plan]:
    """Print greedy (both rules) and CP-SAT; return (greedy, CP-SAT) plans."""
    print(f"  {len(problem.tasks)} work orders, {len(problem.resources)} machines")
    fifo, t_fifo = timed_greedy(problem, "release")
    edd, t_edd = timed_greedy(problem, "due")
    row("greedy", problem, fifo, t_fifo)
    row("greedy (EDD)", problem, edd, t_edd)
    began = time.monotonic()
    best = network.solve(problem, time_limit=seconds, workers=args.workers, seed=args.seed)
    row("CP-SAT", problem, best, time.monotonic() - began)
    return fifo, best


def reduction(base: Plan, better: Plan) -> float:
    if base.total_tardiness == 0:
        return 0.0
    return 100 * (1 - better.total_tardiness / base.total_tardiness)


def machine_down(problem: Problem, plan: Plan) -> tuple[Problem, str, int]:
    """The busiest (machine, day) of ``plan`` loses that day's windows."""
    load: dict[tuple[str, int], int] = {}
    for a in plan.assignments.values():
        key = (a.resource, a.start // DAY)
        load[key] = load.get(key, 0) + a.end - a.start
    rid, day = max(sorted(load), key=lambda k: load[k])
    lo, hi = day * DAY, (day + 1) * DAY
    resources = tuple(
        replace(r, windows=tuple(w for w in r.windows if w[1] <= lo or w[0] >= hi))
        if r.id == rid
        else r
        for r in problem.resources
    )
    return replace(problem, resources=resources), rid, day


def with_previous(problem: Problem, plan: Plan | None) -> Problem:
    tasks: tuple[Task, ...] = tuple(
        replace(t, previous=plan.assignments.get(t.id) if plan else None) for t in problem.tasks
    )
    return replace(problem, tasks=tasks)


def moved(before: Plan, after: Plan) -> int:
    return sum(1 for tid, a in before.assignments.items() if after.assignments.get(tid) != a)


def replan(problem: Problem, plan: Plan, args: argparse.Namespace, seconds: float) -> None:
    broken, rid, day = machine_down(problem, plan)
    hit = sum(1 for a in plan.assignments.values() if a.resource == rid and a.start // DAY == day)
    print(f"  machine {rid} down on day {day}: {hit} planned tasks lose their slot")
    for name, source in (("with previous", plan), ("from scratch", None)):
        began = time.monotonic()
        problem_now = with_previous(broken, source)
        again = network.solve(problem_now, time_limit=seconds, workers=args.workers, seed=args.seed)
        row(name, problem_now, again, time.monotonic() - began)
        print(f"  {'':<14} moved tasks vs the published plan: {moved(plan, again)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, a minute in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL

    print(f"== medium network, {sizes.medium_seconds:.0f} s, {args.workers} workers")
    medium = generate.network(args.seed, sizes.medium)
    base, best = compare(medium, sizes.medium_seconds, args)
    gain = reduction(base, best)
    verdict = "met" if gain >= 30 else "NOT met"
    print(f"  tardiness vs greedy: -{gain:.0f} %  goal (>= 30 %): {verdict}")

    print(f"== large network, {sizes.large_seconds:.0f} s of search (decomposition)")
    began = time.monotonic()
    large = generate.network(args.seed, sizes.large)
    base_l, best_l = compare(large, sizes.large_seconds, args)
    total = time.monotonic() - began
    ok = not validate(large, best_l) and total <= 300
    print(f"  tardiness vs greedy: -{reduction(base_l, best_l):.0f} %")
    verdict = "met" if ok else "NOT met"
    print(f"  {len(large.tasks)} work orders planned in {total:.0f} s  goal (5 min): {verdict}")

    print(f"== re-planning after a machine goes down ({sizes.replan_seconds:.0f} s each)")
    replan(medium, best, args, sizes.replan_seconds)


if __name__ == "__main__":
    main()
