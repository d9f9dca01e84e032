"""Purchasing pages: the printable purchase order, receiving, the supplier with its
scorecard, and the restock suggestions that become draft orders.

Costs appear only for users holding ``catalog.view_cost``; the warehouse sees orders and
receives goods without them.
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST, VIEW_MARGIN
from catalog.money import money_total
from inventory.exceptions import InventoryError
from inventory.models import Slot
from purchasing import reports, selectors, services
from purchasing.enums import OPEN_STATUSES
from purchasing.exceptions import PurchasingError, ReceiptAlreadyRecorded
from purchasing.forms import (
    CandidateFilterForm,
    ChoiceForm,
    PeriodForm,
    ReceiveLineForm,
    RestockFilterForm,
)
from purchasing.models import PurchaseOrder, Supplier

VIEW_ORDER = "purchasing.view_purchaseorder"
ADD_ORDER = "purchasing.add_purchaseorder"
ADD_RECEIPT = "purchasing.add_receipt"
VIEW_SUPPLIER = "purchasing.view_supplier"
VIEW_OFFER = "purchasing.view_supplieroffer"
PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # the largest key a BigAutoField holds


@login_required
@permission_required(VIEW_ORDER, raise_exception=True)
def order(request, pk: int):
    """The purchase order as sent to the supplier; prints on A4 without the site chrome."""
    purchase_order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by"), pk=pk
    )
    lines = list(selectors.order_lines_with_receipts(purchase_order))
    show_costs = request.user.has_perm(VIEW_COST)
    return render(
        request,
        "purchasing/order.html",
        {
            "order": purchase_order,
            "lines": lines,
            "show_costs": show_costs,
            # The total is the sum of the amounts printed above it (``catalog.money``).
            "total": money_total(line.amount for line in lines) if show_costs else None,
            "receipts": list(
                purchase_order.receipts.select_related("user").order_by("received_at")
            ),
            "can_receive": request.user.has_perm(ADD_RECEIPT)
            and purchase_order.status in OPEN_STATUSES,
        },
    )


@login_required
@permission_required(ADD_RECEIPT, raise_exception=True)
def receive(request, pk: int):
    """Receive a delivery: per open line the units received, rejected and the slot."""
    purchase_order = get_object_or_404(
        PurchaseOrder.objects.select_related("supplier", "warehouse"), pk=pk
    )
    lines = [
        line
        for line in selectors.order_lines_with_receipts(purchase_order)
        if line.open_quantity > 0
    ]
    slots = list(
        Slot.objects.filter(
            warehouse=purchase_order.warehouse,
            is_active=True,
            slot_type__in=services.RECEIVABLE_SLOT_TYPES,
        )
        .select_related("warehouse")
        .order_by("slot_type", "pick_sequence", "code")
    )
    data = request.POST if request.method == "POST" else None
    forms = [
        ReceiveLineForm(data, prefix=f"line-{line.pk}", line=line, slots=slots) for line in lines
    ]
    if purchase_order.status not in OPEN_STATUSES:
        messages.info(
            request,
            _("%(order)s is %(status)s: there is nothing to receive.")
            % {"order": purchase_order.code, "status": purchase_order.get_status_display()},
        )
        return redirect("purchasing:order", pk=purchase_order.pk)
    if request.method == "POST" and all(form.is_valid() for form in forms):
        receive_lines = [form.receive_line() for form in forms if form.has_delivery()]
        try:
            receipt = services.purchase_order_receive(
                order=purchase_order,
                lines=receive_lines,
                user=request.user,
                note=request.POST.get("note", "").strip(),
                submission=_submission(request.POST.get("submission")),
            )
        except ReceiptAlreadyRecorded as recorded:
            messages.info(request, recorded.message)
            return redirect("purchasing:order", pk=purchase_order.pk)
        except (PurchasingError, InventoryError) as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(receipt)s recorded; %(order)s is now %(status)s.")
                % {
                    "receipt": receipt,
                    "order": purchase_order.code,
                    "status": purchase_order.get_status_display(),
                },
            )
            return redirect("purchasing:order", pk=purchase_order.pk)
    return render(
        request,
        "purchasing/receive.html",
        {
            "order": purchase_order,
            "forms": forms,
            "note": request.POST.get("note", ""),
            # kept when the page comes back with errors; a new one for each new page
            "submission": _submission(request.POST.get("submission")) or uuid.uuid4(),
        },
    )


def _submission(value: str | None) -> uuid.UUID | None:
    """The page's one-time key, or None for a missing or malformed one (no key, no check)."""
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@login_required
@permission_required(VIEW_SUPPLIER, raise_exception=True)
def supplier(request, pk: int):
    """The supplier, its scorecard over the score period, its offers and recent orders."""
    supplier_obj = get_object_or_404(Supplier, pk=pk)
    start, end = selectors.score_period()
    period = PeriodForm(request.GET or None)
    if period.is_valid():
        start = period.cleaned_data.get("start") or start
        end = period.cleaned_data.get("end") or end
        if start > end:
            start = end
    elif period.is_bound:
        messages.error(request, " ".join(e for errors in period.errors.values() for e in errors))
    card = selectors.supplier_scorecards(start=start, end=end, supplier_ids=[supplier_obj.pk]).get(
        supplier_obj.pk, selectors.Scorecard(supplier_obj.pk, start, end)
    )
    offers = None
    if request.user.has_perm(VIEW_OFFER):
        offers = Paginator(
            supplier_obj.offers.select_related("sku").order_by("sku__code", "-valid_from", "pk"),
            PAGE_SIZE,
        ).get_page(request.GET.get("page"))
    orders = []
    if request.user.has_perm(VIEW_ORDER):
        orders = list(supplier_obj.orders.select_related("warehouse").order_by("-created_at")[:20])
    return render(
        request,
        "purchasing/supplier.html",
        {
            "supplier": supplier_obj,
            "card": card,
            "period": period,
            "rates": [
                (_("On-time rate"), card.on_time_rate),
                (_("Fill rate"), card.fill_rate),
                (_("Quality rate"), card.quality_rate),
            ],
            "minimum": settings.PURCHASING_MIN_SUPPLIER_SCORE,
            "offers": offers,
            "query": _query_without_page(request),
            "orders": orders,
            "today": timezone.localdate(),
            "show_costs": request.user.has_perm(VIEW_COST),
        },
    )


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@permission_required(ADD_ORDER, raise_exception=True)
def restock(request):
    """Restock suggestions with their supplier and reason; the selected become draft orders,
    one per supplier and warehouse."""
    if not request.user.has_perm(VIEW_COST):
        raise PermissionDenied
    if request.method == "POST":
        return _orders_from_selection(request)
    form = RestockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # Read before the report: an order made while it runs counts as made after the page.
    orders_seen = selectors.latest_order_line_id()
    df = reports.suggestions(as_of=filters.get("as_of"), warehouse=filters.get("warehouse"))
    page = Paginator(range(len(df)), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    if len(df):
        shown = df.iloc[page.start_index() - 1 : page.end_index()]
        # A missing figure (no demand: no days covered) is None on the page, never NaN.
        rows = shown.astype(object).where(shown.notna(), None).to_dict("records")
    for row in rows:
        row["key"] = f"{row['sku_id']}:{row['warehouse_id']}:{row['offer_id'] or ''}"
    return render(
        request,
        "purchasing/restock.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": _query_without_page(request),
            "count": len(df),
            "orders_seen": orders_seen,
        },
    )


def _orders_from_selection(request):
    back = redirect(request.get_full_path())
    selected = []
    for key in request.POST.getlist("selected"):
        try:
            sku_id, warehouse_id, offer_id = (int(part) for part in key.split(":"))
            quantity = int(request.POST.get(f"quantity-{key}", ""))
            if max(sku_id, warehouse_id, offer_id) > MAX_ID:
                raise ValueError(key)  # no such record: the database would refuse the number
        except ValueError:
            messages.error(request, _("A selected suggestion has no offer or no quantity."))
            return back
        selected.append(services.Suggestion(sku_id, warehouse_id, quantity, offer_id))
    try:
        orders_seen = int(request.POST.get("orders_seen", ""))
        if not 0 <= orders_seen <= MAX_ID:
            raise ValueError(orders_seen)
    except ValueError:
        orders_seen = None  # a form from before the check: no double-click guard to apply
    try:
        orders = services.purchase_orders_from_suggestions(
            suggestions=selected, user=request.user, orders_seen=orders_seen
        )
    except PurchasingError as error:
        messages.error(request, error.message)
        return back
    messages.success(
        request,
        _("Draft orders created: %(orders)s.") % {"orders": ", ".join(o.code for o in orders)},
    )
    return back


@login_required
@permission_required(ADD_ORDER, raise_exception=True)
def candidates(request):
    """Purchase candidates by 名特优新 tags and high sales, margin or value, a page at a time."""
    if not (request.user.has_perm(VIEW_COST) and request.user.has_perm(VIEW_MARGIN)):
        raise PermissionDenied
    form = CandidateFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.CandidateFilter()
    rows, thresholds = selectors.purchase_candidates(filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "purchasing/candidates.html",
        {
            "form": form,
            "rows": page.object_list,
            "page": page,
            "query": _query_without_page(request),
            "thresholds": thresholds,
        },
    )


@login_required
@permission_required(VIEW_OFFER, raise_exception=True)
def choice(request):
    """The supplier choice for a SKU and quantity: the chosen offer and why, every other
    offer and why not, the excluded ones and why."""
    form = ChoiceForm(request.GET or None)
    result = None
    if form.is_valid():
        result = selectors.supplier_choose(
            sku=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
            with_costs=request.user.has_perm(VIEW_COST),
        )
    return render(request, "purchasing/choice.html", {"form": form, "choice": result})
