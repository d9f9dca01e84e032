"""Scheduled report e-mails end to end: real Celery beat and worker processes on the Redis
broker, the test database, and a real SMTP server (aiosmtpd) on a loopback port.

- A due subscription fires from beat; while the mail server is down the worker retries with
  backoff (the run's deliveries show the error); once it is up, one e-mail per recipient
  arrives with a valid workbook whose figures are the report service's, and each recipient's
  workbook holds what its role may see. Running the task again sends nothing new.
- A worker killed in the middle of building the report: the task comes back from Redis to
  the next worker, which delivers once.
"""

import contextlib
import datetime as dt
import email
import io
import json
import time
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from purchasing import reports as purchasing_reports
from staff import subscriptions
from staff.models import MailDelivery, MailStatus, ReportRun, ReportSubscription, RunStatus
from staff.tasks import subscription_deliver
from tests.factories import SKUFactory
from tests.faults.support import (
    VISIBILITY_TIMEOUT,
    celery,
    child_environment,
    process_start,
    process_stop,
    redis_url,
    side_connection,
    wait_for,
    worker_command,
)
from tests.faults.test_smtp_down import SMTPServer, smtp_port  # noqa: F401  (the fixture)
from tests.purchasing.conftest import site  # noqa: F401  (the fixture: a warehouse with slots)
from tests.purchasing.support import at, offer, receive_at, supplier
from tests.staff.support import FAST_HASHERS, role_users

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def stock(site):  # noqa: F811
    """Two SKUs below their warning level, each with one offer: suggestions to order."""
    for code, cost in (("MAIL1", "10.00"), ("MAIL2", "25.50")):
        sku = SKUFactory(code=code, warning_level=5)
        offer(sku, supplier(f"S-{code}"), cost, min_order_quantity=12)
        receive_at(at(5), sku, site.receiving, 3)


def restock_subscription(roles, addresses="") -> ReportSubscription:
    # Only this subscription may fire: no other beat entry is left in the database.
    PeriodicTask.objects.all().delete()
    ReportSubscription.objects.all().delete()
    crontab = CrontabSchedule.objects.create(
        minute="*", hour="*", timezone=timezone.get_current_timezone_name()
    )
    made = ReportSubscription.objects.create(
        name="每日补货建议", kind="restock", crontab=crontab, addresses=addresses
    )
    made.roles.set(Group.objects.filter(name__in=roles))
    subscriptions.subscription_schedule(made)
    return made


def environment(queue: str, smtp_port: int, **overrides) -> dict:  # noqa: F811
    return child_environment(
        CELERY_BROKER_URL=redis_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,  # the worker's own tasks (the e-mails) stay here
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="2",
        STAFF_MAIL_MAX_RETRIES="8",
        STAFF_MAIL_RETRY_BACKOFF="1",
        STAFF_MAIL_RETRY_BACKOFF_MAX="2",
        **overrides,
    )


def attachments(message) -> dict[str, bytes]:
    parsed = email.message_from_bytes(message.content)
    return {
        part.get_filename(): part.get_payload(decode=True)
        for part in parsed.walk()
        if part.get_filename()
    }


def sheet(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def all_sent(count: int) -> bool:
    return MailDelivery.objects.filter(status=MailStatus.SENT).count() == count


def test_a_due_subscription_fires_retries_while_smtp_is_down_and_delivers_once(
    stock,
    smtp_port,  # noqa: F811
    broker,
    tmp_path,
):
    users = role_users()
    made = restock_subscription(["purchaser", "warehouse"], addresses="boss@example.com")
    # Due now: its crontab (every minute) last ran two minutes ago.
    PeriodicTask.objects.filter(pk=made.periodic_task_id).update(
        last_run_at=timezone.now() - dt.timedelta(minutes=2)
    )
    server = SMTPServer(smtp_port)  # not started: the mail server is down
    env = environment(broker, smtp_port)
    log = tmp_path / "celery.log"
    worker = process_start(worker_command(broker), env, log)
    beat = process_start(
        celery("beat", "--loglevel=INFO", "--max-interval=1", f"--pidfile={tmp_path}/beat.pid"),
        env,
        tmp_path / "beat.log",
    )
    try:
        wait_for(
            lambda: MailDelivery.objects.filter(attempts__gte=2).count() == 3,
            timeout=60,
            what=f"three e-mails retried while the server is down (log: {log})",
        )
        process_stop(beat)  # it fired; the rest is the worker's
        assert "Sending due task report-subscription" in (tmp_path / "beat.log").read_text()
        as_of = timezone.localdate()
        runs = ReportRun.objects.filter(kind="restock", as_of=as_of)
        assert sorted(runs.values_list("parameters_key", flat=True)) == [
            "",
            '{"without_cost":true}',
        ]
        # The run shows why its e-mails have not left yet.
        pending = MailDelivery.objects.get(recipients=["purchaser@jingxi.local"])
        assert pending.status == MailStatus.QUEUED
        assert "ConnectionRefusedError" in pending.last_error
        assert pending.run.status == RunStatus.DONE

        server.start()
        wait_for(lambda: all_sent(3), timeout=30, what=f"the e-mails to arrive (log: {log})")
        time.sleep(1)  # a stray duplicate would arrive now
        assert sorted(m.rcpt_tos[0] for m in server.messages) == [
            "boss@example.com",
            "purchaser@jingxi.local",
            "warehouse@jingxi.local",
        ]

        # Running the task again (a second beat, a retry) sends nothing new.
        again = subscription_deliver.apply_async(args=[made.pk, as_of.isoformat()])
        wait_for(
            lambda: f"[{again.id}] succeeded" in log.read_text(),
            timeout=30,
            what="the second run of the task",
        )
        time.sleep(1)
    finally:
        process_stop(beat)
        process_stop(worker)
        if server.running:
            server.controller.stop()

    assert len(server.messages) == 3
    by_reader = {m.rcpt_tos[0]: m for m in server.messages}
    purchaser = by_reader["purchaser@jingxi.local"]
    files = attachments(purchaser)
    assert len(files) == 1
    rows = sheet(next(iter(files.values())))
    with translation.override("zh-hans"):  # the worker writes in LANGUAGE_CODE
        report = purchasing_reports.restock(as_of=as_of)
        expected = [
            [float(v) if isinstance(v, Decimal) else v for v in row]
            for row in purchasing_reports.workbook_rows(report)
        ]
    assert [list(r) for r in rows[1:]] == expected
    header = list(rows[0])
    with translation.override("zh-hans"):
        cost_header = str(purchasing_reports.HEADERS["unit_cost"])
        value_header = str(purchasing_reports.HEADERS["order_value"])
    assert cost_header in header
    values = {r[0]: r[header.index(value_header)] for r in rows[1:]}
    assert values == {"MAIL1": 120.0, "MAIL2": 306.0}
    for reader in ("warehouse@jingxi.local", "boss@example.com"):
        (content,) = attachments(by_reader[reader]).values()
        other = sheet(content)
        assert cost_header not in other[0] and value_header not in other[0]
        assert sorted(r[0] for r in other[1:]) == ["MAIL1", "MAIL2"]
    assert users["purchaser"].email == "purchaser@jingxi.local"


def waiting_for_the_run() -> bool:
    with contextlib.closing(side_connection()) as side, side.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE '%%staff_reportrun%%'"
        )
        return cursor.fetchone() is not None


def test_a_worker_killed_while_building_is_redelivered_and_delivers_once(
    stock,
    smtp_port,  # noqa: F811
    broker,
    tmp_path,
):
    role_users()
    made = restock_subscription(["purchaser"])
    as_of = timezone.localdate()
    # The run's row exists; a second connection holds it, so the worker waits in its build.
    run = ReportRun.objects.create(kind="restock", as_of=as_of, parameters_key="")
    holder = side_connection()
    with holder.cursor() as cursor:
        cursor.execute("SELECT id FROM staff_reportrun WHERE id = %s FOR UPDATE", [run.pk])
    server = SMTPServer(smtp_port)
    server.start()
    env = environment(broker, smtp_port, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    log = tmp_path / "workers.log"
    first = None
    try:
        sent = subscription_deliver.apply_async(args=[made.pk, as_of.isoformat()])
        first = process_start(worker_command(broker), env, log)
        wait_for(waiting_for_the_run, timeout=30, what=f"the worker to wait (log: {log})")
        process_stop(first, kill=True)
        killed_at = time.monotonic()
    finally:
        if first is not None:
            process_stop(first, kill=True)
        holder.rollback()
        holder.close()
    assert not MailDelivery.objects.exists() and server.messages == []

    time.sleep(max(0.0, VISIBILITY_TIMEOUT - (time.monotonic() - killed_at)))
    second = process_start(worker_command(broker), env, log)
    try:
        wait_for(lambda: all_sent(1), timeout=40, what=f"the redelivered task (log: {log})")
        time.sleep(1)
    finally:
        process_stop(second)
        server.controller.stop()

    text = log.read_text()
    assert text.count(f"Task staff.subscription_deliver[{sent.id}] received") == 2
    assert [m.rcpt_tos for m in server.messages] == [["purchaser@jingxi.local"]]
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert json.loads(json.dumps(run.summary))["count"] == 2
