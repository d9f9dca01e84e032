"""Reads of orders for pages, panels and reports."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from catalog.enums import ProductRole
from catalog.money import money
from orders.enums import LOGISTICS_ERRORS, InquiryOutcome, ListingStatus, OrderStatus
from orders.models import (
    ChannelListing,
    Inquiry,
    PackingCheck,
    Promotion,
    PromotionItem,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
)
from orders.pricing import prices_for, promotion_item_price

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


# Credit terms ---------------------------------------------------------------------------------

# Orders that count in a customer's exposure: released on credit and not cancelled; an order
# on credit hold is not credit given yet.
NOT_EXPOSED = (OrderStatus.CANCELLED, OrderStatus.CREDIT_HOLD)
ZERO = Decimal("0.00")


def _line_amount(prefix: str = ""):
    return F(f"{prefix}quantity") * F(f"{prefix}unit_price") - F(f"{prefix}discount")


def credit_exposures(customer_ids) -> dict[int, Decimal]:
    """Return per customer id what it owes on credit: Σ (total − settled) of its released,
    not cancelled credit orders. Two grouped queries whatever the number of customers.

    A line's amount (quantity × unit price − discount, all in cents) needs no rounding, so
    the SQL sum is the sum of the rounded lines.
    """
    ids = list(customer_ids)
    if not ids:
        return {}
    exposed = {"on_credit": True, "customer_id__in": ids}
    totals = dict(
        SalesOrderLine.objects.filter(**{f"order__{k}": v for k, v in exposed.items()})
        .exclude(order__status__in=NOT_EXPOSED)
        .values("order__customer_id")
        .annotate(total=Sum(_line_amount()))
        .values_list("order__customer_id", "total")
    )
    settled = dict(
        SalesOrder.objects.filter(**exposed)
        .exclude(status__in=NOT_EXPOSED)
        .values("customer_id")
        .annotate(settled=Sum("credit_settled"))
        .values_list("customer_id", "settled")
    )
    return {pk: money((totals.get(pk) or ZERO) - (settled.get(pk) or ZERO)) for pk in ids}


def credit_exposure(customer) -> Decimal:
    """What ``customer`` owes on credit now (see ``credit_exposures``)."""
    return credit_exposures([customer.pk])[customer.pk]


@dataclass(frozen=True)
class CreditHold:
    """An order on credit hold and the figures finance decides on: the customer's credit
    limit, what it owes on credit now, this order's total and how far it would pass the
    limit."""

    order: SalesOrder
    credit_limit: Decimal | None
    exposure: Decimal
    amount: Decimal

    @property
    def exposure_after(self) -> Decimal:
        return self.exposure + self.amount

    @property
    def over_by(self) -> Decimal:
        """How far releasing the order would take the customer past its limit (≤ 0: it fits
        now, the customer has paid since)."""
        return self.exposure_after - (self.credit_limit or ZERO)


def credit_holds(*, order_ids=None) -> list[CreditHold]:
    """Orders on credit hold with their figures, oldest first; three queries."""
    orders = (
        SalesOrder.objects.filter(status=OrderStatus.CREDIT_HOLD)
        .select_related("customer", "shop__channel")
        .annotate(amount=Sum(_line_amount("lines__")))
        .order_by("placed_at", "pk")
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=order_ids)
    orders = list(orders)
    exposures = credit_exposures({order.customer_id for order in orders if order.customer_id})
    return [
        CreditHold(
            order=order,
            credit_limit=order.customer.credit_limit if order.customer else None,
            exposure=exposures.get(order.customer_id, ZERO),
            amount=money(order.amount or ZERO),
        )
        for order in orders
    ]


def credit_hold_count() -> int:
    """How many orders wait on credit hold for finance."""
    return SalesOrder.objects.filter(status=OrderStatus.CREDIT_HOLD).count()


def credit_hold(order: SalesOrder) -> CreditHold | None:
    """The figures of one order on credit hold; None when it is not on hold."""
    holds = credit_holds(order_ids=[order.pk])
    return holds[0] if holds else None


def prices_in_effect(skus, *, customer=None, channel=None, shop=None, on=None) -> dict:
    """Return today's (or ``on``'s) price in effect of each of ``skus`` by SKU id, for pages
    and panels: ``orders.pricing.prices_for``, in one query."""
    return prices_for(skus, customer, channel, on, shop=shop)


# Product page and flow -----------------------------------------------------------------------


@dataclass
class ProductSales:
    """What one product sold since a day: units and revenue ordered (cancelled orders left
    out), units returned, and of the shipped lines with a recorded cost the revenue and COGS
    a margin is read from."""

    units: int = 0
    revenue: Decimal = Decimal("0.00")
    recent_units: int = 0  # ordered since the ``recent`` day
    returned_units: int = 0
    refunds: Decimal = Decimal("0.00")
    costed_revenue: Decimal = Decimal("0.00")
    cost_of_goods: Decimal = Decimal("0.00")

    @property
    def return_rate(self) -> float | None:
        return self.returned_units / self.units if self.units else None

    @property
    def margin(self) -> float | None:
        """Gross margin of the shipped lines with a cost: (revenue − COGS) ÷ revenue."""
        if not self.costed_revenue:
            return None
        return float((self.costed_revenue - self.cost_of_goods) / self.costed_revenue)


def products_sales(product_ids, *, since: dt.datetime, recent: dt.datetime) -> dict:
    """Return ``ProductSales`` by product id for the orders placed since ``since`` (and the
    units of those placed since ``recent``), in two GROUP BY queries."""
    product_ids = list(product_ids)
    out = {pk: ProductSales() for pk in product_ids}
    costed = Q(cost_of_goods__isnull=False, shipped_quantity__gt=0)
    rows = (
        SalesOrderLine.objects.filter(sku__product_id__in=product_ids, order__placed_at__gte=since)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("sku__product_id")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(F("quantity") * F("unit_price") - F("discount")),
            recent_units=Sum("quantity", filter=Q(order__placed_at__gte=recent)),
            costed_revenue=Sum(F("shipped_quantity") * F("unit_price"), filter=costed),
            cost_of_goods=Sum("cost_of_goods", filter=costed),
        )
        .order_by()
    )
    for row in rows:
        sales = out[row["sku__product_id"]]
        sales.units = row["units"] or 0
        sales.revenue = money(row["revenue"] or 0)
        sales.recent_units = row["recent_units"] or 0
        sales.costed_revenue = money(row["costed_revenue"] or 0)
        sales.cost_of_goods = money(row["cost_of_goods"] or 0)
    returns = (
        ReturnLine.objects.filter(
            order_line__sku__product_id__in=product_ids, order_line__order__placed_at__gte=since
        )
        .values("order_line__sku__product_id")
        .annotate(units=Sum("quantity"), refunds=Sum("refund_amount"))
        .order_by()
    )
    for row in returns:
        sales = out[row["order_line__sku__product_id"]]
        sales.returned_units = row["units"] or 0
        sales.refunds = money(row["refunds"] or 0)
    return out


def units_sold_by_product(*, since: dt.datetime) -> dict[int, int]:
    """Return the units ordered since ``since`` by product id (cancelled orders left out;
    products that sold nothing are absent), in one GROUP BY over every product."""
    rows = (
        SalesOrderLine.objects.filter(order__placed_at__gte=since)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values_list("sku__product_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {product_id: units or 0 for product_id, units in rows}


def product_weekly_sales(product_id: int, *, weeks: int, end: dt.date | None = None) -> list:
    """Return ``(monday, units, revenue)`` for each of the last ``weeks`` weeks up to ``end``
    (today), oldest first, weeks without sales included; one GROUP BY."""
    end = end or timezone.localdate()
    last_monday = end - dt.timedelta(days=end.weekday())
    first_monday = last_monday - dt.timedelta(weeks=weeks - 1)
    start = timezone.make_aware(dt.datetime.combine(first_monday, dt.time.min))
    by_day = (
        SalesOrderLine.objects.filter(sku__product_id=product_id, order__placed_at__gte=start)
        .exclude(order__status=OrderStatus.CANCELLED)
        .annotate(day=TruncDate("order__placed_at"))
        .values("day")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(F("quantity") * F("unit_price") - F("discount")),
        )
        .order_by()
    )
    weeks_out = {first_monday + dt.timedelta(weeks=n): [0, Decimal("0.00")] for n in range(weeks)}
    for row in by_day:
        monday = row["day"] - dt.timedelta(days=row["day"].weekday())
        if monday in weeks_out:
            weeks_out[monday][0] += row["units"] or 0
            weeks_out[monday][1] += money(row["revenue"] or 0)
    return [(monday, units, revenue) for monday, (units, revenue) in weeks_out.items()]


def products_promotions(product_ids, *, on: dt.date) -> dict:
    """Return by product id the promotions running on ``on`` or to come, soonest first,
    each once; one query."""
    out: dict[int, list[Promotion]] = {pk: [] for pk in product_ids}
    items = (
        PromotionItem.objects.filter(sku__product_id__in=list(out), promotion__ends_on__gte=on)
        .annotate(product_id=F("sku__product_id"))
        .select_related("promotion")
        .order_by("promotion__starts_on", "promotion_id")
    )
    for item in items:
        if item.promotion not in out[item.product_id]:
            out[item.product_id].append(item.promotion)
    return out


def product_promotion_items(product_id: int, *, on: dt.date) -> list[PromotionItem]:
    """Return the promotion items of the product's SKUs running on ``on`` or to come, with
    their promotion, its channel and shop, and ``promotion_price`` (the item's price, or
    retail less its percentage); one query."""
    items = list(
        PromotionItem.objects.filter(sku__product_id=product_id, promotion__ends_on__gte=on)
        .select_related("promotion__channel", "promotion__shop", "sku")
        .order_by("promotion__starts_on", "promotion_id", "sku__code")
    )
    for item in items:
        item.promotion_price = promotion_item_price(item, item.sku.retail_price)
        item.running = item.promotion.starts_on <= on
    return items


def products_units_sold(products: QuerySet, *, since: dt.datetime) -> dict[int, int]:
    """Return the units ordered since ``since`` (cancelled orders left out) of each of
    ``products`` (a Product queryset, read as a subquery) that sold any, by product id; one
    GROUP BY."""
    rows = (
        SalesOrderLine.objects.filter(
            sku__product__in=products.values("pk"), order__placed_at__gte=since
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("sku__product_id")
        .annotate(units=Sum("quantity"))
        .filter(units__gt=0)
        .order_by()
    )
    return dict(rows.values_list("sku__product_id", "units"))


# Inquiries (咨询) and their conversion (咨询转化率) ------------------------------------------


@dataclass
class ConversionRow:
    """Inquiries and those converted (outcome ordered, 已下单) of one agent, product or week."""

    key: object
    label: str
    inquiries: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.inquiries if self.inquiries else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else self.rate * 100


@dataclass
class ConversionReport:
    since: dt.date
    until: dt.date
    total: ConversionRow
    by_agent: list[ConversionRow]
    by_product: list[ConversionRow]
    by_week: list[ConversionRow]


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def _period(since: dt.date, until: dt.date) -> Q:
    tz = timezone.get_current_timezone()
    return Q(
        asked_at__gte=dt.datetime.combine(since, dt.time(), tzinfo=tz),
        asked_at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    )


CONVERTED = Q(outcome=InquiryOutcome.ORDERED)


def agent_name(first: str, last: str, username: str) -> str:
    return f"{last}{first}".strip() or username


def _by_agent(inquiries: QuerySet[Inquiry]) -> list[ConversionRow]:
    return [
        ConversionRow(
            row["agent_id"],
            agent_name(row["agent__first_name"], row["agent__last_name"], row["agent__username"])
            if row["agent_id"]
            else "—",
            row["n"],
            row["converted"],
        )
        for row in inquiries.values(
            "agent_id", "agent__username", "agent__first_name", "agent__last_name"
        )
        .annotate(n=Count("pk"), converted=Count("pk", filter=CONVERTED))
        .order_by("-n", "agent__username")
    ]


def inquiry_conversion_by_agent(*, since: dt.date, until: dt.date) -> list[ConversionRow]:
    """咨询转化率 per agent over the days ``since``–``until``; one GROUP BY."""
    return _by_agent(Inquiry.objects.filter(_period(since, until)))


def inquiry_conversion(
    *, since: dt.date, until: dt.date, agent_id: int | None = None, products: int = 30
) -> ConversionReport:
    """咨询转化率 over the days ``since``–``until`` (inclusive), optionally of one agent: the
    inquiries converted (outcome ordered, 已下单) ÷ the inquiries asked, in total, per agent,
    per product (SPU; an inquiry about two SKUs of one product counts once for it; the
    ``products`` asked about most) and per ISO week (Monday start; every week of the period,
    empty ones too). Three grouped queries."""
    inquiries = Inquiry.objects.filter(_period(since, until))
    if agent_id is not None:
        inquiries = inquiries.filter(agent_id=agent_id)
    counts = {"n": Count("pk"), "converted": Count("pk", filter=CONVERTED)}
    agents = _by_agent(inquiries)
    total = ConversionRow(
        None, "", sum(a.inquiries for a in agents), sum(a.converted for a in agents)
    )
    asked = Inquiry.skus.through.objects.filter(inquiry__in=inquiries.values("pk"))
    product_rows = (
        asked.values("sku__product_id", "sku__product__code", "sku__product__name")
        .annotate(
            n=Count("inquiry_id", distinct=True),
            converted=Count(
                "inquiry_id", distinct=True, filter=Q(inquiry__outcome=InquiryOutcome.ORDERED)
            ),
        )
        .order_by("-n", "sku__product__code")[:products]
    )
    by_product = [
        ConversionRow(
            row["sku__product_id"],
            f"{row['sku__product__code']} {row['sku__product__name']}",
            row["n"],
            row["converted"],
        )
        for row in product_rows
    ]
    tz = timezone.get_current_timezone()
    weeks = {
        (row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]): row
        for row in inquiries.annotate(week=TruncWeek("asked_at", tzinfo=tz))
        .values("week")
        .annotate(**counts)
        .order_by("week")
    }
    by_week = []
    monday = week_start(since)
    while monday <= until:
        row = weeks.get(monday, {"n": 0, "converted": 0})
        by_week.append(ConversionRow(monday, monday.strftime("%G-W%V"), row["n"], row["converted"]))
        monday += dt.timedelta(days=7)
    return ConversionReport(since, until, total, agents, by_product, by_week)


def inquiries_following_up(*, agent_id: int | None = None) -> QuerySet[Inquiry]:
    """Inquiries waiting for follow-up (待跟进), the most overdue first."""
    inquiries = Inquiry.objects.filter(outcome=InquiryOutcome.FOLLOW_UP)
    if agent_id is not None:
        inquiries = inquiries.filter(agent_id=agent_id)
    return inquiries.select_related("shop__channel", "customer", "agent").order_by(
        F("follow_up_on").asc(nulls_first=True), "asked_at", "pk"
    )


def inquiries_due(*, today: dt.date | None = None) -> QuerySet[Inquiry]:
    """Follow-ups due by ``today`` (待跟进, no date or a date not after it)."""
    today = today or timezone.localdate()
    return inquiries_following_up().filter(
        Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today)
    )


def inquiries_recent(*, agent_id: int | None = None) -> QuerySet[Inquiry]:
    """Inquiries, newest first, with what the page shows of them (SKUs prefetched)."""
    inquiries = Inquiry.objects.all()
    if agent_id is not None:
        inquiries = inquiries.filter(agent_id=agent_id)
    return inquiries.select_related("shop__channel", "customer", "agent", "order").prefetch_related(
        "skus"
    )


def inquiry_day_summary(*, today: dt.date | None = None) -> dict:
    """Support's dashboard: today's inquiries, the follow-ups due by today and this week's
    conversion (Monday to today). One query."""
    today = today or timezone.localdate()
    monday = week_start(today)
    tz = timezone.get_current_timezone()
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=tz)
    figures = Inquiry.objects.aggregate(
        today=Count("pk", filter=Q(asked_at__gte=midnight)),
        due=Count(
            "pk",
            filter=Q(outcome=InquiryOutcome.FOLLOW_UP)
            & (Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=today)),
        ),
        week=Count("pk", filter=_period(monday, today)),
        week_converted=Count("pk", filter=_period(monday, today) & CONVERTED),
    )
    week = ConversionRow(monday, "", figures["week"], figures["week_converted"])
    return {"today": figures["today"], "due": figures["due"], "week": week}


def promotion_items_now(*, on: dt.date, sku_ids=None, limit: int | None = None) -> list:
    """Return the promotion items running on ``on`` or to come (of ``sku_ids`` when given),
    running first then the soonest, each with ``promotion_price`` and ``running``; one
    query. Customer service reads them in the product lookup and on the order form."""
    items = PromotionItem.objects.filter(promotion__ends_on__gte=on)
    if sku_ids is not None:
        items = items.filter(sku_id__in=list(sku_ids))
    items = items.select_related("promotion__channel", "promotion__shop", "sku").order_by(
        "promotion__starts_on", "promotion_id", "sku__code"
    )
    if limit is not None:
        items = items[:limit]
    out = list(items)
    for item in out:
        item.promotion_price = promotion_item_price(item, item.sku.retail_price)
        item.running = item.promotion.starts_on <= on
    return out


def running_promotions(*, on: dt.date):
    """Promotions running on ``on`` or starting within a week, soonest end first."""
    return Promotion.objects.filter(
        ends_on__gte=on, starts_on__lte=on + dt.timedelta(days=7)
    ).order_by("ends_on", "pk")
