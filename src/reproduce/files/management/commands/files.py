"""`reproduce files gc [--dry-run] [--older-than-hours N]`: remove unused stored files."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from reproduce.files.gc import collect


class Command(BaseCommand):
    help = "Maintenance of stored files."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        gc = sub.add_parser("gc", help="delete files and blobs nothing points at")
        gc.add_argument("--dry-run", action="store_true")
        gc.add_argument("--older-than-hours", type=float, default=1.0)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        report = collect(
            older_than=timedelta(hours=options["older_than_hours"]), dry_run=options["dry_run"]
        )
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(
            f"{verb} {report.unused_blobs} unused blobs and {report.orphan_files} orphan files"
        )
