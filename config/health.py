"""The health page a load balancer or monitor polls: is each service the site needs reachable?"""

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Seconds a check may wait for its service: the page answers well within a probe's timeout.
TIMEOUT = 2.0


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def redis_ping() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def broker() -> str | None:
    """Connect to the Celery broker; return "eager" when tasks run in-process (no broker)."""
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=TIMEOUT)
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": database,
    "redis": redis_ping,
    "broker": broker,
}


def run_check(check: Callable[[], str | None]) -> dict:
    """Run one check; report ``ok`` or ``error`` with the error's kind, never its text (a
    connection error can carry a URL with its password), and the time it took."""
    started = time.perf_counter()
    try:
        status = check() or "ok"
    except Exception as exc:  # any failure of a service is a failed check, not a 500
        result = {"status": "error", "error": type(exc).__name__}
    else:
        result = {"status": status}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def healthz(request):
    """Answer 200 when every service answers, 503 otherwise, with each check's result."""
    checks = {name: run_check(check) for name, check in CHECKS.items()}
    healthy = all(result["status"] != "error" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
