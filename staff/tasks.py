"""Celery tasks of staff: thin, idempotent wrappers around services."""

import datetime as dt

from celery import shared_task
from django.conf import settings

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
