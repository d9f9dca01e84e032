"""A task for the fault tests' workers (``celery worker -I tests.faults.tasks``)."""

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="faults.tick")
def tick(path: str) -> None:
    """Append the time of this run to ``path``: one line per run."""
    with Path(path).open("a") as file:
        file.write(f"{time.time():.3f}\n")
