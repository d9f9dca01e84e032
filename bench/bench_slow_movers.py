"""Slow-mover report benchmark (not a test): 100k SKUs, 2M stock moves, against a SQL floor.

In a fresh PostgreSQL database (``jingxi_bench_inv``, dropped, created and migrated) it seeds
with set-based SQL (``INSERT … SELECT generate_series``): a category tree of 10 大类 × 10 中类
× 10 小类, ``--skus`` products with one SKU each, three lots per SKU received over two years,
and ``--moves`` stock moves in all: one receipt per lot, then pick + ship pairs (packing slot
→ out) spread between each lot's receipt and the as-of date. Stock level caches are not
filled: the report reads only the ledger, lots and catalogue.

Then, in a child process (so that its peak RSS is the report's own), it times ``--runs``
times ``inventory.reports.slow_movers(as_of=…)`` plus the category roll-up (the whole
report, DataFrames included), and the floor: one hand-written SQL query computing the same
per-SKU aggregates (on hand, FIFO value, last sale, shipped 30/90 days, opening and received
for sell-through, consumption value, age buckets), fetched with bare psycopg2. It prints a
markdown section and appends it to ``bench/RESULTS.md``. Goal: report ≤ 1.5 × floor, peak
RSS < 1 GB::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \
        bench/bench_slow_movers.py [--skus 100000] [--moves 2000000] [--runs 3] [--reuse]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import machine  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = "jingxi_bench_inv"
AS_OF = date(2026, 11, 24)
LOTS_PER_SKU = 3

FLOOR_SQL = """
WITH lm AS (
    SELECT lot_id,
        SUM(CASE WHEN from_slot_id IS NULL THEN quantity ELSE -quantity END) AS on_hand,
        SUM(CASE WHEN created_at >= %(s30)s THEN 0
                 WHEN from_slot_id IS NULL THEN quantity ELSE -quantity END) AS opening,
        SUM(quantity) FILTER (WHERE kind = 'receipt' AND created_at >= %(s30)s) AS received,
        MAX(created_at) FILTER (WHERE kind = 'ship') AS last_sale,
        SUM(quantity) FILTER (WHERE kind = 'ship' AND created_at >= %(s30)s) AS shipped_30,
        SUM(quantity) FILTER (WHERE kind = 'ship' AND created_at >= %(s90)s) AS shipped_90,
        SUM(quantity * unit_cost) FILTER (WHERE kind = 'ship' AND created_at >= %(s90)s)
            AS consumption
    FROM inventory_stockmove
    WHERE created_at < %(end)s AND (from_slot_id IS NULL OR to_slot_id IS NULL)
    GROUP BY lot_id
), la AS (
    SELECT l.sku_id, l.unit_cost, %(as_of)s::date - (l.received_at AT TIME ZONE %(tz)s)::date
        AS age, lm.*
    FROM lm JOIN inventory_lot l ON l.id = lm.lot_id
)
SELECT s.id, s.code, p.role, p.status, p.category_id,
    SUM(on_hand), SUM(on_hand * unit_cost), MAX(last_sale), SUM(shipped_30), SUM(shipped_90),
    SUM(opening), SUM(received), SUM(consumption), SUM(on_hand * age),
    SUM(on_hand) FILTER (WHERE age <= 30), SUM(on_hand * unit_cost) FILTER (WHERE age <= 30),
    SUM(on_hand) FILTER (WHERE age BETWEEN 31 AND 60),
    SUM(on_hand * unit_cost) FILTER (WHERE age BETWEEN 31 AND 60),
    SUM(on_hand) FILTER (WHERE age BETWEEN 61 AND 90),
    SUM(on_hand * unit_cost) FILTER (WHERE age BETWEEN 61 AND 90),
    SUM(on_hand) FILTER (WHERE age BETWEEN 91 AND 180),
    SUM(on_hand * unit_cost) FILTER (WHERE age BETWEEN 91 AND 180),
    SUM(on_hand) FILTER (WHERE age BETWEEN 181 AND 365),
    SUM(on_hand * unit_cost) FILTER (WHERE age BETWEEN 181 AND 365),
    SUM(on_hand) FILTER (WHERE age > 365), SUM(on_hand * unit_cost) FILTER (WHERE age > 365)
FROM catalog_sku s JOIN catalog_product p ON p.id = s.product_id
LEFT JOIN la ON la.sku_id = s.id
GROUP BY s.id, s.code, p.role, p.status, p.category_id
"""


def _url(database: str) -> str:
    parts = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_URL))
    return urlunsplit(parts._replace(path="/" + database))


def _connect(database: str):
    import psycopg2

    parts = urlsplit(_url(database))
    return psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=database,
    )


def _recreate() -> None:
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": _url(DATABASE)},
    )


def _seed(skus: int, moves: int) -> dict:
    lots = skus * LOTS_PER_SKU
    pairs = (moves - lots) // 2
    as_of = f"'{AS_OF.isoformat()} 18:00+08'::timestamptz"
    statements = [
        "SET session_replication_role = replica",  # no FK triggers while loading
        "SELECT setseed(0.42)",
        "INSERT INTO inventory_warehouse (id, code, name, address, is_active) "
        "VALUES (1, 'BENCH', 'bench', '', true)",
        "INSERT INTO inventory_slot (id, code, zone, slot_type, pick_sequence, is_active, "
        "warehouse_id) VALUES (1, 'R-00-00-1', 'R', 'receiving', 0, true, 1), "
        "(2, 'P-00-00-1', 'P', 'packing', 1, true, 1)",
        # Tree t: root lft 1 rght 222; 中类 j spans 22 numbers; 小类 k two.
        "INSERT INTO catalog_category (id, name, code, parent_id, sort_order, is_active, lft, "
        "rght, tree_id, level) SELECT t, '大类' || t, 'T' || t, NULL, 0, true, 1, 222, t, 0 "
        "FROM generate_series(1, 10) t",
        "INSERT INTO catalog_category (id, name, code, parent_id, sort_order, is_active, lft, "
        "rght, tree_id, level) SELECT 10 + (t - 1) * 10 + j, '中类' || t || '-' || j, "
        "'T' || t || '-' || j, t, 0, true, 2 + (j - 1) * 22, 23 + (j - 1) * 22, t, 1 "
        "FROM generate_series(1, 10) t, generate_series(1, 10) j",
        "INSERT INTO catalog_category (id, name, code, parent_id, sort_order, is_active, lft, "
        "rght, tree_id, level) SELECT 110 + ((t - 1) * 10 + j - 1) * 10 + k, "
        "'小类' || t || '-' || j || '-' || k, 'T' || t || '-' || j || '-' || k, "
        "10 + (t - 1) * 10 + j, 0, true, 3 + (j - 1) * 22 + (k - 1) * 2, "
        "4 + (j - 1) * 22 + (k - 1) * 2, t, 2 "
        "FROM generate_series(1, 10) t, generate_series(1, 10) j, generate_series(1, 10) k",
        f"INSERT INTO catalog_product (id, code, name, role, status, is_famous, is_special, "
        f"is_quality, is_new, description, created_at, updated_at, category_id) "
        f"SELECT i, 'P' || i, '商品' || i, CASE i % 10 WHEN 0 THEN 'traffic' WHEN 1 THEN 'image' "
        f"ELSE 'regular' END, CASE WHEN i % 20 = 0 THEN 'delisted' ELSE 'listed' END, "
        f"false, false, false, false, '', {as_of} - (800 - i % 800) * interval '1 day', now(), "
        f"111 + i % 1000 FROM generate_series(1, {skus}) i",
        f"INSERT INTO catalog_sku (id, code, name, currency, warning_level, is_bundle, "
        f"is_active, created_at, updated_at, product_id) SELECT i, 'S' || lpad(i::text, 7, '0'), "
        f"'规格' || i, 'CNY', 0, false, true, {as_of} - (800 - i % 800) * interval '1 day', "
        f"now(), i FROM generate_series(1, {skus}) i",
        f"INSERT INTO inventory_lot (id, sku_id, warehouse_id, received_at, unit_cost, currency, "
        f"source_reference) SELECT n, 1 + (n - 1) % {skus}, 1, "
        f"{as_of} - random() * interval '730 days', round((1 + random() * 200)::numeric, 2), "
        f"'CNY', '' FROM generate_series(1, {lots}) n",
        "INSERT INTO inventory_stockmove (kind, quantity, unit_cost, reason, reference_type, "
        "reference_id, created_at, lot_id, sku_id, to_slot_id) SELECT 'receipt', 10, "
        "unit_cost, '', '', '', received_at, id, sku_id, 1 FROM inventory_lot",
        # Pairs pick + ship; one SKU in five sells only in the first 60 days of its lots.
        f"""CREATE TEMP TABLE sale AS SELECT n, l.id AS lot_id, l.sku_id, l.unit_cost,
            1 + n % 3 AS quantity,
            CASE WHEN l.sku_id % 5 = 0
                THEN l.received_at + random() * interval '60 days'
                ELSE l.received_at + random() * ({as_of} - l.received_at) END AS at
            FROM generate_series(1, {pairs}) n
            JOIN inventory_lot l ON l.id = 1 + (n::bigint * 7919) % {lots}""",
        "INSERT INTO inventory_stockmove (kind, quantity, unit_cost, reason, reference_type, "
        "reference_id, created_at, lot_id, sku_id, from_slot_id, to_slot_id) "
        "SELECT 'pick', quantity, unit_cost, '', 'sales_order', n::text, at, lot_id, sku_id, 1, 2 "
        "FROM sale",
        "INSERT INTO inventory_stockmove (kind, quantity, unit_cost, reason, reference_type, "
        "reference_id, created_at, lot_id, sku_id, from_slot_id) "
        "SELECT 'ship', quantity, unit_cost, '', 'sales_order', n::text, at, lot_id, sku_id, 2 "
        "FROM sale",
        "SET session_replication_role = DEFAULT",
    ]
    connection = _connect(DATABASE)
    connection.autocommit = True
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM catalog_sku")
        n_skus = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inventory_stockmove")
        n_moves = cursor.fetchone()[0]
    connection.close()
    return {
        "seconds": time.perf_counter() - started,
        "skus": n_skus,
        "moves": n_moves,
        "lots": lots,
    }


def _child(runs: int) -> None:
    """Time the report and the floor in this process; print JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from inventory import reports

    window = reports._window(AS_OF)
    report_times, rows = [], 0
    for _run in range(runs):
        started = time.perf_counter()
        skus = reports.slow_movers(as_of=AS_OF)
        categories = reports.slow_movers_by_category(skus)
        report_times.append(time.perf_counter() - started)
        rows = len(skus)
        summary = {
            "classes": skus["classification"].value_counts().to_dict(),
            "abc": skus["abc"].value_counts().to_dict(),
            "categories": len(categories),
        }
        del skus, categories
    report_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    connection.close()

    floor = _connect(DATABASE)
    floor_times, floor_rows = [], 0
    params = {
        "s30": window.start_30,
        "s90": window.start_90,
        "end": window.end,
        "as_of": AS_OF,
        "tz": settings.TIME_ZONE,
    }
    with floor.cursor() as cursor:
        # The session settings the report's query runs with (inventory.reports).
        cursor.execute("SET jit = off")
        cursor.execute(
            "SELECT set_config('work_mem', %s, false)", [settings.INVENTORY_SLOW_WORK_MEM]
        )
    for _run in range(runs):
        started = time.perf_counter()
        with floor.cursor() as cursor:
            cursor.execute(FLOOR_SQL, params)
            floor_rows = len(cursor.fetchall())
        floor_times.append(time.perf_counter() - started)
    floor.close()
    print(
        json.dumps(
            {
                "report": report_times,
                "floor": floor_times,
                "rows": rows,
                "floor_rows": floor_rows,
                "rss_kib": report_rss,
                "work_mem": settings.INVENTORY_SLOW_WORK_MEM,
                **summary,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.runs)
        return

    seeded = None
    if not args.reuse:
        _recreate()
        seeded = _seed(args.skus, args.moves)
        print(f"seeded {seeded}", flush=True)
    result = subprocess.run(
        [sys.executable, __file__, "--child", "--runs", str(args.runs)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": _url(DATABASE)},
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    report = statistics.median(data["report"])
    floor = statistics.median(data["floor"])
    ratio = report / floor
    rss_mib = data["rss_kib"] / 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "DATABASE_URL=postgres://…/127.0.0.1 .venv/bin/python bench/bench_slow_movers.py " + (
        " ".join(sys.argv[1:])
    )
    data_line = f"{data['rows']:,} SKUs in the report, as of {AS_OF}" + (
        f"; seeded {seeded['skus']:,} SKUs, {seeded['lots']:,} lots, "
        f"{seeded['moves']:,} stock moves in {seeded['seconds']:.0f} s"
        if seeded
        else " (database reused)"
    )
    rss_met = "met" if rss_mib < 1024 else "not met"
    section = f"""
## Slow-mover report, 100k SKUs × 2M moves — {now}

`{command.strip()}`

commit {commit}; {machine(_connect(DATABASE))}

- Data: {data_line}
- Report = `inventory.reports.slow_movers(as_of=…)` + `slow_movers_by_category` (DataFrames
  built); floor = one hand-written SQL query with the same per-SKU aggregates, psycopg2
  `fetchall`, with the report's session settings (jit off, work_mem
  {data["work_mem"]}). {args.runs} runs each, in one child process.

| measure | median | runs | goal |
|---|---:|---|---|
| report | {report:.2f} s | {", ".join(f"{t:.2f}" for t in data["report"])} | |
| floor (hand-written SQL) | {floor:.2f} s | {", ".join(f"{t:.2f}" for t in data["floor"])} | |
| report ÷ floor | {ratio:.2f}× | | ≤ 1.5× ({"met" if ratio <= 1.5 else "not met"}) |
| peak RSS of the report process | {rss_mib:.0f} MiB | | < 1 GiB ({rss_met}) |

Classes: {data["classes"]}; ABC: {data["abc"]}; {data["categories"]} categories (大类 + 中类).
"""
    print(section)
    with RESULTS.open("a") as results:
        results.write(section)


if __name__ == "__main__":
    main()
