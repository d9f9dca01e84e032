"""The customer segments page (客户分层): activity levels and the R × F grid, repurchase by
month and by 大类, support's follow-up lists, and their xlsx downloads. Reads
``orders.segments``; a fixed number of queries whatever the number of customers."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import segments
from orders.enums import ActivityLevel
from orders.forms import SegmentForm
from workbooks.http import xlsx_response

VIEW_SEGMENTS = "orders.view_customer"
FOLLOW_UP_PAGE = 20
MONTHS = 12
CATEGORY_MONTHS = 6


def _as_of(request) -> tuple[SegmentForm, date]:
    today = timezone.localdate()
    form = SegmentForm(request.GET or None, initial={"on": today})
    if form.is_bound and not form.is_valid():
        messages.error(request, _("The date is not valid: the segments are as of today."))
        return form, today
    chosen = form.cleaned_data.get("on") if form.is_bound else None
    return form, chosen or today


def _months(as_of: date, count: int) -> list[str]:
    first = as_of.replace(day=1)
    months = [first]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return [f"{m:%Y-%m}" for m in months]


def _repurchase(as_of: date) -> tuple[list, list, list[str]]:
    """Rows per month (last ``MONTHS``) and per 大类 × last ``CATEGORY_MONTHS`` months."""
    tz = timezone.get_current_timezone()
    months = _months(as_of, MONTHS)
    since = datetime.combine(date.fromisoformat(f"{months[0]}-01"), time(), tzinfo=tz)
    until = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=tz)
    by_month = {row.month: row for row in segments.repurchase(since=since, until=until)}
    month_rows = [
        by_month.get(m) or segments.Repurchase(month=m, buyers=0, repeat_buyers=0) for m in months
    ]
    recent = months[-CATEGORY_MONTHS:]
    recent_since = datetime.combine(date.fromisoformat(f"{recent[0]}-01"), time(), tzinfo=tz)
    cells: dict[str, dict[str, segments.Repurchase]] = {}
    for row in segments.repurchase(since=recent_since, until=until, by_category=True):
        cells.setdefault(row.category, {})[row.month] = row
    category_rows = [
        (category, [cells[category].get(m) for m in recent]) for category in sorted(cells)
    ]
    return month_rows, category_rows, recent


def _page(request, rows, param: str):
    return Paginator(rows, FOLLOW_UP_PAGE).get_page(request.GET.get(param))


def _query_without(request, param: str) -> str:
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


@login_required
@permission_required(VIEW_SEGMENTS, raise_exception=True)
def customer_segments(request):
    form, as_of = _as_of(request)
    counts, churned = segments.segment_overview(as_of=as_of)
    month_rows, category_rows, category_months = _repurchase(as_of)
    levels = counts.level_rows()
    chart = {
        "labels": [label for _value, label, _count, _amount in levels],
        "datasets": [{"label": _("Customers"), "data": [c for _v, _l, c, _a in levels]}],
    }
    return render(
        request,
        "orders/customer_segments.html",
        {
            "form": form,
            "as_of": as_of,
            "counts": counts,
            "levels": [
                (*level, level[2] / counts.customers if counts.customers else None)
                for level in levels
            ],
            "grid": counts.grid_rows(),
            "scores": list(segments.SCORES),
            "chart": chart,
            "month_rows": month_rows,
            "category_rows": category_rows,
            "category_months": category_months,
            "unpaid": _page(request, segments.unpaid_orders(), "unpaid_page"),
            "unpaid_query": _query_without(request, "unpaid_page"),
            "unpaid_hours": segments.unpaid_hours(),
            "churned": _page(request, churned, "churned_page"),
            "churned_query": _query_without(request, "churned_page"),
            "thresholds": segments.Thresholds.from_settings(),
            "level_choices": ActivityLevel.choices,
        },
    )


def _segment_rows(rows):
    return [
        [
            row.code,
            row.name,
            row.last_day,
            row.recency,
            row.frequency,
            row.monetary,
            row.r_score,
            row.f_score,
            row.m_score,
            row.rfm,
            row.level_label,
            row.orders_total,
            row.amount_total,
        ]
        for row in rows
    ]


def _segment_header():
    return [
        _("Customer code"),
        _("Customer"),
        _("Last order"),
        _("R (days)"),
        _("F (orders)"),
        _("M (amount)"),
        _("R score"),
        _("F score"),
        _("M score"),
        _("RFM"),
        _("Activity level"),
        _("All orders"),
        _("All amount"),
    ]


SEGMENT_FORMATS = {2: "yyyy-mm-dd", 5: "0.00", 12: "0.00"}
SEGMENT_WIDTHS = {1: 24, 2: 12, 10: 16}


@login_required
@permission_required(VIEW_SEGMENTS, raise_exception=True)
def customer_segments_xlsx(request):
    """``?list=segments`` (every customer, or ``&level=``), ``unpaid`` or ``churned``."""
    _form, as_of = _as_of(request)
    kind = request.GET.get("list", "segments")
    if kind == "segments":
        level = request.GET.get("level") or None
        if level and level not in ActivityLevel.values:
            raise Http404(_("No such activity level."))
        rows = segments.customer_segments(as_of=as_of, level=level)

        def write(book):
            book.add_sheet(
                str(_("segments")),
                _segment_header(),
                _segment_rows(rows),
                formats=SEGMENT_FORMATS,
                widths=SEGMENT_WIDTHS,
            )

        name = f"customer-segments-{as_of:%Y-%m-%d}{'-' + level if level else ''}.xlsx"
        return xlsx_response(name, write)
    if kind == "churned":
        rows = segments.churned_best_customers(as_of=as_of)

        def write(book):
            book.add_sheet(
                str(_("churned best customers")),
                _segment_header(),
                _segment_rows(rows),
                formats=SEGMENT_FORMATS,
                widths=SEGMENT_WIDTHS,
            )

        return xlsx_response(f"churned-best-customers-{as_of:%Y-%m-%d}.xlsx", write)
    if kind == "unpaid":
        orders = list(segments.unpaid_orders())
        local = timezone.localtime

        def write(book):
            book.add_sheet(
                str(_("unpaid orders")),
                [
                    _("Order number"),
                    _("Shop"),
                    _("Customer code"),
                    _("Customer"),
                    _("Phone"),
                    _("Placed at"),
                    _("Amount"),
                ],
                [
                    [
                        o.number,
                        o.shop.name,
                        o.customer.code if o.customer else "",
                        o.customer.name if o.customer else "",
                        o.customer.phone if o.customer else "",
                        local(o.placed_at).replace(tzinfo=None),
                        o.amount,
                    ]
                    for o in orders
                ],
                formats={5: "yyyy-mm-dd hh:mm", 6: "0.00"},
                widths={0: 22, 1: 16, 3: 20, 4: 16, 5: 18},
            )

        return xlsx_response(f"unpaid-orders-{timezone.localdate():%Y-%m-%d}.xlsx", write)
    raise Http404(_("No such list."))
