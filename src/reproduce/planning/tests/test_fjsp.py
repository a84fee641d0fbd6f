"""The flexible job-shop solver: parser, validator, solver and the `reproduce fjsp` command."""

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reproduce.planning.engine.fjsp import (
    FjspFormatError,
    ScheduledOperation,
    Solution,
    parse,
    simple_lower_bound,
    solve,
    validate,
)

MK01 = Path("/work/shared/bench/fjsp/brandimarte/mk01.txt")

# 3 jobs, 2 machines. Job 0: op0 on M0 (3) or M1 (5), op1 on M1 (2). Job 1: op0 on M0 (2),
# op1 on M0 (4) or M1 (1). Job 2: op0 on M1 (4). Optimum 7: j1o1 on M0 would load M0 or M1
# with at least 9, so it goes on M1, whose load is then 2 + 4 + 1 = 7 (reached, see below).
SMALL_0 = """3 2
2 2 0 3 1 5 1 1 2
2 1 0 2 2 0 4 1 1
1 1 1 4
"""
SMALL_1 = """3 2 1.5
2 2 1 3 2 5 1 2 2
2 1 1 2 2 1 4 2 1
1 1 2 4
"""


def test_parse_zero_based() -> None:
    instance = parse(SMALL_0, "small")
    assert instance.machine_numbering == "0-based"
    assert instance.n_machines == 2
    assert instance.jobs[0] == (((0, 3), (1, 5)), ((1, 2),))
    assert instance.jobs[2] == (((1, 4),),)


def test_parse_one_based_with_third_header_number() -> None:
    zero, one = parse(SMALL_0), parse(SMALL_1)
    assert one.machine_numbering == "1-based"
    assert one.jobs == zero.jobs  # same data once renumbered


def test_parse_ambiguous_numbering_prefers_zero_based() -> None:
    instance = parse("1 3\n1 1 1 5\n")  # machine 1 of 3: valid both ways
    assert instance.machine_numbering == "0-based"
    assert instance.jobs[0][0] == ((1, 5),)


def test_parse_accepts_duration_zero_and_solves_it() -> None:
    instance = parse("2 1\n2 1 0 0 1 0 3\n1 1 0 2\n")
    assert instance.jobs[0][0] == ((0, 0),)
    solution = solve(instance, time_limit=2, workers=1)
    assert validate(instance, solution) == []
    assert solution.makespan == 5


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty"),
        ("\n\n", 1, "empty"),
        ("2\n1 1 0 3\n", 1, "header"),
        ("2 x\n1 1 0 3\n", 1, "'x'"),
        ("2 2\n1 1 0 3\n", 3, "expected 2 job lines"),
        ("1 2\n1 1 0 3.5\n", 2, "'3.5'"),
        ("1 2\n2 1 0 3\n", 2, "operation 2"),
        ("1 2\n1 2 0 3\n", 2, "expected 2 machine pairs"),
        ("1 2\n1 1 0 -3\n", 2, "negative duration"),
        ("2 2\n1 1 0 3\n1 1 5 3\n", 3, "machine 5 out of range"),
        ("2 2\n1 1 0 3\n1 1 2 3\n", 3, "machine 2 out of range"),
        ("1 2\n1 1 0 3 7\n", 2, "extra numbers"),
        ("1 2\n1 1 0 3\n\n1 1 0 3\n", 4, "unexpected content"),
        ("1 2\n0\n", 2, "positive number of operations"),
    ],
)
def test_parse_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(FjspFormatError) as info:
        parse(text)
    assert info.value.line == line
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"line {line}:")


def test_simple_lower_bound() -> None:
    # Machine 1 alone must run job 2's op (4) and job 0's op1 (2); job 0 needs 3 + 2.
    assert simple_lower_bound(parse(SMALL_0)) == 6
    assert simple_lower_bound(parse("2 1\n1 1 0 3\n2 1 0 2 1 0 9\n")) == 14


def test_small_instance_solved_to_optimal() -> None:
    instance = parse(SMALL_0, "small")
    solution = solve(instance, time_limit=5, workers=1, seed=3)
    assert validate(instance, solution) == []
    assert (solution.makespan, solution.status, solution.lower_bound) == (7, "optimal", 7)


def _with(solution: Solution, index: int, **changes: int) -> Solution:
    ops = sorted(solution.operations, key=lambda o: (o.job, o.operation))
    ops[index] = replace(ops[index], **changes)
    makespan = max(o.end for o in ops)
    return replace(solution, operations=ops, makespan=makespan)


def test_validator_catches_wrong_duration_precedence_and_overlap() -> None:
    instance = parse(SMALL_0)
    # A valid schedule written by hand: M0 runs j0o0 then j1o0; M1 runs j2o0, j0o1, j1o1.
    good = [
        ScheduledOperation(0, 0, 0, 0, 3),
        ScheduledOperation(0, 1, 1, 4, 6),
        ScheduledOperation(1, 0, 0, 3, 5),
        ScheduledOperation(1, 1, 1, 6, 7),
        ScheduledOperation(2, 0, 1, 0, 4),
    ]
    solution = Solution(7, good, None, "feasible")
    assert validate(instance, solution) == []
    wrong_duration = _with(solution, 0, end=4)
    assert any("wrong duration" in p for p in validate(instance, wrong_duration))
    precedence = _with(solution, 1, start=2, end=4)
    assert any("before operation 0 ends" in p for p in validate(instance, precedence))
    overlap = _with(solution, 2, start=1, end=3)
    assert any("overlaps" in p for p in validate(instance, overlap))
    not_eligible = _with(solution, 4, machine=0)
    assert any("not eligible" in p for p in validate(instance, not_eligible))
    assert any("makespan" in p for p in validate(instance, replace(solution, makespan=9)))


def test_mk01_schedule_is_valid_within_the_time_limit() -> None:
    instance = parse(MK01.read_text(), "mk01")
    solution = solve(instance, time_limit=2, workers=2, seed=1)
    assert validate(instance, solution) == []
    assert solution.solve_seconds < 3
    assert 40 <= solution.makespan <= 44  # best known 40
    assert solution.lower_bound is not None and solution.lower_bound <= 40


def test_mk10_search_keeps_valid_schedules() -> None:
    # Many neighbourhood moves, solved side by side from incumbents that change under them.
    instance = parse((MK01.parent / "mk10.txt").read_text(), "mk10")
    solution = solve(instance, time_limit=3, workers=2, seed=2)
    assert validate(instance, solution) == []
    assert solution.solve_seconds < 4
    assert solution.stats["moves"] > 0
    assert solution.lower_bound is not None and solution.lower_bound <= 193  # best known 193


def test_command_json(tmp_path: Path) -> None:
    path = tmp_path / "tiny.fjs"
    path.write_text(SMALL_1)
    out = StringIO()
    call_command("fjsp", "solve", str(path), "--time-limit", "3", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["instance"] == "tiny"
    assert (data["makespan"], data["status"], data["lower_bound"]) == (7, "optimal", 7)
    assert data["machine_numbering"] == "1-based"
    assert len(data["operations"]) == 5
    first = data["operations"][0]
    assert set(first) == {"job", "operation", "machine", "start", "end"}
    assert {o["machine"] for o in data["operations"]} <= {1, 2}  # the file's numbering
    assert max(o["end"] for o in data["operations"]) == 7


def test_command_summary_without_json(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(SMALL_0)
    out = StringIO()
    call_command("fjsp", "solve", str(path), "--time-limit", "2", stdout=out)
    assert out.getvalue().startswith("tiny: makespan 7 (optimal")


def test_command_malformed_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2 2\n1 1 0 3\n1 1 0 x\n")
    with pytest.raises(CommandError, match=r"bad.txt: line 3: 'x' is not an integer"):
        call_command("fjsp", "solve", str(path), "--time-limit", "1")


def test_command_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("fjsp", "solve", str(tmp_path / "none.txt"), "--time-limit", "1")
