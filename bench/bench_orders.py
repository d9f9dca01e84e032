"""Order benchmark (not a test): durable orders, each beside its bare-SQL floor.

In a fresh PostgreSQL database (``jingxi_bench_orders``: dropped, created, migrated), with
``synchronous_commit`` on and both ``*_ASYNC_COMMIT`` settings off (every order durable at
commit), it runs two scenarios, each followed by its floor in the same run:

* **hot SKU** — ``--workers`` concurrent workers (``--split``: P processes of T threads, one
  connection each) place paid channel orders of one unit of one hot SKU through
  ``orders.services.order_place``, one transaction per order, ``--hot-orders`` per worker.
  Every buyer wants the same stock row, so each commit's flush is waited for under its lock.
  The floor: the same workers as threads of bare psycopg2 sending the statements the service
  sends for such an order, built from its own SQL (``_insert_sql`` for the order, its line and
  the link; inventory's ``_one_statement_sql`` for the reservation), checking every row count
  (the reservation statement must return its row: the take succeeded), then ``COMMIT``.
* **batch** — ``--batches`` imports of ``--batch`` paid channel orders of 1–3 lines (1–2 units
  of SKUs among ``--skus``) through ``orders.imports.orders_import``: the rows checked, the
  orders placed as one batch (``channel_orders_place``), one transaction and one commit per
  import. The floor: bare psycopg2 sending the batch's statements in one transaction — the
  listings read, the stock rows locked and read, then the orders, their lines, their
  reservations, the reserved column of each SKU and the links, each in one statement of at
  most a thousand rows (the service's own SQL) — checking every row count and that every
  take fits, then one ``COMMIT``.

It checks that every order was allocated, that reserved units equal ordered units and that
``check_stock_integrity`` finds nothing, prints a markdown section with the load average
before each run and appends it to ``bench/RESULTS.md``. One command, about a minute on an
idle 2-CPU machine. The server comes from ``DATABASE_URL`` (the database name is replaced)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \\
        bench/bench_orders.py [--workers 16] [--split 2x8] [--hot-orders 100] \\
        [--batch 500] [--batches 3]
"""

import argparse
import multiprocessing
import os
import platform
import random
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
DATABASE = "jingxi_bench_orders"

sys.path.insert(0, str(ROOT))

from benchdb import database_url, git_state, recreate_database  # noqa: E402


def setup(skus: int) -> dict:
    """A warehouse with ``skus`` SKUs in stock plus one hot SKU, and a Tmall shop."""
    from decimal import Decimal

    from catalog import services as catalog_services
    from catalog.models import SKU, Product
    from inventory import services
    from inventory.enums import SlotType
    from inventory.models import Slot, Warehouse
    from orders.enums import ChannelKind
    from orders.models import Channel, Shop

    top = catalog_services.category_create(name="基准", code="BENCH-0")
    middle = catalog_services.category_create(name="基准中类", code="BENCH-1", parent=top)
    leaf = catalog_services.category_create(name="基准小类", code="BENCH-2", parent=middle)
    warehouse = Warehouse.objects.create(code="BENCH", name="基准仓")
    slot = Slot.objects.create(
        warehouse=warehouse, code="A-01-01-1", zone="A", slot_type=SlotType.PICK
    )
    product = Product.objects.create(code="BENCH-P", name="基准商品", category=leaf)
    rows = SKU.objects.bulk_create(
        SKU(
            product=product,
            code=f"B-{n:05d}",
            name=f"基准 {n}",
            barcode=f"69{n:011d}",
            retail_price=Decimal("19.90") + n,
        )
        for n in range(skus + 1)
    )
    services.stock_receive(
        slot=slot,
        lines=[
            services.ReceiptLine(sku=sku, quantity=10_000_000, unit_cost=Decimal("9"))
            for sku in rows
        ],
    )
    tmall = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(channel=tmall, code="TM1", name="旗舰店", warehouse=warehouse)
    return {
        "shop": shop.pk,
        "warehouse": warehouse.pk,
        "hot": rows[-1].pk,
        "skus": [sku.pk for sku in rows[:-1]],
        "codes": {sku.pk: sku.code for sku in rows},
    }


def order_lines(rng: random.Random, pool: list) -> list[tuple[object, int]]:
    return sorted((c, rng.randint(1, 2)) for c in rng.sample(pool, rng.randint(1, 3)))


class Shapes:
    """The service's own statements and parameter rows, for the floors (PostgreSQL)."""

    def __init__(self, world: dict):
        from django.db import connection
        from django.utils import timezone

        from inventory.models import Reservation
        from inventory.services import holds
        from orders.enums import OrderSource, OrderStatus, PriceType
        from orders.models import LineReservation, SalesOrder, SalesOrderLine
        from orders.services import shared

        self.order_sql, order_fields = shared._insert_sql(SalesOrder, 1)
        now = timezone.now()
        order = SalesOrder(
            shop_id=world["shop"],
            number="?",
            source=OrderSource.CHANNEL,
            warehouse_id=world["warehouse"],
            status=OrderStatus.ALLOCATED,
            placed_at=now,
            paid_at=now,
        )
        self.order_row = [
            f.get_db_prep_save(getattr(order, f.attname), connection) for f in order_fields
        ]
        self.order_number_at = [f.attname for f in order_fields].index("number")
        line = SalesOrderLine(
            order_id=0, line_no=1, sku_id=0, quantity=1, price_type=PriceType.RETAIL,
            unit_price="19.90",
        )  # fmt: skip
        _sql, self.line_fields = shared._insert_sql(SalesOrderLine, 1)
        self.line_row = [
            f.get_db_prep_save(getattr(line, f.attname), connection) for f in self.line_fields
        ]
        self.line_at = {
            name: [f.attname for f in self.line_fields].index(name)
            for name in ("order_id", "line_no", "sku_id", "platform_code", "quantity")
        }
        hold = Reservation(
            warehouse_id=world["warehouse"], sku_id=0, quantity=1,
            reference_type="sales_order", reference_id="?", created_at=now,
        )  # fmt: skip
        self.hold_fields = holds._hold_fields(Reservation)
        self.hold_row = holds._hold_values([hold])
        self.hold_at = {
            name: [f.attname for f in self.hold_fields].index(name)
            for name in ("sku_id", "quantity", "reference_id")
        }
        self.reserve_one_sql = holds._one_statement_sql(Reservation, "reserved", 1, "")
        self.free_sql = holds._FREE_SQL.format(table=holds._stock_table())
        self.add_reserved = holds._add_reserved_sql
        quote = connection.ops.quote_name
        self.orders_insert = lambda n: (
            shared._insert_sql(SalesOrder, n, skip_conflicts=True)[0]
            + f", {quote('shop_id')}, {quote('number')}"
        )
        self.line_insert = lambda n: shared._insert_sql(SalesOrderLine, n)[0]
        self.hold_insert = lambda n: shared._insert_sql(Reservation, n)[0]
        self.link_insert = lambda n: shared._insert_sql(LineReservation, n)[0]
        self.warehouse = world["warehouse"]

    def order_params(self, number: str) -> list:
        row = list(self.order_row)
        row[self.order_number_at] = number
        return row

    def line_params(self, order_id: int, lines, codes: dict, first_no: int = 1) -> list:
        params = []
        for number, (sku, quantity) in enumerate(lines, start=first_no):
            row = list(self.line_row)
            row[self.line_at["order_id"]], row[self.line_at["line_no"]] = order_id, number
            row[self.line_at["sku_id"]], row[self.line_at["quantity"]] = sku, quantity
            row[self.line_at["platform_code"]] = codes.get(sku, "")
            params += row
        return params

    def hold_params(self, lines, reference: str) -> list:
        params = []
        for sku, quantity in lines:
            row = list(self.hold_row)
            row[self.hold_at["sku_id"]], row[self.hold_at["quantity"]] = sku, quantity
            row[self.hold_at["reference_id"]] = reference
            params += row
        return params

    def place_one(self, cursor, number: str, sku: int) -> None:
        """Send the statements of a paid order of one unit of ``sku`` (order, line,
        reservation in one statement, link) and check every row count; raise when the take
        failed or a row is missing."""
        lines = [(sku, 1)]
        cursor.execute(self.order_sql, self.order_params(number))
        order_id = cursor.fetchone()[0]
        cursor.execute(self.line_insert(1), self.line_params(order_id, lines, {}))
        line_ids = [row[0] for row in cursor.fetchall()]
        if len(line_ids) != 1:
            raise AssertionError("line not inserted")
        cursor.execute(
            self.reserve_one_sql,
            [1, self.warehouse, sku, None, 1, *self.hold_params(lines, number)],
        )
        hold_ids = [row[0] for row in cursor.fetchall()]
        if len(hold_ids) != 1:
            raise AssertionError(f"order {number}: the take of SKU {sku} failed")
        cursor.execute(self.link_insert(1), [line_ids[0], hold_ids[0]])
        if cursor.rowcount != 1:
            raise AssertionError("link not inserted")


# --- Hot SKU --------------------------------------------------------------------------------


def hot_worker(worker: int, world: dict, count: int, start, results) -> None:
    from django.db import connection
    from django.utils import timezone

    from catalog.models import SKU
    from orders import services
    from orders.enums import OrderSource, OrderStatus
    from orders.models import Shop

    shop = Shop.objects.select_related("warehouse").get(pk=world["shop"])
    hot = SKU.objects.get(pk=world["hot"])
    latencies, failures = [], 0
    start.wait()
    try:
        for n in range(count):
            began = time.perf_counter()
            order = services.order_place(
                shop=shop,
                number=f"HOT-{worker}-{n}",
                source=OrderSource.CHANNEL,
                paid_at=timezone.now(),
                lines=[services.OrderLineInput(quantity=1, sku=hot)],
            )
            latencies.append(time.perf_counter() - began)
            failures += order.status != OrderStatus.ALLOCATED
    finally:
        connection.close()
    results.put((count, failures, time.perf_counter(), latencies))


def process_hot_workers(ids, world, count, start, results) -> None:
    """One process running a thread per worker id (as gunicorn's gthread workers do)."""
    import django

    django.setup()
    pool = [
        threading.Thread(target=hot_worker, args=(w, world, count, start, results)) for w in ids
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def run_hot(*, workers: int, split: str, world: dict, count: int):
    from django.db import connections

    connections.close_all()
    processes = int(split.split("x")[0])
    context = multiprocessing.get_context("fork")
    results, start = context.Queue(), context.Barrier(workers + 1)
    pool = [
        context.Process(
            target=process_hot_workers,
            args=(range(p, workers, processes), world, count, start, results),
        )
        for p in range(processes)
    ]
    for process in pool:
        process.start()
    start.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in range(workers)]
    for process in pool:
        process.join()
    return outcomes, max(finished for _c, _f, finished, _l in outcomes) - began


def hot_floor_worker(worker, dsn, shapes, world, count, start, results) -> None:
    import psycopg2

    db = psycopg2.connect(dsn)
    cursor = db.cursor()
    latencies, failures = [], 0
    start.wait()
    for n in range(count):
        began = time.perf_counter()
        try:
            shapes.place_one(cursor, f"HOTF-{worker}-{n}", world["hot"])
            db.commit()
        except AssertionError:
            db.rollback()
            failures += 1
        latencies.append(time.perf_counter() - began)
    db.close()
    results.put((count, failures, time.perf_counter(), latencies))


def run_hot_floor(*, workers: int, dsn: str, shapes, world: dict, count: int):
    import queue

    results, start = queue.Queue(), threading.Barrier(workers + 1)
    pool = [
        threading.Thread(
            target=hot_floor_worker, args=(w, dsn, shapes, world, count, start, results)
        )
        for w in range(workers)
    ]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in range(workers)]
    for thread in pool:
        thread.join()
    return outcomes, max(finished for _c, _f, finished, _l in outcomes) - began


# --- Batch ----------------------------------------------------------------------------------


def batch_orders(world: dict, size: int, tag: str, seed: int) -> list[tuple[str, list]]:
    rng = random.Random(seed)
    return [(f"{tag}-{n:05d}", order_lines(rng, world["skus"])) for n in range(size)]


def run_batch(world: dict, orders: list) -> tuple[float, int]:
    """Import ``orders`` as rows of a file (the rows checked, one batch, one commit)."""
    from orders.imports import orders_import

    paid = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        {
            "channel": "TMALL",
            "shop": "TM1",
            "order_number": number,
            "customer": "",
            "sku": world["codes"][sku],
            "quantity": str(quantity),
            "unit_price": "19.90",
            "paid_at": paid,
        }
        for number, lines in orders
        for sku, quantity in lines
    ]
    began = time.perf_counter()
    # Rows by the sheet row they would stand on (the header is row 1), as the reader gives them.
    result = orders_import(raw_rows=dict(enumerate(rows, start=2)))
    return time.perf_counter() - began, len(orders) - result.orders


def run_batch_floor(dsn: str, shapes, world: dict, orders: list) -> tuple[float, int]:
    """The batch's statements from bare psycopg2, in one transaction with one COMMIT: the
    listings read, the stock rows locked and read, then the orders, their lines, their
    reservations, the stock rows' reserved column and the links, each in one statement of
    at most a thousand rows, every row count checked."""
    import psycopg2

    from orders.services.placement import ROWS_PER_STATEMENT

    db = psycopg2.connect(dsn)
    cursor = db.cursor()
    codes, warehouse = world["codes"], world["warehouse"]
    skus = sorted({sku for _n, lines in orders for sku, _q in lines})
    began = time.perf_counter()
    cursor.execute(
        "SELECT platform_sku_code, sku_id FROM orders_channellisting "
        "WHERE shop_id = %s AND platform_sku_code = ANY(%s)",
        [world["shop"], [codes[sku] for sku in skus]],
    )
    cursor.fetchall()
    cursor.execute(
        "SELECT id FROM inventory_warehousestock WHERE warehouse_id = %s AND sku_id = ANY(%s) "
        "ORDER BY sku_id FOR UPDATE",
        [warehouse, skus],
    )
    if cursor.rowcount != len(skus):
        raise AssertionError("stock rows missing")
    cursor.execute(shapes.free_sql, [warehouse, skus])
    free = dict(cursor.fetchall())
    order_ids = {}
    for chunk in chunks(orders, ROWS_PER_STATEMENT):
        cursor.execute(
            shapes.orders_insert(len(chunk)),
            [v for number, _lines in chunk for v in shapes.order_params(number)],
        )
        order_ids |= {number: pk for pk, _shop, number in cursor.fetchall()}
    if len(order_ids) != len(orders):
        raise AssertionError("orders not inserted")
    lines = [
        (order_ids[n], n, no, sku, q)
        for n, order_lines in orders
        for no, (sku, q) in enumerate(order_lines, start=1)
    ]
    line_ids = []
    for chunk in chunks(lines, ROWS_PER_STATEMENT):
        params = []
        for order_id, _number, no, sku, quantity in chunk:
            params += shapes.line_params(order_id, [(sku, quantity)], codes, first_no=no)
        cursor.execute(shapes.line_insert(len(chunk)), params)
        line_ids += [row[0] for row in cursor.fetchall()]
    if len(line_ids) != len(lines):
        raise AssertionError("lines not inserted")
    taken: dict[int, int] = {}
    for _order_id, _number, _no, sku, quantity in lines:
        if free[sku] < quantity:
            raise AssertionError(f"SKU {sku} is short")
        free[sku] -= quantity
        taken[sku] = taken.get(sku, 0) + quantity
    hold_ids = []
    for chunk in chunks(lines, ROWS_PER_STATEMENT):
        params = []
        for _order_id, number, _no, sku, quantity in chunk:
            params += shapes.hold_params([(sku, quantity)], number)
        cursor.execute(shapes.hold_insert(len(chunk)), params)
        hold_ids += [row[0] for row in cursor.fetchall()]
    if len(hold_ids) != len(lines):
        raise AssertionError("reservations not inserted")
    cursor.execute(
        shapes.add_reserved(len(taken)),
        [v for sku in sorted(taken) for v in (sku, taken[sku])] + [warehouse],
    )
    if cursor.rowcount != len(taken):
        raise AssertionError("the take of a SKU failed")
    pairs = list(zip(line_ids, hold_ids, strict=True))
    for chunk in chunks(pairs, ROWS_PER_STATEMENT):
        cursor.execute(shapes.link_insert(len(chunk)), [v for pair in chunk for v in pair])
        if cursor.rowcount != len(chunk):
            raise AssertionError("links not inserted")
    db.commit()
    seconds = time.perf_counter() - began
    db.close()
    return seconds, 0


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Checks and report ------------------------------------------------------------------


def verify() -> dict:
    from django.db.models import Sum

    from inventory.models import WarehouseStock
    from inventory.selectors import stock_integrity_mismatches
    from orders.enums import OrderStatus
    from orders.models import SalesOrder, SalesOrderLine

    return {
        "orders": SalesOrder.objects.count(),
        "not_allocated": SalesOrder.objects.exclude(status=OrderStatus.ALLOCATED).count(),
        "units": SalesOrderLine.objects.aggregate(n=Sum("quantity"))["n"] or 0,
        "reserved": WarehouseStock.objects.aggregate(n=Sum("reserved"))["n"] or 0,
        "mismatches": len(stock_integrity_mismatches()),
    }


def floor_units(orders: list) -> int:
    return sum(quantity for _n, lines in orders for _sku, quantity in lines)


def hot_row(label: str, outcomes, seconds: float, load: float) -> tuple[str, float]:
    latencies = sorted(latency for *_rest, worker in outcomes for latency in worker)
    done = sum(count for count, *_rest in outcomes)
    failures = sum(failed for _c, failed, *_rest in outcomes)
    rate = done / seconds
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
    return (
        f"| {label} | {rate:,.0f} orders/s | {done:,} in {seconds:.2f} s | "
        f"{statistics.median(latencies) * 1000:.1f} / {p99 * 1000:.1f} ms | {failures} | "
        f"{load:.1f} |",
        rate,
    )


def load_now() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--split", default="2x8", help="workers as PxT: P processes, T threads")
    parser.add_argument("--hot-orders", type=int, default=100, help="orders per worker")
    parser.add_argument("--batch", type=int, default=500, help="channel orders per batch")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    load_at_start = os.getloadavg()

    url = database_url(os.environ.get("DATABASE_URL", DEFAULT_URL), DATABASE)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["ORDERS_PLACE_ASYNC_COMMIT"] = "false"
    os.environ["INVENTORY_RESERVE_ASYNC_COMMIT"] = "false"
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

    assert not settings.ORDERS_PLACE_ASYNC_COMMIT and not settings.INVENTORY_RESERVE_ASYNC_COMMIT
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    if synchronous_commit != "on":
        sys.exit(f"synchronous_commit is {synchronous_commit}: the benchmark measures durable")
    world = setup(args.skus)
    shapes = Shapes(world)
    # The first import creates the shop's listings; warm it up on a batch of its own.
    run_batch(world, batch_orders(world, args.batch, "WARM", 0))

    hot_rows, batch_rows, ok = [], [], True
    time.sleep(2)
    load = load_now()
    outcomes, seconds = run_hot(
        workers=args.workers, split=args.split, world=world, count=args.hot_orders
    )
    text, hot_rate = hot_row(
        f"service: `order_place`, {args.split.replace('x', ' processes × ')} threads",
        outcomes,
        seconds,
        load,
    )
    hot_rows.append(text)
    ok = ok and sum(f for _c, f, *_r in outcomes) == 0
    time.sleep(2)
    load = load_now()
    outcomes, seconds = run_hot_floor(
        workers=args.workers, dsn=url, shapes=shapes, world=world, count=args.hot_orders
    )
    text, hot_floor_rate = hot_row(
        f"floor: the service's SQL from bare psycopg2, {args.workers} threads",
        outcomes,
        seconds,
        load,
    )
    hot_rows.append(text)
    ok = ok and sum(f for _c, f, *_r in outcomes) == 0

    service_rates, floor_rates = [], []
    for number in range(args.batches):
        for floor in (False, True):
            orders = batch_orders(world, args.batch, f"{'F' if floor else 'S'}{number}", number + 1)
            time.sleep(1)
            load = load_now()
            if floor:
                seconds, failed = run_batch_floor(url, shapes, world, orders)
            else:
                seconds, failed = run_batch(world, orders)
            rate = len(orders) / seconds
            (floor_rates if floor else service_rates).append(rate)
            ok = ok and failed == 0
            label = (
                "floor: the batch's SQL from bare psycopg2, one transaction"
                if floor
                else "service: `orders_import` (rows checked, one batch, one transaction)"
            )
            batch_rows.append(
                f"| {number + 1} | {label} | {rate:,.0f} orders/s | {len(orders):,} orders, "
                f"{floor_units(orders):,} units in {seconds * 1000:,.0f} ms | {failed} | "
                f"{load:.1f} |"
            )
    checks = verify()
    ok = ok and checks["not_allocated"] == 0 and checks["mismatches"] == 0
    ok = ok and checks["units"] == checks["reserved"]
    batch_rate, batch_floor = statistics.median(service_rates), statistics.median(floor_rates)
    command = (
        f"DATABASE_URL=postgres://…/{urlsplit(url).hostname} .venv/bin/python "
        f"bench/bench_orders.py --workers {args.workers} --split {args.split} "
        f"--hot-orders {args.hot_orders} --batch {args.batch} --batches {args.batches} "
        f"--skus {args.skus}"
    )
    table = "\n".join(
        [
            f"## Durable orders: one hot SKU and batches of channel orders — "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`{command}`  ",
            f"commit {git_state('orders', 'inventory')}; PostgreSQL {server} "
            f"(synchronous_commit={synchronous_commit}; ORDERS_PLACE_ASYNC_COMMIT and "
            f"INVENTORY_RESERVE_ASYNC_COMMIT off: every order durable at commit); Python "
            f"{platform.python_version()}; {os.cpu_count()} CPUs; load average at start "
            f"{load_at_start[0]:.1f} / {load_at_start[1]:.1f} / {load_at_start[2]:.1f} "
            "(1 / 5 / 15 min; the machine is shared, see the last column per run)",
            "",
            f"One hot SKU: {args.workers} workers place paid channel orders of 1 unit of the same "
            f"SKU, one transaction each, {args.hot_orders} per worker.",
            "",
            "| run | rate | orders | latency median / p99 | failures | load avg before |",
            "|---|---|---|---|---|---|",
            *hot_rows,
            "",
            f"Batches of {args.batch} paid channel orders of 1–3 lines (1–2 units each) of "
            f"{args.skus:,} SKUs, one transaction per batch, service and floor alternating.",
            "",
            "| batch | run | rate | work | failures | load avg before |",
            "|---|---|---|---|---|---|",
            *batch_rows,
            "",
            f"Hot SKU: {hot_rate:,.0f} orders/s through `order_place`, {hot_floor_rate:,.0f} "
            f"for its SQL from bare psycopg2 (service ÷ floor {hot_rate / hot_floor_rate:.2f}). "
            f"Batch of {args.batch}: median {batch_rate:,.0f} orders/s through the import, "
            f"{batch_floor:,.0f} for its SQL (÷ {batch_rate / batch_floor:.2f}). After all runs: "
            f"{checks['orders']:,} orders, every one allocated: "
            f"{'yes' if checks['not_allocated'] == 0 else 'NO'}; reserved units "
            f"{checks['reserved']:,} = ordered units {checks['units']:,}: "
            f"{'yes' if checks['reserved'] == checks['units'] else 'NO'}; integrity mismatches "
            f"{checks['mismatches']}.",
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
