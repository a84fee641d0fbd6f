"""`reproduce demo`: migrate, load the Brussels demo network, print the logins, serve.

The task worker (e-mails such as invitations) runs beside the web server, as in production.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from reproduce.network.demo import DEMO_PASSWORD, demo_counts, load_demo_network


class Command(BaseCommand):
    help = "Set up and serve the platform with the Brussels demonstration network."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="set up only, do not serve")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready: " + str(settings.DATABASES["default"]["NAME"]))
        report = load_demo_network()
        counts = demo_counts()
        from reproduce.designs.demo import load_demo_designs

        load_demo_designs()
        from reproduce.designs.models import Design

        design_count = Design.objects.unscoped("counting demo data").filter(is_demo=True).count()
        from reproduce.orders.demo import load_demo_orders
        from reproduce.orders.models import Order

        load_demo_orders()
        order_count = Order.objects.unscoped("counting demo data").filter(is_demo=True).count()
        from reproduce.inventory.demo import load_demo_traceability
        from reproduce.inventory.models import Lot

        load_demo_traceability()
        lot_count = Lot.objects.unscoped("counting demo data").count()
        from reproduce.programme.demo import load_demo_programme

        programme = load_demo_programme()
        report.users += programme.users
        url = f"http://{options['host']}:{options['port']}/"
        if "REPRODUCE_SITE_URL" not in os.environ:
            # Links written into documents (invitations, okh.toml) point at this server.
            settings.SITE_URL = url.rstrip("/")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nReProduce demo network: {counts['organizations']} organisations, "
                f"{counts['sites']} sites, {counts['machines']} machines, "
                f"{design_count} designs in the library, {order_count} orders, "
                f"{lot_count} traced lots (demonstration data)."
            )
        )
        self.stdout.write(f"\n  Open {url}fr/  (Nederlands: {url}nl/ · English: {url}en/)")
        self.stdout.write(f"  API: {url}api/v1/docs  ·  OpenAPI: {url}api/v1/openapi.json\n")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        seen = set()
        for email, what in report.users:
            if email not in seen:
                seen.add(email)
                self.stdout.write(f"    {email:<36} {what}")
        self.stdout.write(
            "\n  To try: amira@brucycle.demo → My work today (the shop floor on a phone);"
            "\n          coordinator@reproduce.demo → Trace a lot GF-C1-PAPIER (Cohort 1 paper);"
            f"\n          public passport: {url}lot/GF-C1-PAPIER"
            "\n          officer@citydev.demo → Programme (Cohort 1, FEDER indicators);"
            "\n          candidate@maker.demo → Calls for applications (a draft to Cohort 2)"
        )
        self.stdout.write("")
        if options["no_serve"]:
            return
        self.stdout.write(
            "  Background tasks: a worker runs beside the server (e-mails are printed here).\n"
        )
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reproduce",
                "db_worker",
                "--interval",
                "1",
                "--no-reload",
                "--no-startup-delay",
            ]
        )
        try:
            call_command(
                "runserver",
                f"{options['host']}:{options['port']}",
                use_reloader=False,
                skip_checks=True,
            )
        finally:
            worker.terminate()
            worker.wait(timeout=10)
