"""`reproduce plan run|expire-offers`: the network plan and dispatch deadlines from the shell.

The web and the worker do the same through background tasks; this is for operators (a cron
line, a re-plan after an import) and for looking at a plan's figures.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reproduce.orders.services import expire_overdue_offers
from reproduce.planning import services
from reproduce.planning.models import PlanState


class Command(BaseCommand):
    help = "Plan the network now, or expire the overdue work offers."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("run", help="plan every open work order and publish the plan")
        run.add_argument("--time-limit", type=int, default=30, help="seconds (5-300)")
        run.add_argument("--reason", default="command line")
        actions.add_parser(
            "expire-offers", help="expire overdue offers and offer the work to the next site"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "expire-offers":
            count = expire_overdue_offers()
            self.stdout.write(f"{count} offer(s) expired")
            return
        try:
            run = services.request_plan(
                actor=None, reason=options["reason"], time_limit=options["time_limit"]
            )
        except services.PlanningError as exc:
            raise CommandError(exc.messages[0]) from exc
        run = services.run_plan(run.pk)
        if run.state != PlanState.DONE:
            raise CommandError(f"plan {run.pk} {run.state}: {run.error or 'already running'}")
        self.stdout.write(json.dumps({"plan": run.pk, **run.stats}, indent=2))
