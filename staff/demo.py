"""Demo data of the staff layer: one user per role, today's stored restock run, which the
purchaser's dashboard shows, this morning's e-mails of the daily subscriptions (restock to
the purchaser, low stock to the warehouse and the purchaser): under ``make run`` they are
files under ``var/mail/``; the stored product flow states and the catalogue search's stored
facts (``seed_demo`` runs these hooks; staff comes after every app)."""

from django.conf import settings
from django.utils import timezone

from catalog.demo import DemoLogin
from staff import flow, services, subscriptions
from staff.models import (
    MailDelivery,
    ProductFlowState,
    ProductSearchFacts,
    ProductSearchValue,
    ReportKind,
    ReportRun,
    ReportSubscription,
)
from staff.reports import report_run
from staff.roles import Role
from staff.search_facts import search_facts_refresh


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    services.roles_sync()
    users = services.demo_users_create(password=settings.DEMO_PASSWORD)
    today = timezone.localdate()
    report_run(ReportKind.RESTOCK, today)
    daily = ReportSubscription.objects.filter(
        is_active=True, kind__in=[ReportKind.RESTOCK, ReportKind.LOW_STOCK]
    )
    mails = sum(len(subscriptions.subscription_deliver(s.pk, today)) for s in daily)
    # The flow board and the structure table read stored states: compute them once now.
    flows = flow.flow_refresh()
    facts = search_facts_refresh()  # the catalogue search sorts and filters by them
    return {
        "product flow states": flows,
        "role users": len(users),
        "report runs": ReportRun.objects.count(),
        "report e-mails": mails,
        "search facts": facts,
    }


def demo_reset() -> None:
    """Forget the stored report runs (their workbooks and e-mails), the flow states and the
    search facts:
    they describe the old data."""
    MailDelivery.objects.filter(run__isnull=False).delete()
    for run in ReportRun.objects.exclude(file=""):
        run.file.delete(save=False)
        run.data.delete(save=False)
    ReportRun.objects.all().delete()
    # Before the catalogue's raw deletes (hooks are reset in reverse order: staff first).
    ProductSearchValue.objects.all().delete()
    ProductSearchFacts.objects.all().delete()
    ProductFlowState.objects.all().delete()


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(value, str(label)) for value, label in Role.choices]
