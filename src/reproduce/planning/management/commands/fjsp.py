"""`reproduce fjsp solve FILE --time-limit S [--workers N] [--seed S] [--json]`.

Solves a flexible job-shop instance (Brandimarte / ``.fjs`` text format) and prints the
schedule: one JSON object with ``--json``, else a short summary.
"""

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reproduce.planning.engine.fjsp import FjspFormatError, parse, solve, validate
from reproduce.planning.engine.fjsp_io import result_dict


class Command(BaseCommand):
    help = "Flexible job-shop scheduling (makespan) on instance files."
    # No database or settings involved: skipping the system checks saves about a second,
    # which counts against the caller's time limit.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("solve", help="solve one instance file")
        run.add_argument("file", help="instance: '<jobs> <machines>' then one line per job")
        run.add_argument(
            "--time-limit", type=float, required=True, help="wall-clock seconds for the solver"
        )
        run.add_argument("--workers", type=int, default=2, help="CP-SAT threads (default 2)")
        run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        run.add_argument("--json", action="store_true", help="print one JSON object")
        run.add_argument("--verbose", action="store_true", help="progress on stderr")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        path = Path(str(options["file"]))
        limit, workers = float(options["time_limit"]), int(options["workers"])
        if limit <= 0:
            raise CommandError("--time-limit must be positive")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file ({exc})") from None
        try:
            instance = parse(text, name=path.stem)
        except FjspFormatError as exc:
            raise CommandError(f"{path}: line {exc.line}: {exc.message}") from None
        log = (lambda line: print(line, file=sys.stderr)) if options["verbose"] else None
        # The limit covers reading and parsing too (interpreter start-up is out of our hands).
        solution = solve(
            instance,
            time_limit=max(0.1, limit - (time.monotonic() - started)),
            workers=workers,
            seed=int(options["seed"]),
            log=log,
        )
        problems = validate(instance, solution)
        if problems:  # a solver bug: never print an invalid schedule as if it were fine
            raise CommandError(f"internal error, invalid schedule: {problems[0]}")
        if options["json"]:
            self.stdout.write(json.dumps(result_dict(instance, solution)))
            return
        self.stdout.write(
            f"{instance.name}: makespan {solution.makespan} ({solution.status}, lower bound "
            f"{solution.lower_bound}), {len(instance.jobs)} jobs, {instance.n_machines} machines "
            f"numbered {instance.machine_numbering}, {time.monotonic() - started:.1f} s"
        )
