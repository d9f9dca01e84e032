"""Gross margin and the monthly P&L (毛利分析, 月度损益), read from shipped orders and returns.

Definitions (a sale counts on the local day, in ``TIME_ZONE``, its order shipped; a return
on the day it came back):

- **revenue**: the shipped lines' totals, net of their discounts (quantity × unit price −
  discount, each line already in cents).
- **returns**: the refunds of the returned lines, whatever became of the goods.
- **net revenue** = revenue − returns.
- **COGS**: each shipped line's ``cost_of_goods``, the FIFO cost of the lots its ship moves
  consumed (written by ``orders`` at shipment from inventory's ledger), rounded to the cent
  per line; less the cost of returned goods that went back into stock (restocked, or held
  as defective for the supplier): the ``return`` moves of the RMA put them back into the
  lot they left from, at that lot's cost, so COGS reverses at the cost it went out at.
  Scrapped returns keep their cost in COGS (the goods are lost). A bundle line's returned
  cost is the sum of its components' return moves.
- **gross profit** = net revenue − COGS; **margin** = gross profit ÷ net revenue, ``None``
  when there is no positive net revenue.

Everything is aggregated in the database: one grouped query for the sales and one for the
returns, by the dimension asked; pandas merges the two small results. Categories roll up
the tree by ``tree_id``/``lft``/``rght``: a line counts in the ancestor, at the asked level,
of its product's category, so a category's figures are the sums of its leaves'.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.enums import ProductRole
from catalog.models import Category
from orders.enums import OrderStatus, ReturnDisposition

DIMENSIONS = ("sku", "product", "category", "role", "channel", "month")
LEVELS = (1, 2, 3)
MONEY_COLUMNS = ("revenue", "returns", "net_revenue", "cogs", "gross_profit")
COLUMNS = [
    "id",
    "code",
    "name",
    "units",
    "returned_units",
    "revenue",
    "returns",
    "net_revenue",
    "cogs",
    "gross_profit",
    "margin",
]
ZERO = Decimal("0.00")
RETURN_REFERENCE = "sales_return"  # orders.services.returns writes it on the return moves


class ReportInputError(ValueError):
    """A report was asked with filters or options it cannot answer; ``str()`` says why."""


@dataclass(frozen=True)
class SalesFilter:
    """Which sales a report reads; every part is optional (``None`` = all).

    Dates are local days, both included. ``category_id`` takes the category's whole
    subtree; ``role`` is a product role (``ProductRole``); ``warehouse_id`` is the shipping
    warehouse of the order.
    """

    date_from: date | None = None
    date_to: date | None = None
    channel_id: int | None = None
    category_id: int | None = None
    role: str | None = None
    warehouse_id: int | None = None

    def __post_init__(self):
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise ReportInputError(gettext("Give dates as days (YYYY-MM-DD)."))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ReportInputError(
                gettext("The period starts (%(start)s) after it ends (%(end)s).")
                % {"start": self.date_from, "end": self.date_to}
            )
        if self.role not in (None, "", *ProductRole.values):
            raise ReportInputError(
                gettext("Unknown product role “%(role)s”.") % {"role": self.role}
            )
        for name in ("channel_id", "category_id", "warehouse_id"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ReportInputError(gettext("Choose the filters from the lists."))

    # The product-line report names the period start / end.
    @property
    def start(self) -> date | None:
        return self.date_from

    @property
    def end(self) -> date | None:
        return self.date_to


def day_start(day: date) -> datetime:
    """Return the aware start of local ``day``."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _tzname() -> str:
    return timezone.get_current_timezone_name()


def _month_sql(column: str) -> tuple[str, tuple]:
    """Return SQL for the first instant of the local month of ``column``."""
    return connection.ops.datetime_trunc_sql("month", column, (), _tzname())


def _category_bounds(category_id: int) -> tuple[int, int, int]:
    row = Category.objects.filter(pk=category_id).values_list("tree_id", "lft", "rght").first()
    if row is None:
        raise ReportInputError(gettext("The chosen category does not exist."))
    return row


def _where(filters: SalesFilter, when: str) -> tuple[list[str], list]:
    """Return the conditions and parameters of ``filters`` for lines ``l`` of orders ``o``
    (with ``sh`` the shop, ``p`` the product and ``c`` its category), dated by ``when``."""
    adapt = connection.ops.adapt_datetimefield_value
    conditions: list[str] = []
    params: list = []
    if filters.date_from:
        conditions.append(f"{when} >= %s")
        params.append(adapt(day_start(filters.date_from)))
    if filters.date_to:
        conditions.append(f"{when} < %s")
        params.append(adapt(day_start(filters.date_to + timedelta(days=1))))
    if filters.channel_id:
        conditions.append("sh.channel_id = %s")
        params.append(filters.channel_id)
    if filters.warehouse_id:
        conditions.append("o.warehouse_id = %s")
        params.append(filters.warehouse_id)
    if filters.role:
        conditions.append("p.role = %s")
        params.append(filters.role)
    if filters.category_id:
        tree_id, lft, rght = _category_bounds(filters.category_id)
        conditions.append("c.tree_id = %s AND c.lft >= %s AND c.rght <= %s")
        params.extend([tree_id, lft, rght])
    return conditions, params


def _key(dimension: str, level: int | None, when: str) -> tuple[str, tuple, str]:
    """Return the SELECT of the key (id, code, name), its parameters and extra joins."""
    if dimension == "sku":
        return "s.id, s.code, s.name", (), ""
    if dimension == "product":
        return "p.id, p.code, p.name", (), ""
    if dimension == "category":
        if level is None:
            return "c.id, c.code, c.name", (), ""
        # The ancestor at the level (or the category itself if it sits higher).
        depth = int(level) - 1
        join = (
            "JOIN catalog_category a ON a.tree_id = c.tree_id AND a.lft <= c.lft "
            f"AND a.rght >= c.rght AND a.level = CASE WHEN c.level < {depth} "
            f"THEN c.level ELSE {depth} END"
        )
        return "a.id, a.code, a.name", (), join
    if dimension == "role":
        return "p.role, p.role, p.role", (), ""
    if dimension == "channel":
        return "ch.id, ch.code, ch.name", (), "JOIN orders_channel ch ON ch.id = sh.channel_id"
    month, params = _month_sql(when)
    return f"{month}, NULL, NULL", params, ""


def _sales_sql(dimension, level, per_month, filters) -> tuple[str, list]:
    when = "o.shipped_at"
    key, key_params, join = _key(dimension, level, when)
    month_select, month_params = ("", ())
    if per_month:
        month_sql, month_params = _month_sql(when)
        month_select = f", {month_sql}"
    conditions, params = _where(filters, when)
    where = " AND ".join(["o.shipped_at IS NOT NULL", "o.status <> %s", *conditions])
    groups = ", ".join(str(i) for i in range(1, 4 + bool(per_month)))
    sql = f"""
        SELECT {key}{month_select},
            CAST(SUM(l.shipped_quantity) AS BIGINT),
            SUM(l.quantity * l.unit_price - l.discount),
            SUM(ROUND(COALESCE(l.cost_of_goods, 0), 2))
        FROM orders_salesorderline l
        JOIN orders_salesorder o ON o.id = l.order_id
        JOIN orders_shop sh ON sh.id = o.shop_id
        JOIN catalog_sku s ON s.id = l.sku_id
        JOIN catalog_product p ON p.id = s.product_id
        JOIN catalog_category c ON c.id = p.category_id
        {join}
        WHERE {where}
        GROUP BY {groups}
    """
    return sql, [*key_params, *month_params, OrderStatus.CANCELLED.value, *params]


def _returns_sql(dimension, level, per_month, filters) -> tuple[str, list]:
    when = "r.created_at"
    key, key_params, join = _key(dimension, level, when)
    month_select, month_params = ("", ())
    if per_month:
        month_sql, month_params = _month_sql(when)
        month_select = f", {month_sql}"
    conditions, params = _where(filters, when)
    where = " AND ".join(conditions) or "1 = 1"
    groups = ", ".join(str(i) for i in range(1, 4 + bool(per_month)))
    # The cost each return line put back into stock: its RMA's return moves of each stocked
    # SKU (the SKU itself, or a bundle's components), at their average unit cost in that RMA.
    sql = f"""
        WITH moved AS (
            SELECT m.reference_id AS ref, m.sku_id,
                SUM(m.quantity * m.unit_cost) / SUM(m.quantity) AS unit_cost
            FROM inventory_stockmove m
            WHERE m.kind = 'return' AND m.reference_type = %s
            GROUP BY m.reference_id, m.sku_id
        ),
        stocked AS (
            SELECT bc.bundle_id AS sku_id, bc.component_id AS stocked_id, bc.quantity AS per_unit
            FROM catalog_bundlecomponent bc
            UNION ALL
            -- Only SKUs with return moves can cost anything: the catalogue is not scanned.
            SELECT sk.id, sk.id, 1 FROM catalog_sku sk
            WHERE NOT sk.is_bundle AND sk.id IN (SELECT mv.sku_id FROM moved mv)
        ),
        line_cost AS (
            SELECT rl.id, ROUND(SUM(rl.quantity * st.per_unit * mv.unit_cost), 2) AS cost
            FROM orders_returnline rl
            JOIN orders_salesorderline ol ON ol.id = rl.order_line_id
            JOIN stocked st ON st.sku_id = ol.sku_id
            JOIN moved mv ON mv.ref = 'RMA-' || CAST(rl.rma_id AS TEXT)
                AND mv.sku_id = st.stocked_id
            WHERE rl.disposition <> %s
            GROUP BY rl.id
        )
        SELECT {key}{month_select},
            CAST(SUM(rl.quantity) AS BIGINT),
            SUM(rl.refund_amount),
            SUM(COALESCE(lc.cost, 0))
        FROM orders_returnline rl
        JOIN orders_return r ON r.id = rl.rma_id
        JOIN orders_salesorderline l ON l.id = rl.order_line_id
        JOIN orders_salesorder o ON o.id = l.order_id
        JOIN orders_shop sh ON sh.id = o.shop_id
        JOIN catalog_sku s ON s.id = l.sku_id
        JOIN catalog_product p ON p.id = s.product_id
        JOIN catalog_category c ON c.id = p.category_id
        LEFT JOIN line_cost lc ON lc.id = rl.id
        {join}
        WHERE {where}
        GROUP BY {groups}
    """
    cte_params = [RETURN_REFERENCE, ReturnDisposition.SCRAP.value]
    return sql, [*cte_params, *key_params, *month_params, *params]


def _fetch(sql: str, params: list) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few aggregates over millions of rows: JIT compiling costs more than it saves.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _decimal(value) -> Decimal:
    """Return a database sum as Decimal cents (SQLite sums decimals as floats)."""
    if value is None or value != value:  # NULL, or NaN where an outer merge found no row
        return ZERO
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(Decimal("0.01"))


def _month_key(series: pd.Series) -> pd.Series:
    """Return ``YYYY-MM`` for the truncated months the database gave (datetimes or text)."""
    if series.empty:
        return series.astype(object)
    return pd.to_datetime(series.astype(str).str[:10]).dt.strftime("%Y-%m")


def _check(dimension: str, level: int | None) -> None:
    if dimension not in DIMENSIONS:
        raise ReportInputError(
            gettext("Unknown report dimension “%(dimension)s”.") % {"dimension": dimension}
        )
    if level is not None and (dimension != "category" or level not in LEVELS):
        raise ReportInputError(gettext("A category level is 1 (大类), 2 (中类) or 3 (小类)."))


def margin_by(
    dimension: str,
    filters: SalesFilter | None = None,
    *,
    level: int | None = None,
    per_month: bool = False,
) -> pd.DataFrame:
    """Return the gross margin of the sales of ``filters`` by ``dimension``.

    One row per key (``id``, ``code``, ``name``; a category at ``level`` 1/2/3 = 大类/中类/
    小类, the product's own category without a level), and per month too with
    ``per_month`` (a ``month`` column, ``YYYY-MM``). Money columns are Decimal cents,
    ``margin`` a float or ``None``. Rows come sorted by net revenue, largest first.
    """
    _check(dimension, level)
    filters = filters or SalesFilter()
    keys = ["id", "code", "name", *(["month"] if per_month else [])]
    sales = pd.DataFrame.from_records(
        _fetch(*_sales_sql(dimension, level, per_month, filters)),
        columns=[*keys, "units", "revenue", "cogs_out"],
    )
    returns = pd.DataFrame.from_records(
        _fetch(*_returns_sql(dimension, level, per_month, filters)),
        columns=[*keys, "returned_units", "returns", "cogs_back"],
    )
    for frame in (sales, returns):
        if dimension == "month":
            frame["id"] = _month_key(frame["id"])
            frame["code"] = frame["id"]
            frame["name"] = frame["id"]
        if per_month:
            frame["month"] = _month_key(frame["month"])
    join_on = ["id", *(["month"] if per_month else [])]
    frame = sales.merge(returns.drop(columns=["code", "name"]), on=join_on, how="outer")
    if len(returns):
        # Keys only returned in the period (sold before it) take their labels from there.
        labels = returns.drop_duplicates("id").set_index("id")
        for column in ("code", "name"):
            frame[column] = frame[column].fillna(frame["id"].map(labels[column]))
    for column in ("units", "returned_units"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("revenue", "cogs_out", "returns", "cogs_back"):
        frame[column] = frame[column].map(_decimal)
    frame["net_revenue"] = frame["revenue"] - frame["returns"]
    frame["cogs"] = frame["cogs_out"] - frame["cogs_back"]
    frame["gross_profit"] = frame["net_revenue"] - frame["cogs"]
    frame["margin"] = _margin(frame["gross_profit"], frame["net_revenue"])
    if dimension == "role":
        labels = dict(ProductRole.choices)
        frame["name"] = frame["id"].map(lambda role: str(labels.get(role, role)))
    columns = [*COLUMNS[:3], *(["month"] if per_month else []), *COLUMNS[3:]]
    if dimension == "month" or per_month:
        order = (["month"] if per_month else []) + (["id"] if dimension == "month" else [])
        frame = frame.sort_values([*order], kind="stable")
        if per_month and dimension != "month":
            frame = frame.sort_values(["month", "net_revenue"], ascending=[True, False])
    else:
        frame = frame.sort_values(
            ["net_revenue", "code"], ascending=[False, True], kind="stable", key=_sort_key
        )
    return frame[columns].reset_index(drop=True)


def _sort_key(series: pd.Series) -> pd.Series:
    if series.name in MONEY_COLUMNS:
        return series.astype(float)
    return series.astype(str)


def _margin(profit: pd.Series, revenue: pd.Series) -> pd.Series:
    """Return profit ÷ revenue as floats, ``None`` where revenue is not positive."""
    revenue_f = revenue.astype(float)
    ratio = profit.astype(float) / revenue_f.where(revenue_f > 0, np.nan)
    return ratio.astype(object).where(revenue_f > 0, None)


def margin_totals(filters: SalesFilter | None = None) -> dict:
    """Return the totals of the sales of ``filters``: the sums of the months' rows."""
    frame = margin_by("month", filters)
    return frame_totals(frame)


def frame_totals(frame: pd.DataFrame) -> dict:
    """Return the totals of a ``margin_by`` frame: the sums of its rows, margin of the sums."""
    totals: dict = {
        "units": int(frame["units"].sum()),
        "returned_units": int(frame["returned_units"].sum()),
    }
    for column in MONEY_COLUMNS:
        totals[column] = sum(frame[column], ZERO)
    revenue = totals["net_revenue"]
    totals["margin"] = float(totals["gross_profit"] / revenue) if revenue > 0 else None
    return totals


PNL_COLUMNS = [
    "month",
    "revenue",
    "returns",
    "net_revenue",
    "cogs",
    "gross_profit",
    "margin",
    "stock_value",
    "days_of_inventory",
]


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def month_end(month: date) -> date:
    """Return the last day of ``month``'s month."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class PnL:
    """The monthly P&L (``rows``, ``PNL_COLUMNS``) and its totals (sums of the rows)."""

    rows: pd.DataFrame
    totals: dict


def pnl_by_month(filters: SalesFilter | None = None) -> PnL:
    """Return the P&L month by month over the filters' period (every month, sales or not).

    Stock value is the valuation at the month's last day (``finance.valuation``, for the
    filters' warehouse and category subtree); days of inventory = stock value ÷ (COGS ÷
    days of the month), empty without COGS. Without a period, the months with sales.
    """
    from finance.valuation import stock_value_by_month

    filters = filters or SalesFilter()
    frame = margin_by("month", filters)
    if filters.date_from and filters.date_to:
        months = _months(filters.date_from, filters.date_to)
    elif len(frame):
        first = date.fromisoformat(frame["id"].min() + "-01")
        last = date.fromisoformat(frame["id"].max() + "-01")
        months = _months(filters.date_from or first, filters.date_to or month_end(last))
    else:
        months = []
    keys = pd.DataFrame({"month": [f"{m:%Y-%m}" for m in months]})
    rows = keys.merge(frame.rename(columns={"id": "month"}), on="month", how="left")
    for column in MONEY_COLUMNS:
        rows[column] = rows[column].map(lambda v: ZERO if pd.isna(v) else v)
    rows["margin"] = _margin(rows["gross_profit"], rows["net_revenue"])
    ends = [min(month_end(m), filters.date_to) if filters.date_to else month_end(m) for m in months]
    values = stock_value_by_month(
        ends,
        warehouse_id=filters.warehouse_id,
        category_id=filters.category_id,
        role=filters.role,
    )
    rows["stock_value"] = [values[end] for end in ends]
    days = pd.Series([month_end(m).day for m in months], dtype=float)
    cogs = rows["cogs"].astype(float)
    per_day = (cogs / days).where(cogs > 0, np.nan)
    doi = rows["stock_value"].astype(float) / per_day
    rows["days_of_inventory"] = doi.round(1).astype(object).where(doi.notna(), None)
    totals = {column: sum(rows[column], ZERO) for column in MONEY_COLUMNS}
    revenue = totals["net_revenue"]
    totals["margin"] = float(totals["gross_profit"] / revenue) if revenue > 0 else None
    totals["stock_value"] = rows["stock_value"].iloc[-1] if len(rows) else ZERO
    return PnL(rows=rows[PNL_COLUMNS], totals=totals)


DIMENSION_LABELS = {
    "sku": _("SKU"),
    "product": _("Product"),
    "category": _("Category"),
    "role": _("Product role"),
    "channel": _("Channel"),
    "month": _("Month"),
}
