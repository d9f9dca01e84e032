"""Order pages: the order list and detail, the staff order form, the unmatched-listings
queue, waves, the packing check (扫描验货) and shipping, returns, and the logistics error
rate. Views call services and selectors; errors come back as messages, input is kept.

COGS is cost data: it is shown only to users with ``catalog.view_cost``.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.access import VIEW_COST, VIEW_MARGIN
from catalog.models import SKU
from orders import promotion_results, selectors, services
from orders import reviews as review_selectors
from orders.access import (
    CANCEL_ORDER,
    COMPLETE_ORDER,
    CONFIRM_PAYMENT,
    PACK_ORDER,
    PICK_ORDER,
    SHIP_ORDER,
    VIEW_CUSTOMER_CREDIT,
)
from orders.enums import CANCELLABLE, RETURNABLE, InquiryOutcome, OrderSource, OrderStatus
from orders.exceptions import OrderAlreadyPlaced, OrderError, OrderRefused
from orders.forms import (
    InquiryFilterForm,
    InquiryForm,
    LineFormSet,
    OrderFilterForm,
    OrderForm,
    PackForm,
    ResolveListingForm,
    ReturnLineFormSet,
    ReturnNoteForm,
    ReviewFilterForm,
    ShipForm,
    WaveForm,
)
from orders.models import ChannelListing, Promotion, SalesOrder

PAGE_SIZE = 50
VIEW_ORDERS = "orders.view_salesorder"
ADD_ORDER = "orders.add_salesorder"
VIEW_LISTINGS = "orders.view_channellisting"
CHANGE_LISTING = "orders.change_channellisting"
VIEW_CHECKS = "orders.view_packingcheck"
ADD_RETURN = "orders.add_return"
VIEW_REVIEWS = "orders.view_review"
VIEW_INQUIRIES = "orders.view_inquiry"
ADD_INQUIRY = "orders.add_inquiry"
INQUIRY_WEEKS = 8
INQUIRY_ROWS = 30
# Promotion results are read by those who see the spend: marketing, finance, the manager.
VIEW_PROMOTION_RESULTS = "orders.view_promotionspend"
PROMOTIONS_PER_PAGE = 30
# Promotion prices listed beside the order form (running first, then coming).
PROMOTION_ITEMS_ON_FORM = 40


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@permission_required(VIEW_ORDERS, raise_exception=True)
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.order_search(
        status=filters.get("status", ""), query=filters.get("q", "").strip()
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/order_list.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


@login_required
@permission_required(VIEW_ORDERS, raise_exception=True)
def order_detail(request, pk: int):
    order = get_object_or_404(
        SalesOrder.objects.select_related("shop__channel", "customer", "warehouse"), pk=pk
    )
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "lines": selectors.order_lines(order),
            "checks": list(order.checks.select_related("user")[:20]),
            "returns": list(order.returns.prefetch_related("lines__order_line__sku")),
            "show_cost": request.user.has_perm(VIEW_COST),
            "credit": (
                selectors.credit_hold(order)
                if order.status == OrderStatus.CREDIT_HOLD
                and request.user.has_perm(VIEW_CUSTOMER_CREDIT)
                else None
            ),
            "OrderStatus": OrderStatus,
            "can_cancel": order.status in CANCELLABLE,
            "can_return": order.status in RETURNABLE,
            "steps": {
                action: request.user.has_perm(permission)
                for action, (permission, _service, _done) in ACTIONS.items()
            }
            | {
                # Finance refuses credit: it may cancel an order it holds.
                "cancel": request.user.has_perm(CANCEL_ORDER)
                or (
                    order.status == OrderStatus.CREDIT_HOLD
                    and request.user.has_perm(CONFIRM_PAYMENT)
                ),
                "pack": request.user.has_perm(PACK_ORDER),
                "ship": request.user.has_perm(SHIP_ORDER),
            },
        },
    )


# Each step of an order: the permission it needs, the service that takes it, what it says.
ACTIONS = {
    "pay": (CONFIRM_PAYMENT, services.order_pay, _("Order %(number)s is paid.")),
    "cancel": (CANCEL_ORDER, services.order_cancel, _("Order %(number)s is cancelled.")),
    "release": (
        CONFIRM_PAYMENT,
        services.order_credit_release,
        _("Order %(number)s is released from credit hold."),
    ),
    "deliver": (SHIP_ORDER, services.order_deliver, _("Order %(number)s is delivered.")),
    "complete": (COMPLETE_ORDER, services.order_complete, _("Order %(number)s is completed.")),
}


@login_required
@require_POST
def order_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    permission, service, done = ACTIONS[action]
    allowed = request.user.has_perm(permission)
    if not allowed and action == "cancel" and request.user.has_perm(CONFIRM_PAYMENT):
        # Finance, which releases orders held on credit, may also refuse them.
        allowed = SalesOrder.objects.filter(pk=pk, status=OrderStatus.CREDIT_HOLD).exists()
    if not allowed:
        raise PermissionDenied
    order = get_object_or_404(SalesOrder, pk=pk)
    kwargs = {"order": order, "user": request.user}
    if action == "pay":
        kwargs["backorder"] = request.POST.get("backorder") == "on"
    try:
        service(**kwargs)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done % {"number": order.number})
    return redirect("orders:order_detail", pk=order.pk)


@login_required
@permission_required(ADD_ORDER, raise_exception=True)
def order_new(request):
    """Place an order for a customer; refused whole when short unless backorder is chosen."""
    form = OrderForm(request.POST or None)
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_place(
                shop=data["shop"],
                customer=data["customer"],
                warehouse=data["warehouse"],
                source=OrderSource.STAFF,
                paid_at=timezone.now() if data["paid"] else None,
                backorder=data["backorder"],
                note=data["note"],
                lines=[
                    services.OrderLineInput(
                        sku=line["sku_object"],
                        quantity=line["quantity"],
                        price_type=line["price_type"] or None,
                        unit_price=line["unit_price"],
                        discount=line["discount"] or 0,
                    )
                    for line in lines.lines()
                ],
                user=request.user,
                submission=data["submission"],
            )
        except OrderAlreadyPlaced as placed:
            messages.info(request, str(placed))
            return redirect("orders:order_detail", pk=placed.order.pk)
        except OrderRefused as refused:
            messages.error(request, str(refused))
        except OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Order %(number)s placed: %(status)s.")
                % {"number": order.number, "status": order.get_status_display()},
            )
            return redirect("orders:order_detail", pk=order.pk)
    return render(
        request,
        "orders/order_new.html",
        {
            "form": form,
            "lines": lines,
            "promotion_items": selectors.promotion_items_now(
                on=timezone.localdate(), limit=PROMOTION_ITEMS_ON_FORM
            ),
        },
    )


@login_required
@permission_required(VIEW_LISTINGS, raise_exception=True)
def listings_unmatched(request):
    """The queue of channel listings waiting for their SKU (多店铺商品对应)."""
    page = Paginator(selectors.unmatched_listings(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/listings_unmatched.html",
        {"page": page, "form": ResolveListingForm(), "query": ""},
    )


@login_required
@permission_required(CHANGE_LISTING, raise_exception=True)
@require_POST
def listing_resolve(request, pk: int):
    listing = get_object_or_404(ChannelListing.objects.select_related("sku"), pk=pk)
    form = ResolveListingForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["sku"]))
        return redirect("orders:listings_unmatched")
    try:
        waiting = services.listing_resolve(
            listing=listing, sku=form.cleaned_data["sku"], user=request.user
        )
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(code)s is now %(sku)s; %(count)d waiting order lines took it.")
            % {
                "code": listing.platform_sku_code,
                "sku": form.cleaned_data["sku"].code,
                "count": waiting,
            },
        )
    return redirect("orders:listings_unmatched")


@login_required
@permission_required(PICK_ORDER, raise_exception=True)
def waves(request):
    """Allocated orders per warehouse; picking a wave prints its pick list in slot order."""
    form = WaveForm(request.POST or None)
    context = {"form": form, "rows": selectors.waves_to_pick(), "pick_list": None}
    if request.method == "POST" and form.is_valid():
        try:
            pick_list, wave = services.wave_pick(
                warehouse=form.cleaned_data["warehouse"],
                limit=form.cleaned_data["limit"],
                user=request.user,
            )
        except OrderError as error:
            messages.error(request, str(error))
        else:
            context.update(pick_list=pick_list, wave=wave)
            context["rows"] = selectors.waves_to_pick()
    context["to_pack"] = selectors.orders_to_pack()
    return render(request, "orders/waves.html", context)


@login_required
@permission_required(VIEW_CHECKS, raise_exception=True)
def pack(request, pk: int):
    """扫描验货: scan each item against the order; a passing check packs it, then ship."""
    order = get_object_or_404(SalesOrder.objects.select_related("shop__channel"), pk=pk)
    pack_form = PackForm(prefix="pack")
    ship_form = ShipForm(prefix="ship")
    if request.method == "POST" and "pack-barcodes" in request.POST:
        if not request.user.has_perm(PACK_ORDER):
            raise PermissionDenied
        pack_form = PackForm(request.POST, prefix="pack")
        if pack_form.is_valid():
            try:
                check = services.packing_check(
                    order=order, barcodes=pack_form.cleaned_data["barcodes"], user=request.user
                )
            except OrderError as error:
                messages.error(request, str(error))
            else:
                if check.passed:
                    messages.success(request, _("Packing check passed: ready to ship."))
                    return redirect("orders:pack", pk=order.pk)
                messages.error(
                    request,
                    _("Packing check failed, the order cannot ship: %(problems)s.")
                    % {"problems": "; ".join(check.problems.splitlines())},
                )
    elif request.method == "POST":
        if not request.user.has_perm(SHIP_ORDER):
            raise PermissionDenied
        ship_form = ShipForm(request.POST, prefix="ship")
        if ship_form.is_valid():
            try:
                services.order_ship(order=order, user=request.user, **ship_form.cleaned_data)
            except OrderError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Order %(number)s shipped.") % {"number": order.number})
                return redirect("orders:order_detail", pk=order.pk)
    order.refresh_from_db()
    expected = services.expected_items(order)
    skus = SKU.objects.in_bulk(list(expected))
    return render(
        request,
        "orders/pack.html",
        {
            "order": order,
            "items": [(skus[sku_id], units) for sku_id, units in sorted(expected.items())],
            "checks": list(order.checks.prefetch_related("scans")[:10]),
            "pack_form": pack_form,
            "ship_form": ship_form,
            "OrderStatus": OrderStatus,
        },
    )


@login_required
@permission_required(ADD_RETURN, raise_exception=True)
def order_return(request, pk: int):
    """Receive returned goods (RMA) line by line."""
    order = get_object_or_404(SalesOrder.objects.select_related("shop__channel"), pk=pk)
    lines = selectors.order_lines(order)
    initial = [{"line_id": line.pk} for line in lines]
    formset = ReturnLineFormSet(request.POST or None, initial=initial, prefix="lines")
    note = ReturnNoteForm(request.POST or None)
    if request.method == "POST" and formset.is_valid() and note.is_valid():
        by_id = {line.pk: line for line in lines}
        wanted = [
            services.ReturnLineInput(
                order_line=by_id[data["line_id"]],
                quantity=data["quantity"],
                reason=data["reason"],
                disposition=data["disposition"],
                refund_amount=data["refund_amount"],
            )
            for data in formset.cleaned_data
            if data.get("quantity") and data["line_id"] in by_id
        ]
        try:
            rma = services.return_create(
                order=order, lines=wanted, note=note.cleaned_data["note"], user=request.user
            )
        except OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Return %(rma)s received.") % {"rma": rma})
            return redirect("orders:order_detail", pk=order.pk)
    if len(formset.forms) != len(lines):
        # A post that does not hold one form per line (tampered or cut short) is refused whole.
        messages.error(request, _("The return form was incomplete: nothing was received."))
        formset = ReturnLineFormSet(initial=initial, prefix="lines")
    return render(
        request,
        "orders/order_return.html",
        {
            "order": order,
            "rows": list(zip(lines, formset.forms, strict=True)),
            "formset": formset,
            "note": note,
        },
    )


@login_required
@permission_required(VIEW_CHECKS, raise_exception=True)
def logistics_errors(request):
    """Packing-check catches and wrong-item / wrong-quantity returns per shipped order, daily."""
    days = selectors.logistics_error_rate(days=30)
    chart = {
        "labels": [day.day.strftime("%m-%d") for day in days],
        "datasets": [
            {"label": _("Orders shipped"), "data": [day.shipped for day in days]},
            {
                "label": _("Error rate (%)"),
                "type": "line",
                "yAxisID": "percent",
                "colour": "#c0392b",
                "spanGaps": False,  # a day with nothing shipped has no rate: no line across
                "data": [None if day.rate is None else round(day.percent, 2) for day in days],
            },
        ],
    }
    return render(
        request, "orders/logistics_errors.html", {"days": list(reversed(days)), "chart": chart}
    )


@login_required
@permission_required(VIEW_REVIEWS, raise_exception=True)
def reviews(request):
    """Products by their average review score (点评), the flagged ones first."""
    form = ReviewFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = review_selectors.product_reviews(
        query=filters.get("q", "").strip(), flagged_only=bool(filters.get("flagged"))
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/reviews.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "threshold": settings.ORDERS_REVIEW_FLAG_SCORE,
            "minimum": settings.ORDERS_REVIEW_FLAG_MIN_COUNT,
        },
    )


@login_required
@permission_required(VIEW_INQUIRIES, raise_exception=True)
def inquiries(request):
    """Inquiries (咨询) and their conversion (咨询转化率) per agent, product and week, the
    follow-ups waiting (待跟进) and, for support, the quick entry form."""
    may_add = request.user.has_perm(ADD_INQUIRY)
    entry = InquiryForm(initial={"outcome": InquiryOutcome.FOLLOW_UP}) if may_add else None
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        entry = InquiryForm(request.POST)
        if entry.is_valid():
            data = entry.cleaned_data
            try:
                inquiry = services.inquiry_record(
                    shop=data["shop"],
                    customer=data["customer"],
                    visitor=data["visitor"],
                    skus=data["skus"],
                    question=data["question"],
                    outcome=data["outcome"],
                    follow_up_on=data["follow_up_on"],
                    note=data["note"],
                    agent=request.user,
                )
            except OrderError as error:
                entry.add_error(None, error.message)
            else:
                if inquiry.order_id:
                    messages.success(
                        request,
                        _("Inquiry recorded and linked to order %(number)s.")
                        % {"number": inquiry.order.number},
                    )
                else:
                    messages.success(request, _("Inquiry recorded."))
                return redirect(request.get_full_path())
    filters = InquiryFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    today = timezone.localdate()
    until = chosen.get("until") or today
    since = chosen.get("since") or selectors.week_start(until) - dt.timedelta(
        weeks=INQUIRY_WEEKS - 1
    )
    agent = chosen.get("agent")
    agent_id = agent.pk if agent is not None else None
    report = selectors.inquiry_conversion(since=since, until=until, agent_id=agent_id)
    chart = {
        "labels": [week.label for week in report.by_week],
        "datasets": [
            {"label": _("Inquiries"), "data": [week.inquiries for week in report.by_week]},
            {
                "label": _("Conversion rate (%)"),
                "type": "line",
                "yAxisID": "percent",
                "colour": "#c0392b",
                "spanGaps": False,
                "data": [
                    None if week.rate is None else round(week.percent, 1) for week in report.by_week
                ],
            },
        ],
    }
    recent = selectors.inquiries_recent(agent_id=agent_id).filter(
        asked_at__date__gte=since, asked_at__date__lte=until
    )
    return render(
        request,
        "orders/inquiries.html",
        {
            "filters": filters,
            "entry": entry,
            "report": report,
            "chart": chart,
            "follow_ups": list(selectors.inquiries_following_up(agent_id=agent_id)[:INQUIRY_ROWS]),
            "recent": list(recent[:INQUIRY_ROWS]),
            "today": today,
            "conversion_days": settings.ORDERS_INQUIRY_CONVERSION_DAYS,
        },
    )


@login_required
@permission_required(VIEW_PROMOTION_RESULTS, raise_exception=True)
def promotions(request):
    """Promotions, the latest first, with their spend, units, revenue, uplift and (for roles
    that see margins) gross margin and ROI."""
    page = Paginator(
        Promotion.objects.select_related("channel", "shop"), PROMOTIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/promotions.html",
        {
            "page": page,
            "results": promotion_results.promotions_results(page.object_list),
            "show_margin": request.user.has_perm(VIEW_MARGIN),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required(VIEW_PROMOTION_RESULTS, raise_exception=True)
def promotion_detail(request, pk: int):
    """One promotion's results per SKU, and its daily units before and during."""
    promotion = get_object_or_404(Promotion.objects.select_related("channel", "shop"), pk=pk)
    result = promotion_results.promotion_result(promotion)
    before, during = result.daily[: result.days], result.daily[result.days :]
    chart = {
        "labels": [_("Day %(n)s") % {"n": n + 1} for n in range(result.days)],
        "datasets": [
            {"label": _("Units, days before"), "data": [units for _day, units in before]},
            {"label": _("Units, promotion days"), "data": [units for _day, units in during]},
        ],
    }
    return render(
        request,
        "orders/promotion_detail.html",
        {
            "promotion": promotion,
            "result": result,
            "chart": chart,
            "show_margin": request.user.has_perm(VIEW_MARGIN),
        },
    )
