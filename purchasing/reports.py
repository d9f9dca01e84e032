"""The restock report (补货建议): per SKU × warehouse, what to order, from whom and why.

As of a date, from the ledger: only moves made up to the end of the as-of day (in
``TIME_ZONE``) count. One SQL statement aggregates the moves per SKU × warehouse × day over
the demand window, walks the days with window functions to know which days the SKU was in
stock, and returns one row per SKU × warehouse with the open purchase quantity and the
stock columns; pandas derives the rest with column operations.

Definitions (N = ``PURCHASING_DEMAND_DAYS``, the window ends with the as-of day):

- on hand: units that entered the warehouse less units that left it, up to as-of.
- in-stock days: days of the window with stock at the end of the day, or with a shipment
  (it sold out that day). Days out of stock do not count: they hide demand.
- average daily demand d = units shipped in the window ÷ in-stock days; σ = the standard
  deviation (population) of the units shipped per in-stock day.
- lead time L: the chosen offer's, in days. The offer is chosen by the supplier choice rules
  (``purchasing.selectors.choose_from_facts``) for the demand of one review period.
- safety stock = z·σ·√L, z the normal quantile of the service level of the product role
  (``PURCHASING_SERVICE_LEVELS``); reorder point = d·L + safety stock; target = reorder point
  + d × review period (``PURCHASING_REVIEW_DAYS``).
- projected = on hand − reserved − backordered (缺货) + open purchase quantity (采购在途:
  ordered, not yet accepted, on orders placed up to as-of) + units on draft orders created up
  to as-of (草稿: a suggestion already turned into a draft is not suggested again). Reserved
  and backordered are the current stock columns: they have no history.
- suggested quantity, when d > 0 and projected ≤ reorder point, when projected ≤ the SKU's
  warning level (预警值, if set), or when projected < 0 (backorders not covered):
  max(⌈target − projected⌉, minimum order) rounded up to the pack multiple. With a warning
  level the target is at least one unit above it, so an order clears the alert it answers.
- a SKU that is no longer sold (inactive, or its product delisted) keeps its row while
  backorders wait for it, and is suggested only what covers them: its target is zero.
- cover: the days of demand the suggested quantity lasts (quantity ÷ d); a suggestion that
  the minimum order, the pack or the warning level raised above the demand's shortfall to
  more than a year of demand (or that has no demand at all) is flagged ``over_a_year``.
"""

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import NormalDist

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.enums import ProductRole, ProductStatus
from catalog.money import line_amount
from inventory.enums import MoveKind
from inventory.models import Warehouse
from purchasing import selectors
from purchasing.enums import PurchaseOrderStatus
from purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from workbooks.xlsx import XlsxBook

# Column → header of the workbook and the page (translatable).
HEADERS = {
    "sku": _("SKU"),
    "name": _("name"),
    "warehouse": _("warehouse"),
    "role": _("product role"),
    "tags": _("selection tags (名特优新)"),
    "on_hand": _("on hand"),
    "reserved": _("reserved"),
    "backordered": _("backordered (缺货)"),
    "open_po": _("on order (采购在途)"),
    "draft_po": _("on draft orders"),
    "draft_orders": _("draft orders"),
    "projected": _("projected"),
    "in_stock_days": _("in-stock days"),
    "avg_daily_demand": _("average daily demand"),
    "demand_std": _("standard deviation of daily demand"),
    "service_level": _("service level"),
    "lead_time_days": _("lead time (days)"),
    "safety_stock": _("safety stock"),
    "reorder_point": _("reorder point"),
    "target": _("target stock"),
    "warning_level": _("warning level"),
    "suggested_quantity": _("suggested quantity"),
    "cover_days": _("days of demand covered"),
    "over_a_year": _("more than a year of demand (minimum order or warning level)"),
    "sku_status": _("SKU status"),
    "supplier": _("supplier"),
    "unit_cost": _("unit cost"),
    "order_value": _("order value"),
    "reason": _("reason"),
}
COST_COLUMNS = ("unit_cost", "order_value")
# A suggestion lasting longer than this (days of demand) because of the minimum order is flagged.
OVER_A_YEAR_DAYS = 365
TAG_MARKS = (("is_famous", "名"), ("is_special", "特"), ("is_quality", "优"), ("is_new", "新"))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _sql(as_of: date, warehouse: Warehouse | None) -> tuple[str, list]:
    """Return the report's one query and its parameters."""
    postgres = connection.vendor == "postgresql"
    start_day = as_of - timedelta(days=settings.PURCHASING_DEMAND_DAYS - 1)
    adapt = connection.ops.adapt_datetimefield_value
    end, start = adapt(_day_start(as_of + timedelta(days=1))), adapt(_day_start(start_day))
    before = start_day - timedelta(days=1)
    after = as_of + timedelta(days=1)
    local_sql, local_params = connection.ops.datetime_cast_date_sql(
        "created_at", (), timezone.get_current_timezone_name()
    )
    if postgres:
        day_param = "%s::date"
        days_between = "({later} - {earlier})"
        greatest = "GREATEST"
    else:
        day_param = "%s"
        days_between = "CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
        greatest = "MAX"
        before, after = before.isoformat(), after.isoformat()
    gap = days_between.format(later="next_day", earlier="day")
    into_wh = out_wh = ""
    if warehouse is not None:
        into_wh = f"AND ts.warehouse_id = {int(warehouse.pk)}"
        out_wh = f"AND fs.warehouse_id = {int(warehouse.pk)}"
    ship = MoveKind.SHIP.value
    open_statuses = ", ".join(
        f"'{s}'"
        for s in (
            PurchaseOrderStatus.ORDERED,
            PurchaseOrderStatus.PARTIALLY_RECEIVED,
            PurchaseOrderStatus.RECEIVED,
        )
    )
    po_wh = f"AND o.warehouse_id = {int(warehouse.pk)}" if warehouse is not None else ""
    tags_sql = " || ".join(
        f"CASE WHEN pr.{column} THEN '{mark}' ELSE '' END" for column, mark in TAG_MARKS
    )
    sql = f"""
        WITH flows AS (
            SELECT m.sku_id, ts.warehouse_id AS wh, m.created_at, m.quantity AS delta,
                0 AS shipped
            FROM inventory_stockmove m
            JOIN inventory_slot ts ON ts.id = m.to_slot_id
            LEFT JOIN inventory_slot fs ON fs.id = m.from_slot_id
            WHERE m.created_at < %s {into_wh}
                AND (m.from_slot_id IS NULL OR fs.warehouse_id <> ts.warehouse_id)
            UNION ALL
            SELECT m.sku_id, fs.warehouse_id AS wh, m.created_at, -m.quantity AS delta,
                CASE WHEN m.kind = '{ship}' THEN m.quantity ELSE 0 END AS shipped
            FROM inventory_stockmove m
            JOIN inventory_slot fs ON fs.id = m.from_slot_id
            LEFT JOIN inventory_slot ts ON ts.id = m.to_slot_id
            WHERE m.created_at < %s {out_wh}
                AND (m.to_slot_id IS NULL OR ts.warehouse_id <> fs.warehouse_id)
        ),
        daily AS (
            SELECT sku_id, wh,
                CASE WHEN created_at < %s THEN {day_param} ELSE {local_sql} END AS day,
                SUM(delta) AS delta,
                SUM(CASE WHEN created_at >= %s THEN shipped ELSE 0 END) AS shipped
            FROM flows
            GROUP BY 1, 2, 3
        ),
        days AS (
            SELECT sku_id, wh, day, delta, shipped,
                SUM(delta) OVER (PARTITION BY sku_id, wh ORDER BY day
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS eod,
                LEAD(day, 1, {day_param}) OVER (PARTITION BY sku_id, wh ORDER BY day) AS next_day
            FROM daily
        ),
        ledger AS (
            SELECT sku_id, wh,
                CAST(SUM(delta) AS BIGINT) AS on_hand,
                CAST(SUM(shipped) AS BIGINT) AS shipped,
                CAST(SUM(shipped * shipped) AS BIGINT) AS shipped_sq,
                CAST(SUM(
                    CASE WHEN day > {day_param} AND (eod > 0 OR shipped > 0) THEN 1 ELSE 0 END
                    + CASE WHEN eod > 0 THEN {gap} - 1 ELSE 0 END
                ) AS BIGINT) AS in_stock_days
            FROM days
            GROUP BY sku_id, wh
        ),
        accepted AS (
            SELECT rl.order_line_id,
                SUM(rl.received_quantity - rl.rejected_quantity) AS units
            FROM purchasing_receiptline rl
            JOIN purchasing_receipt r ON r.id = rl.receipt_id
            WHERE r.received_at < %s
            GROUP BY rl.order_line_id
        ),
        open_po AS (
            SELECT l.sku_id, o.warehouse_id AS wh,
                CAST(SUM({greatest}(l.quantity - COALESCE(a.units, 0), 0)) AS BIGINT) AS open_po
            FROM purchasing_purchaseorderline l
            JOIN purchasing_purchaseorder o ON o.id = l.order_id
            LEFT JOIN accepted a ON a.order_line_id = l.id
            WHERE o.status IN ({open_statuses}) AND o.ordered_at < %s {po_wh}
            GROUP BY l.sku_id, o.warehouse_id
        ),
        keyed AS (
            SELECT COALESCE(lg.sku_id, po.sku_id, bo.sku_id) AS sku_id,
                COALESCE(lg.wh, po.wh, bo.warehouse_id) AS wh,
                lg.on_hand, lg.shipped, lg.shipped_sq, lg.in_stock_days, po.open_po
            FROM ledger lg
            FULL JOIN (SELECT * FROM open_po WHERE open_po > 0) po
                ON po.sku_id = lg.sku_id AND po.wh = lg.wh
            -- Unmet demand (缺货) of a SKU that never had stock here counts too.
            FULL JOIN (
                SELECT sku_id, warehouse_id FROM inventory_warehousestock WHERE backordered > 0
            ) bo
                ON bo.sku_id = COALESCE(lg.sku_id, po.sku_id)
                AND bo.warehouse_id = COALESCE(lg.wh, po.wh)
        )
        SELECT s.id AS sku_id, k.wh AS warehouse_id, s.code AS sku, s.name,
            w.code AS warehouse, pr.role, {tags_sql} AS tags,
            s.warning_level, s.is_active AS sku_active, pr.status AS product_status,
            COALESCE(k.on_hand, 0) AS on_hand,
            COALESCE(k.shipped, 0) AS shipped,
            COALESCE(k.shipped_sq, 0) AS shipped_sq,
            COALESCE(k.in_stock_days, 0) AS in_stock_days,
            COALESCE(ws.reserved, 0) AS reserved,
            COALESCE(ws.backordered, 0) AS backordered,
            COALESCE(k.open_po, 0) AS open_po
        FROM keyed k
        JOIN catalog_sku s ON s.id = k.sku_id
        JOIN catalog_product pr ON pr.id = s.product_id
        JOIN inventory_warehouse w ON w.id = k.wh
        LEFT JOIN inventory_warehousestock ws ON ws.sku_id = k.sku_id AND ws.warehouse_id = k.wh
        WHERE NOT s.is_bundle
            -- A SKU no longer sold keeps its row while backorders wait for it.
            AND ((s.is_active AND pr.status <> %s) OR COALESCE(ws.backordered, 0) > 0)
    """
    params = [
        end,
        end,
        start,
        before,
        *local_params,
        start,
        after,
        before,
        end,
        end,
        ProductStatus.DELISTED.value,
    ]
    return sql, params


def _fetch(sql: str, params: list) -> pd.DataFrame:
    """Run the analytic query in its own transaction, without JIT (dozens of expressions
    compile slower than they run), without nested loops, and with the slow-mover report's
    work_mem for its sorts."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner guesses ~10k SKU × warehouse groups where there are 100k and joins
            # the catalogue row by row; hash joins take half the time.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true), "
                "set_config('enable_nestloop', 'off', true)",
                [settings.INVENTORY_SLOW_WORK_MEM],
            )
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def z_for_roles() -> dict[str, float]:
    """Return z, the standard normal quantile of each product role's service level."""
    levels = settings.PURCHASING_SERVICE_LEVELS
    return {role: NormalDist().inv_cdf(levels[role]) for role in ProductRole.values}


def restock_maths(df: pd.DataFrame, *, review_days: int | None = None) -> pd.DataFrame:
    """Add safety stock, reorder point, target, projected, the suggested quantity, the days
    of demand it covers and the over-a-year flag.

    ``df`` has per row: avg_daily_demand, demand_std, z, lead_time_days, on_hand, reserved,
    backordered, open_po, warning_level, min_order_quantity, pack_multiple; optionally
    draft_po (units on draft orders, default 0) and for_sale (default True).
    """
    review = settings.PURCHASING_REVIEW_DAYS if review_days is None else review_days
    d, sigma, lead = df["avg_daily_demand"], df["demand_std"], df["lead_time_days"]
    for_sale = df["for_sale"].astype(bool) if "for_sale" in df else pd.Series(True, df.index)
    draft = df.get("draft_po", 0)
    df["safety_stock"] = (df["z"] * sigma * np.sqrt(lead)).round(2)
    df["reorder_point"] = (d * lead + df["z"] * sigma * np.sqrt(lead)).round(2)
    target = d * lead + df["z"] * sigma * np.sqrt(lead) + d * review
    demand_target = target.where(for_sale, 0.0)
    warning = df["warning_level"]
    # Reaching the target must clear the warning level too, or every order of a slow SKU
    # with a high warning level would be followed by the same suggestion again.
    target = np.maximum(target, (warning + 1).where(warning > 0, 0))
    # A SKU no longer sold is bought only for its waiting backorders: target zero.
    target = target.where(for_sale, 0.0)
    df["target"] = target.round(2)
    df["projected"] = df["on_hand"] - df["reserved"] - df["backordered"] + df["open_po"] + draft
    needed = (
        (for_sale & (d > 0) & (df["projected"] <= df["reorder_point"]))
        | (for_sale & (warning > 0) & (df["projected"] <= warning))
        | (df["projected"] < 0)  # backorders not covered, demand history or not
    )
    # ceil of a float difference: a hair below a whole number stays that number.
    shortfall = np.ceil((target - df["projected"]).round(6)).clip(lower=0)
    quantity = np.maximum(shortfall, df["min_order_quantity"])
    pack = df["pack_multiple"]
    quantity = np.ceil(quantity / pack) * pack
    suggested = quantity.where(needed, 0).astype("int64")
    df["suggested_quantity"] = suggested
    cover = (suggested / d.where(d > 0)).where(suggested > 0)
    df["cover_days"] = cover.round(0)
    # Only what the minimum order, the pack or the warning level added beyond the demand's
    # shortfall is flagged: backorders worth a year of demand are the maths, not a choice.
    demand_shortfall = np.ceil((demand_target - df["projected"]).round(6)).clip(lower=0)
    raised = suggested > np.maximum(demand_shortfall, 1)
    df["over_a_year"] = raised & (cover.isna() | (cover > OVER_A_YEAR_DAYS)) & (suggested > 0)
    return df


OFFERS_SQL = """
    SELECT f.id, f.sku_id, f.supplier_id, f.is_preferred,
        CAST(ROUND(f.unit_cost * 10000) AS BIGINT), f.min_order_quantity, f.pack_multiple,
        f.lead_time_days
    FROM purchasing_supplieroffer f JOIN purchasing_supplier sp ON sp.id = f.supplier_id
    WHERE sp.is_active AND f.valid_from <= %s AND (f.valid_to IS NULL OR f.valid_to >= %s)
"""
OFFER_COLUMNS = [
    "offer_id",
    "sku_id",
    "supplier_id",
    "is_preferred",
    "k_cost",
    "min_order_quantity",
    "pack_multiple",
    "lead_time_days",
]


def _eligible_offers(as_of: date, scores: dict[int, float | None]) -> pd.DataFrame:
    """Return the offers that can be chosen on ``as_of`` with their ranking columns.

    Unit costs come as integer ten-thousandths (the column has four decimals): exact, so
    equal costs tie exactly, and no Decimal is built for the offers that are not chosen.
    """
    with connection.cursor() as cursor:
        cursor.execute(OFFERS_SQL, [as_of, as_of])
        offers = pd.DataFrame.from_records(cursor.fetchall(), columns=OFFER_COLUMNS)
    if offers.empty:
        return offers
    # Supplier columns come from the few suppliers, not once per offer row.
    suppliers = pd.DataFrame.from_records(
        list(
            Supplier.objects.filter(is_active=True).values_list(
                "pk", "code", "name", "supplier_type"
            )
        ),
        columns=["supplier_id", "supplier_code", "supplier_name", "supplier_type"],
    ).set_index("supplier_id")
    for column in suppliers.columns:
        offers[column] = offers["supplier_id"].map(suppliers[column])
    offers["score"] = offers["supplier_id"].map(scores).astype("float64")
    minimum = settings.PURCHASING_MIN_SUPPLIER_SCORE
    offers = offers[offers["score"].isna() | (offers["score"] >= minimum)].copy()
    order = settings.PURCHASING_SUPPLIER_TYPE_ORDER
    offers["k_preferred"] = (~offers["is_preferred"].astype(bool)).astype("int8")
    offers["k_type"] = offers["supplier_type"].map({t: i for i, t in enumerate(order)})
    offers["k_score"] = (-offers["score"]).fillna(np.inf)
    codes = sorted(offers["supplier_code"].unique())
    offers["k_code"] = offers["supplier_code"].map({c: i for i, c in enumerate(codes)})
    return offers


def _choose(df: pd.DataFrame, offers: pd.DataFrame) -> pd.DataFrame:
    """Attach the chosen and the runner-up offer of each row, ranked as the choice ranks."""
    df["choice_quantity"] = np.maximum(
        np.ceil(df["avg_daily_demand"] * settings.PURCHASING_REVIEW_DAYS), 1
    ).astype("int64")
    if offers.empty:
        df["offer_id"] = pd.array([pd.NA] * len(df), dtype="Int64")
        df["runner_up_id"] = df["offer_id"]
        return df
    pairs = (
        df[["choice_quantity", "sku_id"]]
        .reset_index()
        .merge(
            offers[
                [
                    "sku_id",
                    "offer_id",
                    "k_preferred",
                    "k_type",
                    "k_score",
                    "k_cost",
                    "lead_time_days",
                    "k_code",
                    "min_order_quantity",
                    "pack_multiple",
                ]
            ],
            on="sku_id",
        )
    )
    wanted = np.maximum(pairs["choice_quantity"], pairs["min_order_quantity"])
    order_quantity = -(-wanted // pairs["pack_multiple"]) * pairs["pack_multiple"]
    pairs["k_total"] = pairs["k_cost"] * order_quantity
    pairs = pairs.sort_values(
        [
            "index",
            "k_preferred",
            "k_type",
            "k_score",
            "k_total",
            "lead_time_days",
            "k_code",
            "offer_id",
        ],
        kind="stable",
    )
    rank = pairs.groupby("index").cumcount()
    first = pairs[rank == 0].set_index("index")["offer_id"]
    second = pairs[rank == 1].set_index("index")["offer_id"]
    df["offer_id"] = first.reindex(df.index).astype("Int64")
    df["runner_up_id"] = second.reindex(df.index).astype("Int64")
    return df


def restock(*, as_of: date, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """Return the restock report as of the end of ``as_of``: one row per SKU × warehouse
    with stock movement, stock on order or backorders (see the module docstring)."""
    sql, params = _sql(as_of, warehouse)
    df = _fetch(sql, params)
    if df.empty:
        return pd.DataFrame(columns=[*HEADERS, "sku_id", "warehouse_id", "offer_id"])
    for column in (
        "on_hand",
        "shipped",
        "shipped_sq",
        "in_stock_days",
        "reserved",
        "backordered",
        "open_po",
        "warning_level",
    ):
        df[column] = pd.to_numeric(df[column]).fillna(0).astype("int64")
    df = _with_drafts(df, as_of, warehouse)
    delisted = df["product_status"] == ProductStatus.DELISTED
    inactive = ~df["sku_active"].astype(bool)
    df["for_sale"] = ~(delisted | inactive)
    df["sku_status"] = np.select(
        [delisted, inactive],
        [str(ProductStatus.DELISTED.label), gettext("inactive")],
        default="",
    )
    days = df["in_stock_days"].where(df["in_stock_days"] > 0)
    mean = (df["shipped"] / days).fillna(0.0)
    variance = (df["shipped_sq"] / days).fillna(0.0) - mean**2
    df["avg_daily_demand"] = mean.round(4)
    df["demand_std"] = np.sqrt(variance.clip(lower=0)).round(4)
    levels = settings.PURCHASING_SERVICE_LEVELS
    df["service_level"] = df["role"].map(levels).fillna(levels[ProductRole.REGULAR])
    df["z"] = df["role"].map(z_for_roles()).fillna(z_for_roles()[ProductRole.REGULAR])

    scores = selectors.supplier_scores(on=as_of)
    offers = _eligible_offers(as_of, scores)
    df = _choose(df, offers)
    facts = offers.set_index("offer_id") if not offers.empty else None
    chosen = df["offer_id"]
    has_offer = chosen.notna()

    def offer_column(column, default):
        if facts is None:
            return pd.Series(default, index=df.index)
        return chosen.map(facts[column]).where(has_offer, default)

    df["lead_time_days"] = offer_column("lead_time_days", 0).astype("int64")
    df["min_order_quantity"] = offer_column("min_order_quantity", 1).astype("int64")
    df["pack_multiple"] = offer_column("pack_multiple", 1).astype("int64")
    ten_thousandths = offer_column("k_cost", 0).astype("int64").to_numpy()
    df["unit_cost"] = [
        Decimal(int(k)).scaleb(-4) if ok else None
        for k, ok in zip(ten_thousandths, has_offer.to_numpy(), strict=True)
    ]
    df["supplier_id"] = offer_column("supplier_id", None)
    code = offer_column("supplier_code", "")
    name = offer_column("supplier_name", "")
    df["supplier"] = (code + " " + name).str.strip()
    df = restock_maths(df)
    df["order_value"] = [
        line_amount(int(qty), cost) if qty and cost is not None else None
        for cost, qty in zip(df["unit_cost"], df["suggested_quantity"], strict=True)
    ]
    df["reason"] = _reasons(df, facts, scores, as_of)
    backorders_only = (~df["for_sale"] & (df["suggested_quantity"] > 0)).to_numpy()
    if backorders_only.any():
        template = gettext("%(status)s: ordered only for the %(backordered)d backordered units.")
        df.loc[backorders_only, "reason"] = [
            template % {"status": status, "backordered": backordered} + " " + reason
            for status, backordered, reason in zip(
                df.loc[backorders_only, "sku_status"],
                df.loc[backorders_only, "backordered"],
                df.loc[backorders_only, "reason"],
                strict=True,
            )
        ]
    df["offer_id"] = df["offer_id"].astype(object).where(has_offer, None)
    return df.drop(
        columns=["shipped", "shipped_sq", "z", "runner_up_id", "sku_active", "product_status"]
    ).reset_index(drop=True)


def _with_drafts(df: pd.DataFrame, as_of: date, warehouse: Warehouse | None) -> pd.DataFrame:
    """Add the units on draft orders created up to as-of (``draft_po``) and their numbers
    (``draft_orders``) per SKU × warehouse: a suggestion already drafted is incoming."""
    lines = PurchaseOrderLine.objects.filter(
        order__status=PurchaseOrderStatus.DRAFT,
        order__created_at__lt=_day_start(as_of + timedelta(days=1)),
    )
    if warehouse is not None:
        lines = lines.filter(order__warehouse=warehouse)
    drafts = pd.DataFrame.from_records(
        list(lines.values_list("sku_id", "order__warehouse_id", "order_id", "quantity")),
        columns=["sku_id", "warehouse_id", "order_id", "quantity"],
    )
    if drafts.empty:
        df["draft_po"] = 0
        df["draft_orders"] = ""
        return df
    drafts["code"] = drafts["order_id"].map(PurchaseOrder.code_for)
    grouped = drafts.groupby(["sku_id", "warehouse_id"]).agg(
        draft_po=("quantity", "sum"),
        draft_orders=("code", lambda codes: ", ".join(sorted(set(codes)))),
    )
    df = df.merge(grouped, left_on=["sku_id", "warehouse_id"], right_index=True, how="left")
    df["draft_po"] = df["draft_po"].fillna(0).astype("int64")
    df["draft_orders"] = df["draft_orders"].fillna("")
    return df


def _facts(facts: pd.DataFrame, offer_ids, scores, as_of: date) -> dict:
    """Return the choice facts of ``offer_ids``, built once each (validity is as of the
    report: only valid offers are in ``facts``)."""
    wanted = facts.loc[sorted(set(offer_ids))].reset_index()
    out = {}
    for row in wanted.itertuples(index=False):
        out[int(row.offer_id)] = selectors.OfferFacts(
            int(row.offer_id),
            int(row.sku_id),
            int(row.supplier_id),
            row.supplier_code,
            row.supplier_name,
            row.supplier_type,
            True,
            bool(row.is_preferred),
            Decimal(int(row.k_cost)).scaleb(-4),
            int(row.min_order_quantity),
            int(row.pack_multiple),
            int(row.lead_time_days),
            as_of,
            None,
            scores.get(int(row.supplier_id)),
        )
    return out


def _reasons(df: pd.DataFrame, facts, scores, as_of: date) -> list[str]:
    """Say why each suggestion's offer was chosen and why the runner-up was not, in the
    supplier choice's own words; rows without a suggestion get no reason."""
    out = [""] * len(df)
    suggested = (df["suggested_quantity"] > 0).to_numpy()
    if not suggested.any():
        return out
    rows = df.loc[suggested, ["offer_id", "runner_up_id", "choice_quantity"]]
    ids = [int(i) for i in (*rows["offer_id"].dropna(), *rows["runner_up_id"].dropna())]
    known = _facts(facts, ids, scores, as_of) if facts is not None and ids else {}
    no_offer = gettext("No offer can be chosen: add one, or check the excluded offers.")
    positions = np.flatnonzero(suggested)
    with selectors.words_pinned():
        for position, offer_id, runner_up, quantity in zip(
            positions,
            rows["offer_id"].to_numpy(dtype="float64", na_value=np.nan),
            rows["runner_up_id"].to_numpy(dtype="float64", na_value=np.nan),
            rows["choice_quantity"].to_numpy(),
            strict=True,
        ):
            if np.isnan(offer_id):
                out[position] = no_offer
                continue
            chosen = known[int(offer_id)]
            text = selectors._why_chosen(chosen, int(quantity), True)
            if not np.isnan(runner_up):
                other = known[int(runner_up)]
                text += selectors._("; ") + selectors._why_not(other, chosen, int(quantity), True)
            out[position] = text
    return out


def workbook_rows(df: pd.DataFrame, columns: list[str] | None = None):
    """Yield the report's rows as the workbook shows them, in ``HEADERS`` order (or that of
    ``columns``): product roles by their label, the over-a-year flag as yes or blank, no NaN
    (an empty cell)."""
    frame = df.reindex(columns=columns or list(HEADERS))
    roles = {role: str(label) for role, label in ProductRole.choices}
    frame["role"] = frame["role"].map(lambda role: roles.get(role, role))
    yes = gettext("yes")
    frame["over_a_year"] = frame["over_a_year"].map({True: yes, False: None})
    frame = frame.astype(object).where(frame.notna(), None)
    for row in frame.itertuples(index=False, name=None):
        yield [None if value == "" else value for value in row]


# Number formats of the workbook's columns that are not plain counts: the page shows the same.
WORKBOOK_FORMATS = {
    "service_level": "0.0%",
    "avg_daily_demand": "0.0000",
    "demand_std": "0.0000",
    "safety_stock": "0.00",
    "reorder_point": "0.00",
    "target": "0.00",
    "unit_cost": "0.00##",  # a unit cost keeps its four decimals (catalog.money)
    "order_value": "0.00",
    "cover_days": "0",
}
WORKBOOK_WIDTHS = {"sku": 16, "name": 28, "warehouse": 12, "supplier": 24, "reason": 60}


def write_workbook(target, df: pd.DataFrame, *, without: Collection[str] = ()) -> None:
    """Write the restock report ``df`` as an xlsx workbook to ``target`` (a path or a binary
    file), streamed: each row is one string into the zip part, memory stays flat. The
    ``restock_report`` command and the stored report runs (``staff.reports``) share it.
    Columns named in ``without`` are left out (``COST_COLUMNS`` for who may not see costs)."""
    headers = {column: label for column, label in HEADERS.items() if column not in without}
    columns = list(headers)
    book = XlsxBook(target)
    book.add_sheet(
        gettext("restock"),
        [str(label) for label in headers.values()],
        workbook_rows(df, columns),
        formats={i: WORKBOOK_FORMATS[c] for i, c in enumerate(columns) if c in WORKBOOK_FORMATS},
        widths={i: WORKBOOK_WIDTHS[c] for i, c in enumerate(columns) if c in WORKBOOK_WIDTHS},
    )
    book.close()


def suggestions(*, as_of: date | None = None, warehouse: Warehouse | None = None) -> pd.DataFrame:
    """Return only the rows with a suggested quantity, largest order value first."""
    df = restock(as_of=as_of or timezone.localdate(), warehouse=warehouse)
    if df.empty:
        return df
    df = df[df["suggested_quantity"] > 0]
    return df.sort_values(["supplier", "warehouse", "sku"]).reset_index(drop=True)
