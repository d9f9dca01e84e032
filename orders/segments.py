"""Customer segments (客户分层): RFM scores, activity levels, repurchase rate and support's
follow-up lists. Reads only.

As of a day ``as_of`` (a local calendar day in ``TIME_ZONE``), for every customer with at
least one order that is not cancelled, placed up to the end of ``as_of``:

- **R** (recency) = ``as_of`` − the local day of the last such order, in days (0 = today);
- **F** (frequency) = such orders placed in the RFM window: the ``ORDERS_RFM_WINDOW_DAYS``
  days that end with ``as_of`` (365 → the year up to and including ``as_of``);
- **M** (monetary) = the net amount of those orders: Σ quantity × unit price − discount of
  their lines (refunds of returns are not taken off).

**Scores** 1–5 rank the customers with orders against each other: with ``n`` customers and
``rank`` the SQL ``RANK()`` of a customer (1 for the lowest value; equal values share the
lowest rank of their group), score = 1 + ⌊5 × (rank − 1) ÷ n⌋. Without ties these are the
quintiles ``NTILE(5)`` gives (exactly when ``n`` is a multiple of 5); with ties, equal values
always get the same score — ``NTILE`` would split them between scores by an arbitrary order,
and F is mostly ties (most customers order once). R ranks the last order's day (the oldest
gets 1, the most recent 5); F and M rank the value (the lowest gets 1). Customers without an
order in the window all share F = M = 0 and score 1 there.

**Activity levels** (thresholds are settings):

- high-active: R ≤ ``ORDERS_ACTIVE_DAYS`` and F ≥ ``ORDERS_ACTIVE_MIN_ORDERS``;
- low-active: R ≤ ``ORDERS_ACTIVE_DAYS`` and F < ``ORDERS_ACTIVE_MIN_ORDERS``;
- silent: ``ORDERS_ACTIVE_DAYS`` < R ≤ ``ORDERS_CHURN_DAYS``;
- churned: R > ``ORDERS_CHURN_DAYS``.

Everything per customer is ONE SQL statement (an aggregate per customer, then window
functions), whatever the number of customers; the local day and month come from Django's
``connection.ops`` so it runs on PostgreSQL and SQLite alike.

**Repurchase rate** (复购率), the one definition (the manager's KPI page uses it too): of
the customers who paid an order in the month (not cancelled), the share who had paid another
one before it — earlier in the month or before. Per 大类, both counts are taken within the
大类: a customer buying in 大类 C in the month is a repeat buyer of C if an earlier paid order
of theirs also had a line in C.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from orders.enums import ActivityLevel, OrderStatus
from orders.models import SalesOrder

CENT = Decimal("0.01")
SCORES = range(1, 6)


@dataclass(frozen=True)
class Thresholds:
    """The settings that draw the segments (``ORDERS_*``), read when asked."""

    window_days: int
    active_days: int
    active_min_orders: int
    churn_days: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            window_days=settings.ORDERS_RFM_WINDOW_DAYS,
            active_days=settings.ORDERS_ACTIVE_DAYS,
            active_min_orders=settings.ORDERS_ACTIVE_MIN_ORDERS,
            churn_days=settings.ORDERS_CHURN_DAYS,
        )


@dataclass(frozen=True)
class CustomerSegment:
    """One customer's RFM figures, scores and activity level as of a day."""

    customer_id: int
    code: str
    name: str
    last_day: date
    recency: int
    frequency: int
    monetary: Decimal
    orders_total: int
    amount_total: Decimal
    r_score: int
    f_score: int
    m_score: int
    level: str

    @property
    def rfm(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"

    @property
    def level_label(self) -> str:
        return str(ActivityLevel(self.level).label)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.get_current_timezone())


def _date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _money(value) -> Decimal:
    if not isinstance(value, Decimal):  # SQLite sums to float or int
        value = Decimal(str(value or 0))
    return value.quantize(CENT)


def _core_sql(as_of: date, thresholds: Thresholds) -> tuple[str, list]:
    """The statement of the segments: one row per customer with orders, positional params."""
    ops = connection.ops
    tzname = timezone.get_current_timezone_name()
    local_day, day_params = ops.datetime_cast_date_sql("o.placed_at", (), tzname)
    since = ops.adapt_datetimefield_value(_day_start(as_of - timedelta(thresholds.window_days - 1)))
    end = ops.adapt_datetimefield_value(_day_start(as_of + timedelta(days=1)))
    # Recency compared as days: R > churn days ⇔ the last day is before as_of − churn days.
    churn_day = ops.adapt_datefield_value(as_of - timedelta(days=thresholds.churn_days))
    active_day = ops.adapt_datefield_value(as_of - timedelta(days=thresholds.active_days))
    # Lines are summed per order first (a merge join on the order id, both read in id order):
    # aggregating the lines joined with their orders per customer instead was 1.4–1.9× slower
    # on 1M orders (bench/bench_segments.py, a loaded machine).
    sql = f"""
WITH amounts AS (
    SELECT l.order_id, SUM(l.quantity * l.unit_price - l.discount) AS amount
    FROM orders_salesorderline l
    GROUP BY l.order_id
), per_customer AS (
    SELECT o.customer_id,
        MAX({local_day}) AS last_day,
        SUM(CASE WHEN o.placed_at >= %s THEN 1 ELSE 0 END) AS frequency,
        SUM(CASE WHEN o.placed_at >= %s THEN COALESCE(a.amount, 0) ELSE 0 END) AS monetary,
        COUNT(*) AS orders_total,
        SUM(COALESCE(a.amount, 0)) AS amount_total
    FROM orders_salesorder o
    LEFT JOIN amounts a ON a.order_id = o.id
    WHERE o.customer_id IS NOT NULL AND o.status <> %s AND o.placed_at < %s
    GROUP BY o.customer_id
), ranked AS (
    SELECT p.*, COUNT(*) OVER () AS n,
        RANK() OVER (ORDER BY p.last_day) AS r_rank,
        RANK() OVER (ORDER BY p.frequency) AS f_rank,
        RANK() OVER (ORDER BY p.monetary) AS m_rank
    FROM per_customer p
)
SELECT r.customer_id, c.code, c.name, r.last_day, r.frequency, r.monetary,
    r.orders_total, r.amount_total,
    1 + 5 * (r.r_rank - 1) / r.n AS r_score,
    1 + 5 * (r.f_rank - 1) / r.n AS f_score,
    1 + 5 * (r.m_rank - 1) / r.n AS m_score,
    CASE WHEN r.last_day < %s THEN '{ActivityLevel.CHURNED}'
        WHEN r.last_day < %s THEN '{ActivityLevel.SILENT}'
        WHEN r.frequency >= %s THEN '{ActivityLevel.HIGH_ACTIVE}'
        ELSE '{ActivityLevel.LOW_ACTIVE}' END AS level
FROM ranked r
JOIN orders_customer c ON c.id = r.customer_id
"""
    params = [
        *day_params,
        since,
        since,
        OrderStatus.CANCELLED.value,
        end,
        churn_day,
        active_day,
        thresholds.active_min_orders,
    ]
    return sql, params


def _fetch(sql: str, params: list) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few aggregates and sorts over millions of rows: JIT compiling costs more than
            # it saves, and the ranks' sorts of every customer fit in memory at 32 MB.
            cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _segment(row, as_of: date) -> CustomerSegment:
    last_day = _date(row[3])
    return CustomerSegment(
        customer_id=row[0],
        code=row[1],
        name=row[2],
        last_day=last_day,
        recency=(as_of - last_day).days,
        frequency=int(row[4]),
        monetary=_money(row[5]),
        orders_total=int(row[6]),
        amount_total=_money(row[7]),
        r_score=int(row[8]),
        f_score=int(row[9]),
        m_score=int(row[10]),
        level=row[11],
    )


def customer_segments(
    *, as_of: date | None = None, level: str | None = None, thresholds: Thresholds | None = None
) -> list[CustomerSegment]:
    """Return every customer with orders, scored as of ``as_of`` (today), best RFM first;
    only those of activity ``level`` if given. One query."""
    as_of = as_of or timezone.localdate()
    sql, params = _core_sql(as_of, thresholds or Thresholds.from_settings())
    where = ""
    if level:
        where, params = "WHERE seg.level = %s", [*params, level]
    rows = _fetch(
        f"SELECT * FROM ({sql}) seg {where} "
        "ORDER BY seg.r_score + seg.f_score + seg.m_score DESC, seg.monetary DESC, seg.code",
        params,
    )
    return [_segment(row, as_of) for row in rows]


@dataclass(frozen=True)
class SegmentCounts:
    """Customers per activity level and per R × F score cell, with their M."""

    levels: dict[str, int]
    level_amounts: dict[str, Decimal]
    grid: dict[tuple[int, int], int]

    @property
    def customers(self) -> int:
        return sum(self.levels.values())

    def level_rows(self) -> list[tuple[str, str, int, Decimal]]:
        """(level, label, customers, M) in the order of ``ActivityLevel``."""
        return [
            (value, str(label), self.levels.get(value, 0), self.level_amounts.get(value, CENT * 0))
            for value, label in ActivityLevel.choices
        ]

    def grid_rows(self) -> list[tuple[int, list[int]]]:
        """Rows R 5 → 1, each with the counts of F 1 → 5."""
        return [(r, [self.grid.get((r, f), 0) for f in SCORES]) for r in reversed(SCORES)]


def segment_counts(
    *, as_of: date | None = None, thresholds: Thresholds | None = None
) -> SegmentCounts:
    """Return how many customers each level and each R × F cell holds. One query."""
    as_of = as_of or timezone.localdate()
    sql, params = _core_sql(as_of, thresholds or Thresholds.from_settings())
    rows = _fetch(
        f"SELECT seg.level, seg.r_score, seg.f_score, COUNT(*), SUM(seg.monetary) "
        f"FROM ({sql}) seg GROUP BY seg.level, seg.r_score, seg.f_score",
        params,
    )
    return _counts(rows)


def _counts(rows) -> SegmentCounts:
    levels: dict[str, int] = {}
    amounts: dict[str, Decimal] = {}
    grid: dict[tuple[int, int], int] = {}
    for level, r_score, f_score, count, amount in rows:
        levels[level] = levels.get(level, 0) + count
        amounts[level] = amounts.get(level, CENT * 0) + _money(amount)
        key = (int(r_score), int(f_score))
        grid[key] = grid.get(key, 0) + count
    return SegmentCounts(levels=levels, level_amounts=amounts, grid=grid)


CHURNED_BEST = "seg.level = %s AND (seg.f_score = 5 OR seg.m_score = 5)"


def segment_overview(
    *, as_of: date | None = None, thresholds: Thresholds | None = None
) -> tuple[SegmentCounts, list[CustomerSegment]]:
    """Return ``segment_counts`` and ``churned_best_customers`` together, from ONE statement
    (the segments computed once, read twice): the page's work."""
    as_of = as_of or timezone.localdate()
    sql, params = _core_sql(as_of, thresholds or Thresholds.from_settings())
    rows = _fetch(
        f"""
WITH seg AS ({sql})
SELECT 1 AS part, seg.*, 0 AS customers FROM seg WHERE {CHURNED_BEST}
UNION ALL
SELECT 0, NULL, NULL, NULL, NULL, NULL, SUM(seg.monetary), NULL, NULL,
    seg.r_score, seg.f_score, NULL, seg.level, COUNT(*)
FROM seg GROUP BY seg.level, seg.r_score, seg.f_score
ORDER BY 1, 9 DESC, 3
""",
        [*params, ActivityLevel.CHURNED.value],
    )
    counts = _counts((row[12], row[9], row[10], row[13], row[6]) for row in rows if row[0] == 0)
    return counts, [_segment(row[1:], as_of) for row in rows if row[0] == 1]


def churned_best_customers(
    *, as_of: date | None = None, thresholds: Thresholds | None = None
) -> list[CustomerSegment]:
    """Return the churned customers who scored 5 on F or on M (the best fifth of the window),
    the biggest spenders first: support calls them back. One query."""
    as_of = as_of or timezone.localdate()
    sql, params = _core_sql(as_of, thresholds or Thresholds.from_settings())
    rows = _fetch(
        f"SELECT * FROM ({sql}) seg WHERE {CHURNED_BEST} ORDER BY seg.amount_total DESC, seg.code",
        [*params, ActivityLevel.CHURNED.value],
    )
    return [_segment(row, as_of) for row in rows]


def unpaid_hours() -> int:
    """Hours after placing that an unpaid order is followed up (the setting)."""
    return settings.ORDERS_UNPAID_FOLLOW_UP_HOURS


def unpaid_orders(*, now: datetime | None = None, hours: int | None = None):
    """Return the orders still pending payment ``hours`` (``ORDERS_UNPAID_FOLLOW_UP_HOURS``)
    after they were placed, oldest first, with their customer and ``amount``."""
    now = now or timezone.now()
    hours = unpaid_hours() if hours is None else hours
    amount = ExpressionWrapper(
        F("lines__quantity") * F("lines__unit_price") - F("lines__discount"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )
    return (
        SalesOrder.objects.filter(
            status=OrderStatus.PENDING_PAYMENT, placed_at__lte=now - timedelta(hours=hours)
        )
        .select_related("customer", "shop")
        .annotate(amount=Sum(amount))
        .order_by("placed_at", "pk")
    )


@dataclass(frozen=True)
class Repurchase:
    """Buyers of a month (in a 大类 if ``category_id``) and those who had bought before."""

    month: str
    buyers: int
    repeat_buyers: int
    category_id: int | None = None
    category: str = ""

    @property
    def rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None


def repurchase(
    *,
    since: datetime,
    until: datetime,
    by_category: bool = False,
    shop_id: int | None = None,
    channel_id: int | None = None,
) -> list[Repurchase]:
    """Return the repurchase rate's counts per month (``YYYY-MM``, local) of the orders paid
    in [since, until), per 大类 if ``by_category``; the shop or channel narrows the orders on
    both sides (who bought, and what they bought before). One query."""
    ops = connection.ops
    tzname = timezone.get_current_timezone_name()
    month, month_params = ops.datetime_trunc_sql("month", "r.paid_at", (), tzname)
    joins, grp, grp_name, where, params = "", "0", "''", "", []
    if by_category:
        joins = (
            "JOIN orders_salesorderline l ON l.order_id = o.id "
            "JOIN catalog_sku s ON s.id = l.sku_id "
            "JOIN catalog_product p ON p.id = s.product_id "
            "JOIN catalog_category c ON c.id = p.category_id "
            "JOIN catalog_category root ON root.tree_id = c.tree_id AND root.level = 0 "
        )
        grp, grp_name = "root.id", "root.name"
    if shop_id:
        where += " AND o.shop_id = %s"
        params.append(shop_id)
    if channel_id:
        joins += "JOIN orders_shop sh ON sh.id = o.shop_id "
        where += " AND sh.channel_id = %s"
        params.append(channel_id)
    sql = f"""
WITH bought AS (
    SELECT DISTINCT o.id, o.customer_id, o.paid_at, {grp} AS grp, {grp_name} AS grp_name
    FROM orders_salesorder o {joins}
    WHERE o.customer_id IS NOT NULL AND o.paid_at IS NOT NULL AND o.status <> %s
        AND o.paid_at < %s{where}
), ranked AS (
    SELECT b.*, ROW_NUMBER() OVER (
        PARTITION BY b.customer_id, b.grp ORDER BY b.paid_at, b.id) AS nth
    FROM bought b
)
SELECT {month} AS month, r.grp, r.grp_name, COUNT(DISTINCT r.customer_id),
    COUNT(DISTINCT CASE WHEN r.nth > 1 THEN r.customer_id END)
FROM ranked r
WHERE r.paid_at >= %s
GROUP BY 1, 2, 3
ORDER BY 1, 3
"""
    rows = _fetch(
        sql,
        [
            OrderStatus.CANCELLED.value,
            ops.adapt_datetimefield_value(until),
            *params,
            *month_params,
            ops.adapt_datetimefield_value(since),
        ],
    )
    return [
        Repurchase(
            month=str(row[0])[:7],
            category_id=row[1] if by_category else None,
            category=row[2] if by_category else "",
            buyers=row[3],
            repeat_buyers=row[4],
        )
        for row in rows
    ]
