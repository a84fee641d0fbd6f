"""Capability-query latency over a generated network (2,000 sites, 20,000 machines).

    python -m bench.registry.capability_query [--sites 2000] [--machines-per-site 10] [--runs 200]

Prints p50/p95/max in milliseconds per query shape, on SQLite and (when reachable) PostgreSQL.
The goal of the issue is p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pg_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL")
    if url:
        return url
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return "postgres://postgres@127.0.0.1:5432/reproduce_bench"
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--machines-per-site", type=int, default=10)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--sqlite-path", help="keep the SQLite database at this path (reused if present)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return
    targets = []
    if args.only in (None, "sqlite"):
        path = args.sqlite_path or f"{tempfile.mkdtemp()}/bench.sqlite3"
        targets.append(("SQLite", f"sqlite:///{Path(path).resolve()}"))
    if args.only in (None, "postgres"):
        pg = _pg_url()
        if pg:
            targets.append(("PostgreSQL", pg))
        else:
            print("PostgreSQL: not reachable, skipped (set BENCH_POSTGRES_URL)")
    print(
        f"Capability query over {args.sites} sites × {args.machines_per_site} machines, "
        f"{args.runs} queries per shape"
    )
    for label, url in targets:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="reproduce.settings")
        # Each database in its own process: settings read DATABASE_URL once.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.registry.capability_query",
                "--worker",
                label,
                "--sites",
                str(args.sites),
                "--machines-per-site",
                str(args.machines_per_site),
                "--runs",
                str(args.runs),
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )


def _worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        keep = bool(os.environ.get("BENCH_KEEP"))
        _recreate_pg_database(settings.DATABASES["default"], keep=keep)
    call_command("migrate", verbosity=0, interactive=False)
    from reproduce.network.models import Site

    t0 = time.perf_counter()
    if not Site.objects.unscoped("bench").exists():
        _generate(args.sites, args.machines_per_site)
    build = time.perf_counter() - t0
    if "postgresql" in engine:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"\n{args.worker}: network generated in {build:.1f} s")
    _measure(args.runs)
    connection.close()
    if "postgresql" in engine and not os.environ.get("BENCH_KEEP"):
        _drop_pg_database(settings.DATABASES["default"])


def _admin_conn(db: dict):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _recreate_pg_database(db: dict, keep: bool = False) -> None:
    """A fresh database (or, with BENCH_KEEP=1, the one left by the previous run)."""
    with _admin_conn(db) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        exists = conn.execute(query, [db["NAME"]]).fetchone()
        if keep and exists:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _drop_pg_database(db: dict) -> None:
    with _admin_conn(db) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def _generate(n_sites: int, per_site: int) -> None:
    """Bulk-create a network shaped like the demo (fast: this measures queries, not loading)."""
    from decimal import Decimal

    from reproduce.accounts.models import Organization
    from reproduce.network.models import (
        Closure,
        Commune,
        Machine,
        MachineUnavailability,
        Material,
        OpeningHours,
        Process,
        SharingPolicy,
        Site,
    )
    from reproduce.network.services import reindex_site

    rng = random.Random(42)
    processes = list(Process.objects.all())
    materials = list(Material.objects.all())
    communes = list(Commune.objects.all())
    orgs = Organization.objects.bulk_create(
        [
            Organization(name=f"Bench org {i}", slug=f"bench-org-{i}", kind="sme")
            for i in range(n_sites // 2)
        ]
    )
    SharingPolicy.objects.bulk_create(
        [
            SharingPolicy(organization=o, group=g, audience=rng.choice(["public", "network"]))
            for o in orgs
            for g in ("contacts", "prices", "capacity", "machines")
        ]
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                organization=orgs[i % len(orgs)],
                name=f"Bench site {i}",
                slug=f"bench-site-{i}",
                street=f"Rue du Banc {i}",
                postcode="1080",
                commune=(c := rng.choice(communes)),
                latitude=c.centroid_lat + Decimal(str(round(rng.uniform(-0.01, 0.01), 5))),
                longitude=c.centroid_lon + Decimal(str(round(rng.uniform(-0.01, 0.01), 5))),
            )
            for i in range(n_sites)
        ]
    )
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(site=s, weekday=d, opens="09:00", closes="17:00")
            for s in sites
            for d in range(5)
        ]
    )
    Closure.objects.bulk_create(
        [
            Closure(
                site=s,
                start_date=date.today() + timedelta(days=rng.randint(0, 60)),
                end_date=date.today() + timedelta(days=rng.randint(61, 70)),
            )
            for s in sites[::7]
        ]
    )
    machines = Machine.objects.bulk_create(
        [
            Machine(
                site=s,
                name=f"Machine {s.pk}-{j}",
                process=rng.choice(processes),
                envelope_x_mm=rng.choice([300, 600, 1000, 1300, 2500]),
                envelope_y_mm=rng.choice([200, 400, 600, 900, 1250]),
                envelope_z_mm=rng.choice([None, 100, 300]),
                tolerance_class=rng.choice(["f", "m", "c", ""]),
                hourly_rate=Decimal(rng.randint(15, 90)),
            )
            for s in sites
            for j in range(per_site)
        ],
        batch_size=2000,
    )
    through = Machine.materials.through
    through.objects.bulk_create(
        [
            through(machine_id=m.pk, material_id=mat.pk)
            for m in machines
            for mat in rng.sample(materials, 3)
        ],
        batch_size=5000,
    )
    MachineUnavailability.objects.bulk_create(
        [
            MachineUnavailability(
                machine=m,
                starts_at=_aware(date.today() + timedelta(days=3)),
                ends_at=_aware(date.today() + timedelta(days=10)),
            )
            for m in machines[::13]
        ],
        batch_size=2000,
    )
    for site in Site.objects.unscoped("bench").select_related("organization", "commune"):
        reindex_site(site)


def _aware(day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _measure(runs: int) -> None:
    from reproduce.accounts.models import Membership, Organization, User
    from reproduce.core.actor import ANONYMOUS, actor_for_user
    from reproduce.network.selectors import CapabilityQuery, find_capabilities

    member, created = User.objects.get_or_create(email="bench@example.test")
    if created:
        Membership.objects.unscoped("bench").create(
            user=member, organization=Organization.objects.first(), role="viewer"
        )
    actors = {"visitor": ANONYMOUS, "member": actor_for_user(member)}
    today = date.today()
    shapes = {
        "text 'decoupe laser'": CapabilityQuery(text="decoupe laser", limit=50),
        "process": CapabilityQuery(process="laser-cutting", limit=50),
        "process+material+envelope": CapabilityQuery(
            process="laser-cutting", material="plywood", min_x_mm=600, min_y_mm=400, limit=50
        ),
        "full (near, tolerance, dates)": CapabilityQuery(
            process="cnc-milling",
            material="plywood",
            min_x_mm=600,
            min_y_mm=400,
            tolerance="m",
            near_lat=50.855,
            near_lon=4.33,
            radius_km=3,
            available_from=today + timedelta(days=7),
            available_to=today + timedelta(days=11),
            limit=50,
        ),
        "no filter (map)": CapabilityQuery(limit=200),
    }
    print(f"{'query':<32} {'actor':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'results':>8}")
    for name, query in shapes.items():
        for actor_name, actor in actors.items():
            times, results = [], 0
            find_capabilities(actor, query)  # warm-up
            for _ in range(runs):
                start = time.perf_counter()
                results = len(find_capabilities(actor, query))
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{name:<32} {actor_name:<8} {statistics.median(times):>8.1f} {p95:>8.1f} "
                f"{times[-1]:>8.1f} {results:>8}"
            )


if __name__ == "__main__":
    main()
