"""The mail server down: an e-mail is retried with growing delays, then shown as failed to
the manager; once the server is back a new attempt delivers it once, and never again.

The mail server is a real SMTP server (aiosmtpd) on a free loopback port; "down" is the same
port with nothing listening. The retries run in a real worker (their delays are real: 1 s,
2 s, 4 s here); the first run's eager Celery makes one attempt and shows the failure.
"""

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from staff import mail
from staff.models import MailDelivery, MailStatus
from staff.tasks import send_mail
from tests.faults.support import (
    child_environment,
    free_port,
    process_start,
    process_stop,
    redis_url,
    wait_for,
    worker_command,
)
from tests.staff.support import FAST_HASHERS, role_users

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "restock-report:2026-12-06:manager"
RETRIES = 3


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port(settings) -> int:
    """Send e-mail by SMTP to a loopback port where no server listens yet."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


class SMTPServer:
    """A real SMTP server on ``port``, started when the test says so."""

    def __init__(self, port: int):
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.running = False

    def start(self):
        self.controller.start()
        self.running = True

    @property
    def messages(self):
        return self.inbox.messages


@pytest.fixture
def smtp_server(smtp_port):
    server = SMTPServer(smtp_port)
    yield server
    if server.running:
        server.controller.stop()


def queue_report():
    return mail.mail_queue(
        key=KEY,
        recipients=["manager@example.com"],
        subject="Restock report",
        body="12 SKUs to reorder.",
    )


def delivery_status() -> str:
    return MailDelivery.objects.get(key=KEY).status


@pytest.mark.slow
def test_a_worker_retries_a_mail_with_backoff_shows_it_failed_then_delivers_it_once(
    smtp_port, smtp_server, broker, tmp_path
):
    env = child_environment(
        CELERY_BROKER_URL=redis_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="2",
        STAFF_MAIL_MAX_RETRIES=str(RETRIES),
        STAFF_MAIL_RETRY_BACKOFF="1",
    )
    log = tmp_path / "worker.log"
    worker = process_start(worker_command(broker), env, log)
    try:
        queue_report()
        wait_for(
            lambda: delivery_status() == MailStatus.FAILED,
            timeout=30,
            what=f"the retries to give up (log: {log})",
        )
        delivery = MailDelivery.objects.get(key=KEY)
        assert delivery.attempts == RETRIES + 1
        assert "ConnectionRefusedError" in delivery.last_error
        assert delivery.sent_at is None
        assert log.read_text().count("Retry in") == RETRIES  # 1 s, 2 s, 4 s

        manager = Client()
        manager.force_login(role_users()["manager"])
        page = manager.get(reverse("admin:staff_maildelivery_changelist")).content.decode()
        assert "Restock report" in page and "failed" in page
        detail = manager.get(reverse("admin:staff_maildelivery_change", args=[delivery.pk]))
        assert "ConnectionRefusedError" in detail.content.decode()
        assert 'name="_save"' not in detail.content.decode()  # read-only

        smtp_server.start()
        queue_report()  # asked again: a new attempt, now delivered
        wait_for(
            lambda: delivery_status() == MailStatus.SENT,
            timeout=20,
            what=f"the new attempt to deliver (log: {log})",
        )
        assert len(smtp_server.messages) == 1
        message = smtp_server.messages[0]
        assert message.rcpt_tos == ["manager@example.com"]
        assert b"Restock report" in message.content
        assert MailDelivery.objects.get(key=KEY).attempts == RETRIES + 2

        queue_report()  # the same key again: nothing is sent
        send_mail.apply_async(args=[KEY])  # nor by a stray or redelivered task
        wait_for(lambda: log.read_text().count("succeeded") >= 2, timeout=10, what="the task")
    finally:
        process_stop(worker)
    assert len(smtp_server.messages) == 1
    assert MailDelivery.objects.get(key=KEY).attempts == RETRIES + 2


def test_without_a_worker_one_attempt_is_made_and_a_failure_shown(smtp_port, smtp_server):
    queue_report()  # eager Celery: sent on commit, in this process

    delivery = MailDelivery.objects.get(key=KEY)
    assert (delivery.status, delivery.attempts) == (MailStatus.FAILED, 1)
    assert "ConnectionRefusedError" in delivery.last_error

    smtp_server.start()
    queue_report()
    assert delivery_status() == MailStatus.SENT
    queue_report()
    assert send_mail.apply(args=[KEY]).get() == MailStatus.SENT
    assert len(smtp_server.messages) == 1


def test_the_manager_alone_reads_the_deliveries():
    MailDelivery.objects.create(key=KEY, recipients=["a@example.com"], subject="S")
    users = role_users()
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        status = client.get(reverse("admin:staff_maildelivery_changelist")).status_code
        assert status == (200 if role == "manager" else 403), role
    assert send_mail.max_retries == django_settings.STAFF_MAIL_MAX_RETRIES
    assert send_mail.retry_backoff == django_settings.STAFF_MAIL_RETRY_BACKOFF
