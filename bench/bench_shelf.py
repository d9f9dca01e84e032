"""Shelf plan benchmark (not a test): the /shelf/ page and /shelf/plan.json on a demo copy.

On the database of ``DATABASE_URL`` (a copy of ``seed_demo --scale large``, migrated; it
writes nothing) it requests, as the demo merchandiser through Django's test client, the
first and third pages of the shelf plan and the whole plan as JSON: one warm-up, then
``--runs`` requests each; it prints the median and the slowest, the SQL queries and the
answer's size, as a markdown section (``--write`` appends it to ``bench/RESULTS.md``).
Goal: the page ≤ 300 ms::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi_large_shelf \
        .venv/bin/python bench/bench_shelf.py [--runs 20] [--write]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchdb import git_state, machine  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
URLS = ("/shelf/", "/shelf/?page=3", "/shelf/plan.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from catalog.models import SKU

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(username="merchandiser"))
    rows = []
    for url in URLS:
        client.get(url)
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        rows.append(
            f"| `{url}` | {statistics.median(times):.0f} | {max(times):.0f} | "
            f"{len(queries)} | {len(response.content) / 1024:.0f} |"
        )
    skus = SKU.objects.count()
    database = connection.settings_dict["NAME"]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            f"## Shelf plan (WEB货架), {skus:,} SKUs — {now}",
            "",
            f"`DATABASE_URL=…/{database} .venv/bin/python bench/bench_shelf.py "
            f"--runs {args.runs}` (commit {git_state('staff', 'templates/staff')}; "
            f"{machine(connection.connection)})",
            "",
            f"As the demo merchandiser, Django test client, median of {args.runs} after a "
            "warm-up; queries with the session's.",
            "",
            "| request | median (ms) | slowest (ms) | queries | size (KiB) |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    print(text)
    if args.write:
        with RESULTS.open("a") as results:
            results.write("\n" + text)


if __name__ == "__main__":
    main()
