"""Catalogue search benchmark (not a test): server time of ``/products/search/`` on the large
demo (``seed_demo --scale large``: ~100k SKUs, the real 1,423-node category tree).

Against the database of ``DATABASE_URL`` as it is (seeded and migrated beforehand; nothing
is written but the stored search facts when ``--refresh`` is given), logged in as the demo
``merchandiser`` through Django's test client, it requests each case ``--runs`` times
(after one warm-up) and reports the median and p90 of the time spent in the view, the number
of queries and the products found. The cases, all sorted by sales:

- no facets;
- three facets: the 大类 with the most products, role regular, stock in stock;
- three facets: that 大类, its most frequent brand, a value of a web filter attribute;
- text: a two-character word of product names, no facets.

With ``--refresh`` it first rebuilds the stored search facts (``search_facts_refresh``) and
reports its wall time; run it under ``/usr/bin/time -v`` for the peak RSS. With
``--record`` it appends the section to ``bench/RESULTS.md``. Goal: three facets ≤ 300 ms
median::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi_large_search \\
        /usr/bin/time -v .venv/bin/python bench/bench_search.py [--runs 20] [--refresh] [--record]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.benchdb import git_state, machine  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"


def _cases() -> list[tuple[str, dict]]:
    from django.db.models import Count

    from catalog.models import Category, Product
    from staff.models import ProductSearchValue

    top = Category.objects.filter(level=0).order_by("tree_id").values_list("pk", "tree_id", "name")
    sizes = dict(
        Product.objects.values_list("category__tree_id").annotate(n=Count("pk")).order_by()
    )
    top_id, tree_id, top_name = max(top, key=lambda row: sizes.get(row[1], 0))
    brand_id = (
        Product.objects.filter(category__tree_id=tree_id)
        .exclude(brand=None)
        .values_list("brand_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()[0]
    )
    code, value = (
        ProductSearchValue.objects.filter(product__category__tree_id=tree_id)
        .values_list("attribute__code", "value")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()[:2]
    )
    word = Product.objects.filter(category__tree_id=tree_id).order_by("pk").first().name[3:5]
    return [
        ("no facets", {"sort": "sales"}),
        (
            f"3 facets: 大类 {top_name} + role regular + in stock",
            {"cat": top_id, "role": "regular", "stock": "in_stock", "sort": "sales"},
        ),
        (
            f"3 facets: 大类 {top_name} + brand + {code}={value}",
            {"cat": top_id, "brand": brand_id, "attr": f"{code}:{value}", "sort": "sales"},
        ),
        (f"text “{word}”, no facets", {"q": word, "sort": "sales"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--refresh", action="store_true", help="rebuild the facts first")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import SKU, Product
    from staff.search import catalogue_search
    from staff.search_facts import search_facts_refresh

    settings.ALLOWED_HOSTS = ["*"]
    lines = []
    if args.refresh:
        started = time.perf_counter()
        rows = search_facts_refresh()
        lines.append(
            f"Refresh of the stored facts (`search_facts_refresh`): {rows:,} products in "
            f"{time.perf_counter() - started:.1f} s wall."
        )
    client = Client()
    user = User.objects.get(username="merchandiser")
    client.force_login(user)
    table = [
        "| case | median (ms) | p90 (ms) | queries | products found |",
        "|---|---|---|---|---|",
    ]
    for name, params in _cases():
        url = "/products/search/?" + urlencode(params, doseq=True)
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _run in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p90 = times[min(len(times) - 1, round(0.9 * len(times)) - 1)]
        found = catalogue_search(user, QueryDict(urlencode(params, doseq=True))).total
        table.append(
            f"| {name} | {statistics.median(times):.0f} | {p90:.0f} | "
            f"{len(queries.captured_queries)} | {found:,} |"
        )
    products, skus = Product.objects.count(), SKU.objects.count()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join(
        [
            f"## Catalogue search (/products/search/), large demo — {stamp}",
            "",
            f"`{' '.join(['.venv/bin/python', *sys.argv])}` on database "
            f"`{connection.settings_dict['NAME']}` ({products:,} products, {skus:,} SKUs); "
            f"commit {git_state('staff', 'templates', 'bench')}",
            "",
            f"Machine: {machine(connection)}.",
            "",
            f"Server time of the view through Django's test client as `merchandiser`, "
            f"{args.runs} requests per case after one warm-up, sorted by sales, 50 per page.",
            "",
            *table,
            "",
            *lines,
        ]
    )
    print(section)
    if args.record:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + section + "\n")


if __name__ == "__main__":
    main()
