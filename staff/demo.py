"""Demo data of the staff layer: one user per role and today's stored restock run, which the
purchaser's dashboard shows (``seed_demo`` runs these hooks; staff comes after every app)."""

from django.conf import settings
from django.utils import timezone

from catalog.demo import DemoLogin
from staff import services
from staff.models import ReportKind, ReportRun
from staff.reports import report_run
from staff.roles import Role


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    services.roles_sync()
    users = services.demo_users_create(password=settings.DEMO_PASSWORD)
    report_run(ReportKind.RESTOCK, timezone.localdate())
    return {"role users": len(users), "report runs": 1}


def demo_reset() -> None:
    """Forget the stored report runs (and their workbooks): they describe the old data."""
    for run in ReportRun.objects.exclude(file=""):
        run.file.delete(save=False)
    ReportRun.objects.all().delete()


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(value, str(label)) for value, label in Role.choices]
