"""Catalog benchmark (not a test): admin changelists on a big catalog, and ``seed_demo``.

1. In a dedicated PostgreSQL database (``jingxi_bench``, created and migrated if missing) it
   builds a 10,520-node category tree (20 大类 × 25 中类 × 20 小类) and 100,000 SKUs in bulk,
   then times the category, product and SKU admin changelists (median of ``--runs``
   requests by a logged-in superuser) and counts their queries.
2. On a fresh database (``jingxi_bench_seed``) it runs
   ``/usr/bin/time -v .venv/bin/python manage.py seed_demo --scale large`` and reads the wall
   time and the peak RSS. Goal: under 5 minutes and under 1 GB.

It prints a markdown table and appends it to ``bench/RESULTS.md``. The server comes from
``DATABASE_URL`` (only the database name is replaced)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python bench/bench_catalog.py
"""

import argparse
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
SEED_GOAL_SECONDS = 5 * 60
SEED_GOAL_KB = 1024 * 1024

sys.path.insert(0, str(ROOT))


def database_url(base: str, name: str) -> str:
    """Return ``base`` pointing at database ``name`` on the same server."""
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {base}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the database of ``url`` if it is missing (drop it first when ``fresh``)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            if fresh:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def manage(*args: str, env: dict[str, str], timed: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "manage.py", *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


# --- The big catalog ----------------------------------------------------------------------


def build_catalog(*, tops: int, middles: int, leaves: int, skus: int) -> dict[str, float]:
    """Fill the catalog with the benchmark tree and SKUs unless it already holds exactly them."""
    from django.db import connection, transaction

    from catalog.demo import catalog_reset, ean13_from_serial
    from catalog.models import (
        SKU,
        Attribute,
        AttributeValue,
        Brand,
        Category,
        CategoryAttribute,
        Product,
        SellingPoint,
    )
    from catalog.services import category_tree_rebuild

    n_categories = tops + tops * middles + tops * middles * leaves
    if Category.objects.count() == n_categories and SKU.objects.count() == skus:
        return {}

    timings = {}
    started = time.perf_counter()
    catalog_reset()
    with transaction.atomic():
        placeholders = {"lft": 0, "rght": 0, "tree_id": 0, "level": 0}
        with Category.objects.disable_mptt_updates():
            level0 = [
                Category(name=f"大类{i:02d}", code=f"T{i:02d}", **placeholders) for i in range(tops)
            ]
            Category.objects.bulk_create(level0)
            level1 = [
                Category(
                    name=f"中类{i:02d}", code=f"{top.code}M{i:02d}", parent=top, **placeholders
                )
                for top in level0
                for i in range(middles)
            ]
            Category.objects.bulk_create(level1, batch_size=2_000)
            level2 = [
                Category(
                    name=f"小类{i:02d}", code=f"{mid.code}L{i:02d}", parent=mid, **placeholders
                )
                for mid in level1
                for i in range(leaves)
            ]
            Category.objects.bulk_create(level2, batch_size=2_000)
        rebuild_started = time.perf_counter()
        category_tree_rebuild()
        timings["tree renumbering (category_tree_rebuild)"] = time.perf_counter() - rebuild_started

        brands = Brand.objects.bulk_create(Brand(name=f"品牌{i:02d}") for i in range(50))
        origin = Attribute.objects.create(
            code="bench_origin", name="产地", use_customer_service=True, use_web_display=True
        )
        CategoryAttribute.objects.bulk_create(
            CategoryAttribute(category=top, attribute=origin, is_required=True) for top in level0
        )

        per_product = 3
        n_products = -(-skus // per_product)
        made = 0
        for start in range(0, n_products, 5_000):
            numbers = range(start, min(start + 5_000, n_products))
            products = [
                Product(
                    code=f"BP{n:06d}",
                    name=f"商品{n:06d}",
                    category=level2[n % len(level2)],
                    brand=brands[n % len(brands)],
                    role=("traffic", "regular", "regular", "regular", "image")[n % 5],
                    status=("draft", "ready", "listed", "listed", "delisted")[n % 5],
                )
                for n in numbers
            ]
            Product.objects.bulk_create(products, batch_size=2_000)
            batch = []
            for product in products:
                for k in range(min(per_product, skus - made)):
                    made += 1
                    retail = 1_000 + made % 50_000
                    batch.append(
                        SKU(
                            product=product,
                            code=f"{product.code}-{k + 1}",
                            name=f"{product.name} 规格{k + 1}",
                            barcode=ean13_from_serial(made),
                            retail_price=Decimal(retail).scaleb(-2),
                            distribution_price=Decimal(retail * 8 // 10).scaleb(-2),
                            cost_price=Decimal(retail * 6 // 10).scaleb(-2),
                            weight_g=100 + made % 900,
                            length_mm=200,
                            width_mm=100,
                            height_mm=50,
                            warning_level=made % 20,
                        )
                    )
            SKU.objects.bulk_create(batch, batch_size=2_000)
            SellingPoint.objects.bulk_create(
                (SellingPoint(product=p, text="正品保障") for p in products), batch_size=2_000
            )
            AttributeValue.objects.bulk_create(
                (
                    AttributeValue(attribute=origin, product=p, value_text="浙江杭州")
                    for p in products
                ),
                batch_size=2_000,
            )
    # Fresh bulk-loaded tables have no planner statistics until autovacuum gets to them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["build (tree and 100k SKUs)"] = time.perf_counter() - started
    return timings


def measure_changelists(*, runs: int) -> list[dict]:
    """Time the admin changelists as a logged-in superuser; return one row per page."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    if user is None:
        user = user_model.objects.create_superuser("bench", "bench@localhost", "bench-password")
    client = Client()
    client.force_login(user)

    rows = []
    for label, name in (
        ("category changelist", "admin:catalog_category_changelist"),
        ("product changelist", "admin:catalog_product_changelist"),
        ("SKU changelist", "admin:catalog_sku_changelist"),
    ):
        url = reverse(name)
        warm = client.get(url)  # loads templates and fills caches
        if warm.status_code != 200:
            rows.append({"label": label, "url": url, "error": f"HTTP {warm.status_code}"})
            continue
        seconds, queries = [], 0
        for _run in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                seconds.append(time.perf_counter() - started)
            queries = len(captured)
            assert response.status_code == 200, (url, response.status_code)
        rows.append(
            {
                "label": label,
                "url": url,
                "median_ms": statistics.median(seconds) * 1000,
                "min_ms": min(seconds) * 1000,
                "queries": queries,
                "kb": len(response.content) / 1024,
            }
        )
    return rows


# --- seed_demo ----------------------------------------------------------------------------


def measure_seed(*, base_url: str, scale: str) -> dict:
    """Run ``seed_demo --scale SCALE`` under ``/usr/bin/time -v`` on a fresh database."""
    url = database_url(base_url, "jingxi_bench_seed")
    ensure_database(url, fresh=True)
    with tempfile.TemporaryDirectory() as media:
        env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": media}
        migrated = manage("migrate", "--noinput", "-v0", env=env)
        if migrated.returncode:
            return {"error": "migrate failed: " + migrated.stderr.strip().splitlines()[-1]}
        result = manage("seed_demo", "--scale", scale, env=env, timed=True)
    if result.returncode:
        # /usr/bin/time -v appends its report to stderr; the reason is the line before it.
        reason = result.stderr.split("\tCommand being timed")[0].strip().splitlines()
        return {"error": reason[-1] if reason else f"exit status {result.returncode}"}
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    summary = next((line for line in result.stdout.splitlines() if "loaded in" in line), "").strip()
    python = os.path.relpath(sys.executable, ROOT)
    return {
        "command": f"/usr/bin/time -v {python} manage.py seed_demo --scale {scale}",
        "seconds": seconds,
        "rss_kb": int(rss.group(1)),
        "summary": summary,
    }


# --- Report -------------------------------------------------------------------------------


def machine() -> str:
    from django import get_version
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()
        memory = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory_text = f"{memory / 1024 / 1024:.1f} GiB RAM"
    except (OSError, AttributeError):
        memory_text = "RAM unknown"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory_text}, PostgreSQL {postgres}, "
        f"Python {platform.python_version()}, Django {get_version()}; load average {load}"
    )


def revision() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{head} + uncommitted changes" if dirty else head


def report(*, command, pages, seed, build, runs, sizes) -> str:
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {revision()}",
        "",
        f"- Command: `{command}`",
        f"- Machine: {machine()}",
        f"- Data: {sizes}" + (" (reused)" if not build else ""),
    ]
    lines += [f"- {label}: {seconds:.1f} s" for label, seconds in build.items()]
    lines += [
        "",
        f"| measure | median of {runs} | best | queries | page |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in pages:
        if "error" in row:
            lines.append(f"| {row['label']} `{row['url']}` | {row['error']} | | | |")
            continue
        lines.append(
            f"| {row['label']} `{row['url']}` | {row['median_ms']:.0f} ms | "
            f"{row['min_ms']:.0f} ms | {row['queries']} | {row['kb']:.0f} KB |"
        )
    if seed:
        lines += ["", "| seed_demo | value | goal |", "|---|---:|---|"]
        if "error" in seed:
            lines.append(f"| failed | {seed['error']} | |")
        else:
            minutes, seconds = divmod(seed["seconds"], 60)
            wall_ok = "met" if seed["seconds"] < SEED_GOAL_SECONDS else "MISSED"
            rss_ok = "met" if seed["rss_kb"] < SEED_GOAL_KB else "MISSED"
            lines += [
                f"| `{seed['command']}` wall time | {int(minutes)}:{seconds:04.1f} | "
                f"< 5 min ({wall_ok}) |",
                f"| peak RSS (Maximum resident set size) | {seed['rss_kb'] / 1024:.0f} MiB | "
                f"< 1 GiB ({rss_ok}) |",
            ]
            if seed["summary"]:
                lines += ["", f"seed_demo said: {seed['summary']}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="requests per page (median)")
    parser.add_argument("--database", default="jingxi_bench", help="benchmark database name")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--scale", default="large", help="seed_demo scale to time")
    parser.add_argument("--skip-seed", action="store_true", help="do not time seed_demo")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    bench_url = database_url(base_url, args.database)
    ensure_database(bench_url, fresh=args.rebuild)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="jingxi-bench-"))

    # The benchmark serves no static files; whitenoise's warning about collectstatic is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    tops, middles, leaves, skus = 20, 25, 20, 100_000
    print(f"Building the catalog in {args.database} (skipped if already there)...", flush=True)
    build = build_catalog(tops=tops, middles=middles, leaves=leaves, skus=skus)
    sizes = (
        f"{tops + tops * middles + tops * middles * leaves:,} categories "
        f"({tops} × {middles} × {leaves}), {skus:,} SKUs"
    )
    print("Timing the admin changelists...", flush=True)
    pages = measure_changelists(runs=args.runs)
    seed = None
    if not args.skip_seed:
        print(f"Timing seed_demo --scale {args.scale} on a fresh database...", flush=True)
        seed = measure_seed(base_url=base_url, scale=args.scale)

    command = " ".join(
        [f"DATABASE_URL={shlex.quote(base_url)}", os.path.relpath(sys.executable, ROOT)]
        + [shlex.quote(a) for a in sys.argv]
    )
    text = report(command=command, pages=pages, seed=seed, build=build, runs=args.runs, sizes=sizes)
    print()
    print(text)
    if not args.no_write:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nNewest last. Written by `bench/*.py`.\n")
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
