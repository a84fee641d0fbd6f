"""The network scheduler: plain data in, validated plans out (no database)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reproduce.planning.engine import decompose, generate, greedy, network
from reproduce.planning.engine.model import (
    Assignment,
    Index,
    Option,
    Plan,
    Problem,
    Resource,
    Task,
    objective,
    validate,
)

TINY = generate.Shape(sites=3, machines=6, orders=4, ops=(2, 3), days=14)
SMALL = generate.Shape(sites=4, machines=12, orders=15, days=21)


def both(problem: Problem, seconds: float = 5.0) -> tuple[Plan, Plan]:
    """The greedy plan and the CP-SAT plan, both checked valid."""
    plans = greedy.solve(problem), network.solve(problem, time_limit=seconds, seed=1)
    for plan in plans:
        assert validate(problem, plan) == []
    return plans


def two_sites() -> Problem:
    """A on site X, B on site Y (transport 30 min); one job of two steps, due at 100."""
    return Problem(
        resources=(
            Resource("A", "X", ((0, 100), (200, 300))),
            Resource("B", "Y", ((0, 1000),)),
        ),
        tasks=(
            Task("t1", "job", (Option("A", 60),)),
            Task("t2", "job", (Option("B", 60),), predecessors=("t1",), due=100),
        ),
        transport={("X", "Y"): 30, ("Y", "X"): 30},
        horizon=1000,
    )


def test_tardiness_and_transport_on_a_hand_made_case() -> None:
    for plan in both(two_sites()):
        assert plan.assignments["t2"] == Assignment("B", 90, 150)  # 60 + 30 of transport
        assert plan.tardiness == {"job": 50}
        assert plan.transport == 30
        assert plan.makespan == 150
        assert plan.late_jobs == 1


def test_short_task_never_crosses_a_closed_period() -> None:
    problem = Problem(
        resources=(Resource("A", "X", ((0, 50), (100, 200))),),
        tasks=(Task("t", "j", (Option("A", 60),)),),
        horizon=1000,
    )
    for plan in both(problem):
        assert plan.assignments["t"] == Assignment("A", 100, 160)


def test_long_task_starts_at_an_opening_and_runs_across_closures() -> None:
    # 150 min is longer than the longest window (100): it may span the closure 50-100.
    problem = Problem(
        resources=(Resource("A", "X", ((0, 50), (100, 200), (300, 400))),),
        tasks=(Task("long", "j", (Option("A", 150),)), Task("after", "j", (Option("A", 30),))),
        horizon=1000,
    )
    for plan in both(problem):
        assert plan.assignments["long"] == Assignment("A", 0, 200)
        assert plan.assignments["after"].start >= 300 or plan.assignments["after"].end <= 0


def test_validate_catches_broken_plans() -> None:
    problem = two_sites()
    plan = greedy.solve(problem)
    plan.assignments["t2"] = Assignment("B", 70, 130)  # ignores the 30 min of transport
    plan.assignments["t1"] = Assignment("A", 80, 140)  # crosses the closure at 100
    errors = validate(problem, plan)
    assert any("transport" in e for e in errors)
    assert any("outside the windows" in e for e in errors)


def test_fixed_task_is_kept_and_blocks_its_machine() -> None:
    pinned = Assignment("A", 0, 60)
    problem = Problem(
        resources=(Resource("A", "X", ((0, 500),)),),
        tasks=(
            Task("free", "j1", (Option("A", 60),), due=60),
            Task("pinned", "j2", (Option("A", 60),), fixed=pinned),
        ),
        horizon=500,
    )
    for plan in both(problem):
        assert plan.assignments["pinned"] == pinned
        assert plan.assignments["free"].start >= 60
        assert plan.tardiness["j1"] == 60


def test_unschedulable_tasks_are_reported_and_the_rest_is_planned() -> None:
    problem = Problem(
        resources=(Resource("A", "X", ((0, 100),)), Resource("B", "X", ((0, 100),))),
        tasks=(
            Task("none", "j1", ()),
            Task("after-none", "j1", (Option("A", 10),), predecessors=("none",)),
            Task("ghost", "j2", (Option("unknown", 10),)),
            Task("too-long", "j3", (Option("B", 500),)),  # 500 > all window time
            Task("fine", "j4", (Option("A", 10),)),
        ),
        horizon=1000,
    )
    for plan in both(problem):
        assert plan.unscheduled == {
            "none": "no_capable_resource",
            "after-none": "predecessor_unscheduled",
            "ghost": "no_capable_resource",
            "too-long": "no_window",
        }
        assert set(plan.assignments) == {"fine"}


def test_cpsat_is_at_least_as_good_as_greedy_and_reports_progress() -> None:
    problem = generate.network(3, SMALL)
    seen: list[tuple[float, float, int]] = []
    plan = network.solve(problem, time_limit=5, progress=lambda *a: seen.append(a))
    assert validate(problem, plan) == []
    for rule in ("release", "due"):
        base = greedy.solve(problem, rule=rule)
        assert objective(problem, plan) <= objective(problem, base)
    assert plan.total_tardiness <= greedy.solve(problem).total_tardiness
    assert seen and seen[-1][2] >= 1


def test_replanning_without_disruption_moves_nothing() -> None:
    problem = generate.network(4, TINY)
    first = network.solve(problem, time_limit=5)
    again_problem = with_previous(problem, first)
    again = network.solve(again_problem, time_limit=5)
    assert validate(again_problem, again) == []
    assert again.changed == 0
    assert again.assignments == first.assignments


def test_after_a_breakdown_mostly_the_affected_tasks_move() -> None:
    problem = generate.network(5, SMALL)
    first = network.solve(problem, time_limit=3)
    victim = max(first.assignments.values(), key=lambda a: a.end - a.start)
    broken = without_window(problem, victim)
    kept = with_previous(broken, first)
    replanned = network.solve(kept, time_limit=3)
    assert validate(kept, replanned) == []
    moved = sum(1 for t, a in first.assignments.items() if replanned.assignments.get(t) != a)
    assert 1 <= moved <= len(problem.tasks) // 3
    assert replanned.changed == moved


def test_decomposition_gives_a_valid_plan() -> None:
    problem = generate.network(6, SMALL)
    plan = network.solve(problem, time_limit=4, decompose_above=0)
    assert validate(problem, plan) == []
    assert plan.status in ("feasible", "greedy")
    assert objective(problem, plan) <= objective(problem, network.best_greedy(Index(problem)))
    direct = decompose.solve(problem, time_limit=3, slice_tasks=20)
    assert validate(problem, direct) == []


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(seed=st.integers(0, 10_000), orders=st.integers(1, 6), choices=st.integers(1, 3))
def test_random_small_networks_give_valid_plans(seed: int, orders: int, choices: int) -> None:
    shape = replace(TINY, orders=orders, choices=(1, choices), long_share=0.2)
    problem = generate.network(seed, shape)
    greedy_plan, cpsat_plan = both(problem, seconds=1.0)
    assert objective(problem, cpsat_plan) <= objective(problem, greedy_plan)
    assert set(cpsat_plan.assignments) | set(cpsat_plan.unscheduled) == {
        t.id for t in problem.tasks
    }


def with_previous(problem: Problem, plan: Plan) -> Problem:
    tasks = tuple(replace(t, previous=plan.assignments.get(t.id)) for t in problem.tasks)
    return replace(problem, tasks=tasks)


def without_window(problem: Problem, slot: Assignment) -> Problem:
    """The machine of ``slot`` loses the window(s) where ``slot`` was planned."""
    resources = tuple(
        replace(r, windows=tuple(w for w in r.windows if w[1] <= slot.start or w[0] >= slot.end))
        if r.id == slot.resource
        else r
        for r in problem.resources
    )
    return replace(problem, resources=resources)
