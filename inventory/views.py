"""Inventory pages: stock columns, low stock and the printable pick list of a wave.

Pages read through ``inventory.selectors`` and show no cost: a role without
``catalog.view_cost`` must never see one, and none of these pages needs it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from inventory import selectors
from inventory.exceptions import InventoryError
from inventory.forms import StockFilterForm, WaveForm

PAGE_SIZE = 50
VIEW_STOCK = "inventory.view_warehousestock"
VIEW_RESERVATIONS = "inventory.view_reservation"


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@permission_required(VIEW_STOCK, raise_exception=True)
def stock_overview(request):
    """Per SKU × warehouse: 实际, 占有, 锁定, 次品, 可发, 缺货 and the stock status."""
    form = StockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.warehouse_stock_search(
        warehouse=filters.get("warehouse"),
        status=filters.get("status", ""),
        query=filters.get("q", "").strip(),
    )
    return render(
        request,
        "inventory/stock_overview.html",
        {"form": form, "page": _page(request, rows), "query": _query_without_page(request)},
    )


@login_required
@permission_required(VIEW_STOCK, raise_exception=True)
def low_stock(request):
    """Stock rows at or below their SKU's warning level (预警值), lowest available first."""
    form = StockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.low_stock(warehouse=filters.get("warehouse"))
    return render(
        request,
        "inventory/low_stock.html",
        {"form": form, "page": _page(request, rows), "query": _query_without_page(request)},
    )


@login_required
@permission_required(VIEW_RESERVATIONS, raise_exception=True)
def pick_list(request):
    """The walking list of a wave, in slot pick-sequence order, printable."""
    form = WaveForm(request.GET or None)
    context = {"form": form, "plan": None}
    if form.is_valid():
        reservations = list(
            selectors.reservations_to_pick(
                warehouse=form.cleaned_data["warehouse"], ids=form.cleaned_data["ids"]
            ).select_related("warehouse")
        )
        warehouses = {reservation.warehouse for reservation in reservations}
        if len(warehouses) > 1:
            messages.error(request, _("A wave picks reservations of exactly one warehouse."))
        elif not reservations:
            messages.info(request, _("These reservations have nothing left to pick."))
        else:
            try:
                plan = selectors.pick_list_for_wave(reservations=reservations)
            except InventoryError as exc:
                messages.error(request, str(exc))
            else:
                context.update(
                    plan=plan,
                    pick_list=plan.pick_list,
                    reservation_count=len(reservations),
                    shortages=[(s, s.wanted - s.available) for s in plan.shortages],
                )
    return render(request, "inventory/pick_list.html", context)
