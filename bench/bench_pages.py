"""Server time of the pages of issue #17 on a seeded database: median and p90 of N requests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi_large \\
        .venv/bin/python bench/bench_pages.py --requests 20

The database must hold ``seed_demo --scale large`` (its stored product standings refreshed by
the seed). Each page is requested through Django's test client as a logged-in demo user, with
DEBUG off, after one warm-up request; the time is the client's round trip in this process
(URL resolution, middleware, view, template), with no network. The query count is the one of
the last request.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _pages(product_id: int) -> list[tuple[str, str, str]]:
    """Return (name, user, path) of each page measured."""
    return [
        ("structure table, 大类 folded, all roles, 90 days", "manager", "/finance/structure/"),
        (
            "structure table, traffic role, 30 days",
            "merchandiser",
            "/finance/structure/?role=traffic&days=30",
        ),
        ("product page (manager: every section)", "manager", f"/products/{product_id}/"),
        ("product page (support)", "support", f"/products/{product_id}/"),
        ("flow board (all)", "manager", "/products/flow/"),
        ("flow board (purchaser's to-do)", "purchaser", "/products/flow/?role=purchaser"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="measure only pages whose name contains this")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.benchdb import git_state
    from catalog.models import Product
    from orders.models import SalesOrderLine

    # The product of the most SKUs among those that sold: the heaviest product page.
    sold = SalesOrderLine.objects.filter(sku__isnull=False).values("sku__product_id")
    product = (
        Product.objects.filter(pk__in=sold)
        .annotate(n=Count("skus", distinct=True))
        .order_by("-n", "pk")
        .first()
    ) or Product.objects.order_by("pk").first()
    users = {u.username: u for u in get_user_model().objects.all()}
    print(f"commit {git_state()}; {Product.objects.count():,} products; product {product.code}")
    print("| page | user | median ms | p90 ms | queries |\n|---|---|---|---|---|")
    for name, username, path in _pages(product.pk):
        if args.only and args.only not in name:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(users[username])
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(args.requests):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        p90 = times[max(0, round(0.9 * len(times)) - 1)]
        print(
            f"| {name} | {username} | {statistics.median(times):.0f} | {p90:.0f} |"
            f" {len(queries.captured_queries)} |"
        )


if __name__ == "__main__":
    main()
