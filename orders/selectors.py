"""Reads of orders for pages, panels and reports."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.enums import ProductRole
from catalog.money import money
from orders.enums import LOGISTICS_ERRORS, ListingStatus, OrderStatus
from orders.models import ChannelListing, PackingCheck, ReturnLine, SalesOrder, SalesOrderLine
from orders.pricing import prices_for

CENT = Decimal("0.01")


def order_search(*, status: str = "", query: str = "", shop=None) -> QuerySet[SalesOrder]:
    """Orders, newest first, filtered by status, shop, or a number / customer / tracking."""
    orders = SalesOrder.objects.select_related("shop__channel", "customer", "warehouse")
    if status:
        orders = orders.filter(status=status)
    if shop is not None:
        orders = orders.filter(shop=shop)
    if query:
        orders = orders.filter(
            Q(number__icontains=query)
            | Q(customer__code__iexact=query)
            | Q(customer__name__icontains=query)
            | Q(tracking_number__iexact=query)
        )
    return orders.annotate(
        line_count=Count("lines"),
        waiting=Exists(
            SalesOrderLine.objects.filter(
                Q(sku__isnull=True) | Q(backordered__gt=0), order=OuterRef("pk")
            )
        ),
    ).order_by("-placed_at", "-pk")


def order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    return list(order.lines.select_related("sku").annotate(returned=Sum("return_lines__quantity")))


def unmatched_listings() -> QuerySet[ChannelListing]:
    """Listings waiting for their SKU, with the order lines waiting for them; oldest first."""
    waiting = SalesOrderLine.objects.filter(
        order__shop=OuterRef("shop"),
        platform_code=OuterRef("platform_sku_code"),
        sku__isnull=True,
    ).exclude(order__status=OrderStatus.CANCELLED)
    return (
        ChannelListing.objects.filter(status=ListingStatus.UNMATCHED)
        .select_related("shop__channel")
        .annotate(waiting_lines=Exists(waiting))
        .order_by("-waiting_lines", "created_at", "pk")
    )


def waves_to_pick() -> list[dict]:
    """Allocated orders per warehouse, waiting for a wave; and orders being picked."""
    return list(
        SalesOrder.objects.filter(status__in=[OrderStatus.ALLOCATED, OrderStatus.PICKING])
        .values("warehouse", "warehouse__code", "warehouse__name")
        .annotate(
            allocated=Count("pk", filter=Q(status=OrderStatus.ALLOCATED)),
            picking=Count("pk", filter=Q(status=OrderStatus.PICKING)),
        )
        .order_by("warehouse__code")
    )


def orders_to_pack(*, warehouse=None, limit: int = 100) -> list[SalesOrder]:
    orders = SalesOrder.objects.filter(
        status__in=[OrderStatus.PICKING, OrderStatus.PACKED]
    ).select_related("shop__channel", "warehouse")
    if warehouse is not None:
        orders = orders.filter(warehouse=warehouse)
    return list(orders.order_by("status", "paid_at", "pk")[:limit])


@dataclass(frozen=True)
class ErrorRateDay:
    day: dt.date
    shipped: int
    packing_catches: int
    wrong_returns: int

    @property
    def errors(self) -> int:
        return self.packing_catches + self.wrong_returns

    @property
    def rate(self) -> float | None:
        """Errors per shipped order (None on a day nothing shipped)."""
        return self.errors / self.shipped if self.shipped else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else self.rate * 100


def logistics_error_rate(*, days: int = 30, end: dt.date | None = None) -> list[ErrorRateDay]:
    """Per day: orders shipped, packing-check catches and wrong-item / wrong-quantity return
    lines, and their sum per shipped order. A flooded warehouse after a big promotion shows
    up as a rising rate. Three grouped queries."""
    end = end or timezone.localdate()
    start = end - dt.timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)

    def per_day(queryset, field: str) -> dict[dt.date, int]:
        return dict(
            queryset.filter(**{f"{field}__gte": since, f"{field}__lt": until})
            .annotate(day=TruncDate(field, tzinfo=tz))
            .values("day")
            .annotate(n=Count("pk"))
            .values_list("day", "n")
        )

    shipped = per_day(SalesOrder.objects.all(), "shipped_at")
    caught = per_day(PackingCheck.objects.filter(passed=False), "checked_at")
    returned = per_day(ReturnLine.objects.filter(reason__in=LOGISTICS_ERRORS), "rma__created_at")
    return [
        ErrorRateDay(day, shipped.get(day, 0), caught.get(day, 0), returned.get(day, 0))
        for day in (start + dt.timedelta(days=n) for n in range(days))
    ]


def gross_margin_by_role() -> list[dict]:
    """Return per product role the revenue, cost of goods (FIFO) and gross margin of what
    shipped, in role order (traffic, regular, image); one GROUP BY.

    Revenue = Σ unit price × shipped quantity, over lines with a recorded cost of goods;
    gross margin = (revenue − cost of goods) ÷ revenue.
    """
    rows = {
        row["sku__product__role"]: row
        for row in SalesOrderLine.objects.filter(
            shipped_quantity__gt=0, cost_of_goods__isnull=False, sku__isnull=False
        )
        .values("sku__product__role")
        .annotate(
            lines=Count("pk"),
            revenue=Sum(F("unit_price") * F("shipped_quantity")),
            cost=Sum("cost_of_goods"),
        )
        .order_by()
    }
    result = []
    for role, label in ProductRole.choices:
        row = rows.get(role)
        if row is None or not row["revenue"]:
            continue
        revenue = money(row["revenue"])
        cost = money(row["cost"])
        result.append(
            {
                "role": label,
                "lines": row["lines"],
                "revenue": revenue,
                "cost_of_goods": cost,
                "margin_percent": ((revenue - cost) * 100 / revenue).quantize(Decimal("0.1")),
            }
        )
    return result


def prices_in_effect(skus, *, customer=None, channel=None, shop=None, on=None) -> dict:
    """Return today's (or ``on``'s) price in effect of each of ``skus`` by SKU id, for pages
    and panels: ``orders.pricing.prices_for``, in one query."""
    return prices_for(skus, customer, channel, on, shop=shop)
