"""A Celery worker killed in the middle of a task: the task is delivered again, runs to the
end in another worker, and its effect happens once.

A real worker (``celery -A config worker --pool=solo``) runs the catalogue import job on the
test database through the real Redis. The test holds a row the import needs (a brand of the
same name, inserted and not committed by a second connection), so the worker is caught in
the middle of its import transaction — categories written, brands waiting — and SIGKILLed
there. Tasks are acknowledged late (``CELERY_TASK_ACKS_LATE``): the message stays
unacknowledged in Redis and, after ``CELERY_VISIBILITY_TIMEOUT``, goes to the next worker.
"""

import contextlib
import time

import pytest

from catalog import jobs
from catalog.models import SKU, Brand, Category, Product
from catalog.tasks import import_workbook
from tests.catalog.test_workbook_import import row, workbook
from tests.faults.support import (
    VISIBILITY_TIMEOUT,
    child_environment,
    process_start,
    process_stop,
    redis_url,
    side_connection,
    wait_for,
    worker_command,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 60


def waiting_backend() -> int | None:
    """Return the pid of a backend that waits for a lock to insert a brand, if any."""
    with contextlib.closing(side_connection()) as side, side.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"catalog_brand\"%%'"
        )
        found = cursor.fetchone()
    return found[0] if found else None


def backend_alive(pid: int) -> bool:
    with contextlib.closing(side_connection()) as side, side.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def test_an_import_whose_worker_is_killed_is_redelivered_and_applied_once(
    admin_user, shared_cache, broker, tmp_path
):
    content = workbook([row(f"KILL-{n:03d}", f"P-{n // 3:03d}", brand="中断") for n in range(ROWS)])
    job_id = jobs.job_create(
        content=content, kind="products", dry_run=False, create_categories=True, user=admin_user
    )
    env = child_environment(
        CELERY_BROKER_URL=redis_url(),
        CACHE_URL=redis_url().replace("redis://", "rediscache://", 1),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    log = tmp_path / "workers.log"

    # A second connection holds the brand's name: the worker's insert must wait for it.
    holder = side_connection()
    with holder.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalog_brand (name, description, is_active) VALUES (%s, '', true)",
            ["中断"],
        )
    first = None
    try:
        sent = import_workbook.apply_async(args=[job_id], queue=broker)
        first = process_start(worker_command(broker), env, log)
        stuck = wait_for(waiting_backend, timeout=25, what="the worker to reach the brand insert")
        assert jobs.job_get(job_id)["status"] == "running"
        process_stop(first, kill=True)
        assert first.returncode == -9
        killed_at = time.monotonic()
    finally:
        if first is not None:
            process_stop(first, kill=True)
        holder.rollback()
        holder.close()

    # The killed worker's transaction dies with its connection: nothing of it is stored.
    wait_for(lambda: not backend_alive(stuck), timeout=10, what="the orphan backend to end")
    assert not SKU.objects.exists() and not Brand.objects.exists()
    assert not Category.objects.exists()
    assert jobs.job_get(job_id)["status"] == "running"

    time.sleep(max(0.0, VISIBILITY_TIMEOUT - (time.monotonic() - killed_at)))
    second = process_start(worker_command(broker), env, log)
    try:
        wait_for(
            lambda: jobs.job_get(job_id)["status"] == "done",
            timeout=25,
            what=f"the redelivered import to finish (log: {log})",
        )
    finally:
        process_stop(second)

    # One message, delivered to both workers: the second got it back from Redis.
    assert log.read_text().count(f"Task catalog.import_workbook[{sent.id}] received") == 2
    state = jobs.job_get(job_id)
    assert state["report"]["new"] == ROWS and state["report"]["applied"]
    assert SKU.objects.count() == ROWS
    assert Product.objects.count() == ROWS // 3
    assert Brand.objects.filter(name="中断").count() == 1
    assert SKU.history.filter(history_type="+").count() == ROWS  # one creation each, once
