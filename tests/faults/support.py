"""Fault injection for the fault tests: a dropped database connection, free ports, processes.

``connection_dropped_after`` ends this process's PostgreSQL backend from a second connection
(``pg_terminate_backend``) right after a chosen statement has run, as a network cut or a
database restart would: the transaction in flight is lost and the next statement fails.
The statement is picked by a pattern on its SQL, so the cut falls at the same point of a
service every run.
"""

import contextlib
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.db import connection, connections

ROOT = Path(__file__).resolve().parents[2]


def _admin_connection():
    """Open a second, plain psycopg2 connection to the test database (autocommit)."""
    side = psycopg2.connect(**connection.get_connection_params())
    side.autocommit = True
    return side


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
