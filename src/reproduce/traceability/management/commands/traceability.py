"""`reproduce traceability export-epcis`: the traceability events as GS1 EPCIS 2.0 JSON-LD.

``--all`` prints one EPCISDocument holding every event of the database; ``--lot CODE`` only
the events of that lot's trace (itself, everything upstream and downstream). The document is
written as it is read, in chunks of events: a database of millions of events exports in
constant memory. ``--output FILE`` writes to a file instead of standard output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reproduce.inventory.models import Lot
from reproduce.traceability import epcis


class Command(BaseCommand):
    help = "Export the traceability events as a GS1 EPCIS 2.0 JSON-LD document."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser(
            "export-epcis", help="print an EPCIS 2.0 JSON-LD document of the events"
        )
        which = export.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every event of the database")
        which.add_argument("--lot", metavar="CODE", help="the events of one lot's trace")
        export.add_argument("--output", metavar="FILE", help="write to FILE (default: stdout)")
        export.add_argument(
            "--base-url", default="", help="site address in identifiers (default: SITE_URL)"
        )
        export.add_argument(
            "--chunk", type=int, default=epcis.CHUNK, help="events read per query (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lot = None
        if options["lot"]:
            lot = (
                Lot.objects.unscoped("operator command, by code")
                .filter(code=options["lot"])
                .first()
            )
            if lot is None:
                raise CommandError(f"No lot has the code “{options['lot']}”.")
        events = epcis.events_for(None, lot=lot)
        chunks = epcis.stream(
            events, base=options["base_url"] or None, chunk=max(1, options["chunk"])
        )
        if options["output"]:
            with Path(options["output"]).open("w", encoding="utf-8") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stderr.write(f"Written to {options['output']}.")
        else:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
