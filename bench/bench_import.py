"""Catalogue import benchmark (not a test): 50,000 SKU rows with 10 attribute columns.

In one run, each case in a child process timed by ``/usr/bin/time -v`` (peak RSS), on a
fresh database ``jingxi_bench_import`` (or ``$BENCH_IMPORT_DATABASE``, so that people sharing
a server do not drop each other's) on the ``DATABASE_URL`` server:

1. Jingxi ``catalog_import`` of the products workbook into an empty catalogue (new), then of
   a second workbook changing every row's prices and a variant attribute (update).
   Then the export of the whole catalogue (the same 50,000 rows) to a workbook.
2. django-import-export: a plain ``ModelResource`` of SKU (code, product by code, prices,
   barcode, measurements; no categories, brands, selling points or attributes, so it does
   less than Jingxi) loading the same xlsx through tablib, new then update, on a catalogue
   that already holds the products. Tuned as its documentation ("Bulk imports",
   "Performance") allows: ``CachedInstanceLoader`` (one query for the existing rows),
   ``CachedForeignKeyWidget`` for the product (one query for all products), ``use_bulk``,
   ``batch_size=1000``, ``skip_diff``, ``skip_unchanged`` (inert beside ``skip_diff``, which
   skips the comparison it needs) and ``force_init_instance`` for new rows. The tuned case
   runs on the same rows as Jingxi (``--ie-rows`` defaults to ``--rows``); its defaults run
   on ``--ie-default-rows`` (5,000) as a reference only.
3. The floor: calamine parse of the workbook + one COPY of its cells into a temporary table.

Rows per second count the import call only (Django start-up excluded), the workbook parse
included. It prints a markdown table and appends it to ``bench/RESULTS.md``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python bench/bench_import.py

``--skip-ie --no-write`` runs Jingxi and the floor only, without recording (while iterating).
"""

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DATABASE = os.environ.get("BENCH_IMPORT_DATABASE", "jingxi_bench_import")
WORK = Path("/tmp/jingxi_bench_import")
sys.path.insert(0, str(ROOT))

ATTRIBUTES = [
    # code, type, options, variant
    ("colour", "choice", ["红", "蓝", "绿", "黑", "白"], True),
    ("size", "choice", ["S", "M", "L", "XL"], True),
    ("batch_no", "integer", [], True),
    ("material", "text", [], False),
    ("net_weight", "decimal", [], False),
    ("origin", "choice", ["上海", "广州", "杭州", "成都"], False),
    ("fragile", "boolean", [], False),
    ("launch", "date", [], False),
    ("season", "multi_choice", ["春", "夏", "秋", "冬"], False),
    ("tax_code", "text", [], False),
]


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {base}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def fresh_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def ean13(n: int) -> str:
    first = f"69{n:010d}"[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first))
    return first + str((10 - total % 10) % 10)


def write_workbooks(rows: int) -> tuple[Path, Path]:
    """Write the new and the update workbook (cached between runs)."""
    import openpyxl

    WORK.mkdir(exist_ok=True)
    new, update = WORK / f"new-{rows}.xlsx", WORK / f"update-{rows}.xlsx"
    if new.exists() and update.exists():
        return new, update
    headers = [
        "sku", "product", "name", "category", "brand", "role", "status", "retail_price",
        "distribution_price", "cost_price", "barcode", "weight_g", "length_mm", "width_mm",
        "height_mm", "selling_points", "warning_level",
        *(f"attr:{code}" for code, *_rest in ATTRIBUTES),
    ]  # fmt: skip
    for path, bump in ((new, 0), (update, 1)):
        rng = random.Random(7)
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("products")
        sheet.append(headers)
        for i in range(rows):
            p = i // 2
            price = Decimal(rng.randint(500, 99_900)) / 100 + bump
            category = f"大类{p % 10} > 中类{p // 10 % 10} > 小类{p // 100 % 10}"
            sheet.append(
                [
                    f"SKU{i:07d}", f"P{p:06d}", f"商品{p}", category, f"品牌{p % 40}",
                    ["traffic", "regular", "image"][p % 3], "draft", price,
                    (price * Decimal("0.8")).quantize(Decimal("0.01")),
                    (price * Decimal("0.5")).quantize(Decimal("0.01")),
                    ean13(i), rng.randint(50, 5000), 300, 200, rng.randint(10, 90),
                    f"卖点{p % 7}\n卖点{p % 11}", 5,
                    ["红", "蓝", "绿", "黑", "白"][(i + bump) % 5], ["S", "M", "L", "XL"][i % 4],
                    i % 1000, f"材质{p % 13}", float(p % 500) / 10 + 0.5,
                    ["上海", "广州", "杭州", "成都"][p % 4], "是" if p % 2 else "否",
                    date(2026, 1, 1) + timedelta(days=p % 300), "春; 夏" if p % 2 else "冬",
                    f"T{p % 17}",
                ]
            )  # fmt: skip
        book.save(path)
    return new, update


# --- Child processes (one case each, timed from outside for peak RSS) ----------------------


def child(case: str, file: str) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    started = time.perf_counter()
    if case == "jingxi":
        from catalog.importing import catalog_import

        report = catalog_import(source=Path(file))
        extra = {"new": report.new, "changed": report.changed, "unchanged": report.unchanged}
    elif case in ("ie-default", "ie-tuned-new", "ie-tuned-update"):
        extra = import_export_run(case, file)
    elif case == "export":
        from catalog.exporting import catalog_export

        extra = {"new": catalog_export(target=WORK / "export.xlsx")}
    elif case == "floor":
        extra = floor_run(file)
    elif case == "setup":
        return setup_attributes()
    else:
        raise SystemExit(f"unknown case {case}")
    return {"seconds": time.perf_counter() - started, **extra}


def setup_attributes() -> dict:
    from catalog.models import Attribute

    for code, value_type, options, variant in ATTRIBUTES:
        Attribute.objects.get_or_create(
            code=code,
            defaults={
                "name": code,
                "value_type": value_type,
                "options": options,
                "use_variant": variant,
                "use_web_display": not variant,
            },
        )
    return {}


def import_export_run(case: str, file: str) -> dict:
    import tablib
    from import_export import fields, instance_loaders, resources, widgets

    from catalog.models import SKU, Product

    tuned = case != "ie-default"
    product_widget = widgets.CachedForeignKeyWidget if tuned else widgets.ForeignKeyWidget

    class SKUResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="sku")
        product = fields.Field(
            attribute="product", column_name="product", widget=product_widget(Product, "code")
        )

        class Meta:
            model = SKU
            import_id_fields = ["code"]
            fields = [
                "code", "product", "retail_price", "distribution_price", "cost_price", "barcode",
                "weight_g", "length_mm", "width_mm", "height_mm", "warning_level",
            ]  # fmt: skip
            if tuned:
                instance_loader_class = instance_loaders.CachedInstanceLoader
                use_bulk = True
                batch_size = 1000
                skip_diff = True
                skip_unchanged = True
                force_init_instance = case == "ie-tuned-new"

    with open(file, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    for column in [h for h in dataset.headers if h.startswith("attr:")]:
        del dataset[column]
    result = SKUResource().import_data(dataset, dry_run=False, raise_errors=True)
    totals = result.totals
    return {"new": totals.get("new", 0), "changed": totals.get("update", 0)}


def floor_run(file: str) -> dict:
    import io

    import python_calamine
    from django.db import connection

    rows = python_calamine.CalamineWorkbook.from_path(file).get_sheet_by_name("products")
    data = rows.to_python()
    header, body = data[0], data[1:]
    buffer = io.StringIO()
    for row in body:
        buffer.write(
            "\t".join(
                str(v).replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for v in row
            )
        )
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE floor ({columns})")
        cursor.cursor.copy_expert("COPY floor FROM STDIN", buffer)
        cursor.execute("SELECT count(*) FROM floor")
        copied = cursor.fetchone()[0]
    return {"new": copied}


def run_case(case: str, file: Path, url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [
        "/usr/bin/time", "-v", sys.executable, str(Path(__file__)), "--child", case, "--file",
        str(file),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{case} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    result["peak_mib"] = int(peak.group(1)) / 1024 if peak else float("nan")
    return result


def clear_catalogue(url: str, *, keep_products: bool) -> None:
    import psycopg2

    tables = ["catalog_attributevalue", "catalog_historicalsku", "catalog_sku"]
    if not keep_products:
        tables += [
            "catalog_sellingpoint",
            "catalog_historicalproduct",
            "catalog_product",
            "catalog_brand",
            "catalog_category",
        ]
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--ie-rows", type=int, help="rows for the tuned django-import-export (default: --rows)"
    )
    parser.add_argument(
        "--ie-default-rows",
        type=int,
        default=5_000,
        help="rows for django-import-export's defaults (~100-500 rows/s), a reference only",
    )
    parser.add_argument(
        "--skip-ie", action="store_true", help="Jingxi and the floor only (while iterating)"
    )
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.file), default=str))
        return

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jingxi")
    url = database_url(base, DATABASE)
    args.ie_rows = args.ie_rows or args.rows
    new_file, update_file = write_workbooks(args.rows)
    ie_new, ie_update = write_workbooks(args.ie_rows)
    default_new, default_update = write_workbooks(args.ie_default_rows)
    fresh_database(url)
    run_case("setup", new_file, url)
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[0]

    results = {}
    results["Jingxi, new"] = run_case("jingxi", new_file, url)
    results["Jingxi, update"] = run_case("jingxi", update_file, url)
    results["Jingxi, same file again (no change)"] = run_case("jingxi", update_file, url)
    results["Jingxi, export of the catalogue"] = run_case("export", new_file, url)
    results["floor: calamine parse + one COPY"] = run_case("floor", new_file, url)
    if args.skip_ie:
        for name, result in results.items():
            rate = args.rows / result["seconds"]
            seconds, peak = result["seconds"], result["peak_mib"]
            print(f"{name}: {seconds:.2f} s, {rate:,.0f} rows/s, {peak:.0f} MiB")
        return
    clear_catalogue(url, keep_products=True)
    results["import-export tuned, new"] = run_case("ie-tuned-new", ie_new, url)
    results["import-export tuned, update"] = run_case("ie-tuned-update", ie_update, url)
    clear_catalogue(url, keep_products=True)
    results["import-export defaults, new"] = run_case("ie-default", default_new, url)
    results["import-export defaults, update"] = run_case("ie-default", default_update, url)

    rows = args.rows

    def count(name: str) -> int:
        if name.startswith("import-export defaults"):
            return args.ie_default_rows
        return args.ie_rows if name.startswith("import-export") else rows

    lines = [
        "| case | rows | seconds | rows/s | peak RSS | rows new / changed |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        rate = count(name) / result["seconds"]
        lines.append(
            f"| {name} | {count(name):,} | {result['seconds']:.2f} | {rate:,.0f} | "
            f"{result['peak_mib']:.0f} MiB | "
            f"{result.get('new', '')} / {result.get('changed', '')} |"
        )
    rate = {name: count(name) / r["seconds"] for name, r in results.items()}
    ratio_new = rate["Jingxi, new"] / rate["import-export tuned, new"]
    ratio_update = rate["Jingxi, update"] / rate["import-export tuned, update"]
    of_floor = rate["Jingxi, new"] / rate["floor: calamine parse + one COPY"]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join(
        [
            f"## Catalogue import, {rows:,} SKU rows × 10 attribute columns — {stamp}",
            "",
            "`"
            + (
                f"BENCH_IMPORT_DATABASE={DATABASE} "
                if os.environ.get("BENCH_IMPORT_DATABASE")
                else ""
            )
            + "DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python "
            f"bench/bench_import.py --rows {rows} --ie-rows {args.ie_rows} "
            f"--ie-default-rows {args.ie_default_rows}`  ",
            f"commit {commit}{' (uncommitted changes)' if dirty else ''}; Python "
            f"{platform.python_version()}; {os.cpu_count()} CPUs (load average {load} at the "
            "start); each case in its own process, peak RSS by `/usr/bin/time -v`.",
            "",
            *lines,
            "",
            f"Jingxi ÷ tuned django-import-export (CachedInstanceLoader, "
            f"CachedForeignKeyWidget, use_bulk, batch_size, skip_diff, skip_unchanged, "
            f"force_init_instance for new rows): {ratio_new:.2f}× (new), "
            f"{ratio_update:.2f}× (update), on {args.ie_rows:,} rows each. Jingxi ÷ floor "
            f"(calamine parse + one COPY of the cells as text, new): {of_floor:.2f}. Goals: "
            "≥ 15,000 rows/s new, ≥ 8,000 rows/s update, peak RSS < 600 MB. import-export "
            "imports the SKU columns only (products already there); Jingxi the whole row: "
            "categories, brands, products, selling points, SKUs, 10 attribute values and price "
            "history. import-export's defaults ran on the first "
            f"{args.ie_default_rows:,} rows, as a reference.",
            "",
        ]
    )
    print(section)
    if not args.no_write:
        with RESULTS.open("a") as handle:
            handle.write("\n" + section)


if __name__ == "__main__":
    main()
