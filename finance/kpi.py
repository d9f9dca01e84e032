"""The manager's KPIs (经营指标), month by month, with the change on the month before.

Definitions (a month is a local calendar month, in ``TIME_ZONE``; the current month counts
up to today):

- **orders** and **GMV** (成交额): the orders paid in the month, not cancelled; GMV is the
  sum of their lines (quantity × unit price − discount).
- **AOV** (客单价) = GMV ÷ orders.
- Where visitor counts (``orders.ShopTraffic``) exist for a shop and day, its orders of that
  day are *covered*: for them GMV = **visitors (UV) × conversion × AOV**, with conversion =
  covered orders ÷ visitors and their AOV = covered GMV ÷ covered orders. The orders of shops
  and days without visitor counts add their GMV from the orders themselves.
- **repurchase rate** (复购率): of the customers who paid an order in the month, the share
  who had paid another one before it (in the month or earlier); defined once, in
  ``orders.segments.repurchase``.
- **sell-through** (售罄率) = units shipped ÷ (units on hand at the month's start + units
  received in it), from the stock ledger.
- **active-SKU rate** (动销率): of the active SKUs of listed products (today's list), the
  share that sold at least once in the month.
- **stock value** at the month's end (``finance.valuation``, FIFO) and **days of
  inventory** = stock value ÷ (COGS ÷ days of the month counted), COGS as the P&L's.
- **logistics error rate**: packing-check catches and wrong-item / wrong-quantity returns per
  order shipped (``orders.selectors.logistics_error_rate``).

The channel and shop filters narrow the sales figures (orders, GMV, visitors, repurchase,
active SKUs); the stock figures (sell-through, stock value, days of inventory) and the
logistics error rate are the whole warehouse's. Every figure comes from grouped queries over
the whole window (a fixed number of them, whatever the data), never a loop over orders.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from catalog.enums import ProductStatus
from catalog.models import SKU
from finance.reports import SalesFilter, _decimal, month_end, pnl_by_month
from inventory.enums import MoveKind
from inventory.models import StockMove
from orders.enums import OrderStatus
from orders.models import SalesOrderLine, ShopTraffic
from orders.segments import repurchase
from orders.selectors import logistics_error_rate

# The page's window: the month asked and the twelve before it (a year and its comparison).
MONTHS = 13
ZERO = Decimal("0.00")
# KPIs for which a fall is good news (the page colours the change by it).
LOWER_IS_BETTER = frozenset({"days_of_inventory", "logistics_error_rate"})
# KPIs whose change is neither good nor bad in itself (more stock may be planned).
NEUTRAL = frozenset({"stock_value"})


@dataclass(frozen=True)
class KpiScope:
    """Which sales count: all (``None``), a channel's or one shop's."""

    channel_id: int | None = None
    shop_id: int | None = None


@dataclass(frozen=True)
class MonthKpi:
    """The figures of one month (``start`` to ``end``, both counted)."""

    month: date
    start: date
    end: date
    orders: int = 0
    gmv: Decimal = ZERO
    visitors: int | None = None
    covered_orders: int = 0
    covered_gmv: Decimal = ZERO
    buyers: int = 0
    repeat_buyers: int = 0
    skus_sold: int = 0
    skus_listed: int = 0
    units_shipped: int = 0
    units_available: int = 0
    stock_value: Decimal = ZERO
    cogs: Decimal = ZERO
    shipped_orders: int = 0
    logistics_errors: int = 0

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_whole(self) -> bool:
        return self.end == month_end(self.month)

    @property
    def aov(self) -> Decimal | None:
        return _ratio_money(self.gmv, self.orders)

    @property
    def has_traffic(self) -> bool:
        return bool(self.visitors)

    @property
    def conversion(self) -> float | None:
        """Covered orders per visitor."""
        return self.covered_orders / self.visitors if self.visitors else None

    @property
    def covered_aov(self) -> Decimal | None:
        return _ratio_money(self.covered_gmv, self.covered_orders)

    @property
    def uncovered_gmv(self) -> Decimal:
        """GMV of the orders of shops and days without visitor counts."""
        return self.gmv - self.covered_gmv

    @property
    def gmv_source(self) -> str:
        """``traffic`` (all GMV is UV × conversion × AOV), ``mixed`` or ``orders``."""
        if not self.has_traffic:
            return "orders"
        return "traffic" if self.covered_orders == self.orders else "mixed"

    @property
    def repurchase_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def sell_through(self) -> float | None:
        return self.units_shipped / self.units_available if self.units_available > 0 else None

    @property
    def active_sku_rate(self) -> float | None:
        return self.skus_sold / self.skus_listed if self.skus_listed else None

    @property
    def days_of_inventory(self) -> float | None:
        if self.cogs <= 0:
            return None
        return round(float(self.stock_value) / (float(self.cogs) / self.days), 1)

    @property
    def logistics_error_rate(self) -> float | None:
        return self.logistics_errors / self.shipped_orders if self.shipped_orders else None


@dataclass(frozen=True)
class Kpis:
    """The months of the window, oldest first; the last is the month asked."""

    months: list[MonthKpi]
    scope: KpiScope

    @property
    def current(self) -> MonthKpi:
        return self.months[-1]

    @property
    def previous(self) -> MonthKpi:
        return self.months[-2]

    def change(self, name: str) -> float | None:
        """Return the relative change of KPI ``name`` on the month before (0.1 = +10 %);
        ``None`` when either month has no figure or the month before has zero."""
        now, before = getattr(self.current, name), getattr(self.previous, name)
        if now is None or before is None or not before:
            return None
        return (float(now) - float(before)) / abs(float(before))


def _ratio_money(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(Decimal("0.01")) if count else None


def _month_key(value) -> str:
    return f"{value:%Y-%m}"


def _months(last: date) -> list[date]:
    months = [last.replace(day=1)]
    while len(months) < MONTHS:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def _scoped(queryset, scope: KpiScope, shop: str):
    if scope.shop_id:
        queryset = queryset.filter(**{f"{shop}_id": scope.shop_id})
    if scope.channel_id:
        queryset = queryset.filter(**{f"{shop}__channel_id": scope.channel_id})
    return queryset


def _sales(since: datetime, until: datetime, scope: KpiScope, tz) -> dict[str, dict]:
    """Orders, GMV (all and covered by visitor counts) and listed SKUs sold, per month."""
    amount = ExpressionWrapper(
        F("quantity") * F("unit_price") - F("discount"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    covered = Exists(ShopTraffic.objects.filter(shop=OuterRef("order__shop"), day=OuterRef("day")))
    lines = _scoped(
        SalesOrderLine.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until).exclude(
            order__status=OrderStatus.CANCELLED
        ),
        scope,
        "order__shop",
    )
    listed = Q(sku__is_active=True, sku__product__status=ProductStatus.LISTED)
    rows = (
        lines.annotate(
            month=TruncMonth("order__paid_at", tzinfo=tz),
            day=TruncDate("order__paid_at", tzinfo=tz),
        )
        .annotate(covered=covered)
        .values("month")
        .annotate(
            orders=Count("order", distinct=True),
            gmv=Sum(amount),
            covered_orders=Count("order", distinct=True, filter=Q(covered=True)),
            covered_gmv=Sum(amount, filter=Q(covered=True)),
            skus_sold=Count("sku", distinct=True, filter=listed),
        )
        .order_by()
    )
    return {_month_key(row["month"]): row for row in rows}


def _buyers(since: datetime, until: datetime, scope: KpiScope) -> dict[str, dict]:
    """Buyers per month and those of them who had paid an earlier order (in scope): the
    repurchase rate of ``orders.segments``, its one definition."""
    rows = repurchase(since=since, until=until, shop_id=scope.shop_id, channel_id=scope.channel_id)
    return {row.month: {"buyers": row.buyers, "repeat_buyers": row.repeat_buyers} for row in rows}


def _visitors(start: date, end: date, scope: KpiScope) -> dict[str, int]:
    rows = (
        _scoped(ShopTraffic.objects.filter(day__gte=start, day__lte=end), scope, "shop")
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(visitors=Sum("visitors"))
        .order_by()
    )
    return {_month_key(row["month"]): row["visitors"] or 0 for row in rows}


def _stock_flows(until: datetime, tz) -> dict[str, dict]:
    """Per month of the ledger up to ``until``: net units into the warehouses, receipts and
    shipments (moves between slots change nothing)."""
    signed = Case(
        When(from_slot__isnull=True, then=F("quantity")),
        When(to_slot__isnull=True, then=-F("quantity")),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        StockMove.objects.filter(created_at__lt=until)
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values("month")
        .annotate(
            net=Sum(signed),
            received=Sum("quantity", filter=Q(kind=MoveKind.RECEIPT)),
            shipped=Sum("quantity", filter=Q(kind=MoveKind.SHIP)),
        )
        .order_by()
    )
    return {_month_key(row["month"]): row for row in rows}


def kpis(*, month: date, scope: KpiScope | None = None, today: date | None = None) -> Kpis:
    """Return the KPIs of ``month`` (any day of it) and the twelve months before it."""
    scope = scope or KpiScope()
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    months = _months(month)
    ends = [min(month_end(m), today) for m in months]
    first, last = months[0], ends[-1]
    since = datetime.combine(first, time(), tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)

    sales = _sales(since, until, scope, tz)
    buyers = _buyers(since, until, scope)
    visitors = _visitors(first, last, scope)
    listed = SKU.objects.filter(is_active=True, product__status=ProductStatus.LISTED).count()
    flows = _stock_flows(until, tz)
    pnl = pnl_by_month(SalesFilter(date_from=first, date_to=last)).rows.set_index("month")
    errors: dict[str, list[int]] = {}
    for day in logistics_error_rate(days=(last - first).days + 1, end=last):
        counts = errors.setdefault(_month_key(day.day), [0, 0])
        counts[0] += day.shipped
        counts[1] += day.errors

    result = []
    for m, end in zip(months, ends, strict=True):
        key = _month_key(m)
        sale, buyer = sales.get(key, {}), buyers.get(key, {})
        opening = sum(row["net"] or 0 for k, row in flows.items() if k < key)
        flow = flows.get(key, {})
        shipped, error_count = errors.get(key, [0, 0])
        result.append(
            MonthKpi(
                month=m,
                start=m,
                end=end,
                orders=sale.get("orders", 0),
                gmv=_decimal(sale.get("gmv")),
                visitors=visitors.get(key),
                covered_orders=sale.get("covered_orders", 0),
                covered_gmv=_decimal(sale.get("covered_gmv")),
                buyers=buyer.get("buyers", 0),
                repeat_buyers=buyer.get("repeat_buyers", 0),
                skus_sold=sale.get("skus_sold", 0),
                skus_listed=listed,
                units_shipped=flow.get("shipped") or 0,
                units_available=opening + (flow.get("received") or 0),
                stock_value=pnl.at[key, "stock_value"] if key in pnl.index else ZERO,
                cogs=pnl.at[key, "cogs"] if key in pnl.index else ZERO,
                shipped_orders=shipped,
                logistics_errors=error_count,
            )
        )
    return Kpis(months=result, scope=scope)
