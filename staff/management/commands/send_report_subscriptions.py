"""E-mail the report subscriptions now, as beat would at their times: all active ones, or
those named by id, as of today (or ``--as-of``). Each recipient receives a report once per
day, so running it again sends nothing new. Under ``make run`` the e-mails appear as files
under ``var/mail/``."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from staff import subscriptions
from staff.models import ReportSubscription


class Command(BaseCommand):
    help = "E-mail report subscriptions now (each recipient once per day)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="subscription ids (default: all)")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, ids, as_of, **options):
        as_of = as_of or timezone.localdate()
        chosen = ReportSubscription.objects.filter(is_active=True)
        if ids:
            chosen = chosen.filter(pk__in=ids)
            missing = set(ids) - set(chosen.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"no active subscription {sorted(missing)}")
        for subscription in chosen.order_by("pk"):
            deliveries = subscriptions.subscription_deliver(subscription.pk, as_of)
            self.stdout.write(f"{subscription.name}: {len(deliveries)} e-mail(s) as of {as_of}")
