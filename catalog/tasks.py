"""Celery tasks of the catalog: thin, idempotent wrappers around services."""

from celery import shared_task

from catalog import services
from catalog.models import Category


@shared_task(name="catalog.rebuild_category_tree")
def rebuild_category_tree() -> int:
    """Renumber the category tree from its parent links; safe to run twice."""
    services.category_tree_rebuild()
    return Category.objects.count()


@shared_task(name="catalog.import_workbook")
def import_workbook(job_id: str) -> str:
    """Run the workbook import job ``job_id``; a finished job is left alone."""
    from catalog.jobs import job_run

    return job_run(job_id)


@shared_task(name="catalog.import_uploads_expire")
def import_uploads_expire() -> int:
    """Delete workbook uploads never confirmed, past ``IMPORT_UPLOAD_TTL_HOURS``."""
    from catalog.jobs import job_uploads_expire

    return len(job_uploads_expire())
