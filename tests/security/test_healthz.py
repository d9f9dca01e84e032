"""/healthz against the real PostgreSQL, Redis and Celery broker, and with each one broken."""

import json

import pytest
from django.test import Client

from config.celery import app as celery_app


@pytest.fixture
def real_broker(settings):
    """Point Celery at the test Redis as its broker, as web and worker run in production."""
    broker = settings.REDIS_URL.rsplit("/", 1)[0] + "/15"
    settings.CELERY_BROKER_URL = broker
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = broker
    yield broker
    celery_app.conf.broker_url = previous


def health(**headers):
    response = Client(**headers).get("/healthz")
    return response, json.loads(response.content)


def test_healthz_is_200_when_database_redis_and_broker_answer(db, real_broker):
    response, body = health()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert 0 <= check["latency_ms"] < 2000
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_with_a_broker_that_does_not_answer(db, settings, real_broker):
    broken = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = broken
    celery_app.conf.broker_url = broken
    response, body = health()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"
    assert "127.0.0.1:1" not in response.content.decode()  # no address, URL or secret


def test_healthz_is_503_when_redis_does_not_answer(db, settings):
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"
    response, body = health()
    assert response.status_code == 503
    assert body["checks"]["redis"]["status"] == "error"
    assert "hunter2" not in response.content.decode()


def test_healthz_reports_a_broker_less_first_run_as_eager(db, settings):
    settings.CELERY_BROKER_URL = ""
    response, body = health()
    assert response.status_code == 200
    assert body["checks"]["broker"]["status"] == "eager"


def test_healthz_needs_no_login_and_never_redirects(db, real_broker, settings):
    settings.SECURE_SSL_REDIRECT = True
    response, body = health()  # plain HTTP, anonymous
    assert (response.status_code, body["status"]) == (200, "ok")
    page = Client().get("/roles/")  # while a page is sent to HTTPS
    assert (page.status_code, page["Location"]) == (301, "https://testserver/roles/")


def test_healthz_answers_get_only(db):
    assert Client().post("/healthz").status_code == 405
