"""What the benchmarks share: their own PostgreSQL database and the commit they measured."""

import os
import platform
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def database_url(base: str, name: str) -> str:
    """Return ``base`` pointing at database ``name`` on the same server (PostgreSQL only)."""
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {base}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str) -> None:
    """Drop the database of ``url`` if it exists and create it empty."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = sql.Identifier(parts.path.lstrip("/"))
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        admin.close()


def git_state(*paths: str) -> str:
    """Return the short commit, noting uncommitted changes under ``paths``."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", *paths) else ""
    return git("rev-parse", "--short", "HEAD") + dirty


def machine(connection) -> str:
    """One line on where a benchmark ran: CPUs, memory, PostgreSQL (asked through the open
    psycopg2 ``connection``, closed here), Python, psycopg2 and the load average."""
    import psycopg2

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connection.close()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {mem:.1f} GiB RAM, PostgreSQL {version}, Python "
        f"{platform.python_version()}, psycopg2 {psycopg2.__version__.split()[0]}; "
        f"load average {load}"
    )
