"""Demo month ends: every month of the demo's history that has ended is closed, by the demo's
finance user when there is one, after the invoices, payments and bills of the other parts."""

from django.contrib.auth import get_user_model

from finance.models import MonthEnd
from finance.month_end import month_end_close, months_to_close


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    user = get_user_model().objects.filter(username="finance").first()
    months = months_to_close()
    for month in months:
        month_end_close(month, user=user)
    return {"month ends": len(months)}


def demo_reset() -> None:
    MonthEnd.objects.all().delete()
