"""Helpers for tests that run a real Celery worker or broker."""


def celery_connections_forget() -> None:
    """Make the Celery app connect anew after its broker or result settings changed: close
    the broker connections and forget the pools (kombu keeps them per URL, Celery caches
    them) and the result backend (cached per thread on first use)."""
    import kombu.pools

    from config.celery import app

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    vars(app._local).pop("backend", None)
