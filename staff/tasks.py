"""Celery tasks of staff: thin, idempotent wrappers around services."""

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
