"""Order placement benchmark (not a test): orders per second with 16 concurrent workers.

In a fresh PostgreSQL database (``jingxi_bench_orders``: dropped, created, migrated), a
warehouse holds ``--skus`` SKUs with plenty of stock. Then:

* **service** — ``--workers`` concurrent workers (``--split``: 2 processes of 8 threads,
  one process per CPU; then 16 threads of one process and 16 processes), each
  with its own connection, place paid channel orders of 1–3 lines (1–2 units of random
  SKUs) through ``orders.services.order_place``: listing resolution, price capture, order
  and line rows, reservations and their links, all in one transaction per order.
* **http** — gunicorn serves the app on this machine; ``--workers`` client threads (in a
  separate process), each logged in as the support user, post the staff order form
  (``/orders/new/``), which validates the form and calls the same service.

It reports orders per second, latency (median, p99), and checks that every order was
allocated, reserved stock equals ordered units and ``check_stock_integrity`` agrees. Goal:
at least 500 orders/s through the service. It prints a markdown section and appends it to
``bench/RESULTS.md``. The server comes from ``DATABASE_URL`` (the database name is
replaced)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \\
        bench/bench_orders.py [--workers 16] [--orders 300] [--split 2x8]
"""

import argparse
import http.client
import multiprocessing
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = "jingxi_bench_orders"
GOAL_PER_SECOND = 500
PORT = 8765

sys.path.insert(0, str(ROOT))

from benchdb import database_url, git_state, recreate_database  # noqa: E402


def setup(skus: int) -> dict:
    """A warehouse with ``skus`` SKUs in stock, a Tmall shop and the staff desk."""
    from decimal import Decimal

    from catalog import services as catalog_services
    from catalog.models import SKU, Product
    from inventory import services
    from inventory.enums import SlotType
    from inventory.models import Slot, Warehouse
    from orders.enums import ChannelKind
    from orders.models import Channel, Shop
    from staff import services as staff_services

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
        for n in range(skus)
    )
    services.stock_receive(
        slot=slot,
        lines=[
            services.ReceiptLine(sku=sku, quantity=1_000_000, unit_cost=Decimal("9"))
            for sku in rows
        ],
    )
    tmall = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    desk = Channel.objects.create(code="DESK", name="客服", kind=ChannelKind.OTHER)
    shop = Shop.objects.create(channel=tmall, code="TM1", name="旗舰店", warehouse=warehouse)
    desk_shop = Shop.objects.create(channel=desk, code="DESK", name="客服台", warehouse=warehouse)
    staff_services.roles_sync()
    staff_services.demo_users_create(password="bench-Pw-4711-x")
    return {
        "shop": shop.pk,
        "warehouse": warehouse.pk,
        "desk": desk_shop.pk,
        "skus": [sku.pk for sku in rows],
        "codes": [sku.code for sku in rows],
    }


def order_lines(rng: random.Random, pool: list) -> list[tuple[object, int]]:
    return [(choice, rng.randint(1, 2)) for choice in rng.sample(pool, rng.randint(1, 3))]


# --- Service --------------------------------------------------------------------------------


def service_worker(worker: int, tag: str, world: dict, count: int, start, results) -> None:
    from django.db import connection
    from django.utils import timezone

    from catalog.models import SKU
    from orders import services
    from orders.enums import OrderSource, OrderStatus
    from orders.models import Shop

    shop = Shop.objects.select_related("warehouse").get(pk=world["shop"])
    skus = list(SKU.objects.filter(pk__in=world["skus"]))
    rng = random.Random(worker)
    latencies, failures = [], 0
    start.wait()
    try:
        for n in range(count):
            lines = [
                services.OrderLineInput(quantity=q, sku=sku) for sku, q in order_lines(rng, skus)
            ]
            began = time.perf_counter()
            order = services.order_place(
                shop=shop,
                number=f"{tag}-{worker}-{n}",
                source=OrderSource.CHANNEL,
                paid_at=timezone.now(),
                lines=lines,
            )
            latencies.append(time.perf_counter() - began)
            failures += order.status != OrderStatus.ALLOCATED
    finally:
        connection.close()
    results.put((count, failures, time.perf_counter(), latencies))


def process_service_worker(*args) -> None:
    import django

    django.setup()
    service_worker(*args)


def process_threads_worker(ids, tag, world, count, start, results) -> None:
    """One process running a thread per worker id (as gunicorn's gthread workers do)."""
    import django

    django.setup()
    pool = [
        threading.Thread(target=service_worker, args=(w, tag, world, count, start, results))
        for w in ids
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def run_service(*, workers: int, mode: str, tag: str, world: dict, count: int):
    """``mode``: ``threads`` (one process), ``processes`` (one per worker) or ``PxT``
    (P processes of T threads)."""
    from django.db import connections

    connections.close_all()
    if "x" in mode:
        processes = int(mode.split("x")[0])
        context = multiprocessing.get_context("fork")
        results, start = context.Queue(), context.Barrier(workers + 1)
        pool = [
            context.Process(
                target=process_threads_worker,
                args=(range(p, workers, processes), tag, world, count, start, results),
            )
            for p in range(processes)
        ]
    elif mode == "threads":
        import queue

        results, start = queue.Queue(), threading.Barrier(workers + 1)
        pool = [
            threading.Thread(target=service_worker, args=(w, tag, world, count, start, results))
            for w in range(workers)
        ]
    else:
        context = multiprocessing.get_context("fork")
        results, start = context.Queue(), context.Barrier(workers + 1)
        pool = [
            context.Process(
                target=process_service_worker, args=(w, tag, world, count, start, results)
            )
            for w in range(workers)
        ]
    for worker in pool:
        worker.start()
    start.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in range(workers)]
    for worker in pool:
        worker.join()
    return outcomes, max(finished for _c, _f, finished, _l in outcomes) - began


# --- Floor: the same statements from bare psycopg2 ------------------------------------------

FLOOR_ORDER = (
    "INSERT INTO orders_salesorder (shop_id, number, source, customer_id, warehouse_id, "
    "status, currency, placed_at, paid_at, carrier, tracking_number, note) VALUES "
    "(%s, %s, 'channel', NULL, %s, 'allocated', 'CNY', now(), now(), '', '', '') RETURNING id"
)
FLOOR_LINE = "(%s, %s, %s, '', %s, 'retail', 19.90, 0, 0, 0)"
FLOOR_HOLD = "(%s, %s, NULL, %s, 'sales_order', %s, NULL, now(), 0, 0, 0)"
FLOOR_TAKE = (
    "UPDATE inventory_warehousestock SET reserved = reserved + %s WHERE warehouse_id = %s "
    "AND sku_id = %s AND on_hand - reserved - locked - defective - backordered >= %s"
)


def floor_worker(worker, dsn, tag, world, count, start, results) -> None:
    """Send an order's statements (order, lines, reservations with their conditional
    updates in a savepoint, links) without Django: what the machine allows at best."""
    import psycopg2

    db = psycopg2.connect(dsn)
    cursor = db.cursor()
    rng = random.Random(worker)
    latencies = []
    start.wait()
    for n in range(count):
        lines = sorted(order_lines(rng, world["skus"]))
        began = time.perf_counter()
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(FLOOR_ORDER, [world["shop"], f"{tag}-{worker}-{n}", world["warehouse"]])
        order_id = cursor.fetchone()[0]
        values = ", ".join([FLOOR_LINE] * len(lines))
        cursor.execute(
            "INSERT INTO orders_salesorderline (order_id, line_no, sku_id, platform_code, "
            "quantity, price_type, unit_price, discount, backordered, shipped_quantity) "
            f"VALUES {values} RETURNING id",
            [v for i, (sku, q) in enumerate(lines, 1) for v in (order_id, i, sku, q)],
        )
        line_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SAVEPOINT hold")
        values = ", ".join([FLOOR_HOLD] * len(lines))
        cursor.execute(
            "INSERT INTO inventory_reservation (warehouse_id, sku_id, bundle_id, quantity, "
            "reference_type, reference_id, user_id, created_at, released, picked, shipped) "
            f"VALUES {values} RETURNING id",
            [v for sku, q in lines for v in (world["warehouse"], sku, q, f"{tag}-{worker}-{n}")],
        )
        hold_ids = [row[0] for row in cursor.fetchall()]
        for sku, quantity in lines:
            cursor.execute(FLOOR_TAKE, [quantity, world["warehouse"], sku, quantity])
        cursor.execute("RELEASE SAVEPOINT hold")
        cursor.execute(
            "INSERT INTO orders_linereservation (line_id, reservation_id) VALUES "
            + ", ".join(["(%s, %s)"] * len(lines)),
            [v for pair in zip(line_ids, hold_ids, strict=True) for v in pair],
        )
        db.commit()
        latencies.append(time.perf_counter() - began)
    db.close()
    results.put((count, 0, time.perf_counter(), latencies))


def run_floor(*, workers: int, dsn: str, tag: str, world: dict, count: int):
    import queue

    results, start = queue.Queue(), threading.Barrier(workers + 1)
    pool = [
        threading.Thread(target=floor_worker, args=(w, dsn, tag, world, count, start, results))
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


# --- HTTP -----------------------------------------------------------------------------------


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def http_client(worker, cookie, world, count, tag, start, results) -> None:
    rng = random.Random(1000 + worker)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}"}
    conn.request("GET", "/orders/new/", headers=headers)
    page = conn.getresponse()
    body = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "").group(1)
    headers = {
        "Cookie": f"sessionid={cookie}; csrftoken={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://127.0.0.1:{PORT}/orders/new/",
    }
    latencies, failures = [], 0
    start.wait()
    for _n in range(count):
        form = {
            "csrfmiddlewaretoken": token,
            "shop": world["desk"],
            "paid": "on",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50",
        }
        for index, (code, quantity) in enumerate(order_lines(rng, world["codes"])):
            form[f"lines-{index}-sku"] = code
            form[f"lines-{index}-quantity"] = str(quantity)
        began = time.perf_counter()
        conn.request("POST", "/orders/new/", body=urlencode(form), headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - began)
        failures += response.status != 302
    conn.close()
    results.put((count, failures, time.perf_counter(), latencies))


def http_load(workers, cookies, world, count, tag, queue_out) -> None:
    """The client side, in its own process: ``workers`` threads posting the order form."""
    import queue

    results, start = queue.Queue(), threading.Barrier(workers + 1)
    pool = [
        threading.Thread(
            target=http_client, args=(w, cookies[w], world, count, tag, start, results)
        )
        for w in range(workers)
    ]
    for thread in pool:
        thread.start()
    start.wait()
    began = time.perf_counter()
    outcomes = [results.get() for _ in pool]
    for thread in pool:
        thread.join()
    queue_out.put((outcomes, max(f for _c, _x, f, _l in outcomes) - began))


def run_http(
    *, workers: int, gunicorn_workers: int, threads: int, world: dict, count: int, url: str
):
    from django.db import connections

    cookies = [session_cookie("support") for _w in range(workers)]
    connections.close_all()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "ALLOWED_HOSTS": "*"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(gunicorn_workers),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--preload",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _attempt in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                probe.request("GET", "/accounts/login/")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        context = multiprocessing.get_context("fork")
        out = context.Queue()
        client = context.Process(target=http_load, args=(workers, cookies, world, count, "H", out))
        client.start()
        outcomes, seconds = out.get()
        client.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return outcomes, seconds


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


def row(label: str, outcomes, seconds: float, load: float) -> tuple[str, float]:
    latencies = sorted(latency for *_rest, worker in outcomes for latency in worker)
    done = sum(count for count, *_rest in outcomes)
    failures = sum(failed for _c, failed, *_rest in outcomes)
    rate = done / seconds
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
    return (
        f"| {label} | {rate:,.0f} | {done:,} in {seconds:.2f} s | "
        f"{statistics.median(latencies) * 1000:.1f} / {p99 * 1000:.1f} ms | {failures} | "
        f"{load:.1f} |",
        rate,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--orders", type=int, default=300, help="orders per worker per run")
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3, help="service runs of the split")
    parser.add_argument(
        "--split",
        default="2x8",
        help="the workers as PxT: P processes of T threads (2x8: one process per CPU)",
    )
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=8, help="1: sync workers")
    parser.add_argument("--no-http", action="store_true")
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
    from django.db import connection

    world = setup(args.skus)
    rows, rates = [], []
    from django.conf import settings

    # Runs of the headline split (processes × threads) with the default asynchronous
    # commit, one with every order durable at once (ORDERS_PLACE_ASYNC_COMMIT=false), and
    # the 16 workers as 16 threads of one process, then as 16 processes.
    split = args.split
    plan = [(split, n, True) for n in range(args.runs)]
    plan += [(split, args.runs, False), ("threads", args.runs + 1, True)]
    plan += [("processes", args.runs + 2, True)]
    for mode, number, relaxed in plan:
        settings.ORDERS_PLACE_ASYNC_COMMIT = relaxed
        time.sleep(3)
        load = os.getloadavg()[0]
        outcomes, seconds = run_service(
            workers=args.workers, mode=mode, tag=f"S{number}", world=world, count=args.orders
        )
        commit = "async commit" if relaxed else "durable commit"
        if mode == "threads":
            shape = f"1 process × {args.workers} threads"
        elif mode == "processes":
            shape = f"{args.workers} processes"
        else:
            shape = "{} processes × {} threads".format(*mode.split("x"))
        label = f"service, {shape}, {commit}, run {number + 1}"
        text, rate = row(label, outcomes, seconds, load)
        rows.append(text)
        if mode == split and relaxed:
            rates.append(rate)
        if not relaxed:
            durable_rate = rate
    settings.ORDERS_PLACE_ASYNC_COMMIT = True
    time.sleep(3)
    load = os.getloadavg()[0]
    outcomes, seconds = run_floor(
        workers=args.workers, dsn=url, tag="F", world=world, count=args.orders
    )
    text, floor_rate = row(
        f"floor: the same statements from bare psycopg2, {args.workers} threads",
        outcomes,
        seconds,
        load,
    )
    rows.append(text)
    http_rate = None
    if not args.no_http:
        time.sleep(3)
        load = os.getloadavg()[0]
        outcomes, seconds = run_http(
            workers=args.workers,
            gunicorn_workers=args.gunicorn_workers,
            threads=args.gunicorn_threads,
            world=world,
            count=max(args.orders // 3, 20),
            url=url,
        )
        text, http_rate = row(
            f"HTTP: staff order form, gunicorn {args.gunicorn_workers} workers × "
            f"{args.gunicorn_threads} threads, "
            f"{args.workers} clients",
            outcomes,
            seconds,
            load,
        )
        rows.append(text)
    checks = verify()
    ok = checks["not_allocated"] == 0 and checks["mismatches"] == 0
    ok = ok and checks["units"] == checks["reserved"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    rate = statistics.median(rates)
    command = (
        f"DATABASE_URL=postgres://…/{urlsplit(url).hostname} .venv/bin/python "
        f"bench/bench_orders.py --workers {args.workers} --orders {args.orders} "
        f"--skus {args.skus} --runs {args.runs} --split {args.split} "
        f"--gunicorn-workers {args.gunicorn_workers} "
        f"--gunicorn-threads {args.gunicorn_threads}"
    )
    table = "\n".join(
        [
            f"## Orders placed per second — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`{command}`  ",
            f"commit {git_state('orders')}; PostgreSQL {server}; "
            f"Python {platform.python_version()}; {os.cpu_count()} CPUs "
            f"(load average in the table); paid channel orders of 1–3 lines (1–2 units "
            f"each) of {args.skus:,} SKUs in stock, one transaction per order",
            "",
            "| run | orders/s | orders | latency median / p99 | failures | load avg before |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Median {rate:,.0f} orders/s through `orders.services.order_place` with "
            f"{args.workers} workers ({split.replace('x', ' processes × ')} threads; goal ≥ "
            f"{GOAL_PER_SECOND}), "
            f"{durable_rate:,.0f} orders/s with every order durable at commit; "
            + f"{floor_rate:,.0f} orders/s for the same SQL from bare psycopg2 (the ceiling of "
            "this machine for the work, as loaded); "
            + (f"{http_rate:,.0f} orders/s through HTTP. " if http_rate else "")
            + f"After all runs: {checks['orders']:,} orders, every one allocated: "
            f"{'yes' if checks['not_allocated'] == 0 else 'NO'}; reserved units "
            f"{checks['reserved']:,} = ordered units {checks['units']:,}; integrity "
            f"mismatches {checks['mismatches']}.",
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
