"""Celery tasks of orders: thin, idempotent wrappers around services."""

from celery import shared_task

from orders import services


@shared_task(name="orders.backorders_allocate")
def backorders_allocate() -> int:
    """Serve backordered lines from stock that came in (receipts, returns, adjustments).

    Inventory never calls orders, so this runs on a beat schedule
    (``CELERY_BEAT_SCHEDULE``); safe to run twice. Return the lines served.
    """
    return services.backorders_allocate()


@shared_task(name="orders.inquiries_link_orders")
def inquiries_link_orders() -> int:
    """Link inquiries to the orders they turned into, for data that came in late (an inquiry
    typed in after its order, orders imported days later). One UPDATE; safe to run twice.
    Return the inquiries linked."""
    return services.inquiries_link_orders()


@shared_task(name="orders.promotion_locks_release")
def promotion_locks_release() -> int:
    """Release the stock locked for promotions that ended (daily, ``CELERY_BEAT_SCHEDULE``);
    safe to run twice. Return the units released."""
    return services.ended_promotions_release()
