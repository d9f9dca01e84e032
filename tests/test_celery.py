"""The Celery app talks JSON to a real Redis broker and runs autodiscovered tasks."""

import pytest
from celery.contrib.testing.worker import start_worker

from catalog.models import Category
from catalog.tasks import rebuild_category_tree
from config.celery import app
from tests.factories import CategoryFactory


def test_celery_is_configured_for_idempotent_json_tasks():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert timeout > app.conf.task_time_limit
    assert "catalog.rebuild_category_tree" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_catalog_task_through_redis(celery_on_redis):
    top = CategoryFactory()
    CategoryFactory(parent=top)
    Category.objects.filter(pk=top.pk).update(lft=999)  # damage the numbering

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = rebuild_category_tree.delay()
        assert result.get(timeout=20) == 2

    top.refresh_from_db()
    assert (top.lft, top.rght) == (1, 4)
