"""Run code against a fresh SQLite database (the embedded first run), in a child process.

The test process is bound to PostgreSQL; a child ``manage.py`` with ``DATABASE_URL`` set to
a file runs the migrations, then a scenario through ``manage.py shell -c``.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(**overrides: str) -> dict[str, str]:
    """Return this process's environment with ``overrides``: a child ``manage.py`` sees the
    configuration the tests run under (``JINGXI_DATA_DIR``, ``PATH``, locale), not a bare one."""
    return os.environ | overrides


def sqlite_migrated(directory: Path) -> tuple[Path, dict]:
    """Migrate a new SQLite database in ``directory``; return its path and the environment
    that points ``manage.py`` at it."""
    database = directory / "jingxi.sqlite3"
    env = child_env(DATABASE_URL=f"sqlite:///{database}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return database, env


def sqlite_run(env: dict, scenario: str) -> subprocess.CompletedProcess:
    """Run ``scenario`` with ``manage.py shell -c`` on the database of ``env``."""
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", scenario],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
