"""The slow-mover report (滞销报表): stock, demand, stock age and what to do, per SKU.

Everything is read from the ledger as of a date, so a report for a past date gives the
figures of that day: only moves made up to the end of the as-of day (in ``TIME_ZONE``)
count, and stock on hand is the sum of the moves into the warehouse less the moves out of
it, per lot (not the current ``StockLevel`` cache). The database aggregates the ~millions
of moves in one query (one scan, grouped by lot, then by SKU); pandas gets one row per SKU
and derives the ratios and classes with column operations.

Definitions (the day windows end with the as-of day and include it):

- on hand, value: units left of each lot × the lot's unit cost (FIFO cost), each lot's value
  rounded to the cent and the SKU's value their sum (``catalog.money``), so the age buckets'
  values add up to it and the categories' values to their SKUs'.
- last sale: the date of the SKU's last ``ship`` move.
- shipped 30 / 90 days: units of ``ship`` moves in the last 30 / 90 days.
- average daily demand: shipped in 90 days ÷ 90; days of cover: on hand ÷ that demand
  (empty when there is stock and no demand, 0 when there is no stock).
- sell-through (售罄率), period = the last 30 days: shipped in the period ÷ (stock on hand
  at the start of the period + units received by ``receipt`` moves in the period).
- stock age (库龄): days from the lot's receipt date to the as-of date, in buckets 0-30,
  31-60, 61-90, 91-180, 181-365 and over 365 days; weighted average age = Σ units × age ÷
  units.
- days without sale: days since the last sale, or since the SKU was created if it never
  sold. ``dead`` = at least ``INVENTORY_SLOW_DEAD_DAYS`` without sale and the SKU created
  more than that many days before the as-of date; ``slow`` = not dead and either at least
  ``INVENTORY_SLOW_NO_SALE_DAYS`` without sale or more than ``INVENTORY_SLOW_COVER_DAYS``
  days of cover; else ``active``. A SKU with nothing on hand is ``active``: there is no
  stock to act on.
- ABC by consumption value = Σ units shipped in 90 days × their FIFO unit cost. Ranked
  from the largest, a SKU is A while the SKUs above it make less than
  ``INVENTORY_SLOW_ABC_A`` (80 %) of the total, B while they make less than
  ``INVENTORY_SLOW_ABC_B`` (95 %), else C; no consumption is C.
- suggested action: dead → return to supplier; slow image product (形象) → stop reordering
  (keep its price); slow traffic product (导流) or slow A/B → markdown; slow C → bundle
  with a traffic product; active → none.

Per category (大类 and 中类, rolled up the tree by lft/rght): 动销率 = SKUs with a sale in
the last 30 days ÷ SKUs in stock or listed.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.enums import ProductRole, ProductStatus
from catalog.money import money
from inventory.enums import MoveKind
from inventory.models import Warehouse
from workbooks.xlsx import Chart, XlsxBook

# Column key, label, first and last day of age (库龄) of each bucket.
AGE_BUCKETS = (
    ("0_30", "0-30", 0, 30),
    ("31_60", "31-60", 31, 60),
    ("61_90", "61-90", 61, 90),
    ("91_180", "91-180", 91, 180),
    ("181_365", "181-365", 181, 365),
    ("over_365", ">365", 366, None),
)
SELL_THROUGH_DAYS = 30
DEMAND_DAYS = 90


class SlowClass:
    ACTIVE = "active"
    SLOW = "slow"
    DEAD = "dead"


class Action:
    NONE = ""
    MARKDOWN = "markdown"
    BUNDLE = "bundle"
    RETURN_TO_SUPPLIER = "return_to_supplier"
    STOP_REORDERING = "stop_reordering"


ACTION_LABELS = {
    Action.NONE: "",
    Action.MARKDOWN: _("Markdown (降价促销)"),
    Action.BUNDLE: _("Bundle with a traffic product (搭配导流品)"),
    Action.RETURN_TO_SUPPLIER: _("Return to supplier (退供应商)"),
    Action.STOP_REORDERING: _("Stop reordering (停止补货)"),
}


def _age_header_text(label: str, measure: str) -> str:
    if measure == "units":
        return gettext("age %(bucket)s days, units") % {"bucket": label}
    return gettext("age %(bucket)s days, value") % {"bucket": label}


_age_header = lazy(_age_header_text, str)

# Column → header of the workbook (translatable; zh-hans gives the Chinese headers).
SKU_HEADERS = {
    "sku": _("SKU"),
    "name": _("name"),
    "category": _("category"),
    "role": _("product role"),
    "on_hand": _("on hand"),
    "stock_value": _("value at FIFO cost"),
    "last_sale": _("last sale"),
    "shipped_30": _("shipped, 30 days"),
    "shipped_90": _("shipped, 90 days"),
    "avg_daily_demand": _("average daily demand"),
    "days_of_cover": _("days of cover"),
    "sell_through": _("sell-through (30 days)"),
    **{f"age_{key}_units": _age_header(label, "units") for key, label, *_r in AGE_BUCKETS},
    **{f"age_{key}_value": _age_header(label, "value") for key, label, *_r in AGE_BUCKETS},
    "avg_age_days": _("weighted average age (days)"),
    "days_without_sale": _("days without sale"),
    "classification": _("classification"),
    "consumption_value_90": _("consumption value, 90 days"),
    "abc": _("ABC"),
    "action": _("suggested action"),
}
CATEGORY_HEADERS = {
    "category_code": _("category code"),
    "category": _("category"),
    "level": _("level"),
    "skus_in_stock_or_listed": _("SKUs in stock or listed"),
    "skus_sold_30": _("SKUs sold in 30 days"),
    "active_rate": _("active-SKU rate (动销率)"),
    "on_hand": _("on hand"),
    "stock_value": _("value at FIFO cost"),
    "slow_skus": _("slow SKUs"),
    "dead_skus": _("dead SKUs"),
}


@dataclass(frozen=True)
class _Window:
    end: datetime  # start of the day after as-of: moves before it count
    start_30: datetime
    start_90: datetime


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _window(as_of: date) -> _Window:
    return _Window(
        end=_day_start(as_of + timedelta(days=1)),
        start_30=_day_start(as_of - timedelta(days=SELL_THROUGH_DAYS - 1)),
        start_90=_day_start(as_of - timedelta(days=DEMAND_DAYS - 1)),
    )


def _date_diff_sql(as_of: date, column: str) -> tuple[str, list]:
    """Return SQL for whole days from the local date of ``column`` to ``as_of``."""
    day_sql, day_params = connection.ops.datetime_cast_date_sql(
        column, (), timezone.get_current_timezone_name()
    )
    if connection.vendor == "postgresql":
        return f"(%s::date - {day_sql})", [as_of, *day_params]
    return f"CAST(julianday(%s) - julianday({day_sql}) AS INTEGER)", [
        as_of.isoformat(),
        *day_params,
    ]


def _per_sku_sql(as_of: date, warehouse: Warehouse | None) -> tuple[str, list]:
    """Return the one query of the report: moves → lots → SKUs, each level aggregated once."""
    window = _window(as_of)
    adapt = connection.ops.adapt_datetimefield_value
    end, start_30, start_90 = adapt(window.end), adapt(window.start_30), adapt(window.start_90)
    ship_kind = f"m.kind = '{MoveKind.SHIP.value}'"
    receipt_kind = f"m.kind = '{MoveKind.RECEIPT.value}'"
    if warehouse is None:
        # Only moves into or out of stock, never between slots; the slots-match-kind
        # constraint makes a ship move always leave and a receipt always enter.
        joins = ""
        scope = "AND (m.from_slot_id IS NULL OR m.to_slot_id IS NULL)"
        delta = "CASE WHEN m.from_slot_id IS NULL THEN m.quantity ELSE -m.quantity END"
        ship, receipt = ship_kind, receipt_kind
    else:
        joins = (
            "LEFT JOIN inventory_slot fs ON fs.id = m.from_slot_id "
            "LEFT JOIN inventory_slot ts ON ts.id = m.to_slot_id"
        )
        wh = int(warehouse.pk)
        # Inlined integers: the conditions repeat in every aggregate below.
        into = f"ts.warehouse_id = {wh} AND (fs.warehouse_id IS NULL OR fs.warehouse_id <> {wh})"
        out_of = f"fs.warehouse_id = {wh} AND (ts.warehouse_id IS NULL OR ts.warehouse_id <> {wh})"
        scope = f"AND (ts.warehouse_id = {wh} OR fs.warehouse_id = {wh})"
        delta = f"CASE WHEN {into} THEN m.quantity WHEN {out_of} THEN -m.quantity ELSE 0 END"
        ship = f"{ship_kind} AND fs.warehouse_id = {wh}"
        receipt = f"{receipt_kind} AND ts.warehouse_id = {wh}"
    age_sql, age_params = _date_diff_sql(as_of, "l.received_at")
    created_sql, created_params = _date_diff_sql(as_of, "s.created_at")

    bucket_columns = []
    for key, _label, low, high in AGE_BUCKETS:
        cond = f"lots.age >= {low}" + ("" if high is None else f" AND lots.age <= {high}")
        bucket_columns.append(f"SUM(lots.on_hand) FILTER (WHERE {cond}) AS age_{key}_units")
        bucket_columns.append(
            f"SUM(ROUND(lots.on_hand * lots.unit_cost, 2)) FILTER (WHERE {cond}) AS age_{key}_value"
        )
    summed = [
        "on_hand",
        "stock_value",
        "shipped_30",
        "shipped_90",
        "opening_30",
        "received_30",
        "consumption_value_90",
        "unit_days",
        *(f"age_{key}_{measure}" for key, *_r in AGE_BUCKETS for measure in ("units", "value")),
    ]
    # Integer sums come back as BIGINT, not as NUMERIC (Decimals are slow to convert).
    summed = [
        f"COALESCE(sm.{c}, 0) AS {c}"
        if "value" in c
        else f"CAST(COALESCE(sm.{c}, 0) AS BIGINT) AS {c}"
        for c in summed
    ]
    sql = f"""
        WITH lot_moves AS (
            SELECT m.lot_id,
                SUM({delta}) AS on_hand,
                SUM({delta}) FILTER (WHERE m.created_at < %s) AS opening_30,
                SUM(m.quantity) FILTER (WHERE {receipt} AND m.created_at >= %s) AS received_30,
                MAX(m.created_at) FILTER (WHERE {ship}) AS last_sale_at,
                SUM(m.quantity) FILTER (WHERE {ship} AND m.created_at >= %s) AS shipped_30,
                SUM(m.quantity) FILTER (WHERE {ship} AND m.created_at >= %s) AS shipped_90,
                SUM(m.quantity * m.unit_cost) FILTER (WHERE {ship} AND m.created_at >= %s)
                    AS consumption_value_90
            FROM inventory_stockmove m {joins}
            WHERE m.created_at < %s {scope}
            GROUP BY m.lot_id
        ),
        lots AS (
            SELECT l.sku_id, l.unit_cost, {age_sql} AS age, lm.*
            FROM lot_moves lm JOIN inventory_lot l ON l.id = lm.lot_id
        ),
        sku_moves AS (
            SELECT lots.sku_id,
                SUM(lots.on_hand) AS on_hand,
                SUM(ROUND(lots.on_hand * lots.unit_cost, 2)) AS stock_value,
                MAX(lots.last_sale_at) AS last_sale_at,
                SUM(lots.shipped_30) AS shipped_30,
                SUM(lots.shipped_90) AS shipped_90,
                SUM(lots.opening_30) AS opening_30,
                SUM(lots.received_30) AS received_30,
                ROUND(SUM(lots.consumption_value_90), 2) AS consumption_value_90,
                SUM(lots.on_hand * lots.age) AS unit_days,
                {", ".join(bucket_columns)}
            FROM lots
            GROUP BY lots.sku_id
        )
        SELECT s.id AS sku_id, s.code AS sku, s.name, p.role, p.status,
            c.id AS category_id, c.name AS category, {created_sql} AS sku_age,
            sm.last_sale_at, {", ".join(summed)}
        FROM catalog_sku s
        JOIN catalog_product p ON p.id = s.product_id
        JOIN catalog_category c ON c.id = p.category_id
        LEFT JOIN sku_moves sm ON sm.sku_id = s.id
        WHERE s.is_bundle = %s AND s.created_at < %s
            AND (sm.sku_id IS NOT NULL OR p.status = %s)
        ORDER BY s.code
    """
    params = [
        start_30,
        start_30,
        start_30,
        start_90,
        start_90,
        end,
        *age_params,
        *created_params,
        False,
        end,
        ProductStatus.LISTED.value,
    ]
    # The age expression sits in the second CTE, the created one in the final SELECT: their
    # parameters come after the first CTE's and before the WHERE's, in text order.
    return sql, params


def _fetch_frame(sql: str, params: list, *, analytic: bool = False) -> pd.DataFrame:
    """Run ``sql`` and return its rows as a DataFrame.

    An ``analytic`` query on PostgreSQL runs in its own transaction without JIT (compiling
    the ~40 aggregate expressions takes longer than the scan they speed up: 3.5 of 6.6 s
    on the benchmark) and with ``INVENTORY_SLOW_WORK_MEM`` for its sorts, which otherwise
    spill to disk.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if analytic and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                "SELECT set_config('work_mem', %s, true)", [settings.INVENTORY_SLOW_WORK_MEM]
            )
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def _to_decimal(series: pd.Series) -> pd.Series:
    """Money stays Decimal, rounded to cents in SQL.

    PostgreSQL hands back Decimals already; SQLite hands back floats, which are converted
    one by one (the embedded database holds small catalogues) by their shortest repr.
    """
    if series.dtype == object:
        return series
    return series.map(lambda v: money(Decimal(str(v))))


def slow_movers(*, as_of: date, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """Return the slow-mover report as of the end of ``as_of``, one row per SKU.

    SKUs with a stock move up to as-of or whose product is listed appear; bundles, which
    hold no stock, do not. See the module docstring for each column.
    """
    sql, params = _per_sku_sql(as_of, warehouse)
    df = _fetch_frame(sql, params, analytic=True)
    return _derive(df, as_of)


def _derive(df: pd.DataFrame, as_of: date) -> pd.DataFrame:
    int_columns = [
        "on_hand",
        "shipped_30",
        "shipped_90",
        "opening_30",
        "received_30",
        "sku_age",
        *(f"age_{k}_units" for k, *_r in AGE_BUCKETS),
    ]
    for column in int_columns:
        df[column] = pd.to_numeric(df[column]).fillna(0).astype("int64")
    money = [
        "stock_value",
        "consumption_value_90",
        *(f"age_{k}_value" for k, *_r in AGE_BUCKETS),
    ]
    for column in money:
        df[column] = _to_decimal(df[column])
    unit_days = pd.to_numeric(df["unit_days"]).astype("float64")

    last = pd.to_datetime(df["last_sale_at"], utc=True, format="mixed")
    last_day = last.dt.tz_convert(timezone.get_current_timezone_name()).dt.normalize()
    as_of_ts = pd.Timestamp(as_of)
    df["last_sale"] = last_day.dt.date
    since_sale = (as_of_ts - last_day.dt.tz_localize(None)).dt.days
    df["days_without_sale"] = since_sale.fillna(df["sku_age"]).astype("int64")

    demand = df["shipped_90"] / DEMAND_DAYS
    df["avg_daily_demand"] = demand.round(4)
    cover = (df["on_hand"] / demand.where(demand > 0)).round(1)
    df["days_of_cover"] = cover.where(df["on_hand"] > 0, 0.0)
    base = df["opening_30"] + df["received_30"]
    df["sell_through"] = (df["shipped_30"] / base.where(base > 0)).round(4)
    df["avg_age_days"] = (unit_days / df["on_hand"].where(df["on_hand"] > 0)).round(1)

    dead_days = settings.INVENTORY_SLOW_DEAD_DAYS
    in_stock = df["on_hand"] > 0
    dead = in_stock & (df["days_without_sale"] >= dead_days) & (df["sku_age"] > dead_days)
    slow = (
        in_stock
        & ~dead
        & (
            (df["days_without_sale"] >= settings.INVENTORY_SLOW_NO_SALE_DAYS)
            | (df["days_of_cover"].fillna(float("inf")) > settings.INVENTORY_SLOW_COVER_DAYS)
        )
    )
    df["classification"] = SlowClass.ACTIVE
    df.loc[slow, "classification"] = SlowClass.SLOW
    df.loc[dead, "classification"] = SlowClass.DEAD

    df["abc"] = _abc(df)

    role = df["role"]
    action = pd.Series(Action.NONE, index=df.index, dtype=object)
    action[slow & (df["abc"] == "C")] = Action.BUNDLE
    action[slow & (df["abc"] != "C")] = Action.MARKDOWN
    action[slow & (role == ProductRole.TRAFFIC)] = Action.MARKDOWN
    action[slow & (role == ProductRole.IMAGE)] = Action.STOP_REORDERING
    action[dead] = Action.RETURN_TO_SUPPLIER
    df["action"] = action
    return df.drop(columns=["last_sale_at", "unit_days"]).reset_index(drop=True)


def _abc(df: pd.DataFrame) -> pd.Series:
    value = df["consumption_value_90"].astype("float64")
    total = value.sum()
    abc = pd.Series("C", index=df.index, dtype=object)
    if total <= 0:
        return abc
    ranked = value[value > 0].to_frame("v").assign(sku=df["sku"])
    ranked = ranked.sort_values(["v", "sku"], ascending=[False, True])
    above = (ranked["v"].cumsum() - ranked["v"]) / total
    # Compare in cents of a percent so that 80/100 is exactly on the boundary.
    above = above.round(6)
    abc[above.index[above < settings.INVENTORY_SLOW_ABC_B]] = "B"
    abc[above.index[above < settings.INVENTORY_SLOW_ABC_A]] = "A"
    return abc


STOCK_AGE_HEADERS = {
    "bucket": _("stock age (days)"),
    "units": _("units"),
    "value": _("value at FIFO cost"),
    "value_active": _("value, active SKUs"),
    "value_slow": _("value, slow SKUs"),
    "value_dead": _("value, dead SKUs"),
}
# Every column valued at cost: left out for a reader who may not see costs.
VALUE_COLUMNS = frozenset(
    {
        "stock_value",
        "consumption_value_90",
        "value",
        "value_active",
        "value_slow",
        "value_dead",
        *(f"age_{key}_value" for key, *_r in AGE_BUCKETS),
    }
)


def stock_age_buckets(skus: pd.DataFrame) -> pd.DataFrame:
    """Roll the per-SKU report up to the stock-age buckets (库龄分布): one row per bucket of
    ``AGE_BUCKETS`` with its units, its value at FIFO cost and that value per class (active,
    slow, dead). Each value is the sum of the SKUs' rounded bucket values (Decimal)."""
    classes = (SlowClass.ACTIVE, SlowClass.SLOW, SlowClass.DEAD)
    units = [f"age_{key}_units" for key, *_r in AGE_BUCKETS]
    values = [f"age_{key}_value" for key, *_r in AGE_BUCKETS]
    zero = Decimal("0.00")
    missing = [column for column in values if column not in skus]
    if missing:  # the version without costs (its values dropped): the buckets count units
        skus = skus.assign(**dict.fromkeys(missing, zero))
    by_class = skus[values].astype(object).fillna(zero).groupby(skus["classification"]).sum()
    by_class = by_class.reindex(classes).astype(object).where(lambda f: f.notna(), zero)
    return pd.DataFrame(
        {
            "bucket": [label for _key, label, *_r in AGE_BUCKETS],
            "units": [int(v) for v in skus[units].sum()],
            "value": [sum(by_class[c], zero) for c in values],
            **{f"value_{cls}": list(by_class.loc[cls]) for cls in classes},
        }
    )


def slow_movers_by_category(
    skus: pd.DataFrame, *, levels: tuple[int, ...] = (0, 1)
) -> pd.DataFrame:
    """Roll the per-SKU report up to the categories of ``levels`` (大类, 中类).

    A leaf belongs to every ancestor whose lft/rght range holds it in the same tree: one
    join over the category table, no walk up the tree per SKU.
    """
    columns = list(CATEGORY_HEADERS)
    if skus.empty:
        return pd.DataFrame(columns=columns)
    counted = skus.assign(
        counted=(skus["on_hand"] > 0) | (skus["status"] == ProductStatus.LISTED),
    )
    counted = counted.assign(sold=counted["counted"] & (counted["shipped_30"] > 0))
    counted = counted.assign(
        slow=counted["classification"] == SlowClass.SLOW,
        dead=counted["classification"] == SlowClass.DEAD,
    )
    per_leaf = counted.groupby("category_id").agg(
        skus_in_stock_or_listed=("counted", "sum"),
        skus_sold_30=("sold", "sum"),
        on_hand=("on_hand", "sum"),
        stock_value=("stock_value", "sum"),
        slow_skus=("slow", "sum"),
        dead_skus=("dead", "sum"),
    )
    placeholders = ", ".join(["%s"] * len(levels))
    ancestors = _fetch_frame(
        f"""
        SELECT leaf.id AS category_id, a.id AS ancestor_id, a.code AS category_code,
            a.name AS category, a.level, a.tree_id, a.lft
        FROM catalog_category leaf
        JOIN catalog_category a ON a.tree_id = leaf.tree_id
            AND a.lft <= leaf.lft AND a.rght >= leaf.rght AND a.level IN ({placeholders})
        """,
        list(levels),
    )
    rolled = ancestors.merge(per_leaf, left_on="category_id", right_index=True)
    out = (
        rolled.groupby(["ancestor_id", "category_code", "category", "level", "tree_id", "lft"])
        .agg({c: "sum" for c in per_leaf.columns})
        .reset_index()
        .sort_values(["tree_id", "lft"])
    )
    out["active_rate"] = (
        out["skus_sold_30"]
        / out["skus_in_stock_or_listed"].where(out["skus_in_stock_or_listed"] > 0)
    ).round(4)
    return out[columns].reset_index(drop=True)


CLASS_LABELS = {
    "active": _("Active (动销)"),
    "slow": _("Slow (滞销)"),
    "dead": _("Dead (死库存)"),
}
# Number formats and widths (characters) of the columns that are not plain counts or text.
WORKBOOK_FORMATS = {
    "stock_value": "0.00",
    "avg_daily_demand": "0.0000",
    "days_of_cover": "0.0",
    "sell_through": "0.0%",
    "avg_age_days": "0.0",
    "consumption_value_90": "0.00",
    "active_rate": "0.0%",
    **{f"age_{key}_value": "0.00" for key, *_rest in AGE_BUCKETS},
    "value": "0.00",
    "value_active": "0.00",
    "value_slow": "0.00",
    "value_dead": "0.00",
}
WORKBOOK_WIDTHS = {
    "sku": 16,
    "name": 28,
    "category": 28,
    "category_code": 14,
    "action": 30,
    "bucket": 14,
    "value": 16,
    "value_active": 16,
    "value_slow": 16,
    "value_dead": 16,
}


def stock_age_chart(buckets: pd.DataFrame) -> Chart:
    """A column chart of the stock value in each age bucket, one series per class."""
    last = len(buckets) + 1
    columns = list(STOCK_AGE_HEADERS)
    return Chart(
        kind="column",
        title=gettext("Stock value by age (days)"),
        categories=(2, last, 0),
        values=[
            (str(CLASS_LABELS[key]), 2, last, columns.index(f"value_{key}"))
            for key in ("active", "slow", "dead")
        ],
        anchor="H2",
    )


def stock_age_units_chart(buckets: pd.DataFrame) -> Chart:
    """A column chart of the units in each age bucket (for readers who may not see costs)."""
    last = len(buckets) + 1
    return Chart(
        kind="column",
        title=gettext("Units by stock age (days)"),
        categories=(2, last, 0),
        values=[(gettext("units"), 2, last, 1)],
        anchor="H2",
    )


def write_sheet(book: XlsxBook, title: str, df: pd.DataFrame, headers: dict, charts=()) -> None:
    """Write ``df``'s columns named in ``headers`` as a sheet, streamed row by row (pandas'
    ``to_excel`` builds every cell object first: 1.4 GB and 80 s for 100k SKUs)."""
    columns = list(headers)
    frame = df[columns]
    book.add_sheet(
        title,
        [str(label) for label in headers.values()],
        frame.itertuples(index=False, name=None),
        formats={i: WORKBOOK_FORMATS[c] for i, c in enumerate(columns) if c in WORKBOOK_FORMATS},
        widths={i: WORKBOOK_WIDTHS[c] for i, c in enumerate(columns) if c in WORKBOOK_WIDTHS},
        charts=charts,
    )


def sku_sheet(skus: pd.DataFrame) -> pd.DataFrame:
    """The per-SKU report as its sheet shows it: classification and action by their labels."""
    return skus.assign(
        classification=skus["classification"].map({k: str(v) for k, v in CLASS_LABELS.items()}),
        action=skus["action"].map({k: str(v) for k, v in ACTION_LABELS.items()}),
    )


def write_workbook(
    target, skus: pd.DataFrame, categories: pd.DataFrame, *, with_value: bool = True
) -> None:
    """Write the slow-mover report (a SKU sheet, a category sheet, the stock-age buckets with
    their chart) as an xlsx workbook to ``target`` (a path or a binary file). The
    ``slow_movers`` command and the stored report runs (``staff.reports``) share it.
    Without ``with_value`` (a reader who may not see costs) every value at cost is left out
    and the stock-age chart counts units."""

    def kept(headers: dict) -> dict:
        if with_value:
            return headers
        return {c: label for c, label in headers.items() if c not in VALUE_COLUMNS}

    book = XlsxBook(target)
    write_sheet(book, gettext("SKU"), sku_sheet(skus), kept(SKU_HEADERS))
    write_sheet(book, gettext("category"), categories, kept(CATEGORY_HEADERS))
    buckets = stock_age_buckets(skus)
    write_sheet(
        book,
        gettext("stock age"),
        buckets,
        kept(STOCK_AGE_HEADERS),
        charts=[stock_age_chart(buckets) if with_value else stock_age_units_chart(buckets)],
    )
    book.close()
