"""The default report subscriptions and their beat entries (times in ``TIME_ZONE``):

- restock suggestions every day at 07:00 to the purchasers;
- low stock every day at 07:30 to the warehouse and the purchasers;
- slow movers on Mondays at 08:00 to the merchandisers, the marketers and finance;
- the finance summary on the 1st at 08:00 to finance and the manager.

Each stays editable in the admin (roles, addresses, crontab, format, active).
"""

import json

from django.conf import settings
from django.db import migrations

DEFAULTS = [
    # name, kind, roles, (minute, hour, day_of_week, day_of_month)
    ("每日补货建议", "restock", ["purchaser"], ("0", "7", "*", "*")),
    ("每日低库存预警", "low_stock", ["warehouse", "purchaser"], ("30", "7", "*", "*")),
    ("每周滞销品报告", "slow_movers", ["merchandiser", "marketer", "finance"], ("0", "8", "1", "*")),
    ("月度财务摘要", "finance_summary", ["finance", "manager"], ("0", "8", "*", "1")),
]
TASK = "staff.subscription_deliver"


def create(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Crontab = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    Subscription = apps.get_model("staff", "ReportSubscription")
    for name, kind, roles, (minute, hour, day_of_week, day_of_month) in DEFAULTS:
        crontab, _created = Crontab.objects.using(db).get_or_create(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month=day_of_month,
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        subscription = Subscription.objects.using(db).create(
            name=name, kind=kind, crontab=crontab, format="xlsx", is_active=True
        )
        subscription.roles.set(Group.objects.using(db).filter(name__in=roles))
        subscription.periodic_task = PeriodicTask.objects.using(db).create(
            name=f"report-subscription-{subscription.pk}",
            task=TASK,
            crontab=crontab,
            args=json.dumps([subscription.pk]),
            description=name,
            enabled=True,
        )
        subscription.save(update_fields=["periodic_task"])


def remove(apps, schema_editor):
    db = schema_editor.connection.alias
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    Subscription = apps.get_model("staff", "ReportSubscription")
    PeriodicTask.objects.using(db).filter(task=TASK).delete()
    Subscription.objects.using(db).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0005_report_subscription"),
        ("staff", "0002_role_groups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
