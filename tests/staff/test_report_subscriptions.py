"""Report subscriptions: the default schedule from the migration, the beat entry kept in step,
one e-mail per recipient with what its role may see, once per day, a large workbook linked
instead of attached, and the admin form refusing bad addresses.

The e-mails go through Django's in-memory backend here; tests/faults/test_report_mail.py
sends them with a real worker to a real SMTP server."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from inventory import reports as inventory_reports
from purchasing import reports as purchasing_reports
from staff import report_data, subscriptions
from staff.models import MailDelivery, MailStatus, ReportKind, ReportRun, ReportSubscription
from tests.purchasing.conftest import site  # noqa: F401  (the fixture)
from tests.staff.support import default_subscriptions
from tests.staff.test_report_runs import low  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def subscription(kind=ReportKind.RESTOCK, roles=("purchaser", "warehouse"), **fields):
    from django.contrib.auth.models import Group

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    made = ReportSubscription.objects.create(
        name=fields.pop("name", "补货测试"), kind=kind, crontab=crontab, **fields
    )
    made.roles.set(Group.objects.filter(name__in=roles))
    subscriptions.subscription_schedule(made)
    return made


def workbook_header(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(next(book.worksheets[0].iter_rows(values_only=True)))


def test_the_migration_subscribes_the_default_reports_with_their_beat_entries():
    default_subscriptions()
    found = {
        s.kind: (
            sorted(g.name for g in s.roles.all()),
            s.crontab.minute,
            s.crontab.hour,
            s.crontab.day_of_week,
            s.crontab.day_of_month,
            s.periodic_task.task,
            s.periodic_task.enabled,
        )
        for s in ReportSubscription.objects.select_related("crontab", "periodic_task")
    }
    task = "staff.subscription_deliver"
    assert found == {
        "restock": (["purchaser"], "0", "7", "*", "*", task, True),
        "low_stock": (["purchaser", "warehouse"], "30", "7", "*", "*", task, True),
        "slow_movers": (["finance", "marketer", "merchandiser"], "0", "8", "1", "*", task, True),
        "finance_summary": (["finance", "manager"], "0", "8", "*", "1", task, True),
    }
    assert {s.crontab.timezone.key for s in ReportSubscription.objects.all()} == {"Asia/Shanghai"}


def test_each_recipient_gets_one_mail_with_what_its_role_may_see_once_a_day(
    low,  # noqa: F811
    users,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.LANGUAGE_CODE = "zh-hans"  # as in production: the e-mails are in Chinese
    made = subscription(addresses="boss@example.com\nPurchaser@jingxi.local")
    as_of = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_deliver(made.pk, as_of)
    sent = {m.to[0]: m for m in django_mail.outbox}
    # The purchaser's own address given again counts once.
    assert sorted(sent) == ["boss@example.com", "purchaser@jingxi.local", "warehouse@jingxi.local"]
    headers = {to: workbook_header(m.attachments[0][1]) for to, m in sent.items()}
    cost = str(purchasing_reports.HEADERS["unit_cost"])
    value = str(purchasing_reports.HEADERS["order_value"])
    assert cost in headers["purchaser@jingxi.local"] and value in headers["purchaser@jingxi.local"]
    for reader in ("warehouse@jingxi.local", "boss@example.com"):
        assert cost not in headers[reader] and value not in headers[reader]
        assert "120" not in sent[reader].body  # the order value stays out of the text too
    body = sent["purchaser@jingxi.local"].body
    assert "LOW1" in body and "120.00" in body and "完整报表见附件" in body
    assert sent["purchaser@jingxi.local"].subject.startswith("[精细]")
    assert sent["purchaser@jingxi.local"].extra_headers["Message-ID"]
    # One run per version: the full one and the one without costs.
    assert ReportRun.objects.filter(kind="restock", as_of=as_of).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_deliver(made.pk, as_of)  # the same day again
    assert len(django_mail.outbox) == 3
    assert MailDelivery.objects.filter(subscription=made, status=MailStatus.SENT).count() == 3


def test_the_finance_summary_reaches_no_reader_without_costs(
    users, django_capture_on_commit_callbacks
):
    made = subscription(ReportKind.FINANCE_SUMMARY, roles=("finance", "warehouse"))
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_deliver(made.pk, timezone.localdate())
    assert [m.to for m in django_mail.outbox] == [["finance@jingxi.local"]]


def test_a_workbook_above_the_threshold_is_linked_not_attached(
    low,  # noqa: F811
    users,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.STAFF_REPORT_ATTACH_MAX_BYTES = 100
    settings.SITE_URL = "https://erp.example.com"
    made = subscription(roles=("purchaser",))
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_deliver(made.pk, timezone.localdate())
    (message,) = django_mail.outbox
    assert message.attachments == []
    run = ReportRun.objects.get(kind="restock", parameters_key="")
    assert f"https://erp.example.com/reports/{run.pk}/file/" in message.body


def test_saving_in_the_admin_keeps_the_beat_entry_in_step_and_refuses_bad_addresses(client_as):
    manager = client_as("manager")
    crontab = CrontabSchedule.objects.create(minute="15", hour="9", timezone="Asia/Shanghai")
    url = reverse("admin:staff_reportsubscription_add")
    form = {
        "name": "周报",
        "kind": "low_stock",
        "addresses": "not an address",
        "crontab": crontab.pk,
        "format": "xlsx",
        "is_active": "on",
    }
    response = manager.post(url, form)
    assert response.status_code == 200
    assert "请" in response.content.decode() or "valid" in response.content.decode()
    assert not ReportSubscription.objects.filter(name="周报").exists()

    form["addresses"] = "boss@example.com"
    assert manager.post(url, form).status_code == 302
    made = ReportSubscription.objects.get(name="周报")
    task = PeriodicTask.objects.get(pk=made.periodic_task_id)
    assert (task.crontab_id, task.args, task.enabled) == (crontab.pk, f"[{made.pk}]", True)

    change = reverse("admin:staff_reportsubscription_change", args=[made.pk])
    assert manager.post(change, {**form, "is_active": ""}).status_code == 302
    task.refresh_from_db()
    assert task.enabled is False

    delete = reverse("admin:staff_reportsubscription_delete", args=[made.pk])
    assert manager.post(delete, {"post": "yes"}).status_code == 302
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


def test_a_role_other_than_the_manager_cannot_change_subscriptions(client_as):
    default_subscriptions()
    made = ReportSubscription.objects.first()
    url = reverse("admin:staff_reportsubscription_change", args=[made.pk])
    assert client_as("finance").get(url).status_code == 200  # reads
    assert client_as("finance").post(url, {"name": "x"}).status_code == 403
    assert client_as("warehouse").get(url).status_code == 403


def test_the_command_sends_the_subscriptions_of_the_day_once(
    low,  # noqa: F811
    users,
    django_capture_on_commit_callbacks,
):
    default_subscriptions()
    ReportSubscription.objects.exclude(kind="restock").update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_report_subscriptions", "--as-of", "2026-03-10")
        call_command("send_report_subscriptions", "--as-of", "2026-03-10")
    assert [m.to for m in django_mail.outbox] == [["purchaser@jingxi.local"]]
    assert ReportRun.objects.get(kind="restock").as_of == dt.date(2026, 3, 10)


def test_without_a_mail_server_the_first_runs_e_mails_are_files_under_var_mail():
    """``make run`` sets no EMAIL_URL: the e-mails are files in the repository's var/mail/
    (the README says so), not in a folder relative to wherever the server was started."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "DATABASE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd="/",
        env=env | {"PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    )
    backend, path = result.stdout.split()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(path) == root / "var" / "mail"


def test_slow_movers_reach_a_merchandiser_without_values_at_cost(
    low,  # noqa: F811
    users,
    django_capture_on_commit_callbacks,
):
    made = subscription(ReportKind.SLOW_MOVERS, roles=("merchandiser", "finance"))
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_deliver(made.pk, timezone.localdate())
    sent = {m.to[0]: m.attachments[0][1] for m in django_mail.outbox}
    assert sorted(sent) == ["finance@jingxi.local", "merchandiser@jingxi.local"]

    def headers(content: bytes) -> set[str]:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return {
            str(cell)
            for sheet in book.worksheets
            for cell in next(sheet.iter_rows(values_only=True))
        }

    value = str(inventory_reports.SKU_HEADERS["stock_value"])
    assert value in headers(sent["finance@jingxi.local"])
    assert not any("value" in h or value in h for h in headers(sent["merchandiser@jingxi.local"]))
    redacted = ReportRun.objects.get(kind="slow_movers", parameters_key='{"without_cost":true}')
    assert "stock_value" not in report_data.frame_load(redacted).columns
