"""Stock valuation (库存估值) at any date, from the stock ledger.

Stock on a day is the ledger replayed to the end of that day (in ``TIME_ZONE``): every move
into a warehouse adds its units at its lot's unit cost (the move's ``unit_cost``), every
move out of it takes them away; moves between slots of one warehouse change nothing. So
the value is units × lot cost of what each lot still holds — FIFO cost, the figure the
ledger itself gives, whatever the stock-level cache says.

Values are summed exactly per warehouse × 大类 (the root of the product's category tree)
and rounded to the cent there; any other total (a warehouse, a category, the whole stock,
the P&L's month-end stock value) is the sum of those rounded rows (``catalog.money``).
One grouped query answers one date or a series of month ends.
"""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from django.db import connection, transaction
from django.utils.translation import gettext

from catalog.money import money
from finance.reports import ReportInputError, _category_bounds, day_start

BY = ("warehouse", "category")
VALUATION_COLUMNS = {
    "warehouse": ["warehouse_id", "warehouse_code", "warehouse_name"],
    "category": ["category_id", "category_code", "category_name"],
}
ZERO = Decimal("0.00")


# Every move in or out of a warehouse up to the bound (%s twice): units and value, signed.
_FLOWS = """
        WITH flows AS (
            SELECT m.sku_id, m.created_at, ts.warehouse_id, m.quantity AS units,
                m.quantity * m.unit_cost AS value
            FROM inventory_stockmove m
            JOIN inventory_slot ts ON ts.id = m.to_slot_id
            LEFT JOIN inventory_slot fs ON fs.id = m.from_slot_id
            WHERE m.created_at < %s AND (fs.id IS NULL OR fs.warehouse_id <> ts.warehouse_id)
            UNION ALL
            SELECT m.sku_id, m.created_at, fs.warehouse_id, -m.quantity,
                -(m.quantity * m.unit_cost)
            FROM inventory_stockmove m
            JOIN inventory_slot fs ON fs.id = m.from_slot_id
            LEFT JOIN inventory_slot ts ON ts.id = m.to_slot_id
            WHERE m.created_at < %s AND (ts.id IS NULL OR ts.warehouse_id <> fs.warehouse_id)
        )
"""


def _ledger_rows(
    ends: list[date],
    *,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    role: str | None = None,
) -> pd.DataFrame:
    """Return the ledger's net units and exact value per period, warehouse and 大类.

    Period ``i`` holds the moves up to the end of ``ends[i]`` and after ``ends[i-1]``; the
    first period every move before.
    """
    adapt = connection.ops.adapt_datetimefield_value
    bounds = [adapt(day_start(end + timedelta(days=1))) for end in ends]
    cases = " ".join(f"WHEN f.created_at < %s THEN {i}" for i in range(len(bounds)))
    conditions, params = [], []
    if warehouse_id:
        conditions.append("f.warehouse_id = %s")
        params.append(warehouse_id)
    if category_id:
        tree_id, lft, rght = _category_bounds(category_id)
        conditions.append("c.tree_id = %s AND c.lft >= %s AND c.rght <= %s")
        params.extend([tree_id, lft, rght])
    if role:
        conditions.append("p.role = %s")
        params.append(role)
    where = " AND ".join(conditions) or "1 = 1"
    sql = (
        _FLOWS
        + f"""
        SELECT CASE {cases} END AS period, w.id, w.code, w.name, r.id, r.code, r.name,
            CAST(SUM(f.units) AS BIGINT), SUM(f.value)
        FROM flows f
        JOIN inventory_warehouse w ON w.id = f.warehouse_id
        JOIN catalog_sku s ON s.id = f.sku_id
        JOIN catalog_product p ON p.id = s.product_id
        JOIN catalog_category c ON c.id = p.category_id
        JOIN catalog_category r ON r.tree_id = c.tree_id AND r.level = 0
        WHERE {where}
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [bounds[-1], bounds[-1], *bounds, *params])
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(
        rows,
        columns=[
            "period",
            *VALUATION_COLUMNS["warehouse"],
            *VALUATION_COLUMNS["category"],
            "units",
            "value",
        ],
    )
    # Exact sums (SQLite gives floats: back to 4-decimal Decimals, the unit cost's scale).
    frame["value"] = frame["value"].map(
        lambda v: Decimal(repr(v)).quantize(Decimal("0.0001")) if isinstance(v, float) else v
    )
    return frame


def _check(on, by) -> tuple[str, ...]:
    if not isinstance(on, date):
        raise ReportInputError(gettext("Give the valuation date as a day (YYYY-MM-DD)."))
    by = tuple(by)
    if not by or any(part not in BY for part in by) or len(set(by)) != len(by):
        raise ReportInputError(gettext("Value stock by warehouse, by category or by both."))
    return by


def stock_valuation(
    *,
    on: date,
    by: tuple[str, ...] = BY,
    warehouse_id: int | None = None,
    category_id: int | None = None,
) -> pd.DataFrame:
    """Return the stock on hand at the end of ``on`` with its value, by ``by``.

    Columns: the ``by`` parts' id, code and name, then ``units`` and ``value`` (Decimal
    cents; the sum of the warehouse × 大类 values it covers). Groups with no stock left are
    dropped. Sorted by value, largest first.
    """
    by = _check(on, by)
    frame = _ledger_rows([on], warehouse_id=warehouse_id, category_id=category_id)
    frame = frame[frame["units"] != 0].copy()
    frame["value"] = frame["value"].map(lambda v: money(v))
    keys = [column for part in by for column in VALUATION_COLUMNS[part]]
    if by != BY:
        frame = frame.groupby(keys, as_index=False, sort=False).agg(
            units=("units", "sum"), value=("value", lambda v: sum(v, ZERO))
        )
    frame = frame[[*keys, "units", "value"]]
    frame = frame.sort_values(
        ["value", keys[1]], ascending=[False, True], key=_sort_key, kind="stable"
    )
    return frame.reset_index(drop=True)


def _sort_key(series: pd.Series) -> pd.Series:
    return series.astype(float) if series.name == "value" else series.astype(str)


def valuation_total(*, on: date, warehouse_id: int | None = None) -> Decimal:
    """Return the value of all stock at the end of ``on`` (the rows' sum)."""
    frame = stock_valuation(on=on, warehouse_id=warehouse_id)
    return sum(frame["value"], ZERO)


def stock_value_by_month(
    ends: list[date],
    *,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    role: str | None = None,
) -> dict[date, Decimal]:
    """Return the stock value at the end of each day of ``ends`` (ascending), in one query:
    each equals ``valuation_total`` on that day."""
    if not ends:
        return {}
    frame = _ledger_rows(ends, warehouse_id=warehouse_id, category_id=category_id, role=role)
    # A handful of aggregate rows (period × warehouse × 大类): carried forward group by group.
    running: dict[tuple, Decimal] = {}
    by_period = {
        period: list(zip(group["warehouse_id"], group["category_id"], group["value"], strict=True))
        for period, group in frame.groupby("period")
    }
    values = {}
    for i, end in enumerate(ends):
        for warehouse, category, value in by_period.get(i, []):
            running[warehouse, category] = running.get((warehouse, category), 0) + value
        values[end] = sum((money(value) for value in running.values()), ZERO)
    return values


def stock_value_by_category_role(*, on: date) -> pd.DataFrame:
    """Return the stock value at the end of ``on`` per product category and role, in one query.

    Columns ``category_id``, ``role``, ``units``, ``value`` (Decimal cents, each row rounded
    on its own: the product structure table sums them up the tree). Rows with no stock left
    are dropped.
    """
    if not isinstance(on, date):
        raise ReportInputError(gettext("Give the valuation date as a day (YYYY-MM-DD)."))
    bound = connection.ops.adapt_datetimefield_value(day_start(on + timedelta(days=1)))
    sql = (
        _FLOWS
        + """
        SELECT p.category_id, p.role, CAST(SUM(f.units) AS BIGINT), SUM(f.value)
        FROM flows f
        JOIN catalog_sku s ON s.id = f.sku_id
        JOIN catalog_product p ON p.id = s.product_id
        GROUP BY 1, 2
    """
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [bound, bound])
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["category_id", "role", "units", "value"])
    frame = frame[frame["units"] != 0].copy()
    frame["value"] = frame["value"].map(
        lambda v: money(Decimal(repr(v)) if isinstance(v, float) else v)
    )
    return frame.reset_index(drop=True)
