"""Lot genealogy walks and stock on hand over a generated million-lot genealogy (PostgreSQL).

    python -m bench.traceability.run                  # 1,000,000 lots (generated once, reused)
    python -m bench.traceability.run --quick          # 100,000 lots, fewer samples
    python -m bench.traceability.run --lots 300000 --per-band 50 --explain

What it measures (figures printed, nothing asserted):

1. ``inventory.selectors.trace_down_ids`` and ``trace_up_ids`` for lots whose closure reaches
   1–99, 100–999 and 1,000–10,000 other lots (goal: p95 ≤ 50 ms), over a genealogy shaped like
   the network's material streams: ~100 independent supply streams of 40 to 80,000 lots, each
   8–12 levels deep (received waste → intermediates → finished lots), every lot with 1–4
   parents from the level above (close to its own position, so streams stay streams), and
   "hub" lots (a big bale, a pulp batch) that fan out to tens of children.
2. ``inventory.selectors.site_on_hand`` for a site with 100,000 ledger entries over 5,000 lots
   and 20 locations (receipts, moves, consumption, adjustments; most lots used up), in a ledger
   that also holds one production entry for every other lot (goal: p95 ≤ 20 ms).

The database is ``DATABASE_URL`` when it points at PostgreSQL, else
``postgres://postgres@127.0.0.1:5432/reproduce_bench_trace`` (created if missing). It is *not*
the ``reproduce_bench`` database of ``bench/registry``, which that bench drops at each run.
The generated rows are written with ``COPY`` (foreign-key triggers off for the load, the
generator only writes consistent rows) and kept with a marker: the next run with the same
``--lots`` and ``--seed`` reuses them. ``--regenerate`` rebuilds; ``--drop`` drops the database
at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/reproduce_bench_trace"
GENERATOR = 3  # bump when the generated data changes shape: stored data is then rebuilt
SITES = 10  # site 0 holds the measured ledger; the genealogy's lots come from sites 1–9
LOCATIONS = 20
STOCK_LOTS = 5_000
BANDS = [(1, 99), (100, 999), (1_000, 10_000)]
TRACE_GOAL_MS = 50.0
STOCK_GOAL_MS = 20.0


# ---------------------------------------------------------------- database


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_URL


def _admin_conn(db: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _create_database(db: dict[str, Any], *, fresh: bool) -> None:
    with _admin_conn(db) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if exists.fetchone() and not fresh:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _drop_database(db: dict[str, Any]) -> None:
    with _admin_conn(db) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def _stored_spec() -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_traceability_marker')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT spec FROM bench_traceability_marker")
        row = cursor.fetchone()
        return row[0] if row else None


def _store_spec(spec: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_traceability_marker (spec text)")
        cursor.execute("DELETE FROM bench_traceability_marker")
        cursor.execute("INSERT INTO bench_traceability_marker VALUES (%s)", [spec])


def _prepare_database(spec: str, *, regenerate: bool) -> bool:
    """Migrated database holding ``spec``'s data; True if it must be generated now."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    db = settings.DATABASES["default"]
    _create_database(db, fresh=False)
    stored = None if regenerate else _stored_spec()
    if stored != spec:
        connection.close()
        _create_database(db, fresh=True)
    call_command("migrate", verbosity=0, interactive=False)
    return stored != spec


# ---------------------------------------------------------------- the genealogy


@dataclass
class Genealogy:
    level: np.ndarray  # level of each lot (0 = received material)
    last: np.ndarray  # True for lots of a stream's last level (finished lots)
    site: np.ndarray  # index of the lot's site (1..SITES-1)
    parent: np.ndarray  # links, as lot indexes
    child: np.ndarray
    streams: int = 0
    depths: list[int] = field(default_factory=list)


def _level_sizes(size: int, depth: int) -> np.ndarray:
    """Many received lots, fewer intermediate batches, many finished lots."""
    t = np.linspace(0.0, 1.0, depth)
    weights = 0.5 + 2.5 * (2 * t - 1) ** 2
    sizes = np.maximum(1, np.round(size * weights / weights.sum())).astype(np.int64)
    sizes[-1] = max(1, sizes[-1] + size - int(sizes.sum()))
    return sizes


PARENTS = ([1, 2, 3, 4], [0.25, 0.3, 0.25, 0.2])  # parents per lot, and their probabilities
WINDOW = (0.02, 0.06)  # parents drawn within ± this share of the level above
HUB_EVERY, HUB_SHARE, HUB_REACH = 40, 0.35, 8  # hubs: every 40th lot, reach 8 windows
BIGGEST_STREAM = 80_000  # lots; streams are 40 to this many lots (log-uniform)


def _parents_of(rng: np.random.Generator, n_child: int, n_parent: int) -> tuple[Any, Any]:
    """1–4 parents per child near its position in the level above, one of them maybe a hub."""
    counts = rng.choice(PARENTS[0], size=n_child, p=PARENTS[1])
    child = np.repeat(np.arange(n_child), counts)
    centre = (child + 0.5) / n_child * n_parent
    half = max(1.5, rng.uniform(*WINDOW) * n_parent)
    parent = np.floor(centre + rng.uniform(-half, half, child.size))
    # Hubs (a big bale, a pulp batch): every 40th lot of the level above, that the first
    # parent of some children in a wider neighbourhood is: they fan out to tens of children.
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    hubbed = first[rng.random(n_child) < HUB_SHARE]
    reach = HUB_REACH * half
    spot = centre[hubbed] + rng.uniform(-reach, reach, hubbed.size)
    parent[hubbed] = np.round(spot / HUB_EVERY) * HUB_EVERY
    return child, np.clip(parent, 0, n_parent - 1).astype(np.int64)


def generate_genealogy(n_lots: int, seed: int) -> Genealogy:
    rng = np.random.default_rng(seed)
    biggest = max(200, min(BIGGEST_STREAM, n_lots // 10))
    levels, lasts, sites, parents, children = [], [], [], [], []
    depths = []
    start = 0
    while start < n_lots:
        size = min(int(np.exp(rng.uniform(np.log(40), np.log(biggest)))), n_lots - start)
        depth = int(rng.integers(8, 13)) if size >= 12 else max(1, size)
        sizes = _level_sizes(size, depth)
        offsets = start + np.concatenate([[0], np.cumsum(sizes)[:-1]])
        for k, n_k in enumerate(sizes):
            levels.append(np.full(n_k, k, dtype=np.int8))
            lasts.append(np.full(n_k, k == depth - 1))
            if k:
                c, p = _parents_of(rng, int(n_k), int(sizes[k - 1]))
                children.append(offsets[k] + c)
                parents.append(offsets[k - 1] + p)
        sites.append(np.full(int(sizes.sum()), rng.integers(1, SITES), dtype=np.int8))
        depths.append(depth)
        start += int(sizes.sum())
    pairs = np.unique(np.stack([np.concatenate(parents), np.concatenate(children)]), axis=1)
    return Genealogy(
        level=np.concatenate(levels),
        last=np.concatenate(lasts),
        site=np.concatenate(sites),
        parent=pairs[0],
        child=pairs[1],
        streams=len(depths),
        depths=depths,
    )


# ---------------------------------------------------------------- loading with COPY

LOT_COLUMNS = [
    "id",
    "code",
    "item_id",
    "unit",
    "owner_id",
    "custodian_id",
    "pool_id",
    "status",
    "gtin",
    "origin",
    "supplier",
    "collection_source",
    "composition",
    "contaminant_checks",
    "grade",
    "recycled_share",
    "receipt_id",
    "work_order_id",
    "site_id",
    "care_instructions",
    "repair_instructions",
    "disposal_instructions",
    "passport_public",
    "passport_fields",
    "created_at",
    "created_by_id",
]
LINK_COLUMNS = ["id", "parent_id", "child_id", "quantity", "event_id", "created_at"]
ENTRY_COLUMNS = [
    "lot_id",
    "site_id",
    "location_id",
    "kind",
    "quantity",
    "work_order_id",
    "transfer_id",
    "event_id",
    "reason",
    "recorded_by_id",
    "recorded_at",
]


def _check_columns(cursor: Any, table: str, columns: list[str]) -> None:
    """Fail clearly when the model changed (the bench must then write the new columns)."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
    )
    actual = {row[0] for row in cursor.fetchall()}
    missing = actual - set(columns) - {"id"}
    unknown = set(columns) - actual
    if missing or unknown:
        raise SystemExit(f"{table}: update the bench (new {missing or '-'}, gone {unknown or '-'})")


def _copy(cursor: Any, table: str, columns: list[str], lines: Iterator[str]) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def _timestamps(n: int, rng: np.random.Generator) -> np.ndarray:
    seconds = np.sort(rng.integers(0, 3 * 365 * 86400, n))
    stamps = np.datetime64("2024-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "+00")


@dataclass
class Fixtures:
    org: int
    sites: list[int]
    locations: dict[int, list[int]]  # site → location ids
    items: list[tuple[int, str]]  # per level: (item id, unit)
    finished: tuple[int, str]


def _fixtures() -> Fixtures:
    """The few rows the lots point at, through the ORM."""
    from reproduce.accounts.models import Organization
    from reproduce.designs.models import Item
    from reproduce.inventory.models import Location
    from reproduce.network.models import Commune, Site

    org = Organization.objects.create(name="Bench traceability", slug="bench-trace", kind="sme")
    commune = Commune.objects.order_by("nis_code").first()
    assert commune is not None, "the communes are loaded by the network migrations"
    sites = Site.objects.bulk_create(
        Site(
            organization=org,
            name=f"Bench site {i}",
            slug=f"bench-trace-{i}",
            street=f"Rue du Lot {i + 1}",
            postcode="1000",
            commune=commune,
            latitude=commune.centroid_lat,
            longitude=commune.centroid_lon,
        )
        for i in range(SITES)
    )
    locations = Location.objects.bulk_create(
        Location(site=s, code=f"L{j:02d}", name=f"Location {j}")
        for s in sites
        for j in range(LOCATIONS)
    )
    items = Item.objects.bulk_create(
        Item(organization=org, kind="material", name=f"Stage {k} material", default_unit="KGM")
        for k in range(12)
    )
    finished = Item.objects.create(
        organization=org, kind="material", name="Finished product", default_unit="C62"
    )
    by_site: dict[int, list[int]] = {}
    for location in locations:
        by_site.setdefault(location.site_id, []).append(location.pk)
    return Fixtures(
        org=org.pk,
        sites=[s.pk for s in sites],
        locations=by_site,
        items=[(i.pk, "KGM") for i in items],
        finished=(finished.pk, "C62"),
    )


def _lot_lines(g: Genealogy, fx: Fixtures, rng: np.random.Generator) -> Iterator[str]:
    stamps = _timestamps(g.level.size, rng)
    available = rng.random(g.level.size) < 0.1
    for i in range(g.level.size):
        last = bool(g.last[i])
        item, unit = fx.finished if last else fx.items[int(g.level[i])]
        status = "available" if last or available[i] else "depleted"
        origin = "secondary" if g.level[i] == 0 else "produced"
        site = fx.sites[int(g.site[i])]
        yield (
            f"{i + 1}\tB{i + 1:08d}\t{item}\t{unit}\t{fx.org}\t{fx.org}\t\\N\t{status}\t\t"
            f"{origin}\t\t\t[]\t[]\t\t\\N\t\\N\t\\N\t{site}\t\t\t\tf\t[]\t{stamps[i]}\t\\N\n"
        )


def _link_lines(g: Genealogy, rng: np.random.Generator) -> Iterator[str]:
    stamps = _timestamps(g.parent.size, rng)
    quantity = rng.integers(1, 500_000, g.parent.size) / 1000
    for i in range(g.parent.size):
        yield (
            f"{i + 1}\t{g.parent[i] + 1}\t{g.child[i] + 1}\t{quantity[i]:.3f}\t\\N\t{stamps[i]}\n"
        )


def _ledger_of_one_lot(rng: np.random.Generator, entries: int) -> list[tuple[int, str, int]]:
    """``entries`` signed movements (thousandths) of one lot over the site's locations.

    Received or produced, moved between locations, partly consumed, adjusted after counts;
    three lots in four end up used (their last entries empty every location that holds them).
    """
    rows: list[tuple[int, str, int]] = []
    balance: dict[int, int] = {}

    def post(location: int, kind: str, amount: int) -> None:
        rows.append((location, kind, amount))
        balance[location] = balance.get(location, 0) + amount

    used_up = rng.random() < 0.75
    post(int(rng.integers(LOCATIONS)), "receipt", int(rng.integers(5_000, 500_000)))
    while len(rows) < entries:
        held = [loc for loc, q in balance.items() if q > 0]
        left = entries - len(rows)
        if not held:
            kind = "receipt" if rng.random() < 0.6 else "production"
            post(int(rng.integers(LOCATIONS)), kind, int(rng.integers(5_000, 500_000)))
            continue
        if used_up and left <= len(held):
            for loc in held[:left]:
                post(loc, "consumption", -balance[loc])
            continue
        src = held[int(rng.integers(len(held)))]
        roll = rng.random()
        if roll < 0.3 and left >= len(held) + 3:
            dst = (src + int(rng.integers(1, LOCATIONS))) % LOCATIONS
            amount = int(rng.integers(1, balance[src] + 1))
            post(src, "move", -amount)
            post(dst, "move", amount)
        elif roll < 0.85 and balance[src] > 1:
            post(src, "consumption", -int(rng.integers(1, balance[src])))
        elif roll < 0.95:
            amount = int(rng.integers(1, 2_000))
            post(src, "adjustment", -min(amount, balance[src]) if roll < 0.92 else amount)
        else:
            post(src, "receipt", int(rng.integers(5_000, 500_000)))
    return rows


def _entry_lines(g: Genealogy, fx: Fixtures, rng: np.random.Generator, total: int) -> Iterator[str]:
    site0 = fx.sites[0]
    locations0 = fx.locations[site0]
    stock_lots = rng.choice(np.flatnonzero(~g.last[: g.level.size]), STOCK_LOTS, replace=False)
    counts = rng.multinomial(total - 2 * STOCK_LOTS, np.full(STOCK_LOTS, 1 / STOCK_LOTS)) + 2
    stamps = _timestamps(total, rng)
    n = 0
    for lot, count in zip(stock_lots, counts, strict=True):
        for loc, kind, amount in _ledger_of_one_lot(rng, int(count)):
            yield (
                f"{lot + 1}\t{site0}\t{locations0[loc]}\t{kind}\t{amount / 1000:.3f}"
                f"\t\\N\t\\N\t\\N\t\t\\N\t{stamps[n]}\n"
            )
            n += 1
    # Every other lot: the entry that brought it into stock at its own site.
    others = np.setdiff1d(np.arange(g.level.size), stock_lots)
    stamps = _timestamps(others.size, rng)
    pick = rng.integers(0, LOCATIONS, others.size)
    for j, lot in enumerate(others):
        site = fx.sites[int(g.site[lot])]
        kind = "receipt" if g.level[lot] == 0 else "production"
        location = fx.locations[site][pick[j]]
        yield (
            f"{lot + 1}\t{site}\t{location}\t{kind}\t{(lot % 997 + 1) / 10:.3f}"
            f"\t\\N\t\\N\t\\N\t\t\\N\t{stamps[j]}\n"
        )


def generate(n_lots: int, seed: int, entries: int) -> None:
    from django.db import connection, transaction

    began = time.perf_counter()
    g = generate_genealogy(n_lots, seed)
    fanout = np.bincount(g.parent, minlength=g.level.size)
    print(
        f"  genealogy: {g.level.size:,} lots in {g.streams} supply streams of "
        f"{min(g.depths)}–{max(g.depths)} levels, {g.parent.size:,} links; parents per lot "
        f"{g.parent.size / max(1, int((g.level > 0).sum())):.2f} on average; children per "
        f"parent p50 {np.percentile(fanout[fanout > 0], 50):.0f}, p99 "
        f"{np.percentile(fanout[fanout > 0], 99):.0f}, max {fanout.max()}  "
        f"({time.perf_counter() - began:.1f} s)"
    )
    rng = np.random.default_rng(seed + 1)
    with transaction.atomic():
        fx = _fixtures()
        with connection.cursor() as cursor:
            try:  # skip the foreign-key triggers during the load (superuser only)
                with transaction.atomic():
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except Exception:
                print("  (not superuser: foreign keys checked row by row, slower)")
            for table, columns, lines in (
                ("inventory_lot", LOT_COLUMNS, _lot_lines(g, fx, rng)),
                ("inventory_lotlink", LINK_COLUMNS, _link_lines(g, rng)),
                ("inventory_stockentry", ENTRY_COLUMNS, _entry_lines(g, fx, rng, entries)),
            ):
                step = time.perf_counter()
                _check_columns(cursor, table, columns)
                _copy(cursor, table, columns, lines)
                cursor.execute(f"SELECT count(*) FROM {table}")
                print(
                    f"  COPY {table}: {cursor.fetchone()[0]:,} rows "
                    f"({time.perf_counter() - step:.1f} s)"
                )
            for table in ("inventory_lot", "inventory_lotlink"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    print(f"  generated and loaded in {time.perf_counter() - began:.0f} s")


def _vacuum() -> None:
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("inventory_lot", "inventory_lotlink", "inventory_stockentry"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"  VACUUM ANALYZE ({time.perf_counter() - began:.1f} s)")


# ---------------------------------------------------------------- measuring


def _ms(seconds: float) -> float:
    return seconds * 1000


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _band_of(reached: int) -> int | None:
    for n, (low, high) in enumerate(BANDS):
        if low <= reached <= high:
            return n
    return None


def _candidates(down: bool, rng: np.random.Generator) -> np.ndarray:
    """Lots with at least one link in the walked direction, shuffled."""
    from django.db import connection

    column = "parent_id" if down else "child_id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {column} FROM inventory_lotlink")
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    rng.shuffle(ids)
    return ids


@dataclass
class Sample:
    lot: int
    reached: int
    first_ms: float
    warm_ms: list[float] = field(default_factory=list)


def _sample(
    walk: Callable[[list[int]], set[int]],
    candidates: np.ndarray,
    per_band: int,
    budget_s: float,
) -> tuple[list[list[Sample]], int, list[Sample]]:
    """Walk candidates until each band holds ``per_band`` lots (or the time budget is spent)."""
    bands: list[list[Sample]] = [[] for _ in BANDS]
    over: list[Sample] = []
    tried = 0
    began = time.perf_counter()
    for lot in candidates:
        if all(len(b) >= per_band for b in bands) or time.perf_counter() - began > budget_s:
            break
        tried += 1
        t0 = time.perf_counter()
        reached = len(walk([int(lot)]))
        sample = Sample(int(lot), reached, _ms(time.perf_counter() - t0))
        band = _band_of(reached)
        if band is None:
            if len(over) < per_band:
                over.append(sample)
        elif len(bands[band]) < per_band:
            bands[band].append(sample)
    return bands, tried, over


def _time_again(samples: list[Sample], walk: Callable[[list[int]], set[int]], repeat: int) -> None:
    for _ in range(repeat):
        for sample in samples:
            t0 = time.perf_counter()
            walk([sample.lot])
            sample.warm_ms.append(_ms(time.perf_counter() - t0))


def _trace_row(label: str, samples: list[Sample]) -> str:
    if not samples:
        return f"  {label:<22} {'no lot found in this band':>40}"
    reached = [s.reached for s in samples]
    warm = [t for s in samples for t in s.warm_ms]
    first = [s.first_ms for s in samples]
    return (
        f"  {label:<22} {len(samples):>5} {min(reached):>7,}–{max(reached):<7,}"
        f" {statistics.median(reached):>8,.0f} {_p(warm, 50):>8.1f} {_p(warm, 95):>8.1f}"
        f" {max(warm):>8.1f} {_p(first, 95):>10.1f}"
    )


def measure_traces(args: argparse.Namespace) -> dict[str, float]:
    from reproduce.inventory import selectors

    rng = np.random.default_rng(args.seed + 2)
    verdicts = {}
    for name, walk, down in (
        ("trace down", selectors.trace_down_ids, True),
        ("trace up", selectors.trace_up_ids, False),
    ):
        candidates = _candidates(down, rng)
        bands, tried, over = _sample(walk, candidates, args.per_band, args.budget)
        kept = [s for band in bands for s in band]
        _time_again(kept + over, walk, args.repeat)
        print(
            f"\n{name}: {tried:,} random lots walked to fill the bands "
            f"({len(candidates):,} lots have a {'child' if down else 'parent'}), "
            f"{args.repeat} timed walks each after the first"
        )
        print(
            f"  {'lots reached':<22} {'lots':>5} {'min–max':>15} {'median':>8} {'p50 ms':>8}"
            f" {'p95 ms':>8} {'max ms':>8} {'1st p95 ms':>10}"
        )
        for (low, high), band in zip(BANDS, bands, strict=True):
            print(_trace_row(f"{low:,}–{high:,}", band))
        all_warm = [t for s in kept for t in s.warm_ms]
        print(_trace_row("all ≤ 10,000", kept))
        if over:
            print(_trace_row("> 10,000 (outside goal)", over))
        if all_warm:
            verdicts[name] = _p(all_warm, 95)
        if args.explain and kept:
            _explain(down, max(kept, key=lambda s: s.reached))
    return verdicts


def _explain(down: bool, sample: Sample) -> None:
    from django.db import connection

    from reproduce.inventory import selectors

    start, nxt = ("parent_id", "child_id") if down else ("child_id", "parent_id")
    sql = selectors._WALK.format(next=nxt, start=start, placeholders="%s")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [sample.lot])
        plan = "\n".join("    " + row[0] for row in cursor.fetchall())
    print(f"  EXPLAIN ANALYZE, lot {sample.lot} ({sample.reached:,} lots reached):\n{plan}")


def _timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(_ms(time.perf_counter() - t0))
    return times


def _ledger_sum_query(site_id: int) -> Any:
    """On hand summed from the ledger itself (what the balances spare), for comparison."""
    from django.db.models import Sum

    from reproduce.inventory.models import StockEntry

    return (
        StockEntry.objects.unscoped("bench")
        .filter(site_id=site_id)
        .values("lot", "location")
        .annotate(quantity=Sum("quantity"))
        .exclude(quantity=0)
        .order_by()
    )


def _fill_balances() -> None:
    """The services keep ``StockBalance`` with each entry; COPY bypasses them, so the
    balances of the loaded ledger are summed here once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_stockbalance")
        if not cursor.fetchone()[0]:
            began = time.perf_counter()
            cursor.execute(
                "INSERT INTO inventory_stockbalance (lot_id, location_id, site_id, quantity) "
                "SELECT lot_id, location_id, min(site_id), sum(quantity) "
                "FROM inventory_stockentry GROUP BY lot_id, location_id"
            )
            print(f"  balances summed from the ledger ({time.perf_counter() - began:.1f} s)")
        # As autovacuum would have by then: fresh statistics and visibility map, so the
        # planner reads the covering partial index only (no heap fetches).
        cursor.execute("VACUUM (ANALYZE) inventory_stockbalance")


def measure_stock(args: argparse.Namespace) -> float:
    from django.db import connection

    from reproduce.inventory import selectors
    from reproduce.network.models import Site

    _fill_balances()
    site = Site.objects.unscoped("bench").get(slug="bench-trace-0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_stockentry WHERE site_id = %s", [site.pk])
        entries = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inventory_stockentry")
        total = cursor.fetchone()[0]
    rows = selectors.site_on_hand(site.pk)
    ledger_rows = list(_ledger_sum_query(site.pk))
    assert len(rows) == len(ledger_rows), "balances and ledger disagree"
    times = _timed(lambda: selectors.site_on_hand(site.pk), args.stock_runs)
    ledger_times = _timed(lambda: list(_ledger_sum_query(site.pk)), args.stock_runs)
    print(
        f"\nstock on hand (site_on_hand): site with {entries:,} ledger entries "
        f"({total:,} in the ledger), {len(rows):,} (lot, location) balances on hand, "
        f"{args.stock_runs} calls"
    )
    print(
        f"  site_on_hand        p50 {_p(times, 50):6.1f} ms  p95 {_p(times, 95):6.1f} ms"
        f"  max {max(times):6.1f} ms"
    )
    print(
        f"  (summing the ledger p50 {_p(ledger_times, 50):6.1f} ms  "
        f"p95 {_p(ledger_times, 95):6.1f} ms  max {max(ledger_times):6.1f} ms)"
    )
    if args.explain:
        from reproduce.inventory.models import StockBalance

        plan = (
            StockBalance.objects.unscoped("bench")
            .filter(site_id=site.pk)
            .exclude(quantity=0)
            .values("lot", "location", "quantity")
            .explain(analyze=True, buffers=True)
        )
        print("\n".join("    " + line for line in plan.splitlines()))
    return _p(times, 95)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 lots, 30 lots per band")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--entries", type=int, default=100_000, help="ledger entries of the site")
    parser.add_argument("--per-band", type=int, default=100, help="lots timed per band")
    parser.add_argument("--repeat", type=int, default=3, help="timed walks per lot")
    parser.add_argument("--budget", type=float, default=180, help="seconds to fill the bands")
    parser.add_argument("--stock-runs", type=int, default=100)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()
    if args.quick:
        args.lots = min(args.lots, 100_000)
        args.per_band = min(args.per_band, 30)
        args.budget = min(args.budget, 60)
        args.stock_runs = min(args.stock_runs, 30)

    os.environ["DATABASE_URL"] = _database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reproduce.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    spec = f"generator={GENERATOR} lots={args.lots} seed={args.seed} entries={args.entries}"
    print(f"Traceability bench on PostgreSQL database {db['NAME']!r}: {spec}")
    if _prepare_database(spec, regenerate=args.regenerate):
        generate(args.lots, args.seed, args.entries)
        _vacuum()
        _store_spec(spec)
    else:
        print("  reusing the generated data (same size and seed; --regenerate to rebuild)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(f"  {cursor.fetchone()[0].split(' on ')[0]}")

    traces = measure_traces(args)
    stock = measure_stock(args)
    print("\nGoals")
    for name, p95 in traces.items():
        verdict = "met" if p95 <= TRACE_GOAL_MS else "NOT met"
        print(
            f"  {name} p95 ≤ {TRACE_GOAL_MS:.0f} ms (≤ 10,000 lots reached):"
            f" {p95:.1f} ms, {verdict}"
        )
    verdict = "met" if stock <= STOCK_GOAL_MS else "NOT met"
    print(f"  stock on hand p95 ≤ {STOCK_GOAL_MS:.0f} ms: {stock:.1f} ms, {verdict}")
    connection.close()
    if args.drop:
        _drop_database(db)


if __name__ == "__main__":
    main()
