"""The price-change page (调价记录): who changed which SKU's retail, distribution or cost
price, when, from what to what, read from the SKU history; as a page and an xlsx download.

Cost changes are cost data: they are shown (and searched) only for ``catalog.view_cost``.
"""

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST
from catalog.money import money
from catalog.selectors import PRICE_FIELDS, price_changes, sku_price_history
from finance.forms import PriceHistoryFilterForm
from workbooks.http import xlsx_response

VIEW_PRICE_HISTORY = "catalog.view_historicalsku"
PAGE_SIZE = 50
# An xlsx download holds at most this many changed SKU records (newest first).
XLSX_LIMIT = 50_000


def _visible_fields(user) -> tuple[str, ...]:
    if user.has_perm(VIEW_COST):
        return PRICE_FIELDS
    return tuple(name for name in PRICE_FIELDS if name != "cost_price")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _change_ratio(change) -> float | None:
    if change.old is None or change.new is None or not change.old:
        return None
    return float((change.new - change.old) / change.old)


@login_required
@permission_required(VIEW_PRICE_HISTORY, raise_exception=True)
def price_history(request):
    visible = _visible_fields(request.user)
    form = PriceHistoryFilterForm(request.GET or None, fields=visible)
    filters = form.cleaned_data if form.is_valid() else {}
    fields = (filters["field"],) if filters.get("field") else visible
    since, until = filters.get("since"), filters.get("until")
    records = sku_price_history(
        query=filters.get("q", "").strip(),
        fields=fields,
        since=_start_of(since) if since else None,
        until=_start_of(until + dt.timedelta(days=1)) if until else None,
    )
    if request.GET.get("format") == "xlsx":
        return _xlsx(price_changes(records[:XLSX_LIMIT], fields))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    changes = [
        (change, change.new - change.old if None not in (change.old, change.new) else None)
        for change in price_changes(page, fields)
    ]
    return render(
        request,
        "finance/prices.html",
        {
            "form": form,
            "page": page,
            "changes": changes,
            "shows_cost": "cost_price" in visible,
            "query": _query_without_page(request),
        },
    )


def _xlsx(changes):
    header = [
        _("Changed at"),
        _("SKU"),
        _("Name"),
        _("Price"),
        _("Old price"),
        _("New price"),
        _("Change"),
        _("Change %"),
        _("Changed by"),
        _("Reason"),
    ]

    def write(book):
        book.add_sheet(
            _("Price changes"),
            header,
            (
                [
                    timezone.localtime(change.changed_at).strftime("%Y-%m-%d %H:%M"),
                    change.code,
                    change.name,
                    str(change.field_label),
                    change.old,
                    change.new,
                    money(change.new - change.old)
                    if None not in (change.old, change.new)
                    else None,
                    _change_ratio(change),
                    _user_name(change.user),
                    change.reason,
                ]
                for change in changes
            ),
            formats={4: "0.00", 5: "0.00", 6: "0.00", 7: "0.0%"},
            widths={0: 17, 1: 16, 2: 36, 3: 14, 8: 14, 9: 24},
        )

    return xlsx_response("price-changes.xlsx", write)
