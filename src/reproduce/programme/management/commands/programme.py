"""`reproduce programme …`: operator commands of the accompaniment programme.

* ``indicators [--xlsx FILE] [--cohort CALL-SLUG|ID] [--from DATE] [--to DATE]`` prints the
  FEDER/EFRO indicators of the database, and with ``--xlsx`` writes the workbook (a summary
  sheet and one sheet per indicator with the records behind it).
* ``purge [--dry-run] [--schedule]`` erases the personal data of the calls whose retention
  period is over (cron-friendly: run it daily); ``--schedule`` also enqueues the nightly task
  that does the same from the task worker.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from reproduce.programme.models import Cohort, Participant
from reproduce.programme.services import indicators, retention


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


def _cohort(value: str | None) -> Cohort | None:
    if not value:
        return None
    cohorts = Cohort.objects.unscoped("operator command, by call or id").select_related("call")
    found = (
        cohorts.filter(pk=int(value)).first()
        if value.isdigit()
        else cohorts.filter(call__slug=value).first()
    )
    if found is None:
        raise CommandError(f"No cohort for “{value}” (give the call's short name or the id).")
    return found  # type: ignore[no-any-return]


class Command(BaseCommand):
    help = "Operator commands of the accompaniment programme (FEDER indicators, retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        figures = actions.add_parser("indicators", help="print or export the FEDER indicators")
        figures.add_argument("--xlsx", metavar="FILE", help="write the XLSX workbook to FILE")
        figures.add_argument("--cohort", metavar="CALL", help="one cohort (call slug or id)")
        figures.add_argument("--from", dest="period_from", metavar="DATE", type=_date)
        figures.add_argument("--to", dest="period_to", metavar="DATE", type=_date)
        figures.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the workbook's labels",
        )
        purge = actions.add_parser("purge", help="erase personal data past retention")
        purge.add_argument("--dry-run", action="store_true", help="only list the calls")
        purge.add_argument(
            "--schedule", action="store_true", help="also enqueue the nightly purge task"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "indicators":
            with translation.override(options["language"]):
                self._indicators(options)
        else:
            self._purge(options)

    def _indicators(self, options: dict[str, Any]) -> None:
        start, end = options["period_from"], options["period_to"]
        if start and end and start > end:
            raise CommandError("--from must not be after --to.")
        scope = indicators.Scope(
            cohort=_cohort(options["cohort"]), period_from=start, period_to=end
        )
        participants = Participant.objects.unscoped("operator command: FEDER indicators")
        report = indicators.compute(participants, scope)
        self.stdout.write(f"{scope.describe()}")
        for indicator in report.indicators:
            unit = indicator.definition.unit
            self.stdout.write(f"  {indicator.code}  {indicator.name}: {indicator.value} {unit}")
        if options["xlsx"]:
            with Path(options["xlsx"]).open("wb") as handle:
                indicators.write_workbook(report, handle)
            self.stderr.write(f"Workbook written to {options['xlsx']}.")

    def _purge(self, options: dict[str, Any]) -> None:
        today = timezone.localdate()
        if options["dry_run"]:
            for call in retention.expired_calls(today):
                ends = retention.retention_ends_on(call)
                self.stdout.write(f"would erase {call.slug} (retention ended {ends})")
            return
        for purged in retention.purge_expired_calls():
            self.stdout.write(
                f"call {purged.call_id}: {purged.applications} applications erased, "
                f"{purged.documents} documents removed"
            )
        if options["schedule"]:
            from reproduce.programme.tasks import schedule_next_purge

            scheduled = schedule_next_purge()
            self.stdout.write(
                "nightly purge enqueued"
                if scheduled
                else "nightly purge not enqueued (one is waiting, or the backend cannot defer)"
            )
