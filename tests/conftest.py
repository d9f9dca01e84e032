"""Shared fixtures: the suite runs on the real PostgreSQL (``DATABASE_URL``) and Redis."""

import os

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from tests.celery_support import celery_connections_forget


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Keep uploaded files of a test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert against English messages unless a test switches language itself."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def celery_redis_url() -> str:
    """A Redis database of this test process's own for a real Celery broker: parallel test
    workers (pytest-xdist ``gw0``, ``gw1``…) never consume each other's tasks."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    database = 15 - int(worker.removeprefix("gw")) % 8
    return django_settings.REDIS_URL.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture
def celery_on_redis(celery_redis_url):
    """Point the Celery app at the real Redis (this process's database) for one test: tasks
    are sent to the broker, results kept there."""
    from config.celery import app

    keys = ("broker_url", "result_backend", "task_always_eager")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        broker_url=celery_redis_url, result_backend=celery_redis_url, task_always_eager=False
    )
    celery_connections_forget()
    yield celery_redis_url
    app.conf.update(saved)
    celery_connections_forget()


def pytest_report_header(config):
    db = django_settings.DATABASES["default"]
    return f"database: {db['ENGINE']} {db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}"
