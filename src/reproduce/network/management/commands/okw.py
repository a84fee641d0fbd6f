"""`reproduce okw export|import`: Open Know-Where files from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reproduce.accounts.models import Organization
from reproduce.core.actor import ANONYMOUS, Actor
from reproduce.core.permissions import NetworkRoleName
from reproduce.network import okw


def _read(name: str) -> bytes:
    """At most one byte more than the limit: enough for parse_document to refuse it."""
    if name == "-":
        return sys.stdin.buffer.read(okw.MAX_DOCUMENT_BYTES + 1)
    with Path(name).open("rb") as handle:
        return handle.read(okw.MAX_DOCUMENT_BYTES + 1)


class Command(BaseCommand):
    help = "Export the network as Open Know-Where JSON, or import such a file into an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser(
            "export", help="write the OKW document (public view by default)"
        )
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        export.add_argument(
            "--as-coordinator",
            action="store_true",
            help="export what a network coordinator sees, not the public view",
        )
        imp = actions.add_parser("import", help="import an OKW document into one organisation")
        imp.add_argument("file", help="the OKW JSON document (- for standard input)")
        imp.add_argument(
            "--organization", required=True, help="short name (slug) of the organisation"
        )
        imp.add_argument("--dry-run", action="store_true", help="report only, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)
        else:
            self._import(options)

    def _export(self, options: dict[str, Any]) -> None:
        actor = (
            Actor(network_roles=frozenset({NetworkRoleName.COORDINATOR}))
            if options["as_coordinator"]
            else ANONYMOUS
        )
        document = okw.export_facilities(actor)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
            count = len(document["facilities"])
            self.stderr.write(f"{count} facilities written to {options['output']}")
        else:
            self.stdout.write(text, ending="")

    def _import(self, options: dict[str, Any]) -> None:
        org = Organization.objects.filter(slug=options["organization"]).first()
        if org is None:
            raise CommandError(f"No organisation has the short name “{options['organization']}”.")
        try:
            document = okw.parse_document(_read(options["file"]))
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        except okw.OkwDocumentError as exc:
            raise CommandError(exc.message) from exc
        # The command is the operator acting for the organisation, with its owner's rights.
        actor = Actor(memberships={org.pk: "owner"})
        report = okw.import_facilities(
            actor=actor, organization=org, document=document, dry_run=options["dry_run"]
        )
        self._print(report)
        if not report.ok:
            raise CommandError("Nothing was imported: fix the rejected fields and try again.")

    def _print(self, report: okw.ImportReport) -> None:
        rows = (
            [("rejected", e.pointer or "/", e.name, e.reason) for e in report.rejected]
            + [("created", e.pointer, e.name, "") for e in report.created]
            + [("updated", e.pointer, e.name, ", ".join(e.fields)) for e in report.updated]
            + [("unchanged", e.pointer, e.name, "") for e in report.unchanged]
        )
        for result, pointer, name, detail in rows:
            self.stdout.write(f"{result:<10} {pointer:<34} {name[:40]:<40} {detail}".rstrip())
        counts = report.counts()
        if not report.ok:
            state = "rejected, nothing saved"
        elif report.dry_run:
            state = "dry run, nothing saved"
        else:
            state = "saved" if counts["created"] or counts["updated"] else "nothing to change"
        summary = (
            f"{counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['rejected']} problems ({state})."
        )
        style = self.style.SUCCESS if report.ok else self.style.ERROR
        self.stdout.write(style(summary))
