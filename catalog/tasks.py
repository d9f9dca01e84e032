"""Celery tasks of the catalog: thin, idempotent wrappers around services."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection

from catalog import services
from catalog.models import Category

# A database that went away mid-import (restart, network cut): its transaction rolled back,
# so the job can run again from its stored file. The bulk COPY path raises the driver's own.
DATABASE_LOST = (
    OperationalError,
    InterfaceError,
    connection.Database.OperationalError,
    connection.Database.InterfaceError,
)


@shared_task(name="catalog.rebuild_category_tree")
def rebuild_category_tree() -> int:
    """Renumber the category tree from its parent links; safe to run twice."""
    services.category_tree_rebuild()
    return Category.objects.count()


@shared_task(
    name="catalog.import_workbook",
    autoretry_for=DATABASE_LOST,
    max_retries=3,
    retry_backoff=5,
    retry_jitter=False,
)
def import_workbook(job_id: str) -> str:
    """Run the workbook import job ``job_id``; a finished job is left alone, and one cut off
    by a lost database is run again (after 5, 10, 20 s)."""
    from catalog.jobs import job_run

    return job_run(job_id)


@shared_task(name="catalog.import_uploads_expire")
def import_uploads_expire() -> int:
    """Delete workbook uploads never confirmed, past ``IMPORT_UPLOAD_TTL_HOURS``."""
    from catalog.jobs import job_uploads_expire

    return len(job_uploads_expire())
