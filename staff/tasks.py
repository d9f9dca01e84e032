"""Celery tasks of staff: thin, idempotent wrappers around services."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from staff import mail


@shared_task(
    bind=True,
    name="staff.send_mail",
    autoretry_for=(mail.MailNotSent,),
    max_retries=settings.STAFF_MAIL_MAX_RETRIES,
    retry_backoff=settings.STAFF_MAIL_RETRY_BACKOFF,
    retry_backoff_max=settings.STAFF_MAIL_RETRY_BACKOFF_MAX,
    retry_jitter=False,
)
def send_mail(self, key: str) -> str:
    """Deliver the e-mail ``key``; retried with growing delays while the server is away.

    A sent key is left alone, so a retry or a redelivery never sends twice. Return the status.
    """
    last_attempt = self.request.retries >= self.max_retries
    return mail.mail_deliver(key=key, last_attempt=last_attempt).status


@shared_task(
    name="staff.report_run",
    autoretry_for=(Exception,),
    dont_autoretry_for=(ValueError,),  # an unknown kind or a bad date: a retry cannot help
    max_retries=settings.STAFF_REPORT_MAX_RETRIES,
    retry_backoff=settings.STAFF_REPORT_RETRY_BACKOFF,
    retry_jitter=False,
)
def report_run(kind: str, as_of_iso: str, parameters: dict | None = None) -> str:
    """Build report ``kind`` as of ``as_of_iso`` (YYYY-MM-DD) once; a done run is left alone,
    so a retry or a redelivery (acks late) builds nothing twice. Return the run's status."""
    from staff.reports import report_run as build

    return build(kind, dt.date.fromisoformat(as_of_iso), parameters or {}).status


@shared_task(
    bind=True,
    name="staff.subscription_deliver",
    max_retries=settings.STAFF_REPORT_MAX_RETRIES,
)
def subscription_deliver(self, subscription_id: int, as_of_iso: str | None = None) -> int:
    """E-mail the report of subscription ``subscription_id`` as of ``as_of_iso`` (beat gives
    none: today in ``TIME_ZONE``), once per recipient and day. A failure is retried for the
    same day, minutes apart. Return the number of deliveries queued or found sent."""
    from django.utils import timezone

    from staff.subscriptions import subscription_deliver as deliver

    as_of = dt.date.fromisoformat(as_of_iso) if as_of_iso else timezone.localdate()
    try:
        return len(deliver(subscription_id, as_of))
    except ObjectDoesNotExist:
        return 0  # the subscription was deleted after beat sent this
    except Exception as error:
        countdown = settings.STAFF_REPORT_RETRY_BACKOFF * 2**self.request.retries
        raise self.retry(
            exc=error, args=(subscription_id, as_of.isoformat()), countdown=countdown
        ) from error


@shared_task(name="staff.product_flow_refresh")
def product_flow_refresh() -> int:
    """Recompute every product's stored completeness and flow state; return how many."""
    from staff.flow import flow_refresh

    return flow_refresh()


@shared_task(name="staff.search_facts_refresh")
def search_facts_refresh() -> int:
    """Rebuild the catalogue search's stored facts; safe to run twice. Return the rows."""
    from staff.search_facts import search_facts_refresh as refresh

    return refresh()
