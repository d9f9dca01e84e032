"""Month end (月结): a month's closing figures, computed and kept.

Closing a month writes one ``MonthEnd`` row with the figures as they stand at the close:

- **net revenue, COGS** of the month, from the P&L (``finance.reports.pnl_by_month``), so a
  closed month agrees with the P&L page on the day it was closed;
- **stock value** at the month's last day, from the lots (``finance.valuation``);
- **receivables outstanding** at the month's last day: invoices issued by then, less what was
  received and credited by then;
- **payables outstanding** at the month's last day: approved bills dated by then, less what
  was paid by then.

A month is closed once, after it has ended; the row keeps who closed it and when. Later
documents dated inside a closed month (a late payment, a late bill) change the live reports,
not the closed figures: the difference is what finance explains at the next close.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import money
from finance.exceptions import FinanceError
from finance.models import (
    MonthEnd,
)
from finance.reports import SalesFilter, month_end, pnl_by_month
from finance.selectors import payables, receivables
from orders.models import SalesOrder


def month_end_figures(month: date) -> dict[str, Decimal]:
    """The closing figures of ``month`` (its first day) as they stand now."""
    last = month_end(month)
    pnl = pnl_by_month(SalesFilter(date_from=month, date_to=last)).totals
    return {
        "revenue": money(pnl["net_revenue"]),
        "cogs": money(pnl["cogs"]),
        "stock_value": money(pnl["stock_value"]),
        "receivables": receivables.receivables_outstanding(on=last),
        "payables": money(payables.payables_outstanding(on=last)),
    }


def month_end_close(month: date, *, user=None, today: date | None = None) -> MonthEnd:
    """Close ``month`` (any day in it): compute and keep its figures.

    Refused, with a message for the user, for a month that has not ended yet or that was
    closed already."""
    month = month.replace(day=1)
    today = today or timezone.localdate()
    if month_end(month) >= today:
        raise FinanceError(
            _("%(month)s has not ended yet: a month is closed after its last day.")
            % {"month": f"{month:%Y-%m}"}
        )
    if MonthEnd.objects.filter(month=month).exists():
        raise FinanceError(_("%(month)s is closed already.") % {"month": f"{month:%Y-%m}"})
    figures = month_end_figures(month)
    try:
        with transaction.atomic():
            return MonthEnd.objects.create(
                month=month, closed_by=user, closed_at=timezone.now(), **figures
            )
    except IntegrityError:  # closed meanwhile by someone else
        raise FinanceError(
            _("%(month)s is closed already.") % {"month": f"{month:%Y-%m}"}
        ) from None


def months_to_close(today: date | None = None) -> list[date]:
    """Months that have ended since the first sale and are not closed, oldest first."""
    today = today or timezone.localdate()
    first = SalesOrder.objects.aggregate(first=Min("placed_at"))["first"]
    if first is None:
        return []
    first = timezone.localdate(first)
    closed = set(MonthEnd.objects.values_list("month", flat=True))
    months, month = [], first.replace(day=1)
    while month_end(month) < today:
        if month not in closed:
            months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def month_end_rows() -> list[dict]:
    """Closed months, newest first, with gross profit and margin beside the kept figures."""
    rows = []
    for closed in MonthEnd.objects.select_related("closed_by"):
        gross_profit = closed.revenue - closed.cogs
        rows.append(
            {
                "month_end": closed,
                "gross_profit": gross_profit,
                "margin": gross_profit / closed.revenue if closed.revenue else None,
            }
        )
    return rows
