from django.core.management.base import BaseCommand, CommandError

from reproduce.core import audit


class Command(BaseCommand):
    help = "Audit log tools. `reproduce audit verify` checks the hash chain."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at entry #{result.first_broken}: {result.reason} "
                f"({result.checked} entries verified before it)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.checked} entries verified.")
        )
