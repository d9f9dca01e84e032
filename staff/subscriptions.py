"""Report subscriptions: a report e-mailed on a schedule to the users of some roles and to
plain addresses, each receiving what its role may see.

``subscription_schedule`` keeps the subscription's django-celery-beat entry in step with it
(crontab, active); beat fires ``staff.subscription_deliver`` with the subscription's id, and
the task calls ``subscription_deliver`` for the day it runs (``TIME_ZONE``).

Delivery builds each version of the report the recipients need once (``staff.reports``: the
full one for readers of costs, the one without costs for the others, none of the finance
summary for who may not read it), then queues one e-mail per recipient keyed by
subscription × day × address (``staff.mail``): a retry, a second run of the task or a worker
that died after sending finds the key sent and sends nothing again. A workbook above
``STAFF_REPORT_ATTACH_MAX_BYTES`` (or a subscription in the link format) is linked, not
attached.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask

from inventory import reports as inventory_reports
from purchasing import reports as purchasing_reports
from staff import mail
from staff.models import (
    MailDelivery,
    ReportFormat,
    ReportKind,
    ReportRun,
    ReportSubscription,
)
from staff.reports import LOW_STOCK_HEADERS, PNL_HEADERS, parameters_for, parameters_key, report_run

TASK = "staff.subscription_deliver"
TOP_LINES = 10


@dataclass(frozen=True)
class Recipient:
    address: str
    user: object | None  # None: a plain address, reading what no role guards


def crontab_label(crontab) -> str:
    """A crontab as staff read it: every day 07:00, every Monday 08:00, on the 1st 08:00;
    anything else as its five fields."""
    fields = (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year)
    if not all(f.isdigit() for f in fields[:2]) or fields[3] != "*":
        expression = " ".join((*fields, crontab.day_of_week))
        return gettext("crontab %(expression)s") % {"expression": expression}
    time = f"{int(crontab.hour):02d}:{int(crontab.minute):02d}"
    weekday, day = crontab.day_of_week, crontab.day_of_month
    if weekday == "*" and day == "*":
        return gettext("every day %(time)s") % {"time": time}
    if day == "*" and weekday.isdigit() and int(weekday) <= 7:
        name = WEEKDAYS[(int(weekday) + 6) % 7]  # cron: 0 and 7 are Sunday
        return gettext("every %(weekday)s %(time)s") % {"weekday": name, "time": time}
    if weekday == "*" and day.isdigit():
        return gettext("on day %(day)s of every month %(time)s") % {"day": day, "time": time}
    expression = " ".join((*fields, weekday))
    return gettext("crontab %(expression)s") % {"expression": expression}


def addresses_parse(text: str) -> list[str]:
    """The addresses of a subscription's text, one per line (or separated by commas);
    raise ``ValidationError`` on one that is not an e-mail address."""
    found = []
    for part in text.replace(",", "\n").replace(";", "\n").splitlines():
        address = part.strip()
        if address:
            validate_email(address)
            found.append(address)
    return found


def subscription_schedule(subscription: ReportSubscription) -> PeriodicTask:
    """Create or update the beat entry of ``subscription`` (its crontab, on while active)."""
    with transaction.atomic():
        task = subscription.periodic_task or PeriodicTask(task=TASK)
        task.name = f"report-subscription-{subscription.pk}"
        task.task = TASK
        task.crontab = subscription.crontab
        task.interval = task.solar = task.clocked = None
        task.args = json.dumps([subscription.pk])
        task.enabled = subscription.is_active
        task.description = subscription.name
        task.save()
        if subscription.periodic_task_id != task.pk:
            subscription.periodic_task = task
            subscription.save(update_fields=["periodic_task"])
    return task


def subscription_delete(subscription: ReportSubscription) -> None:
    """Delete ``subscription`` and its beat entry (its sent e-mails stay on record)."""
    with transaction.atomic():
        task = subscription.periodic_task
        subscription.delete()
        if task is not None:
            task.delete()


def subscription_recipients(subscription: ReportSubscription) -> list[Recipient]:
    """The active users of the subscription's roles that have an address, then its other
    addresses (one known as a user's is that user's); each address once."""
    users = (
        get_user_model()
        .objects.filter(groups__in=subscription.roles.all(), is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("email", "pk")
    )
    by_address: dict[str, Recipient] = {}
    for user in users:
        by_address.setdefault(user.email.lower(), Recipient(user.email, user))
    extra = addresses_parse(subscription.addresses)
    known = {
        u.email.lower(): u for u in get_user_model().objects.filter(is_active=True, email__in=extra)
    }
    for address in extra:
        by_address.setdefault(address.lower(), Recipient(address, known.get(address.lower())))
    return list(by_address.values())


def delivery_key(subscription: ReportSubscription, as_of: dt.date, address: str) -> str:
    return f"report:{subscription.pk}:{as_of.isoformat()}:{address.lower()}"


def subscription_deliver(subscription_id: int, as_of: dt.date) -> list[MailDelivery]:
    """Build the reports of subscription ``subscription_id`` as of ``as_of`` and queue one
    e-mail per recipient, once per day and address. Return the deliveries queued or found."""
    subscription = ReportSubscription.objects.get(pk=subscription_id)
    if not subscription.is_active:
        return []
    runs: dict[str, ReportRun] = {}
    deliveries = []
    with translation.override(settings.LANGUAGE_CODE):
        for recipient in subscription_recipients(subscription):
            parameters = parameters_for(recipient.user, subscription.kind, subscription.parameters)
            if parameters is None:
                continue  # nothing of this report may reach this reader
            key = parameters_key(parameters)
            if key not in runs:
                runs[key] = report_run(subscription.kind, as_of, parameters)
            run = runs[key]
            attach = (
                subscription.format == ReportFormat.XLSX
                and run.file.size <= settings.STAFF_REPORT_ATTACH_MAX_BYTES
            )
            deliveries.append(
                mail.mail_queue(
                    key=delivery_key(subscription, as_of, recipient.address),
                    recipients=[recipient.address],
                    subject=report_subject(subscription, run),
                    body=report_body(subscription, run, attach=attach),
                    run=run,
                    attach=attach,
                    subscription=subscription,
                )
            )
    return deliveries


def report_subject(subscription: ReportSubscription, run: ReportRun) -> str:
    return gettext("[Jingxi] %(name)s, %(day)s") % {
        "name": subscription.name,
        "day": formats.date_format(run.as_of, "Y-m-d"),
    }


def report_body(subscription: ReportSubscription, run: ReportRun, *, attach: bool) -> str:
    """The e-mail's text: what the report found (count, totals), its top lines, and where
    the workbook is."""
    summary = run.summary or {}
    lines = [
        gettext("Hello,"),
        "",
        gettext("%(report)s as of %(day)s: %(count)s lines to look at, %(rows)s in all.")
        % {
            "report": run.get_kind_display(),
            "day": formats.date_format(run.as_of, "Y-m-d"),
            "count": summary.get("count", 0),
            "rows": run.rows or 0,
        },
    ]
    for key, label in TOTALS:
        if summary.get(key) is not None:
            lines.append(f"{label}：{_number(summary[key])}")
    rows = summary.get("rows", [])[:TOP_LINES]
    if rows:
        headers = _headers(run.kind)
        columns = [c for c in rows[0] if c in headers]
        lines += ["", gettext("The first %(n)s lines:") % {"n": len(rows)}]
        lines.append(" | ".join(str(headers[c]) for c in columns))
        for row in rows:
            lines.append(" | ".join(_cell(c, row.get(c)) for c in columns))
    lines.append("")
    if attach:
        lines.append(gettext("The whole report is in the attached workbook."))
    else:
        url = settings.SITE_URL.rstrip("/") + reverse("staff:report_run_file", args=[run.pk])
        lines.append(gettext("Download the whole report (sign in first): %(url)s") % {"url": url})
    signature = gettext("Jingxi back office, report subscription “%(name)s”.")
    lines += ["", signature % {"name": subscription.name}]
    return "\n".join(lines)


# Totals a summary may carry, with their labels.
TOTALS = (
    ("order_value", _("order value of the suggestions")),
    ("stock_value", _("stock value of the slow and dead SKUs")),
    ("receivables", _("receivables outstanding (应收)")),
    ("payables", _("payables outstanding (应付)")),
)


def _headers(kind: str) -> dict:
    if kind == ReportKind.RESTOCK:
        return purchasing_reports.HEADERS
    if kind == ReportKind.SLOW_MOVERS:
        return {**inventory_reports.SKU_HEADERS, "classification": gettext("classification")}
    if kind == ReportKind.LOW_STOCK:
        return LOW_STOCK_HEADERS
    return PNL_HEADERS


def _number(value) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:,.2f}"  # 641,758.94: grouped by thousands, as the workbook shows it


def _cell(column: str, value) -> str:
    if value is None:
        return "—"
    if column == "classification":
        return str(inventory_reports.CLASS_LABELS.get(value, value))
    if column == "margin":
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, float) or (isinstance(value, str) and column in MONEY_COLUMNS):
        return _number(value)
    return str(value)


MONEY_COLUMNS = frozenset(
    {
        "order_value",
        "stock_value",
        "revenue",
        "returns",
        "net_revenue",
        "cogs",
        "gross_profit",
        "days_of_cover",
        "days_of_inventory",
    }
)
