"""Restock report benchmark (not a test): 100k SKUs, 2M moves, 20k open PO lines, vs a SQL floor.

In a fresh PostgreSQL database (``jingxi_bench_restock``, dropped, created and migrated) it
seeds the catalogue, lots and ledger exactly as ``bench_slow_movers.py`` does (its ``_seed``,
reused), then with set-based SQL: a warning level on one SKU in three, the stock columns
(``WarehouseStock``: on hand from the ledger, one SKU in 50 backordered), 200 suppliers of
the four types, one to three offers per SKU (one in ten preferred, one in ten expired), and
2,000 placed purchase orders of 10 lines each (``--po-lines``, default 20,000 open lines), a
quarter of them partially received.

Then, in a child process run under ``/usr/bin/time -v`` (its peak RSS is the report's own),
it times ``--runs`` times ``purchasing.reports.restock(as_of=…)`` (the whole report:
scorecards, the SQL aggregation, the offer choice, the maths and the reasons, DataFrame
built), and the floor: hand-written SQL computing the same aggregates (per SKU × warehouse
on hand, units shipped and their squares over in-stock days, in-stock days, open PO quantity,
reserved and backordered, and the offer ranked first by preferred flag, type, cost and lead
time), fetched with bare psycopg2, in the same process and run. Appends a markdown section
to ``bench/RESULTS.md``. Goal: report ≤ 1.5 × floor, peak RSS < 1 GB::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \
        bench/bench_restock.py [--skus 100000] [--moves 2000000] [--po-lines 20000] [--runs 3]
        [--reuse]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_slow_movers as base

ROOT = base.ROOT
RESULTS = base.RESULTS
DATABASE = "jingxi_bench_restock"
AS_OF = base.AS_OF
base.DATABASE = DATABASE  # reuse its seeding, into this benchmark's database


def _seed_purchasing(po_lines: int) -> dict:
    as_of = f"'{AS_OF.isoformat()} 18:00+08'::timestamptz"
    orders = max(1, po_lines // 10)
    statements = [
        "SET session_replication_role = replica",
        "SELECT setseed(0.17)",
        # A warning level (预警值) on one SKU in three: those low on stock get suggestions.
        "UPDATE catalog_sku SET warning_level = 15 WHERE id % 3 = 0",
        """INSERT INTO inventory_warehousestock (sku_id, warehouse_id, on_hand, reserved,
            locked, defective, backordered)
            SELECT s.id, 1, COALESCE(m.on_hand, 0), 0, 0, 0,
                CASE WHEN s.id % 50 = 0 THEN 1 + s.id % 7 ELSE 0 END
            FROM catalog_sku s LEFT JOIN (
                SELECT sku_id, SUM(CASE WHEN from_slot_id IS NULL THEN quantity
                    WHEN to_slot_id IS NULL THEN -quantity ELSE 0 END) AS on_hand
                FROM inventory_stockmove GROUP BY sku_id) m ON m.sku_id = s.id""",
        f"""INSERT INTO purchasing_supplier (id, code, name, supplier_type, contact_name, phone,
            email, address, payment_terms_days, currency, is_active, created_at)
            SELECT i, 'SUP' || lpad(i::text, 4, '0'), '供应商' || i,
                (ARRAY['manufacturer', 'agent', 'wholesaler', 'trading_company'])[1 + i % 4],
                '', '', '', '', 30, 'CNY', i % 40 <> 0, {as_of} - interval '800 days'
            FROM generate_series(1, 200) i""",
        # Offer k (1..3) of SKU s from supplier 1 + (s * 7 + k * 13) % 200: distinct suppliers.
        f"""INSERT INTO purchasing_supplieroffer (sku_id, supplier_id, supplier_sku_code,
            unit_cost, min_order_quantity, pack_multiple, lead_time_days, valid_from, valid_to,
            is_preferred)
            SELECT s.id, 1 + (s.id * 7 + k * 13) % 200, '', round((1 + random() * 200)::numeric, 2),
                (ARRAY[1, 1, 6, 12, 24])[1 + (s.id + k) % 5], (ARRAY[1, 1, 6, 12])[1 + k % 4],
                3 + (s.id * k) % 19, {as_of}::date - 400,
                CASE WHEN (s.id + k) % 10 = 0 THEN {as_of}::date - 30 END,
                k = 1 AND s.id % 10 = 0
            FROM catalog_sku s, generate_series(1, 3) k WHERE k <= 1 + s.id % 3""",
        f"""INSERT INTO purchasing_purchaseorder (id, supplier_id, warehouse_id, status,
            currency, ordered_at, note, created_at)
            SELECT i, 1 + i % 200, 1,
                CASE WHEN i % 4 = 0 THEN 'partially_received' ELSE 'ordered' END, 'CNY',
                {as_of} - (1 + i % 60) * interval '1 day', '',
                {as_of} - (2 + i % 60) * interval '1 day'
            FROM generate_series(1, {orders}) i""",
        f"""INSERT INTO purchasing_purchaseorderline (id, order_id, sku_id, quantity, unit_cost,
            offer_unit_cost, expected_date)
            SELECT n, 1 + (n - 1) / 10, 1 + (n * 4999) % (SELECT count(*) FROM catalog_sku),
                12 * (1 + n % 10), 10.00, 10.00, {as_of}::date - 20 + n % 40
            FROM generate_series(1, {orders * 10}) n""",
        f"""INSERT INTO purchasing_receipt (id, order_id, received_at, note)
            SELECT i, i, {as_of} - (i % 60) * interval '12 hours', ''
            FROM generate_series(4, {orders}, 4) i""",
        """INSERT INTO purchasing_receiptline (receipt_id, order_line_id, received_quantity,
            rejected_quantity, slot_id, lot_id)
            SELECT r.id, l.id, l.quantity / 2, (l.id % 3), 1, l.sku_id
            FROM purchasing_receipt r JOIN purchasing_purchaseorderline l ON l.order_id = r.id
            WHERE l.id % 2 = 0""",
        "SET session_replication_role = DEFAULT",
    ]
    connection = base._connect(DATABASE)
    connection.autocommit = True
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM purchasing_supplieroffer")
        offers = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM purchasing_purchaseorderline")
        lines = cursor.fetchone()[0]
    connection.close()
    return {"seconds": time.perf_counter() - started, "offers": offers, "po_lines": lines}


FLOOR_SQL = """
WITH flows AS (
    SELECT m.sku_id, ts.warehouse_id AS wh, m.created_at, m.quantity AS delta, 0 AS shipped
    FROM inventory_stockmove m JOIN inventory_slot ts ON ts.id = m.to_slot_id
    LEFT JOIN inventory_slot fs ON fs.id = m.from_slot_id
    WHERE m.created_at < %(end)s AND (fs.id IS NULL OR fs.warehouse_id <> ts.warehouse_id)
    UNION ALL
    SELECT m.sku_id, fs.warehouse_id, m.created_at, -m.quantity,
        CASE WHEN m.kind = 'ship' THEN m.quantity ELSE 0 END
    FROM inventory_stockmove m JOIN inventory_slot fs ON fs.id = m.from_slot_id
    LEFT JOIN inventory_slot ts ON ts.id = m.to_slot_id
    WHERE m.created_at < %(end)s AND (ts.id IS NULL OR ts.warehouse_id <> fs.warehouse_id)
), daily AS (
    SELECT sku_id, wh, GREATEST((created_at AT TIME ZONE %(tz)s)::date, %(before)s) AS day,
        SUM(delta) AS delta,
        SUM(shipped) FILTER (WHERE created_at >= %(start)s) AS shipped
    FROM flows GROUP BY 1, 2, 3
), days AS (
    SELECT *, SUM(delta) OVER w AS eod, LEAD(day, 1, %(after)s) OVER w AS next_day
    FROM daily WINDOW w AS (PARTITION BY sku_id, wh ORDER BY day)
), ledger AS (
    SELECT sku_id, wh, SUM(delta) AS on_hand, SUM(shipped) AS shipped,
        SUM(shipped * shipped) AS shipped_sq,
        SUM((day > %(before)s AND (eod > 0 OR shipped > 0))::int
            + CASE WHEN eod > 0 THEN next_day - day - 1 ELSE 0 END) AS in_stock_days
    FROM days GROUP BY 1, 2
), open_po AS (
    SELECT l.sku_id, o.warehouse_id AS wh,
        SUM(GREATEST(l.quantity - COALESCE(a.units, 0), 0)) AS open_po
    FROM purchasing_purchaseorderline l
    JOIN purchasing_purchaseorder o ON o.id = l.order_id
    LEFT JOIN (SELECT order_line_id, SUM(received_quantity - rejected_quantity) AS units
               FROM purchasing_receiptline rl JOIN purchasing_receipt r ON r.id = rl.receipt_id
               WHERE r.received_at < %(end)s GROUP BY 1) a ON a.order_line_id = l.id
    WHERE o.status IN ('ordered', 'partially_received', 'received') AND o.ordered_at < %(end)s
    GROUP BY 1, 2
), best AS (
    SELECT DISTINCT ON (f.sku_id) f.sku_id, f.id, f.unit_cost, f.lead_time_days,
        f.min_order_quantity, f.pack_multiple, sp.code
    FROM purchasing_supplieroffer f JOIN purchasing_supplier sp ON sp.id = f.supplier_id
    WHERE sp.is_active AND f.valid_from <= %(as_of)s
        AND (f.valid_to IS NULL OR f.valid_to >= %(as_of)s)
    ORDER BY f.sku_id, f.is_preferred DESC,
        array_position(ARRAY['manufacturer', 'agent', 'wholesaler', 'trading_company'],
            sp.supplier_type::text), f.unit_cost, f.lead_time_days, sp.code, f.id
)
SELECT s.code, s.name, s.warning_level, p.role, lg.*, ws.reserved, ws.backordered,
    COALESCE(po.open_po, 0), b.*
FROM ledger lg
JOIN catalog_sku s ON s.id = lg.sku_id JOIN catalog_product p ON p.id = s.product_id
LEFT JOIN inventory_warehousestock ws ON ws.sku_id = lg.sku_id AND ws.warehouse_id = lg.wh
LEFT JOIN open_po po ON po.sku_id = lg.sku_id AND po.wh = lg.wh
LEFT JOIN best b ON b.sku_id = lg.sku_id
"""


def _child(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from purchasing import reports

    def _day_start(day):
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    start_day = AS_OF - timedelta(days=settings.PURCHASING_DEMAND_DAYS - 1)
    params = {
        "end": _day_start(AS_OF + timedelta(days=1)),
        "start": _day_start(start_day),
        "before": start_day - timedelta(days=1),
        "after": AS_OF + timedelta(days=1),
        "as_of": AS_OF,
        "tz": settings.TIME_ZONE,
    }
    floor = base._connect(DATABASE)
    with floor.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute(
            "SELECT set_config('work_mem', %s, false)", [settings.INVENTORY_SLOW_WORK_MEM]
        )
    # Report and floor alternate, so that the load of a shared machine weighs on both alike.
    report_times, floor_times, rows, suggested, floor_rows = [], [], 0, 0, 0
    for _run in range(runs):
        started = time.perf_counter()
        df = reports.restock(as_of=AS_OF)
        report_times.append(time.perf_counter() - started)
        rows, suggested = len(df), int((df["suggested_quantity"] > 0).sum())
        del df
        started = time.perf_counter()
        with floor.cursor() as cursor:
            cursor.execute(FLOOR_SQL, params)
            floor_rows = len(cursor.fetchall())
        floor_times.append(time.perf_counter() - started)
    floor.close()
    connection.close()
    print(
        json.dumps(
            {
                "report": report_times,
                "floor": floor_times,
                "rows": rows,
                "suggested": suggested,
                "floor_rows": floor_rows,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=2_000_000)
    parser.add_argument("--po-lines", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.runs)
        return

    seeded = purchasing = None
    if not args.reuse:
        base._recreate()
        seeded = base._seed(args.skus, args.moves)
        purchasing = _seed_purchasing(args.po_lines)
        print(f"seeded {seeded} {purchasing}", flush=True)
    result = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, __file__, "--child", "--runs", str(args.runs)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": base._url(DATABASE)},
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)[1])
    report = statistics.median(data["report"])
    floor = statistics.median(data["floor"])
    ratio = report / floor
    rss_mib = rss_kib / 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "DATABASE_URL=postgres://…/127.0.0.1 .venv/bin/python bench/bench_restock.py " + (
        " ".join(sys.argv[1:])
    )
    data_line = (
        f"{data['rows']:,} SKU × warehouse rows, {data['suggested']:,} suggestions, as of {AS_OF}"
        + (
            f"; seeded {seeded['skus']:,} SKUs, {seeded['lots']:,} lots, {seeded['moves']:,} stock "
            f"moves, {purchasing['offers']:,} offers, {purchasing['po_lines']:,} open PO lines in "
            f"{seeded['seconds'] + purchasing['seconds']:.0f} s"
            if seeded
            else " (database reused)"
        )
    )
    rss_met = "met" if rss_mib < 1024 else "not met"
    section = f"""
## Restock report, 100k SKUs × 2M moves × 20k open PO lines — {now}

`{command.strip()}`

commit {commit}; {base._machine()}. The machine's 2 CPUs were shared with two other
helpers running their test suites, so absolute times vary; report and floor ran in the
same child process, alternating run by run.

- Data: {data_line}
- Report = `purchasing.reports.restock(as_of=…)`: supplier scorecards, the one aggregation
  query, the offer choice for every row, the maths and the reasons of the suggestions, as a
  DataFrame. Floor = one hand-written SQL query with the same per SKU × warehouse aggregates
  and the first-ranked offer (`DISTINCT ON`), psycopg2 `fetchall`, same session settings
  (jit off, work_mem {"from INVENTORY_SLOW_WORK_MEM"}). {args.runs} runs each; peak RSS from
  `/usr/bin/time -v` on the child process that ran both.

| measure | median | runs | goal |
|---|---:|---|---|
| report | {report:.2f} s | {", ".join(f"{t:.2f}" for t in data["report"])} | |
| floor (hand-written SQL) | {floor:.2f} s | {", ".join(f"{t:.2f}" for t in data["floor"])} | |
| report ÷ floor | {ratio:.2f}× | | ≤ 1.5× ({"met" if ratio <= 1.5 else "not met"}) |
| peak RSS (report + floor process) | {rss_mib:.0f} MiB | | < 1 GiB ({rss_met}) |
"""
    print(section)
    with RESULTS.open("a") as results:
        results.write(section)


if __name__ == "__main__":
    main()
