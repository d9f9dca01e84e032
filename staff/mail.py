"""E-mail delivery: one message per key, sent through Django's e-mail backend by a Celery task
that retries while the mail server is away, and recorded (``MailDelivery``) so that a message
that could not leave is shown, with its attempts and last error, in the admin.

Exactly once per key: a delivery row is locked while its message is handed to the server and
marked sent in the same transaction, so a second request, a retry or a redelivered task
finds it sent and sends nothing. One case is left at least once: the server accepted the
message and the database was lost before the commit (the worker killed between the two);
the next attempt sends it again with the same ``Message-ID`` (made from the key), which mail
clients and archives use to show it once.

A report e-mail carries its run's workbook as an attachment when ``attach`` is set (the
caller decides by size, see ``staff.subscriptions``); the file is read when the message is
sent, so a retry attaches the same bytes.
"""

import contextlib
import hashlib
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from staff.models import MailDelivery, MailStatus, ReportRun, ReportSubscription

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a mail server that is down, unreachable or refusing for now raises: worth a retry.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


class MailNotSent(Exception):
    """The message of a delivery did not leave this time; ``delivery`` says why."""

    def __init__(self, delivery: MailDelivery):
        super().__init__(delivery.last_error)
        self.delivery = delivery


def mail_queue(
    *,
    key: str,
    recipients: Sequence[str],
    subject: str,
    body: str = "",
    run: ReportRun | None = None,
    attach: bool = False,
    subscription: ReportSubscription | None = None,
) -> MailDelivery:
    """Record the message ``key`` and send it in the background once the caller commits;
    with ``attach``, the workbook of ``run`` goes with it.

    A key already sent is left alone (nothing is sent twice); a failed one is queued again
    for a new attempt with its message as first given.
    """
    with transaction.atomic():
        delivery, _created = MailDelivery.objects.select_for_update().get_or_create(
            key=key,
            defaults={
                "recipients": list(recipients),
                "subject": subject,
                "body": body,
                "run": run,
                "attach": attach and run is not None,
                "subscription": subscription,
            },
        )
        if delivery.status == MailStatus.SENT:
            return delivery
        if delivery.status == MailStatus.FAILED:
            delivery.status = MailStatus.QUEUED
            delivery.save(update_fields=["status"])
        from staff.tasks import send_mail

        def send() -> None:
            if send_mail.app.conf.task_always_eager:
                # No worker to retry later (the first run): one attempt now; a failure is
                # shown as failed in the admin, and asking again tries again.
                with contextlib.suppress(MailNotSent):
                    mail_deliver(key=key)
            else:
                send_mail.delay(key)

        # ``robust``: a broker that cannot be reached leaves the delivery queued, shown in
        # the admin, instead of failing the caller after its commit.
        transaction.on_commit(send, robust=True)
    return delivery


def mail_deliver(*, key: str, last_attempt: bool = True) -> MailDelivery:
    """Send the message of delivery ``key`` unless it was sent; raise ``MailNotSent`` when the
    server cannot take it, after recording the attempt (``failed`` on the ``last_attempt``)."""
    with transaction.atomic():
        delivery = MailDelivery.objects.select_for_update().get(key=key)
        if delivery.status == MailStatus.SENT:
            return delivery
        delivery.attempts += 1
        try:
            _message(delivery).send()
        except MAIL_ERRORS as error:
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            delivery.status = MailStatus.FAILED if last_attempt else MailStatus.QUEUED
            failed = True
        else:
            delivery.status, delivery.sent_at, delivery.last_error = (
                MailStatus.SENT,
                timezone.now(),
                "",
            )
            failed = False
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if failed:
        raise MailNotSent(delivery)
    return delivery


def message_id(key: str) -> str:
    """The ``Message-ID`` of delivery ``key``: the same on every attempt."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "jingxi.localhost"
    return f"<{digest}@{domain}>"


def _message(delivery: MailDelivery) -> EmailMessage:
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=delivery.recipients,
        headers={"Message-ID": message_id(delivery.key)},
        connection=get_connection(fail_silently=False),
    )
    if delivery.attach and delivery.run_id and delivery.run.file:
        run = delivery.run
        with run.file.open("rb") as file:
            content = file.read()
        message.attach(f"{run.get_kind_display()}-{run.as_of.isoformat()}.xlsx", content, XLSX)
    return message
