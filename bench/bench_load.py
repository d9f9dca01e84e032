"""Load benchmark (not a test): staff of every role on gunicorn + PostgreSQL, on loopback.

1. Recreates the database ``jingxi_loadrun`` on the ``DATABASE_URL`` server, migrates it and
   loads ``seed_demo --scale small`` (the demo users, one per role, are what the users log in
   as); collects the static files into ``staticfiles/`` (whitenoise's manifest storage).
2. Serves it with gunicorn (``config.wsgi``, ``--workers`` sync workers, or gthread with
   ``--threads``) on ``127.0.0.1`` and a free port, ``DEBUG`` off, a fresh ``SECRET_KEY``,
   ``ALLOWED_HOSTS=127.0.0.1``; plain HTTP, so ``SECURE_COOKIES`` stays off (``--env`` adds
   or overrides variables of the server, e.g. a production setting to switch off).
3. Runs ``bench/load/locustfile.py`` headless: ``--users`` staff (support, warehouse,
   purchaser, merchandiser and manager, weighted 15 : 15 : 7 : 7 : 6) started ``--spawn-rate``
   a second, for ``--run-time`` seconds, then up to 60 s for each user to finish the task at
   hand, under a hard timeout. Every request is recorded (``LOAD_TIMINGS``) for exact percentiles.
4. Stops gunicorn (always, also on failure or Ctrl-C), runs ``check_stock_integrity`` on the
   database, and compares what the users were told with what the database holds: orders
   placed, parcels packed and shipped, receipts, purchase orders drafted and placed.

It prints a markdown section (requests, failures, rate, p50/p95/p99 overall and per step, the
work done, the integrity result, the machine's load before and after) and appends it to
``bench/RESULTS.md``; the raw files (locust CSV, timings, gunicorn log) stay in
``bench/out/load-<time>/``. Exit status 1 when a request failed, the server logged an error,
the database disagrees with the users, or the stock is not intact::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python \\
        bench/bench_load.py [--users 50] [--spawn-rate 10] [--run-time 60] [--workers 5]
"""

import argparse
import csv
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jingxi"
DATABASE = "jingxi_loadrun"
# Seconds each user may take to finish the task at hand once the run time is up; a write
# still unanswered then is stopped, and the database may or may not hold it.
STOP_TIMEOUT = 60
# The steps that write, as the users name them, and the database count each must match.
WRITES = [
    ("place order", "orders placed", "orders"),
    ("pick a wave", "waves picked", None),
    ("pack scan", "parcels packed (passed checks)", "checks"),
    ("ship", "orders shipped", "shipped"),
    ("receive goods", "receipts", "receipts"),
    ("create draft orders", "restock selections drafted", None),
    ("place purchase order", "purchase orders placed", "placed"),
]

sys.path.insert(0, str(ROOT / "bench"))

from benchdb import database_url, git_state, recreate_database  # noqa: E402


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def prepare(env: dict, scale: str) -> dict[str, float]:
    """Migrate, seed and collect the static files; return the seconds each took."""
    seconds = {}
    for label, args in [
        ("migrate", ["migrate", "--noinput"]),
        ("seed_demo", ["seed_demo", "--scale", scale]),
        ("collectstatic", ["collectstatic", "--noinput", "--clear"]),
    ]:
        started = time.monotonic()
        done = manage(env, *args)
        if done.returncode:
            sys.exit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
        seconds[label] = time.monotonic() - started
    return seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log: Path):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        "--error-logfile",
        "-",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    handle = log.open("w")
    # A session of its own: stopping it stops every worker, whatever happens to this script.
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped at start (see {log})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5):
                return server
        except OSError:
            time.sleep(0.5)
    stop(server)
    sys.exit(f"gunicorn did not answer within 60 s (see {log})")


def stop(process: subprocess.Popen) -> None:
    """Stop ``process`` and its session: TERM, then KILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run_locust(env: dict, port: int, args, out: Path) -> tuple[int, str]:
    """Run the users; return locust's exit status and its summary."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.run_time}s",
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = env | {"LOAD_TIMINGS": str(out / "timings.tsv")}
    users = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = users.communicate(timeout=args.run_time + STOP_TIMEOUT + 90)
    except subprocess.TimeoutExpired:
        stop(users)
        output = "locust did not finish in time and was stopped\n"
        users.returncode = 124
    except BaseException:  # Ctrl-C or kill: the users stop with the run
        stop(users)
        raise
    (out / "locust.log").write_text(output)
    return users.returncode, output


def database_counts(url: str) -> dict[str, int]:
    """Counts the writes are checked against: compared before and after the run."""
    import psycopg2

    queries = {
        "orders": "SELECT count(*) FROM orders_salesorder WHERE source = 'staff'",
        "checks": "SELECT count(*) FROM orders_packingcheck WHERE passed",
        "shipped": "SELECT count(*) FROM orders_salesorder WHERE shipped_at IS NOT NULL",
        "receipts": "SELECT count(*) FROM purchasing_receipt",
        "placed": "SELECT count(*) FROM purchasing_purchaseorder WHERE ordered_at IS NOT NULL",
    }
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        counts = {}
        for key, query in queries.items():
            cursor.execute(query)
            counts[key] = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        counts["server"] = cursor.fetchone()[0]
    connection.close()
    return counts


def read_timings(path: Path) -> tuple[list[tuple[str, str, float, bool, float]], dict]:
    """Return the requests (method, step, ms, failed, when it was sent) and the notes per kind
    and step: writes sent (BEGIN) and refusals tolerated (TOLERATED)."""
    rows, notes = [], defaultdict(lambda: defaultdict(int))
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, name, milliseconds, failed, ended = line.split("\t")
            if kind in ("BEGIN", "TOLERATED"):
                notes[kind][name] += 1
            else:
                sent = float(ended) - float(milliseconds) / 1000
                rows.append((kind, name, float(milliseconds), failed == "1", sent))
    return rows, notes


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(share * len(values)) - 1)] if values else 0.0


def stats_row(label: str, times: list[float], failures: int) -> str:
    times = sorted(times)
    figures = " | ".join(f"{percentile(times, share):,.0f}" for share in (0.50, 0.95, 0.99, 1.0))
    return f"| {label} | {len(times):,} | {failures} | {figures} |"


def locust_exceptions(out: Path) -> int:
    """Errors raised in the users' own code (not requests), from locust's CSV."""
    path = out / "locust_exceptions.csv"
    if not path.exists():
        return 0
    with path.open(newline="") as handle:
        return sum(int(row.get("Count") or 0) for row in csv.DictReader(handle))


def locust_rate(out: Path) -> float:
    path = out / "locust_stats.csv"
    if path.exists():
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["Name"] == "Aggregated":
                    return float(row["Requests/s"])
    return 0.0


def server_errors(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "worker timeouts": text.count("WORKER TIMEOUT"),
    }


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or ", ".join(f"{n:.2f}" for n in os.getloadavg())


def machine() -> str:
    cpu = platform.machine()
    memory = "RAM unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {memory}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", type=int, default=60, help="seconds")
    parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="server setting"
    )
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    # Ctrl-C and kill end the run through the finally clauses that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = datetime.now(UTC)
    out = ROOT / "bench" / "out" / f"load-{started:%Y%m%d-%H%M%S}"
    out.mkdir(parents=True)
    url = database_url(os.environ.get("DATABASE_URL", DEFAULT_URL), DATABASE)
    env = os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "STATICFILES_STORAGE": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "MEDIA_ROOT": str(out / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    for assignment in args.env:
        name, _, value = assignment.partition("=")
        env[name] = value

    recreate_database(url)
    setup_seconds = prepare(env, args.scale)
    before = database_counts(url)
    port = free_port()
    gunicorn_log = out / "gunicorn.log"
    server = start_gunicorn(env, port, args.workers, args.threads, gunicorn_log)
    try:
        load_before = uptime()
        locust_status, locust_output = run_locust(env, port, args, out)
        load_after = uptime()
    finally:
        stop(server)
    after = database_counts(url)
    integrity = manage(env | {"LANGUAGE_CODE": "en"}, "check_stock_integrity")
    integrity_text = " ".join((integrity.stdout + integrity.stderr).split())

    timings, notes = read_timings(out / "timings.tsv")
    by_step: dict[tuple[str, str], list] = defaultdict(lambda: [[], 0])
    for method, name, milliseconds, failed, _sent in timings:
        by_step[method, name][0].append(milliseconds)
        by_step[method, name][1] += failed
    failures = sum(row[3] for row in timings)
    exceptions = locust_exceptions(out)
    errors = server_errors(gunicorn_log)
    succeeded, answered = defaultdict(int), defaultdict(int)
    for method, name, _ms, failed, _sent in timings:
        if method == "POST":
            answered[name] += 1
            succeeded[name] += not failed
    work_rows, disagreements = [], 0
    for step, label, key in WRITES:
        tolerated = notes["TOLERATED"][step]
        told = succeeded[step] - tolerated
        unanswered = notes["BEGIN"][step] - answered[step]
        held = "—"
        if key is not None:
            count = after[key] - before[key]
            # The database holds every write the users were told of, and at most the ones
            # stopped before their answer came besides.
            agrees = told <= count <= told + unanswered
            disagreements += not agrees
            held = f"{count:,}" + ("" if agrees else " **disagrees**")
        work_rows.append(f"| {label} (`{step}`) | {told:,} | {unanswered} | {tolerated} | {held} |")

    logins = ("login", "login form")
    working = [row for row in timings if row[1] not in logins]
    # The steady part: what was sent once every user had logged in (logins hash a password
    # each, which on a small machine is most of the first part).
    last_login = max((s + t / 1000 for _m, n, t, _f, s in timings if n == "login"), default=0)
    steady = [row for row in working if row[4] >= last_login]
    end = max((s + t / 1000 for _m, _n, t, _f, s in timings), default=last_login)
    first = min((row[4] for row in timings), default=last_login)
    steps = sorted(by_step.items(), key=lambda item: -len(item[1][0]))
    faults = [
        text
        for text, bad in [
            (f"locust exited with {locust_status}", locust_status != 0),
            (f"{failures} failed requests", failures),
            (f"{exceptions} errors in the users' code", exceptions),
            (f"{sum(errors.values())} server errors", any(errors.values())),
            (f"{disagreements} writes disagree with the database", disagreements),
            ("stock not intact", integrity.returncode != 0),
        ]
        if bad
    ]
    ok = not faults
    command = (
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingxi .venv/bin/python "
        f"bench/bench_load.py --users {args.users} --spawn-rate {args.spawn_rate:g} "
        f"--run-time {args.run_time} --scale {args.scale} --workers {args.workers}"
        + (f" --threads {args.threads}" if args.threads > 1 else "")
        + "".join(f" --env {assignment}" for assignment in args.env)
    )
    server_kind = (
        f"gthread, {args.workers} workers × {args.threads} threads"
        if args.threads > 1
        else f"{args.workers} sync workers"
    )
    section = "\n".join(
        [
            f"## Load: {args.users} staff users, {args.run_time} s — {started:%Y-%m-%d %H:%M} UTC",
            "",
            f"`{command}`  ",
            f"commit {git_state()}; {machine()}; PostgreSQL {before['server']}; gunicorn "
            f"({server_kind}, `config.wsgi`, DEBUG off, whitenoise) on 127.0.0.1; locust "
            f"in one process on the same machine; `seed_demo --scale {args.scale}` "
            f"(seeded in {setup_seconds['seed_demo']:.0f} s)",
            "",
            f"Machine load (`uptime`) before the run: `{load_before}`; after: `{load_after}`.",
            "",
            f"Users: support, warehouse, purchaser, merchandiser and manager weighted "
            f"15 : 15 : 7 : 7 : 6, started {args.spawn_rate:g} a second, each logging in "
            f"through the login form then working with 1–4 s between tasks "
            f"(`bench/load/locustfile.py`). Times in ms, exact (every request recorded).",
            "",
            "| step | requests | failures | p50 | p95 | p99 | max |",
            "|---|---:|---:|---:|---:|---:|---:|",
            stats_row("**all requests**", [row[2] for row in timings], failures),
            stats_row(
                "**all but the logins**", [row[2] for row in working], sum(r[3] for r in working)
            ),
            stats_row(
                f"**after the last login** ({last_login - first:.0f} s in, "
                f"{len(steady) / max(end - last_login, 1):.1f} requests/s)",
                [row[2] for row in steady],
                sum(row[3] for row in steady),
            ),
            *(
                stats_row(f"{method} {name}", times, failed)
                for (method, name), (times, failed) in steps
            ),
            "",
            f"Rate: {locust_rate(out):,.1f} requests/s (locust, whole run). Errors raised in "
            f"the users' code: {exceptions}. Server log: {errors['tracebacks']} tracebacks, "
            f"{errors['worker timeouts']} worker timeouts.",
            "",
            "| work done | the users were told | stopped unanswered | refused, tolerated "
            "| the database holds |",
            "|---|---:|---:|---:|---:|",
            *work_rows,
            "",
            f"`check_stock_integrity` afterwards: {integrity_text} — "
            f"{'clean' if integrity.returncode == 0 else 'NOT CLEAN'}.",
            "",
            "Result: passed: no failed request, no server error, every write the users "
            "were told of is in the database and no other, stock intact."
            if ok
            else f"Result: FAILED: {'; '.join(faults)}.",
            "",
        ]
    )
    print(section)
    if not ok:
        print(locust_output[-4000:], file=sys.stderr)
    if not args.no_write:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + section)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
