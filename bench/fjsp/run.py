"""Brandimarte mk01–mk15: our FJSP solver against PyJobShop (OR-Tools backend), side by side.

    .venv/bin/python -m bench.fjsp.run [--time-limits 10 60] [--instances mk01 ...] [--quick]
    .venv/bin/python -m bench.fjsp.run --solvers ours --seeds 0 1 2 --instances mk06 mk10

Both solvers get the same instance, time limit and number of workers, one after the other.
Gap = (makespan - best known upper bound) / upper bound; the headline is the mean gap over
mk01–mk10. Every schedule (PyJobShop's too) is checked with our validator. Measured, never
asserted: the machine is shared, timings are noisy.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reproduce.planning.engine.fjsp import (
    Instance,
    ScheduledOperation,
    Solution,
    parse,
    solve,
    validate,
)

DATA = Path("/work/shared/bench/fjsp")
ALL = [f"mk{i:02d}" for i in range(1, 16)]
HEADLINE = set(ALL[:10])
QUICK = ["mk01", "mk04", "mk06", "mk08", "mk10"]


@dataclass
class Run:
    """One solver on one instance at one time limit."""

    makespan: int | None
    seconds: float
    valid: bool


def ours(instance: Instance, limit: float, workers: int, seed: int) -> Run:
    """Our solver through its Python API."""
    started = time.monotonic()
    solution = solve(instance, time_limit=limit, workers=workers, seed=seed)
    seconds = time.monotonic() - started
    return Run(solution.makespan, seconds, not validate(instance, solution))


def pyjobshop(instance: Instance, limit: float, workers: int, seed: int) -> Run:
    """PyJobShop's own FJSP model, solved by OR-Tools CP-SAT (a bench-only dependency)."""
    import pyjobshop as pjs  # only the benchmark needs it

    model = pjs.Model()
    machines = [model.add_machine() for _ in range(instance.n_machines)]
    keys, modes = [], []
    for j, ops in enumerate(instance.jobs):
        job, previous = model.add_job(), None
        for k, options in enumerate(ops):
            task = model.add_task(job=job)
            for m, d in options:
                model.add_mode(task, machines[m], d)
                modes.append(m)
            if previous is not None:
                model.add_end_before_start(previous, task)
            keys.append((j, k))
            previous = task
    started = time.monotonic()
    result = model.solve(
        "ortools", time_limit=limit, display=False, num_workers=workers, random_seed=seed
    )
    seconds = time.monotonic() - started
    if result.best is None or result.status.name not in ("OPTIMAL", "FEASIBLE"):
        return Run(None, seconds, False)
    tasks = result.best.tasks
    scheduled = [
        ScheduledOperation(j, k, modes[t.mode], t.start, t.end)
        for (j, k), t in zip(keys, tasks, strict=True)
    ]
    makespan = max(t.end for t in tasks)
    solution = Solution(makespan, scheduled, None, "feasible")
    return Run(makespan, seconds, not validate(instance, solution))


SOLVERS: dict[str, Callable[[Instance, float, int, int], Run]] = {
    "ours": ours,
    "pyjobshop": pyjobshop,
}


def bounds() -> dict[str, int]:
    """Best known upper bound of each instance."""
    with (DATA / "brandimarte_bounds.csv").open(encoding="utf-8") as f:
        return {row["instance"]: int(row["best_known_upper_bound"]) for row in csv.DictReader(f)}


def gap(run: Run, upper: int) -> float | None:
    return None if run.makespan is None else (run.makespan - upper) / upper


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def bench(
    limit: float, names: list[str], solvers: list[str], workers: int, seed: int
) -> dict[tuple[str, str], Run]:
    """Run every solver on every instance at one time limit; print the table and mean gaps."""
    upper = bounds()
    print(f"\n## {limit:g} s per instance, {workers} workers, seed {seed}\n")
    head = " | ".join(f"{s} makespan | {s} gap | {s} s" for s in solvers)
    print(f"| instance | UB | {head} |")
    print("|---|---" + "|---" * 3 * len(solvers) + "|")
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    invalid = dict.fromkeys(solvers, 0)
    runs: dict[tuple[str, str], Run] = {}
    for name in names:
        instance = parse((DATA / "brandimarte" / f"{name}.txt").read_text(), name)
        cells = []
        for s in solvers:
            run = runs[s, name] = SOLVERS[s](instance, limit, workers, seed)
            g = gap(run, upper[name])
            invalid[s] += not run.valid
            if name in HEADLINE and g is not None and run.valid:
                gaps[s].append(g)
            mark = "" if run.valid else " (INVALID)"
            cells.append(f"{run.makespan}{mark} | {fmt(g)} | {run.seconds:.1f}")
        print(f"| {name} | {upper[name]} | {' | '.join(cells)} |", flush=True)
    for s in solvers:
        mean = statistics.mean(gaps[s]) if gaps[s] else None
        print(
            f"{s}: mean gap over {len(gaps[s])} of mk01–mk10 = {fmt(mean)}, "
            f"invalid schedules: {invalid[s]}"
        )
    return runs


def summary(
    limit: float,
    names: list[str],
    solvers: list[str],
    seeds: list[int],
    runs: list[dict[tuple[str, str], Run]],
) -> None:
    """Over several seeds: the makespans of each instance, their mean, and the mean gaps."""
    upper = bounds()
    print(f"\n## {limit:g} s, seeds {' '.join(map(str, seeds))}: makespans and mean over seeds\n")
    print(f"| instance | UB | {' | '.join(solvers)} |")
    print("|---|---" + "|---" * len(solvers) + "|")
    for name in names:
        cells = []
        for s in solvers:
            values = [r[s, name].makespan for r in runs]
            known = [v for v in values if v is not None]
            mean = f"{statistics.mean(known):.1f}" if known else "—"
            cells.append(f"{mean} ({' '.join(str(v) for v in values)})")
        print(f"| {name} | {upper[name]} | {' | '.join(cells)} |")
    for s in solvers:
        per_seed = []
        for r in runs:
            gaps = [
                g
                for name in names
                if name in HEADLINE
                and r[s, name].valid
                and (g := gap(r[s, name], upper[name])) is not None
            ]
            if gaps:
                per_seed.append(statistics.mean(gaps))
        shown = " ".join(fmt(g) for g in per_seed)
        mean = statistics.mean(per_seed) if per_seed else None
        print(f"{s}: mean gap per seed {shown}; over seeds {fmt(mean)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limits", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--instances", nargs="+", default=ALL, choices=ALL, metavar="mkNN")
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS), choices=list(SOLVERS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{' '.join(QUICK)} at 5 s (a smoke run)"
    )
    args = parser.parse_args()
    names, limits = args.instances, args.time_limits
    if args.quick:
        names, limits = QUICK, [5.0]
    for limit in limits:
        runs = [bench(limit, names, args.solvers, args.workers, seed) for seed in args.seeds]
        if len(args.seeds) > 1:
            summary(limit, names, args.solvers, args.seeds, runs)


if __name__ == "__main__":
    main()
