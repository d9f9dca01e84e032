"""Fixtures of the fault tests: the warehouse and its shops, a broker queue of one test."""

import uuid

import pytest

from config.celery import app
from tests.celery_support import celery_connections_forget
from tests.faults.support import VISIBILITY_TIMEOUT, redis_url
from tests.orders.conftest import shops, site  # noqa: F401  (the warehouse and its shops)


@pytest.fixture
def shared_cache(settings):
    """Keep import jobs in Redis, where the test and its workers both see them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
        }
    }


@pytest.fixture
def broker():
    """Send tasks to the real Redis, on a queue of this test alone."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    keys = ("broker_url", "task_always_eager", "broker_transport_options", "task_routes")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        broker_url=redis_url(),
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        task_routes={"*": {"queue": queue}},
    )
    celery_connections_forget()
    _routes_reload()
    yield queue
    app.conf.update(saved)
    _routes_reload()
    celery_connections_forget()


def _routes_reload() -> None:
    """Make the app route by ``task_routes`` as now set (Celery caches its router)."""
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
