"""Customer segments benchmark (not a test): RFM scores and activity levels of 100k customers
over 1M orders (2M lines), against a hand-written SQL floor.

In a fresh PostgreSQL database (``jingxi_bench_segments`` on the ``DATABASE_URL`` server,
dropped, created and migrated) it seeds with set-based SQL (``INSERT … SELECT
generate_series``): 10 大类 with ``--skus`` products of one SKU each, 5 channels with a shop
each, ``--customers`` customers and ``--orders`` orders of two lines each, placed over the two
years before the as-of day by customers drawn with a skew (a few order often, most once or
twice); 2 % cancelled, 1 % still pending payment.

Then, in a child process under ``/usr/bin/time -v`` (so its peak RSS is the segments' own),
it times ``--runs`` times:

- ``orders.segments.customer_segments(as_of=…)``: every customer's R, F, M, scores and level,
  one statement, fetched into ``CustomerSegment`` rows (the xlsx download's work);
- ``orders.segments.segment_counts(as_of=…)``: the same statement grouped by level and R × F
  score (the marketer's panel's work), and ``segment_overview`` (the page's: the counts and
  the churned best customers from one statement);
- the floor: the minimal single statement computing R, F, M and ``NTILE(5)`` of each per
  customer (the lines summed per order, then per customer), by hand, psycopg2 ``fetchall``.

It prints a markdown section and appends it to ``bench/RESULTS.md``. Goal: ≤ 5 s::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \\
        bench/bench_segments.py [--customers 100000] [--orders 1000000] [--runs 3] [--reuse]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import database_url, git_state, machine, recreate_database  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = os.environ.get("BENCH_SEGMENTS_DATABASE", "jingxi_bench_segments")
AS_OF = date(2026, 11, 30)
WINDOW_DAYS = 365

FLOOR = """
WITH amounts AS (
    SELECT order_id, SUM(quantity * unit_price - discount) AS amount
    FROM orders_salesorderline GROUP BY order_id
), per_customer AS (
    SELECT o.customer_id,
        %(as_of)s::date - MAX((o.placed_at AT TIME ZONE %(tz)s)::date) AS r,
        COUNT(*) FILTER (WHERE o.placed_at >= %(since)s) AS f,
        COALESCE(SUM(a.amount) FILTER (WHERE o.placed_at >= %(since)s), 0) AS m
    FROM orders_salesorder o JOIN amounts a ON a.order_id = o.id
    WHERE o.customer_id IS NOT NULL AND o.status <> 'cancelled' AND o.placed_at < %(end)s
    GROUP BY o.customer_id
)
SELECT customer_id, r, f, m,
    NTILE(5) OVER (ORDER BY r DESC), NTILE(5) OVER (ORDER BY f), NTILE(5) OVER (ORDER BY m)
FROM per_customer
"""


def _url() -> str:
    return database_url(os.environ.get("DATABASE_URL", DEFAULT_URL), DATABASE)


def _connect():
    import psycopg2

    return psycopg2.connect(_url())


def _recreate() -> None:
    recreate_database(_url())
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DATABASE_URL": _url()},
    )


def _seed(skus: int, customers: int, orders: int) -> dict:
    as_of = f"'{AS_OF.isoformat()} 20:00+08'::timestamptz"
    statements = [
        "SET session_replication_role = replica",  # no FK triggers while loading
        "SELECT setseed(0.18)",
        "INSERT INTO inventory_warehouse (id, code, name, address, is_active) "
        "VALUES (1, 'BENCH', 'bench', '', true)",
        "INSERT INTO catalog_category (id, name, code, parent_id, sort_order, is_active, lft, "
        "rght, tree_id, level) SELECT t, '大类' || t, 'T' || t, NULL, 0, true, 1, 2, t, 0 "
        "FROM generate_series(1, 10) t",
        f"INSERT INTO catalog_product (id, code, name, role, status, is_famous, is_special, "
        f"is_quality, is_new, description, created_at, updated_at, category_id) "
        f"SELECT i, 'P' || i, '商品' || i, 'regular', 'listed', false, false, false, false, '', "
        f"now(), now(), 1 + i % 10 FROM generate_series(1, {skus}) i",
        f"INSERT INTO catalog_sku (id, code, name, currency, warning_level, is_bundle, "
        f"is_active, created_at, updated_at, product_id, retail_price) "
        f"SELECT i, 'S' || lpad(i::text, 7, '0'), '规格' || i, 'CNY', 0, false, true, now(), "
        f"now(), i, round((10 + random() * 190)::numeric, 2) FROM generate_series(1, {skus}) i",
        "INSERT INTO orders_channel (id, code, name, kind, is_active) VALUES "
        "(1, 'TMALL', '天猫', 'tmall', true), (2, 'JD', '京东', 'jd', true), "
        "(3, 'PDD', '拼多多', 'pinduoduo', true), (4, 'DOUYIN', '抖音', 'douyin', true), "
        "(5, 'DIST', '分销', 'distributor', true)",
        "INSERT INTO orders_shop (id, code, name, is_active, channel_id, warehouse_id) "
        "SELECT c, 'SHOP' || c, '店铺' || c, true, c, 1 FROM generate_series(1, 5) c",
        f"INSERT INTO orders_customer (id, code, name, kind, price_tier, contact_name, phone, "
        f"email, address) SELECT i, 'K' || lpad(i::text, 7, '0'), '客户' || i, 'retail', "
        f"'retail', '', '138' || lpad(i::text, 8, '0'), '', '' "
        f"FROM generate_series(1, {customers}) i",
        # Customer drawn as ⌈n × u²⌉: low ids order often, high ids rarely.
        f"INSERT INTO orders_salesorder (id, number, source, status, currency, placed_at, "
        f"paid_at, carrier, tracking_number, note, warehouse_id, shop_id, credit_settled, "
        f"on_credit, customer_id) SELECT n, 'SO' || n, 'channel', "
        f"CASE WHEN n % 50 = 0 THEN 'cancelled' WHEN n % 100 = 1 THEN 'pending_payment' "
        f"ELSE 'completed' END, 'CNY', t, CASE WHEN n % 100 = 1 THEN NULL ELSE t END, "
        f"'顺丰', 'SF' || n, '', 1, 1 + n % 5, 0, false, "
        f"1 + floor({customers} * u * u)::int % {customers} "
        f"FROM (SELECT n, {as_of} - random() * interval '730 days' AS t, random() AS u "
        f"FROM generate_series(1, {orders}) n) x",
        f"INSERT INTO orders_salesorderline (id, line_no, platform_code, quantity, price_type, "
        f"unit_price, discount, backordered, shipped_quantity, cost_of_goods, order_id, sku_id) "
        f"SELECT n, 1 + n % 2, '', q, 'retail', s.retail_price, "
        f"CASE WHEN n % 10 = 0 THEN 5 ELSE 0 END, 0, q, 0, (n + 1) / 2, s.id "
        f"FROM (SELECT n, 1 + n % 3 AS q, 1 + (n::bigint * 7919) % {skus} AS sku "
        f"FROM generate_series(1, {orders * 2}) n) x JOIN catalog_sku s ON s.id = x.sku",
        "SET session_replication_role = DEFAULT",
    ]
    connection = _connect()
    connection.autocommit = True
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("orders_customer", "orders_salesorder", "orders_salesorderline"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    connection.close()
    return {"seconds": time.perf_counter() - started, **counts}


def _child(runs: int) -> None:
    """Time the segments and the floor in this process; print JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from orders.segments import Thresholds, customer_segments, segment_counts, segment_overview

    rules = Thresholds(window_days=WINDOW_DAYS, active_days=30, active_min_orders=2, churn_days=180)
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    params = {
        "tz": settings.TIME_ZONE,
        "as_of": AS_OF,
        "since": datetime.combine(AS_OF - timedelta(WINDOW_DAYS - 1), datetime.min.time(), tz),
        "end": datetime.combine(AS_OF + timedelta(1), datetime.min.time(), tz),
    }
    floor = _connect()
    with floor.cursor() as cursor:  # as the segments run their statement
        cursor.execute("SET jit = off; SET work_mem = '32MB'")
    rows_times, counts_times, overview_times, floor_times = [], [], [], []
    rows, floor_rows, levels = 0, 0, {}
    # Interleaved, run by run: a shared machine's load changes along the minutes.
    for _run in range(runs):
        started = time.perf_counter()
        with floor.cursor() as cursor:
            cursor.execute(FLOOR, params)
            floor_rows = len(cursor.fetchall())
        floor_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        segments = customer_segments(as_of=AS_OF, thresholds=rules)
        rows_times.append(time.perf_counter() - started)
        rows = len(segments)
        del segments
        started = time.perf_counter()
        counts = segment_counts(as_of=AS_OF, thresholds=rules)
        counts_times.append(time.perf_counter() - started)
        levels = counts.levels
        started = time.perf_counter()
        segment_overview(as_of=AS_OF, thresholds=rules)
        overview_times.append(time.perf_counter() - started)
    connection.close()
    floor.close()
    print(
        json.dumps(
            {
                "rows": rows_times,
                "counts": counts_times,
                "overview": overview_times,
                "floor": floor_times,
                "customers": rows,
                "floor_customers": floor_rows,
                "levels": levels,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.runs)
        return

    seeded = None
    if not args.reuse:
        _recreate()
        seeded = _seed(args.skus, args.customers, args.orders)
        print(f"seeded {seeded}", flush=True)
    result = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, __file__, "--child", "--runs", str(args.runs)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": _url()},
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    rss_mib = (
        int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1]) / 1024
    )
    rows = statistics.median(data["rows"])
    counts = statistics.median(data["counts"])
    overview = statistics.median(data["overview"])
    floor = statistics.median(data["floor"])
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "DATABASE_URL=postgres://…/127.0.0.1 .venv/bin/python bench/bench_segments.py"
    command = f"{command} {' '.join(sys.argv[1:])}".strip()
    data_line = (
        f"seeded {seeded['orders_customer']:,} customers, {seeded['orders_salesorder']:,} "
        f"orders, {seeded['orders_salesorderline']:,} lines in {seeded['seconds']:.0f} s"
        if seeded
        else "database reused"
    )

    def runs(key):
        return ", ".join(f"{t:.2f}" for t in data[key])

    def goal(seconds):
        return "met" if seconds <= 5 else "not met"

    levels = ", ".join(f"{k} {v:,}" for k, v in sorted(data["levels"].items()))
    section = f"""
## Customer segments (RFM, activity levels), 100k customers × 1M orders — {now}

`{command}`

commit {git_state("orders")}; {machine(_connect())}

- Data: {data_line}; as of {AS_OF}, RFM window {WINDOW_DAYS} days.
- Segments = `orders.segments.customer_segments(as_of=…)` (one statement: lines per order,
  R/F/M per customer, `RANK()` scores with ties sharing, level; every customer fetched into
  a dataclass), counts = `segment_counts(as_of=…)` (the same statement grouped by level and
  R × F), the page = `segment_overview(as_of=…)` (counts and the churned best customers,
  the segments computed once in a CTE read twice); floor = the minimal statement computing
  R, F, M and three `NTILE(5)` by hand, psycopg2 `fetchall`; all with JIT off and
  `work_mem` 32 MB. {args.runs} runs each, interleaved, one child process under `/usr/bin/time -v`.

| measure | median | runs | goal |
|---|---:|---|---|
| segments, every customer's row | {rows:.2f} s | {runs("rows")} | ≤ 5 s ({goal(rows)}) |
| segment counts (marketer's panel) | {counts:.2f} s | {runs("counts")} | ≤ 5 s ({goal(counts)}) |
| the page (counts, churned best) | {overview:.2f} s | {runs("overview")} | {goal(overview)} |
| floor (hand-written SQL) | {floor:.2f} s | {runs("floor")} | |
| segments ÷ floor | {rows / floor:.2f}× | | |
| peak RSS of the child | {rss_mib:.0f} MiB | | |

Customers with orders: {data["customers"]:,} in the segments, {data["floor_customers"]:,} in
the floor; levels: {levels}.
"""
    print(section)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(section)


if __name__ == "__main__":
    main()
