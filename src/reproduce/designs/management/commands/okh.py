"""`reproduce okh export|import`: Open Know-How manifests from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reproduce.accounts.models import Organization
from reproduce.core.actor import Actor
from reproduce.designs import okh
from reproduce.designs.models import Design, DesignVersion, VersionState
from reproduce.designs.services import DesignError, latest_released, latest_version


def _read(name: str) -> bytes:
    """At most one byte more than the limit: enough for the import to refuse it."""
    if name == "-":
        return sys.stdin.buffer.read(okh.MAX_MANIFEST_BYTES + 1)
    with Path(name).open("rb") as handle:
        return handle.read(okh.MAX_MANIFEST_BYTES + 1)


class Command(BaseCommand):
    help = "Print a design version as an Open Know-How manifest, or import a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="print the okh.toml of a design version")
        export.add_argument("design", help="short name (slug) of the design")
        export.add_argument(
            "--version",
            dest="number",
            help="version number (default: the latest released, else the latest draft)",
        )
        export.add_argument("--json", action="store_true", help="print JSON instead of TOML")
        export.add_argument("--base-url", default="", help="site address (default: SITE_URL)")
        imp = actions.add_parser("import", help="create a private draft design from a manifest")
        imp.add_argument("file", help="okh.toml, okh.yml or okh.yaml (- for standard input)")
        imp.add_argument(
            "--organization", required=True, help="short name (slug) of the organisation"
        )
        imp.add_argument(
            "--filename",
            default="",
            help="the file's name, when reading standard input (default: okh.toml)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)
        else:
            self._import(options)

    def _version(self, slug: str, number: str | None) -> DesignVersion:
        design = Design.objects.unscoped("operator command, by slug").filter(slug=slug).first()
        if design is None:
            raise CommandError(f"No design has the short name “{slug}”.")
        if number:
            version = design.versions.filter(number=number).first()
        else:
            version = latest_released(design) or latest_version(design)
        if version is None:
            raise CommandError(f"{design.name} has no version {number or ''}".rstrip() + ".")
        return version

    def _export(self, options: dict[str, Any]) -> None:
        version = self._version(options["design"], options["number"])
        if version.state == VersionState.DRAFT:
            self.stderr.write(f"Note: {version} is a draft.")
        if options["json"]:
            manifest = okh.export_okh(version, base_url=options["base_url"])
            self.stdout.write(json.dumps(manifest, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(okh.export_okh_toml(version, base_url=options["base_url"]), ending="")

    def _import(self, options: dict[str, Any]) -> None:
        org = Organization.objects.filter(slug=options["organization"]).first()
        if org is None:
            raise CommandError(f"No organisation has the short name “{options['organization']}”.")
        name = options["filename"] or (
            "okh.toml" if options["file"] == "-" else Path(options["file"]).name
        )
        try:
            data = _read(options["file"])
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        # The command is the operator acting for the organisation, with its owner's rights.
        actor = Actor(memberships={org.pk: "owner"})
        try:
            report = okh.import_okh(actor=actor, organization=org, filename=name, data=data)
        except okh.OkhInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"  {error}")
            raise CommandError(str(exc.messages[0])) from exc
        except DesignError as exc:
            raise CommandError(str(exc.messages[0])) from exc
        self._print(report)

    def _print(self, report: okh.OkhImport) -> None:
        design = report.design
        self.stdout.write(
            f"{design.name} ({design.slug}), draft {report.version.number}, "
            f"from {okh.SCHEMA_TITLES[report.flavour]}"
        )
        self.stdout.write("mapped:   " + (", ".join(report.mapped) or "—"))
        self.stdout.write("unmapped: " + (", ".join(report.unmapped) or "—"))
        for warning in report.warnings:
            self.stdout.write(f"warning:  {warning}")
        self.stdout.write(self.style.SUCCESS("Imported as a private draft."))
