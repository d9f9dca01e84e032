"""Results of promotions (活动效果): per promotion and per SKU, units, revenue, gross margin,
uplift and ROI.

- **During**: the orders placed on the promotion's days (first and last included) for its
  SKUs, in its scope (its shop, else its channel, else everywhere); cancelled orders left
  out. Whether or not a line took the promotion price, it counts: a promotion moves the
  SKU's sales, not only its discounted lines.
- **Before**: the same, on the same number of days right before the first day.
- **Revenue** = Σ quantity × unit price − discount.
- **Gross margin** = Σ shipped quantity × unit price − COGS, over the shipped lines with a
  recorded cost (FIFO ``cost_of_goods``); shown only to roles with ``catalog.view_margin``.
- **Uplift** = (during − before) ÷ before, of units and of revenue (``None`` without sales
  before).
- **ROI** = (gross margin − spend) ÷ spend (``None`` without spend, and for a promotion
  still to come).

Sales are summed in SQL by SKU, shop and day in one GROUP BY over the days of all the
promotions asked for; Python only adds those daily rows into promotions. A page therefore
takes a constant number of queries: promotions, their items with SKUs, spend, daily sales.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Prefetch, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import SKU
from catalog.money import money
from orders.enums import OrderStatus
from orders.models import Promotion, PromotionItem, PromotionSpend, SalesOrderLine
from orders.pricing import promotion_item_price

ZERO = Decimal("0.00")


@dataclass
class Figures:
    """Units, revenue and the costed revenue and COGS a gross margin is read from."""

    units: int = 0
    revenue: Decimal = ZERO
    costed_revenue: Decimal = ZERO
    cost_of_goods: Decimal = ZERO

    def add(self, row: dict) -> None:
        self.units += row["units"] or 0
        self.revenue += row["revenue"] or 0
        self.costed_revenue += row["costed_revenue"] or 0
        self.cost_of_goods += row["cost_of_goods"] or 0

    @property
    def gross_margin(self) -> Decimal:
        return money(self.costed_revenue - self.cost_of_goods)


def _growth(now, then) -> float | None:
    return float((now - then) / then) if then else None


@dataclass
class Result:
    """What a promotion (or one of its SKUs) sold during its days and right before."""

    during: Figures = field(default_factory=Figures)
    before: Figures = field(default_factory=Figures)

    @property
    def units_uplift(self) -> float | None:
        return _growth(self.during.units, self.before.units)

    @property
    def revenue_uplift(self) -> float | None:
        return _growth(self.during.revenue, self.before.revenue)


@dataclass
class SkuResult(Result):
    sku: SKU | None = None
    price: Decimal | None = None  # the item's promotion price (a percentage: off retail)


@dataclass
class PromotionResult(Result):
    promotion: Promotion | None = None
    spend: Decimal = ZERO
    skus: list[SkuResult] = field(default_factory=list)
    # (day, units) for each day before and during, oldest first; the chart reads them.
    daily: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.promotion.ends_on - self.promotion.starts_on).days + 1

    @property
    def before_starts_on(self) -> dt.date:
        return self.promotion.starts_on - dt.timedelta(days=self.days)

    @property
    def before_ends_on(self) -> dt.date:
        return self.promotion.starts_on - dt.timedelta(days=1)

    @property
    def roi(self) -> float | None:
        """(gross margin − spend) ÷ spend; ``None`` without spend or before the first day."""
        if not self.spend or self.promotion.starts_on > timezone.localdate():
            return None
        return float((self.during.gross_margin - self.spend) / self.spend)


def _covers(promotion: Promotion, shop_id: int, channel_id: int) -> bool:
    if promotion.shop_id is not None:
        return promotion.shop_id == shop_id
    return promotion.channel_id is None or promotion.channel_id == channel_id


def promotions_results(promotions) -> list[PromotionResult]:
    """Return a ``PromotionResult`` per promotion (a list or queryset), in their order, with
    their SKUs' results and daily units; four queries whatever their number."""
    promotions = list(
        promotions.prefetch_related(
            Prefetch("items", queryset=PromotionItem.objects.select_related("sku"))
        )
        if hasattr(promotions, "query")
        else promotions
    )
    if not promotions:
        return []
    results = {p.pk: PromotionResult(promotion=p) for p in promotions}
    spend = (
        PromotionSpend.objects.filter(promotion__in=[p.pk for p in promotions])
        .values("promotion")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in spend:
        results[row["promotion"]].spend = money(row["total"])
    sku_ids: set[int] = set()
    first = last = None
    for promotion in promotions:
        result = results[promotion.pk]
        for item in promotion.items.all():
            sku_ids.add(item.sku_id)
            result.skus.append(
                SkuResult(sku=item.sku, price=promotion_item_price(item, item.sku.retail_price))
            )
        result.skus.sort(key=lambda r: r.sku.code)
        first = min(first or result.before_starts_on, result.before_starts_on)
        last = max(last or promotion.ends_on, promotion.ends_on)
    if not sku_ids:
        return list(results.values())
    shipped = Q(cost_of_goods__isnull=False, shipped_quantity__gt=0)
    rows = list(
        SalesOrderLine.objects.filter(sku_id__in=sorted(sku_ids))
        .exclude(order__status=OrderStatus.CANCELLED)
        .annotate(day=TruncDate("order__placed_at"))
        .filter(day__gte=first, day__lte=last)
        .values("sku_id", "order__shop_id", "order__shop__channel_id", "day")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(F("quantity") * F("unit_price") - F("discount")),
            costed_revenue=Sum(F("shipped_quantity") * F("unit_price"), filter=shipped),
            cost_of_goods=Sum("cost_of_goods", filter=shipped),
        )
        .order_by()
    )
    for promotion in promotions:
        result = results[promotion.pk]
        by_sku = {r.sku.pk: r for r in result.skus}
        daily: dict[dt.date, int] = defaultdict(int)
        for row in rows:
            sku_result = by_sku.get(row["sku_id"])
            day = row["day"]
            if sku_result is None or not result.before_starts_on <= day <= promotion.ends_on:
                continue
            if not _covers(promotion, row["order__shop_id"], row["order__shop__channel_id"]):
                continue
            period = "during" if day >= promotion.starts_on else "before"
            getattr(result, period).add(row)
            getattr(sku_result, period).add(row)
            daily[day] += row["units"] or 0
        result.daily = [
            (
                result.before_starts_on + dt.timedelta(days=n),
                daily[result.before_starts_on + dt.timedelta(days=n)],
            )
            for n in range(2 * result.days)
        ]
        for figures in (result.during, result.before):
            figures.revenue = money(figures.revenue)
    return [results[p.pk] for p in promotions]


def promotion_result(promotion: Promotion) -> PromotionResult:
    return promotions_results(Promotion.objects.filter(pk=promotion.pk))[0]
