"""The load test's users (``bench/load/locustfile.py``) still read the pages right.

The load run itself is long and lives in ``bench/bench_load.py``; this runs its locustfile for
a few seconds, one user per role, against the live server on the tiny demo, so that a page
that changes under it fails here instead of in the next load run.
"""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.staff.support import FAST_HASHERS

LOCUSTFILE = Path(__file__).resolve().parent.parent / "bench" / "load" / "locustfile.py"
# Every step that writes, as the locustfile names it.
WRITES = {
    "place order",
    "pick a wave",
    "pack scan",
    "ship",
    "receive goods",
    "create draft orders",
    "place purchase order",
}


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # The live server speaks plain HTTP, as the load run's gunicorn does with SECURE_COOKIES
    # off: a Secure cookie would never come back over it.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.DEMO_PASSWORD = "load-the-demo"
    call_command("seed_demo", scale="tiny", stdout=StringIO())
    return settings.DEMO_PASSWORD


def test_one_user_of_each_role_works_its_pages_and_every_write_step_without_a_failure(
    demo, live_server, tmp_path
):
    timings = tmp_path / "timings.tsv"
    env = os.environ | {
        "JINGXI_DEMO_PASSWORD": demo,
        "LOAD_TIMINGS": str(timings),
        # Each user runs each of its tasks once first; stopping waits for it (stop timeout).
        "LOAD_TOUR": "1",
        "LOAD_WAIT": "0.1,0.3",
        "LOAD_PAUSE": "0,0.05",
        "LOAD_PURCHASER_BUCKETS": "1",  # the one purchaser may order any suggestion
    }
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["--users", "5", "--spawn-rate", "5", "--run-time", "3s", "--stop-timeout", "15"]
    command += ["--host", live_server.url, "--only-summary", "--loglevel", "WARNING"]
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90, check=False
    )

    rows = [line.split("\t") for line in timings.read_text(encoding="utf-8").splitlines()]
    report = run.stdout[-3000:] + run.stderr[-2000:]
    assert [row for row in rows if row[3] == "1"] == [], report
    assert run.returncode == 0, report
    done = {name for method, name, _ms, failed, _at in rows if method == "POST" and failed == "0"}
    assert WRITES - done == set(), report
    logins = [row for row in rows if row[1] == "login"]
    assert len(logins) == 5
    call_command("check_stock_integrity", stdout=StringIO())
