"""Fault injection for the fault tests: a dropped database connection, free ports, processes.

``connection_dropped_after`` ends this process's PostgreSQL backend from a second connection
(``pg_terminate_backend``) right after a chosen statement has run, as a network cut or a
database restart would: the transaction in flight is lost and the next statement fails.
The statement is picked by a pattern on its SQL, so the cut falls at the same point of a
service every run.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 2  # seconds: short, so a test need not wait an hour for a redelivery


def side_connection(*, autocommit: bool = False):
    """Open a second, plain psycopg2 connection to the test database: one that holds a lock
    while a worker waits for it, or (autocommit) one that looks on from the side."""
    side = psycopg2.connect(**connection.get_connection_params())
    side.autocommit = autocommit
    return side


def _admin_connection():
    return side_connection(autocommit=True)


def backend_terminate(pid: int) -> None:
    """End the backend ``pid`` and wait until it is gone."""
    with contextlib.closing(_admin_connection()) as side, side.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@dataclass
class Cut:
    pattern: str
    occurrence: int
    seen: int = 0
    done: bool = False
    statements: list[str] = field(default_factory=list)


@contextlib.contextmanager
def connection_dropped_after(pattern: str, *, occurrence: int = 1) -> Iterator[Cut]:
    """Drop the database connection right after the ``occurrence``-th statement whose SQL
    matches ``pattern`` (a regular expression, searched case-insensitively) has run."""
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    cut = Cut(pattern, occurrence)
    matcher = re.compile(pattern, re.IGNORECASE)

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        cut.statements.append(sql[:120])
        if not cut.done and matcher.search(sql):
            cut.seen += 1
            if cut.seen == occurrence:
                cut.done = True
                backend_terminate(pid)
        return result

    with connection.execute_wrapper(wrapper):
        yield cut


def reconnect() -> None:
    """Forget the dropped connection: the next query opens a fresh one."""
    connections.close_all()


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """Return the URL of the database this process uses (the test database)."""
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def redis_url(database: int | None = None) -> str:
    """Return ``REDIS_URL``, on another database number if given."""
    if database is None:
        return settings.REDIS_URL
    return settings.REDIS_URL.rsplit("/", 1)[0] + f"/{database}"


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment of a worker or beat started by a test: the test database, the media
    folder of the test, and ``overrides``."""
    return os.environ | {
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def process_start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``args`` in its own process group, its output into ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def process_stop(process: subprocess.Popen, *, kill: bool = False, timeout: float = 10) -> None:
    """Stop ``process`` and its children: SIGKILL at once if ``kill``, else SIGTERM first."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


def worker_command(queue: str, *extra: str) -> list[str]:
    """A one-task-at-a-time worker on ``queue`` only (other helpers share the broker)."""
    return celery(
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
        *extra,
    )


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, every=0.1):
    """Return ``condition()`` once it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
