"""Celery tasks of the catalog: thin, idempotent wrappers around services."""

from celery import shared_task

from catalog import services
from catalog.models import Category


@shared_task(name="catalog.rebuild_category_tree")
def rebuild_category_tree() -> int:
    """Renumber the category tree from its parent links; safe to run twice."""
    services.category_tree_rebuild()
    return Category.objects.count()
