"""Margin report benchmark (not a test): gross margin by 大类 and month on 2M order lines and
100k SKUs, against a hand-written SQL floor.

In a fresh PostgreSQL database (``jingxi_bench_margins`` on the ``DATABASE_URL`` server,
dropped, created and migrated) it seeds with set-based SQL (``INSERT … SELECT
generate_series``): a category tree of 10 大类 × 10 中类 × 10 小类, ``--skus`` products with
one SKU and one lot each, 5 channels with a shop each, ``--lines`` order lines (two per
shipped order, shipped over the 12 months before the as-of date, with discounts and FIFO
COGS) and ``--returns`` returned lines (three in four restocked, with their ``return`` stock
moves; the others scrapped).

Then, in a child process under ``/usr/bin/time -v`` (so its peak RSS is the report's own), it
times ``--runs`` times ``finance.reports.margin_by("category", SalesFilter(12 months),
level=1, per_month=True)`` — the whole report, DataFrame with Decimal money included — and
the floor: the same two grouped queries (sales, and returns with their restocked cost) written
by hand and fetched with bare psycopg2. It prints a markdown section and appends it to
``bench/RESULTS.md``. Goal: report ≤ 1.5 × floor, peak RSS < 1 GB::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \
        bench/bench_finance_margins.py [--skus 100000] [--lines 2000000] [--runs 3] [--reuse]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import database_url, git_state, machine, recreate_database  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = os.environ.get("BENCH_MARGINS_DATABASE", "jingxi_bench_margins")
AS_OF = date(2026, 11, 30)
START = date(2025, 12, 1)

FLOOR_SALES = """
SELECT a.id, a.code, a.name,
    date_trunc('month', o.shipped_at AT TIME ZONE %(tz)s) AS month,
    SUM(l.shipped_quantity), SUM(l.quantity * l.unit_price - l.discount),
    SUM(round(l.cost_of_goods, 2))
FROM orders_salesorderline l
JOIN orders_salesorder o ON o.id = l.order_id
JOIN catalog_sku s ON s.id = l.sku_id
JOIN catalog_product p ON p.id = s.product_id
JOIN catalog_category c ON c.id = p.category_id
JOIN catalog_category a ON a.tree_id = c.tree_id AND a.level = 0
WHERE o.shipped_at >= %(start)s AND o.shipped_at < %(end)s AND o.status <> 'cancelled'
GROUP BY 1, 2, 3, 4
"""
FLOOR_RETURNS = """
WITH back AS (
    SELECT reference_id, sku_id, SUM(quantity * unit_cost) / SUM(quantity) AS unit_cost
    FROM inventory_stockmove
    WHERE kind = 'return' AND reference_type = 'sales_return'
    GROUP BY reference_id, sku_id
)
SELECT a.id, a.code, a.name,
    date_trunc('month', r.created_at AT TIME ZONE %(tz)s) AS month,
    SUM(rl.quantity), SUM(rl.refund_amount),
    SUM(CASE WHEN rl.disposition <> 'scrap' THEN round(rl.quantity * b.unit_cost, 2) ELSE 0 END)
FROM orders_returnline rl
JOIN orders_return r ON r.id = rl.rma_id
JOIN orders_salesorderline l ON l.id = rl.order_line_id
JOIN catalog_sku s ON s.id = l.sku_id
JOIN catalog_product p ON p.id = s.product_id
JOIN catalog_category c ON c.id = p.category_id
JOIN catalog_category a ON a.tree_id = c.tree_id AND a.level = 0
LEFT JOIN back b ON b.reference_id = 'RMA-' || rl.rma_id AND b.sku_id = l.sku_id
WHERE r.created_at >= %(start)s AND r.created_at < %(end)s
GROUP BY 1, 2, 3, 4
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


def _seed(skus: int, lines: int, returns: int) -> dict:
    orders = lines // 2
    as_of = f"'{AS_OF.isoformat()} 20:00+08'::timestamptz"
    statements = [
        "SET session_replication_role = replica",  # no FK triggers while loading
        "SELECT setseed(0.15)",
        "INSERT INTO inventory_warehouse (id, code, name, address, is_active) "
        "VALUES (1, 'BENCH', 'bench', '', true)",
        "INSERT INTO inventory_slot (id, code, zone, slot_type, pick_sequence, is_active, "
        "warehouse_id) VALUES (1, 'T-00-00-1', 'T', 'returns', 0, true, 1)",
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
        f"ELSE 'regular' END, 'listed', false, false, false, false, '', now(), now(), "
        f"111 + i % 1000 FROM generate_series(1, {skus}) i",
        f"INSERT INTO catalog_sku (id, code, name, currency, warning_level, is_bundle, "
        f"is_active, created_at, updated_at, product_id, retail_price) "
        f"SELECT i, 'S' || lpad(i::text, 7, '0'), '规格' || i, 'CNY', 0, false, true, now(), "
        f"now(), i, round((10 + random() * 190)::numeric, 2) FROM generate_series(1, {skus}) i",
        f"INSERT INTO inventory_lot (id, sku_id, warehouse_id, received_at, unit_cost, currency, "
        f"source_reference) SELECT i.id, i.id, 1, {as_of} - interval '400 days', "
        f"round(i.retail_price * 0.6, 4), 'CNY', '' FROM catalog_sku i",
        "INSERT INTO orders_channel (id, code, name, kind, is_active) VALUES "
        "(1, 'TMALL', '天猫', 'tmall', true), (2, 'JD', '京东', 'jd', true), "
        "(3, 'PDD', '拼多多', 'pinduoduo', true), (4, 'DOUYIN', '抖音', 'douyin', true), "
        "(5, 'DIST', '分销', 'distributor', true)",
        "INSERT INTO orders_shop (id, code, name, is_active, channel_id, warehouse_id) "
        "SELECT c, 'SHOP' || c, '店铺' || c, true, c, 1 FROM generate_series(1, 5) c",
        f"INSERT INTO orders_salesorder (id, number, source, status, currency, placed_at, "
        f"paid_at, shipped_at, carrier, tracking_number, note, warehouse_id, shop_id, "
        f"credit_settled, on_credit) SELECT n, 'SO' || n, 'channel', 'shipped', 'CNY', t, t, "
        f"t + interval '1 day', '顺丰', 'SF' || n, '', 1, 1 + n % 5, 0, false "
        f"FROM (SELECT n, {as_of} - random() * interval '372 days' AS t "
        f"FROM generate_series(1, {orders}) n) x",
        f"INSERT INTO orders_salesorderline (id, line_no, platform_code, quantity, price_type, "
        f"unit_price, discount, backordered, shipped_quantity, cost_of_goods, order_id, sku_id) "
        f"SELECT n, 1 + n % 2, '', q, 'retail', s.retail_price, "
        f"CASE WHEN n % 10 = 0 THEN 5 ELSE 0 END, 0, q, round(q * s.retail_price * 0.6, 4), "
        f"(n + 1) / 2, s.id FROM (SELECT n, 1 + n % 3 AS q, 1 + (n::bigint * 7919) % {skus} "
        f"AS sku FROM generate_series(1, {orders * 2}) n) x JOIN catalog_sku s ON s.id = x.sku",
        # One return per picked line: line ids spread over the table.
        f"INSERT INTO orders_return (id, created_at, note, order_id) "
        f"SELECT r, o.shipped_at + interval '5 days', '', o.id "
        f"FROM generate_series(1, {returns}) r "
        f"JOIN orders_salesorderline l ON l.id = 1 + (r::bigint * 48271) % {orders * 2} "
        f"JOIN orders_salesorder o ON o.id = l.order_id",
        f"INSERT INTO orders_returnline (id, quantity, reason, disposition, refund_amount, "
        f"rma_id, order_line_id) SELECT r, 1, 'unwanted', "
        f"CASE WHEN r % 4 = 0 THEN 'scrap' ELSE 'restock' END, l.unit_price, r, l.id "
        f"FROM generate_series(1, {returns}) r "
        f"JOIN orders_salesorderline l ON l.id = 1 + (r::bigint * 48271) % {orders * 2}",
        "INSERT INTO inventory_stockmove (kind, quantity, unit_cost, reason, reference_type, "
        "reference_id, created_at, lot_id, sku_id, to_slot_id) "
        "SELECT 'return', rl.quantity, lot.unit_cost, '', 'sales_return', 'RMA-' || r.id, "
        "r.created_at, lot.id, l.sku_id, 1 FROM orders_returnline rl "
        "JOIN orders_return r ON r.id = rl.rma_id "
        "JOIN orders_salesorderline l ON l.id = rl.order_line_id "
        "JOIN inventory_lot lot ON lot.sku_id = l.sku_id",
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
        for table in ("catalog_sku", "orders_salesorderline", "orders_returnline"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    connection.close()
    return {"seconds": time.perf_counter() - started, **counts}


def _child(runs: int) -> None:
    """Time the report and the floor in this process; print JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from finance.reports import SalesFilter, day_start, margin_by

    filters = SalesFilter(date_from=START, date_to=AS_OF)
    report_times, rows, revenue = [], 0, 0
    for _run in range(runs):
        started = time.perf_counter()
        frame = margin_by("category", filters, level=1, per_month=True)
        report_times.append(time.perf_counter() - started)
        rows, revenue = len(frame), float(sum(frame["net_revenue"]))
        del frame
    connection.close()

    params = {
        "tz": settings.TIME_ZONE,
        "start": day_start(START),
        "end": day_start(date.fromordinal(AS_OF.toordinal() + 1)),
    }
    floor = _connect()
    floor_times, floor_rows = [], 0
    with floor.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the report runs its queries
    for _run in range(runs):
        started = time.perf_counter()
        with floor.cursor() as cursor:
            cursor.execute(FLOOR_SALES, params)
            sales = cursor.fetchall()
            cursor.execute(FLOOR_RETURNS, params)
            back = cursor.fetchall()
        floor_times.append(time.perf_counter() - started)
        floor_rows = len(sales)
    floor.close()
    floor_net = float(sum(r[5] for r in sales) - sum(r[5] for r in back))
    print(
        json.dumps(
            {
                "report": report_times,
                "floor": floor_times,
                "rows": rows,
                "floor_rows": floor_rows,
                "return_rows": len(back),
                "net_revenue": revenue,
                "floor_net_revenue": floor_net,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--returns", type=int, default=40_000)
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
        seeded = _seed(args.skus, args.lines, args.returns)
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
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    report = statistics.median(data["report"])
    floor = statistics.median(data["floor"])
    ratio = report / floor
    rss_mib = rss_kib / 1024
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rss_met = "met" if rss_mib < 1024 else "not met"
    command = "DATABASE_URL=postgres://…/127.0.0.1 .venv/bin/python bench/bench_finance_margins.py"
    command = f"{command} {' '.join(sys.argv[1:])}".strip()
    data_line = (
        f"seeded {seeded['catalog_sku']:,} SKUs, {seeded['orders_salesorderline']:,} order "
        f"lines, {seeded['orders_returnline']:,} returned lines in {seeded['seconds']:.0f} s"
        if seeded
        else "database reused"
    )
    section = f"""
## Gross margin by 大类 and month, 2M order lines × 100k SKUs — {now}

`{command}`

commit {git_state("finance")}; {machine(_connect())}

- Data: {data_line}; period {START} – {AS_OF} (12 months).
- Report = `finance.reports.margin_by("category", SalesFilter(…), level=1, per_month=True)`
  (two grouped queries, sales and returns, merged into a DataFrame of Decimal money);
  floor = the same two queries written by hand, psycopg2 `fetchall`, JIT off as the report.
  {args.runs} runs each, one child process under `/usr/bin/time -v`.

| measure | median | runs | goal |
|---|---:|---|---|
| report | {report:.2f} s | {", ".join(f"{t:.2f}" for t in data["report"])} | |
| floor (hand-written SQL) | {floor:.2f} s | {", ".join(f"{t:.2f}" for t in data["floor"])} | |
| report ÷ floor | {ratio:.2f}× | | ≤ 1.5× ({"met" if ratio <= 1.5 else "not met"}) |
| peak RSS of the child (report + floor) | {rss_mib:.0f} MiB | | < 1 GiB ({rss_met}) |

Rows: {data["rows"]} (大类 × month) in the report, {data["floor_rows"]} sales rows and
{data["return_rows"]} return rows in the floor; net revenue {data["net_revenue"]:,.2f} in the
report, {data["floor_net_revenue"]:,.2f} in the floor.
"""
    print(section)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(section)


if __name__ == "__main__":
    main()
