"""The manager's KPI page (经营指标): this month's figures against the month before, the
GMV split into visitors × conversion × order value where visitor counts exist, and a year of
each figure in charts (Chart.js, vendored).

Stock value and days of inventory are cost figures: the page needs ``catalog.view_cost`` and
``catalog.view_margin`` (finance, purchaser, manager), as the P&L.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.access import VIEW_COST, VIEW_MARGIN
from finance.kpi import LOWER_IS_BETTER, NEUTRAL, Kpis, kpis
from finance.report_forms import KpiForm
from finance.views.reports import _require

# KPI attribute, label, how it is shown (money, count, percent or days).
CARDS = [
    ("gmv", gettext_lazy("GMV (成交额)"), "money"),
    ("orders", gettext_lazy("Orders"), "count"),
    ("aov", gettext_lazy("Average order value (客单价)"), "money"),
    ("repurchase_rate", gettext_lazy("Repurchase rate (复购率)"), "percent"),
    ("sell_through", gettext_lazy("Sell-through (售罄率)"), "percent"),
    ("active_sku_rate", gettext_lazy("Active-SKU rate (动销率)"), "percent"),
    ("stock_value", gettext_lazy("Stock value at month end"), "money"),
    ("days_of_inventory", gettext_lazy("Days of inventory"), "days"),
    ("logistics_error_rate", gettext_lazy("Logistics error rate"), "percent"),
]


def _change(report: Kpis, name: str) -> dict | None:
    change = report.change(name)
    if change is None:
        return None
    rising = change > 0
    return {
        "arrow": "↑" if rising else ("↓" if change < 0 else "→"),
        "size": abs(change),
        "good": None if change == 0 or name in NEUTRAL else rising != (name in LOWER_IS_BETTER),
    }


def _cards(report: Kpis) -> list[dict]:
    return [
        {
            "key": key,
            "label": label,
            "kind": kind,
            "value": getattr(report.current, key),
            "previous": getattr(report.previous, key),
            "change": _change(report, key),
        }
        for key, label, kind in CARDS
    ]


def _percent(value) -> float | None:
    return None if value is None else round(value * 100, 2)


def _chart(report: Kpis) -> dict:
    months = report.months
    return {
        "labels": [m.label for m in months],
        "charts": [
            {
                "id": "kpi-sales",
                "bars": [{"label": _("GMV"), "data": [float(m.gmv) for m in months]}],
                "lines": [{"label": _("Orders"), "data": [m.orders for m in months]}],
            },
            {
                "id": "kpi-rates",
                "percent": True,
                "lines": [
                    {"label": _("Conversion"), "data": [_percent(m.conversion) for m in months]},
                    {
                        "label": _("Repurchase rate"),
                        "data": [_percent(m.repurchase_rate) for m in months],
                    },
                    {
                        "label": _("Sell-through"),
                        "data": [_percent(m.sell_through) for m in months],
                    },
                    {
                        "label": _("Active-SKU rate"),
                        "data": [_percent(m.active_sku_rate) for m in months],
                    },
                    {
                        "label": _("Logistics error rate"),
                        "data": [_percent(m.logistics_error_rate) for m in months],
                    },
                ],
            },
            {
                "id": "kpi-stock",
                "bars": [
                    {"label": _("Stock value"), "data": [float(m.stock_value) for m in months]}
                ],
                "lines": [
                    {
                        "label": _("Days of inventory"),
                        "data": [m.days_of_inventory for m in months],
                    }
                ],
            },
        ],
    }


@login_required
def kpi(request):
    """The KPIs of a month (the last complete one by default) against the month before."""
    _require(request, VIEW_COST, VIEW_MARGIN)
    form = KpiForm(request.GET)
    context = {"form": form, "report": None}
    if form.is_valid():
        report = kpis(month=form.cleaned_data["month"], scope=form.scope())
        context |= {
            "report": report,
            "current": report.current,
            "previous": report.previous,
            "cards": _cards(report),
            "chart": _chart(report),
            "months": list(reversed(report.months)),
        }
    return render(request, "finance/kpi.html", context)
