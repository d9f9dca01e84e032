"""Reservation throughput benchmark (not a test): many buyers, one hot SKU, no oversell.

In a fresh PostgreSQL database (``jingxi_bench_reservations``, dropped, created and migrated)
each run receives ``--units`` units of a new SKU, then ``--workers`` concurrent workers, each
with its own database connection, call ``inventory.services.stock_reserve`` for one unit at a
time until the SKU is sold out. It reports reservations per second, the latency of a
reservation (median, p99) and proves that nothing was oversold: successes equal the units,
reserved equals on hand, one reservation row per success, and ``check_stock_integrity``
agrees. Goal: at least 2,000 reservations per second with 16 workers.

Workers are threads of one process by default, as in a threaded app server or worker;
``--mode processes`` runs 16 Python processes, which on a small server compete for the CPUs
with the PostgreSQL backend that holds the hot row's lock. A last "floor" run sends the
service's own SQL statement from bare psycopg2 workers: the most this machine allows.

It prints a markdown table and appends it to ``bench/RESULTS.md``. The server comes from
``DATABASE_URL`` (only the database name is replaced)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \
        bench/bench_reservations.py [--workers 16] [--units 20000] [--runs 3] \
        [--mode threads|processes]
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = "jingxi_bench_reservations"
GOAL_PER_SECOND = 2000

sys.path.insert(0, str(ROOT))

from benchdb import database_url, git_state, recreate_database  # noqa: E402


def setup_stock(units: int, run: int) -> tuple[int, int]:
    """Give a new hot SKU ``units`` on hand (a fresh stock row each run); return the ids."""
    from decimal import Decimal

    from catalog import services as catalog_services
    from catalog.models import SKU, Category, Product
    from inventory import services
    from inventory.enums import SlotType
    from inventory.models import Slot, Warehouse

    if run == 0:
        top = catalog_services.category_create(name="基准", code="BENCH-0")
        middle = catalog_services.category_create(name="基准中类", code="BENCH-1", parent=top)
        leaf = catalog_services.category_create(name="基准小类", code="BENCH-2", parent=middle)
        warehouse = Warehouse.objects.create(code="BENCH", name="基准仓")
        Slot.objects.create(
            warehouse=warehouse, code="A-01-01-1", zone="A", slot_type=SlotType.PICK
        )
    leaf = Category.objects.get(code="BENCH-2")
    warehouse = Warehouse.objects.get(code="BENCH")
    slot = Slot.objects.get(warehouse=warehouse)
    product = Product.objects.create(code=f"BENCH-P{run}", name="爆款", category=leaf)
    sku = SKU.objects.create(product=product, code=f"HOT-SKU-{run}", name="爆款")
    services.stock_receive(
        slot=slot, lines=[services.ReceiptLine(sku=sku, quantity=units, unit_cost=Decimal("9"))]
    )
    return warehouse.pk, sku.pk


def buyer(worker: int, warehouse_id: int, sku_id: int, start, results) -> None:
    """Reserve one unit at a time until the SKU is sold out; report successes and latencies."""
    from django.db import connection

    from catalog.models import SKU
    from inventory import services
    from inventory.exceptions import InsufficientStock
    from inventory.models import Warehouse

    warehouse, sku = Warehouse.objects.get(pk=warehouse_id), SKU.objects.get(pk=sku_id)
    latencies, n = [], 0
    start.wait()
    try:
        while True:
            began = time.perf_counter()
            try:
                services.stock_reserve(
                    warehouse=warehouse,
                    lines=[services.StockLine(sku, 1, "bench_order", f"{worker}-{n}")],
                )
            except InsufficientStock:
                break
            latencies.append(time.perf_counter() - began)
            n += 1
    finally:
        connection.close()
    results.put((n, time.perf_counter(), latencies))


def process_buyer(worker, warehouse_id, sku_id, start, results) -> None:
    import django

    django.setup()
    buyer(worker, warehouse_id, sku_id, start, results)


def floor_buyer(worker, dsn: str, sql: str, params: list, start, results) -> None:
    """Run the service's own statement from bare psycopg2: what the machine allows at best."""
    import psycopg2

    db = psycopg2.connect(dsn)
    db.autocommit = True
    cursor = db.cursor()
    latencies, n = [], 0
    start.wait()
    while True:
        began = time.perf_counter()
        cursor.execute(sql, params)
        if not cursor.fetchall():
            break
        latencies.append(time.perf_counter() - began)
        n += 1
    db.close()
    results.put((n, time.perf_counter(), latencies))


def floor_statement(warehouse_id: int, sku_id: int) -> tuple[str, list]:
    """Return the one-statement reservation SQL of ``inventory.services`` and its params."""
    from django.utils import timezone

    from inventory.models import Reservation
    from inventory.services import holds

    hold = Reservation(
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        quantity=1,
        reference_type="bench_order",
        reference_id="floor",
        created_at=timezone.now(),
    )
    sql = holds._one_statement_sql(Reservation, "reserved", 1, holds._relaxed_commit(True))
    # None: the reservation leaves the whole backordered column (the default).
    return sql, [1, warehouse_id, sku_id, None, 1, *holds._hold_values([hold])]


def run(
    *, workers: int, mode: str, warehouse_id: int, sku_id: int, floor_dsn: str | None = None
) -> tuple[list, float]:
    from django.db import connections

    if floor_dsn:
        sql, params = floor_statement(warehouse_id, sku_id)
    connections.close_all()
    if mode == "threads":
        import queue

        results = queue.Queue()
        start = threading.Barrier(workers + 1)
        pool = [
            threading.Thread(
                target=floor_buyer if floor_dsn else buyer,
                args=(w, floor_dsn, sql, params, start, results)
                if floor_dsn
                else (w, warehouse_id, sku_id, start, results),
            )
            for w in range(workers)
        ]
    else:
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start = context.Barrier(workers + 1)
        pool = [
            context.Process(
                target=floor_buyer if floor_dsn else process_buyer,
                args=(w, floor_dsn, sql, params, start, results)
                if floor_dsn
                else (w, warehouse_id, sku_id, start, results),
            )
            for w in range(workers)
        ]
    for worker in pool:
        worker.start()
    start.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in pool]
    for worker in pool:
        worker.join()
    # The clock stops when the last buyer learnt the SKU was sold out.
    return outcomes, max(finished for _n, finished, _l in outcomes) - began


def verify(units: int, successes: int, warehouse_id: int, sku_id: int) -> dict:
    from inventory.models import Reservation, WarehouseStock
    from inventory.selectors import stock_integrity_mismatches

    stock = WarehouseStock.objects.get(warehouse_id=warehouse_id, sku_id=sku_id)
    return {
        "successes": successes,
        "oversold": successes - units,
        "reserved": stock.reserved,
        "on_hand": stock.on_hand,
        "reservation_rows": Reservation.objects.filter(sku_id=sku_id).count(),
        "integrity_mismatches": len(stock_integrity_mismatches()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument(
        "--mode",
        choices=["threads", "processes"],
        default="threads",
        help="threads: one process, as a threaded app server or worker runs (default)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh SKU")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    url = database_url(os.environ.get("DATABASE_URL", DEFAULT_URL), DATABASE)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if migrate.returncode:
        sys.exit(migrate.stderr)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    rows, rates, ok = [], [], True
    for number in range(args.runs + 1):
        floor = number == args.runs  # the last run: the same statement without Django
        warehouse_id, sku_id = setup_stock(args.units, number)
        time.sleep(5)  # let the load of the setup settle
        load = os.getloadavg()[0]
        outcomes, seconds = run(
            workers=args.workers,
            mode=args.mode,
            warehouse_id=warehouse_id,
            sku_id=sku_id,
            floor_dsn=url if floor else None,
        )
        latencies = sorted(latency for _n, _f, worker in outcomes for latency in worker)
        successes = sum(n for n, _f, _l in outcomes)
        checks = verify(args.units, successes, warehouse_id, sku_id)
        rate = successes / seconds
        if not floor:
            rates.append(rate)
        run_ok = (
            checks["oversold"] == 0
            and checks["reserved"] == checks["on_hand"] == args.units
            and checks["reservation_rows"] == successes
            and checks["integrity_mismatches"] == 0
        )
        ok = ok and run_ok
        p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
        rows.append(
            f"| {'floor: bare psycopg2' if floor else number + 1} | {rate:,.0f} | "
            f"{seconds:.2f} s | "
            f"{statistics.median(latencies) * 1000:.2f} / {p99 * 1000:.2f} ms | "
            f"{successes:,} | {checks['oversold']} | {checks['reserved']:,} / "
            f"{checks['on_hand']:,} | {checks['reservation_rows']:,} | "
            f"{checks['integrity_mismatches']} | {load:.1f} |"
        )
    rate = statistics.median(rates)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]

    command = (
        f"DATABASE_URL=postgres://…/{urlsplit(url).hostname} .venv/bin/python "
        f"bench/bench_reservations.py --workers {args.workers} --units {args.units} "
        f"--mode {args.mode} --runs {args.runs}"
    )
    table = "\n".join(
        [
            f"## Reservations on one hot SKU — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`{command}`  ",
            f"commit {git_state('inventory')}; PostgreSQL {server} "
            f"(synchronous_commit={synchronous_commit}"
            f", INVENTORY_RESERVE_ASYNC_COMMIT={settings.INVENTORY_RESERVE_ASYNC_COMMIT})"
            f"; Python {platform.python_version()}; {os.cpu_count()} CPUs; {args.workers} "
            f"{args.mode}, one connection each; {args.units:,} units per run",
            "",
            "| run | reservations/s | sell-out time | latency median / p99 | successes "
            "| oversold | reserved / on hand | reservation rows | integrity mismatches "
            "| load avg before |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Median {rate:,.0f} reservations/s through `stock_reserve` (goal ≥ "
            f"{GOAL_PER_SECOND:,}); oversold units in every run: {'0' if ok else 'SOME — FAIL'}. "
            f"The floor run sends the service's own statement from bare psycopg2 {args.mode}: "
            "the ceiling of this machine for the same work.",
            "",
        ]
    )
    print(table)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
