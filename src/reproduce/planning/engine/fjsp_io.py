"""Reading flexible job-shop instances (Brandimarte / ``.fjs`` text format) and writing results.

Format: line 1 is ``<jobs> <machines> [<average machines per operation>]``; then one line per
job: ``<operations>`` followed, per operation, by ``<k>`` and ``k`` pairs ``<machine> <duration>``.
Machines are numbered from 0 in some copies and from 1 in others (the common ``.fjs`` files);
:func:`parse` detects the convention from the data and keeps machines 0-based internally.
Plain Python, no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Numbering = Literal["0-based", "1-based"]
# One operation: the (machine, duration) pairs it can run with; machines 0-based.
Operation = tuple[tuple[int, int], ...]


class FjspFormatError(ValueError):
    """A malformed instance file; ``line`` is 1-based, as an editor shows it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Instance:
    """A flexible job-shop instance. ``jobs[j][k]`` is operation ``k`` of job ``j``."""

    n_machines: int
    jobs: tuple[tuple[Operation, ...], ...]
    machine_numbering: Numbering = "0-based"
    name: str = "instance"

    @property
    def offset(self) -> int:
        """What to add to an internal (0-based) machine index to get the file's numbering."""
        return 1 if self.machine_numbering == "1-based" else 0

    def operations(self) -> list[tuple[int, int, Operation]]:
        """Every operation as ``(job, index, options)``, job by job."""
        return [(j, k, op) for j, ops in enumerate(self.jobs) for k, op in enumerate(ops)]


def _ints(tokens: list[str], line: int) -> list[int]:
    """The tokens as integers, or an error naming the first one that is not."""
    values = []
    for token in tokens:
        try:
            values.append(int(token))
        except ValueError:
            raise FjspFormatError(line, f"{token!r} is not an integer") from None
    return values


def _header(tokens: list[str], line: int) -> tuple[int, int]:
    """Jobs and machines from the header; a third number (average flexibility) is ignored."""
    if len(tokens) not in (2, 3):
        raise FjspFormatError(
            line, f"header must be '<jobs> <machines> [<flexibility>]', got {len(tokens)} numbers"
        )
    n_jobs, n_machines = _ints(tokens[:2], line)
    if len(tokens) == 3:
        try:
            float(tokens[2])
        except ValueError:
            raise FjspFormatError(line, f"{tokens[2]!r} is not a number") from None
    if n_jobs <= 0 or n_machines <= 0:
        raise FjspFormatError(line, "the numbers of jobs and machines must be positive")
    return n_jobs, n_machines


def _job(values: list[int], line: int) -> list[list[tuple[int, int]]]:
    """The operations of one job line, machines still in the file's numbering."""
    if not values or values[0] < 1:
        raise FjspFormatError(line, "a job needs a positive number of operations")
    ops: list[list[tuple[int, int]]] = []
    pos = 1
    for k in range(values[0]):
        if pos >= len(values):
            raise FjspFormatError(line, f"operation {k + 1}: missing number of machines")
        count = values[pos]
        if count < 1:
            raise FjspFormatError(line, f"operation {k + 1}: needs at least one machine")
        pairs = values[pos + 1 : pos + 1 + 2 * count]
        if len(pairs) < 2 * count:
            raise FjspFormatError(line, f"operation {k + 1}: expected {count} machine pairs")
        options = list(zip(pairs[0::2], pairs[1::2], strict=True))
        for machine, duration in options:
            if duration < 0:
                raise FjspFormatError(line, f"operation {k + 1}: negative duration {duration}")
            if machine < 0:
                raise FjspFormatError(line, f"operation {k + 1}: negative machine {machine}")
        if len({m for m, _ in options}) != len(options):
            raise FjspFormatError(line, f"operation {k + 1}: a machine is listed twice")
        ops.append(options)
        pos += 1 + 2 * count
    if pos != len(values):
        raise FjspFormatError(line, f"{len(values) - pos} extra numbers after the last operation")
    return ops


def _numbering(jobs: list[tuple[int, list[list[tuple[int, int]]]]], n_machines: int) -> Numbering:
    """0-based if a machine 0 appears, 1-based if machine ``n_machines`` does; else 0-based.

    Both at once, or any machine above ``n_machines``, is an error naming the offending line.
    """
    zero_line = top_line = None
    for line, ops in jobs:
        for options in ops:
            for machine, _ in options:
                if machine > n_machines:
                    raise FjspFormatError(
                        line, f"machine {machine} out of range ({n_machines} machines)"
                    )
                if machine == 0 and zero_line is None:
                    zero_line = line
                if machine == n_machines and top_line is None:
                    top_line = line
    if zero_line is not None and top_line is not None:
        raise FjspFormatError(
            top_line, f"machine {n_machines} out of range (machines are numbered from 0)"
        )
    return "1-based" if top_line is not None else "0-based"


def parse(text: str, name: str = "instance") -> Instance:
    """Parse an instance; raise :class:`FjspFormatError` naming the line of the first problem."""
    lines = [(i + 1, raw.split()) for i, raw in enumerate(text.splitlines())]
    content = [(i, tokens) for i, tokens in lines if tokens]
    if not content:
        raise FjspFormatError(1, "empty file: expected '<jobs> <machines>'")
    header_line, header_tokens = content[0]
    n_jobs, n_machines = _header(header_tokens, header_line)
    job_lines = content[1 : 1 + n_jobs]
    if len(job_lines) < n_jobs:
        missing_at = (content[-1][0] + 1) if content else 1
        raise FjspFormatError(missing_at, f"expected {n_jobs} job lines, found {len(job_lines)}")
    if len(content) > 1 + n_jobs:
        extra_line = content[1 + n_jobs][0]
        raise FjspFormatError(extra_line, f"unexpected content after the {n_jobs} job lines")
    raw_jobs = [(line, _job(_ints(tokens, line), line)) for line, tokens in job_lines]
    numbering = _numbering(raw_jobs, n_machines)
    shift = 1 if numbering == "1-based" else 0
    jobs = tuple(
        tuple(tuple((m - shift, d) for m, d in options) for options in ops) for _, ops in raw_jobs
    )
    return Instance(n_machines, jobs, numbering, name)


def result_dict(instance: Instance, result: Any) -> dict[str, Any]:
    """The JSON object the command prints: operations in the file's machine numbering.

    ``result`` is a :class:`reproduce.planning.engine.fjsp.Solution` (typed loosely to keep
    this module free of the solver import).
    """
    ops = sorted(result.operations, key=lambda o: (o.job, o.operation))
    return {
        "instance": instance.name,
        "makespan": result.makespan,
        "lower_bound": result.lower_bound,
        "status": result.status,
        "machine_numbering": instance.machine_numbering,
        "solve_seconds": round(result.solve_seconds, 3),
        "operations": [
            {
                "job": o.job,
                "operation": o.operation,
                "machine": o.machine + instance.offset,
                "start": o.start,
                "end": o.end,
            }
            for o in ops
        ],
    }
