"""Reads of the report pages: which stored run a user reads, and the page of its rows that a
request asks for (filters, sort, page), computed with column operations over the run's stored
frame (``staff.report_data``): no report is built again and no row is looped over in Python
(only the 50 rows shown are formatted).

Who reads what: the version of a kind a user may read (``staff.reports.parameters_for``: the
full report, or the one without costs); a kind with no version for the user is refused.
Who may start a run ("run now"): whoever may read that version; the run built is that version.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from catalog.enums import ProductRole
from catalog.models import Category
from catalog.money import money_text, unit_price_text
from inventory import reports as inventory_reports
from inventory.models import Warehouse
from staff import report_data
from staff.models import ReportKind, ReportRun, RunStatus
from staff.reports import parameters_for, parameters_key, run_permissions

PAGE_SIZE = 50
ROLE_LABELS = dict(ProductRole.choices)
CLASS_LABELS = inventory_reports.CLASS_LABELS
ACTION_LABELS = inventory_reports.ACTION_LABELS
CLASS_COLOURS = {"active": "#2e8b57", "slow": "#b8860b", "dead": "#c0392b"}


@dataclass(frozen=True)
class Column:
    """A column of a report page: its key in the frame, its header and how a cell reads."""

    key: str
    label: str
    kind: str = "text"  # text, int, decimal1, decimal4, money, unit_price, percent, + labels


@dataclass(frozen=True)
class ReportPage:
    kind: str
    title: str
    columns: tuple[Column, ...]
    sort: tuple[str, ...]  # the default: the first column key present, "-" for descending
    filters: tuple[str, ...]
    chart: Callable[..., dict | None]
    intro: str = ""


def _top(series: pd.Series, limit: int = 12) -> pd.Series:
    return series[series > 0].sort_values(ascending=False).head(limit)


def _bar_chart(title: str, series: pd.Series, *, money: bool = False) -> dict | None:
    if series.empty:
        return None
    values = series.astype("float64").round(2 if money else 0)
    return {
        "title": str(title),
        "labels": [str(label) for label in series.index],
        "datasets": [{"label": str(title), "data": values.tolist()}],
    }


def restock_chart(frame: pd.DataFrame, tree: "CategoryTree", **_kwargs) -> dict | None:
    """Order value per 大类 (suggested units without costs), the largest first."""
    wanted = frame[frame["suggested_quantity"] > 0]
    major = tree.major_names(wanted["category_id"])
    if "order_value" in frame:
        values = wanted["order_value"].groupby(major).sum()
        return _bar_chart(_("Order value by major class (大类)"), _top(values), money=True)
    units = wanted["suggested_quantity"].groupby(major).sum()
    return _bar_chart(_("Suggested units by major class (大类)"), _top(units))


def slow_movers_chart(frame: pd.DataFrame, **_kwargs) -> dict | None:
    """Stock by age bucket (库龄), stacked by classification: value at cost, else units."""
    measure = "value" if "age_0_30_value" in frame else "units"
    buckets = inventory_reports.AGE_BUCKETS
    columns = [f"age_{key}_{measure}" for key, *_r in buckets]
    if frame.empty or not set(columns) <= set(frame):
        return None
    by_class = frame[columns].fillna(0).groupby(frame["classification"]).sum()
    title = (
        _("Stock value at cost by stock age (库龄, days)")
        if measure == "value"
        else _("Units by stock age (库龄, days)")
    )
    return {
        "title": str(title),
        "labels": [label for _key, label, *_r in buckets],
        "stacked": True,
        "datasets": [
            {
                "label": str(CLASS_LABELS[cls]),
                "data": by_class.loc[cls].astype("float64").round(2).tolist(),
                "colour": CLASS_COLOURS[cls],
            }
            for cls in CLASS_LABELS
            if cls in by_class.index
        ],
    }


def low_stock_chart(frame: pd.DataFrame, **_kwargs) -> dict | None:
    """SKUs at or below their warning level per warehouse."""
    counts = frame.groupby("warehouse").size().sort_values(ascending=False)
    return _bar_chart(_("Low-stock SKUs by warehouse"), counts)


def finance_chart(frame: pd.DataFrame, **_kwargs) -> dict | None:
    """The P&L month by month: the run's twelve months, in calendar order."""
    trend = frame.sort_values("month")
    for column in ("net_revenue", "cogs", "gross_profit", "margin"):
        trend[column] = pd.to_numeric(trend[column], errors="coerce")
    names = {"net_revenue": _("Net revenue"), "cogs": _("COGS"), "gross_profit": _("Gross profit")}
    datasets = [
        {"label": str(label), "data": trend[key].astype("float64").round(2).tolist()}
        for key, label in names.items()
    ]
    margin = (trend["margin"].astype("float64") * 100).round(1)
    datasets.append(
        {
            "label": str(_("Gross margin")),
            "data": [None if math.isnan(v) else v for v in margin],
            "type": "line",
            "yAxisID": "percent",
        }
    )
    return {
        "title": str(_("P&L by month (月度损益)")),
        "labels": trend["month"].astype(str).tolist(),
        "datasets": datasets,
    }


PAGES: dict[str, ReportPage] = {
    ReportKind.RESTOCK: ReportPage(
        ReportKind.RESTOCK,
        _("Restock report"),
        (
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("warehouse", _("Warehouse")),
            Column("role", _("Product role"), "role"),
            Column("projected", _("Projected"), "int"),
            Column("reorder_point", _("Reorder point"), "decimal1"),
            Column("avg_daily_demand", _("Avg. daily demand"), "decimal4"),
            Column("suggested_quantity", _("Suggested quantity"), "int"),
            Column("supplier", _("Supplier")),
            Column("unit_cost", _("Unit cost"), "unit_price"),
            Column("order_value", _("Order value"), "money"),
        ),
        ("-suggested_quantity",),
        ("warehouse", "category", "supplier", "role"),
        restock_chart,
        _("Every SKU × warehouse of the report, the largest suggested quantities first."),
    ),
    ReportKind.SLOW_MOVERS: ReportPage(
        ReportKind.SLOW_MOVERS,
        _("Slow movers"),
        (
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("category", _("Category")),
            Column("role", _("Product role"), "role"),
            Column("on_hand", _("On hand"), "int"),
            Column("stock_value", _("Value at cost"), "money"),
            Column("days_without_sale", _("Days without sale"), "int"),
            Column("days_of_cover", _("Days of cover"), "decimal1"),
            Column("sell_through", _("Sell-through (30 days)"), "percent"),
            Column("avg_age_days", _("Average age (days)"), "decimal1"),
            Column("classification", _("Classification"), "classification"),
            Column("abc", _("ABC")),
            Column("action", _("Suggested action"), "action"),
        ),
        ("-stock_value", "-on_hand"),  # the version without costs has no stock value
        ("category", "role", "classification"),
        slow_movers_chart,
    ),
    ReportKind.LOW_STOCK: ReportPage(
        ReportKind.LOW_STOCK,
        _("Low stock"),
        (
            Column("sku", _("SKU")),
            Column("name", _("Name")),
            Column("warehouse", _("Warehouse")),
            Column("role", _("Product role"), "role"),
            Column("on_hand", _("On hand"), "int"),
            Column("available", _("Available"), "int"),
            Column("warning_level", _("Warning level"), "int"),
        ),
        ("available",),
        ("warehouse", "category", "role"),
        low_stock_chart,
        _("SKUs at or below their warning level (预警值) when the run was built."),
    ),
    ReportKind.FINANCE_SUMMARY: ReportPage(
        ReportKind.FINANCE_SUMMARY,
        _("Finance summary"),
        (
            Column("month", _("Month")),
            Column("revenue", _("Revenue"), "money"),
            Column("returns", _("Returns"), "money"),
            Column("net_revenue", _("Net revenue"), "money"),
            Column("cogs", _("COGS"), "money"),
            Column("gross_profit", _("Gross profit"), "money"),
            Column("margin", _("Gross margin"), "percent"),
            Column("stock_value", _("Stock value"), "money"),
            Column("days_of_inventory", _("Days of inventory"), "decimal1"),
        ),
        ("month",),
        (),
        finance_chart,
        _("Twelve months up to the day before the as-of day (on the 1st: the month just closed)."),
    ),
}


def readable_parameters(user, kind: str) -> dict | None:
    """The parameters of the version of ``kind`` that ``user`` may read on its page, or None
    when there is none for them."""
    parameters = parameters_for(user, kind)
    if parameters is None or not user.has_perms(run_permissions(kind, parameters)):
        return None
    return parameters


def _runs(kind: str, parameters: dict):
    return ReportRun.objects.filter(kind=kind, parameters_key=parameters_key(parameters))


def latest_done_run(kind: str, parameters: dict) -> ReportRun | None:
    """The done run of ``kind`` with ``parameters`` of the latest as-of day."""
    return (
        _runs(kind, parameters)
        .filter(status=RunStatus.DONE)
        .order_by("-as_of", "-finished_at", "-pk")
        .first()
    )


def newest_run(kind: str, parameters: dict) -> ReportRun | None:
    """The run of ``kind`` with ``parameters`` asked for last: one being built, or one that
    failed, is what the page reports on beside the latest done one."""
    return _runs(kind, parameters).order_by("-as_of", "-pk").first()


class CategoryTree:
    """The category tree as a frame (one query): the options of the category filter, the
    ids of a subtree by its lft/rght range, the 大类 (tree root) of a category."""

    def __init__(self):
        self.frame = pd.DataFrame.from_records(
            list(
                Category.objects.order_by("tree_id", "lft").values_list(
                    "pk", "name", "level", "tree_id", "lft", "rght"
                )
            ),
            columns=["id", "name", "level", "tree_id", "lft", "rght"],
        ).set_index("id", drop=False)

    def options(self) -> list[tuple[int, str]]:
        indent = "\u3000"  # an ideographic space per level, as the tree reads
        return [
            (int(pk), indent * int(level) + name)
            for pk, name, level in self.frame[["id", "name", "level"]].itertuples(index=False)
        ]

    def subtree(self, pk: int) -> np.ndarray:
        node = self.frame.loc[pk]
        f = self.frame
        inside = (f["tree_id"] == node["tree_id"]) & (f["lft"] >= node["lft"])
        return f.loc[inside & (f["rght"] <= node["rght"]), "id"].to_numpy()

    def major_names(self, category_ids: pd.Series) -> pd.Series:
        roots = self.frame[self.frame["level"] == 0].set_index("tree_id")["name"]
        trees = category_ids.map(self.frame["tree_id"])
        return trees.map(roots).fillna(str(_("(no category)")))


def _int(value) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@dataclass
class Selection:
    """What a request asks of a report page, garbage left out: filters, sort, page."""

    filters: dict[str, object] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    page: str = "1"

    def query(self, *, sort: bool = True) -> str:
        """The selection as a query string, without the page (for links that change it)."""
        query = QueryDict(mutable=True)
        for key, value in self.filters.items():
            query[key] = str(value)
        if sort and self.sort:
            query["sort"] = ("-" if self.descending else "") + self.sort
        return query.urlencode()


IDS = frozenset({"warehouse", "category", "supplier"})


def read_selection(
    spec: ReportPage, frame: pd.DataFrame, get: QueryDict, tree: CategoryTree, warehouses: dict
) -> Selection:
    selection = Selection(page=get.get("page", "1"))
    valid = {
        "warehouse": lambda raw: _int(raw) in warehouses,
        "category": lambda raw: _int(raw) in tree.frame.index,
        "supplier": lambda raw: _int(raw) is not None,
        "role": lambda raw: raw in ROLE_LABELS,
        "classification": lambda raw: raw in CLASS_LABELS,
    }
    for key in spec.filters:
        raw = get.get(key, "")
        if raw and valid[key](raw):
            selection.filters[key] = _int(raw) if key in IDS else raw
    columns = {column.key for column in spec.columns if column.key in frame}
    for raw in (get.get("sort", ""), *spec.sort):
        descending, key = raw.startswith("-"), raw.removeprefix("-")
        if key in columns:
            selection.sort, selection.descending = key, descending
            break
    return selection


def apply_selection(
    frame: pd.DataFrame, selection: Selection, tree: CategoryTree | None
) -> tuple[pd.DataFrame, pd.Index]:
    """The rows of ``frame`` the selection keeps, and their labels in its order (column
    operations only; only the sort keys are reordered, the page's rows are taken after)."""
    keep = pd.Series(True, index=frame.index)
    for key, value in selection.filters.items():
        if key == "warehouse" and "warehouse_id" in frame:
            keep &= frame["warehouse_id"] == value
        elif key == "category" and "category_id" in frame and tree is not None:
            keep &= frame["category_id"].isin(tree.subtree(value))
        elif key == "supplier" and "supplier_id" in frame:
            keep &= frame["supplier_id"] == value
        elif key in ("role", "classification") and key in frame:
            keep &= frame[key] == value
    rows = frame[keep]
    if not selection.sort:
        return rows, rows.index
    tie = ["sku_order"] if "sku_order" in rows and selection.sort != "sku" else []
    keys = rows[[selection.sort, *tie]].sort_values(
        [selection.sort, *tie],
        ascending=[not selection.descending, *([True] * len(tie))],
        na_position="last",
        kind="stable",
    )
    return rows, keys.index


def _number(value, places: int) -> str:
    return f"{float(value):.{places}f}"


def _decimal_text(value) -> Decimal:
    return Decimal(repr(float(value)))


FORMATTERS: dict[str, Callable[[object], str]] = {
    "int": lambda v: str(int(v)),
    "decimal1": lambda v: _number(v, 1),
    "decimal4": lambda v: f"{float(v):.4f}".rstrip("0").rstrip("."),
    "money": lambda v: money_text(_decimal_text(v)),
    "unit_price": lambda v: unit_price_text(_decimal_text(v)),
    "percent": lambda v: f"{float(v) * 100:.1f}%",
    "role": lambda v: str(ROLE_LABELS.get(v, v)),
    "classification": lambda v: str(CLASS_LABELS.get(v, v)),
    "action": lambda v: str(ACTION_LABELS.get(v, v)),
}
NUMERIC = frozenset({"int", "decimal1", "decimal4", "money", "unit_price", "percent"})


def formatted_rows(rows: pd.DataFrame, columns: list[Column]) -> list[list[tuple[str, bool]]]:
    """The cells of the shown rows as (text, is a number); no value reads "—" (never nan)."""
    cells = []
    for column in columns:
        values = rows[column.key] if column.key in rows else pd.Series(None, index=rows.index)
        present = values.notna() & (values.astype(str) != "")
        text = pd.Series("—", index=rows.index, dtype=object)
        if present.any():
            formatter = FORMATTERS.get(column.kind, str)
            text[present] = values[present].map(formatter)
        numeric = column.kind in NUMERIC
        cells.append([(value, numeric) for value in text.tolist()])
    return [list(row) for row in zip(*cells, strict=True)] if cells else []


@dataclass
class PageData:
    spec: ReportPage
    columns: list[Column]
    selection: Selection
    page: Page
    rows: list[list[tuple[str, bool]]]
    chart: dict | None
    total: int


def page_data(
    spec: ReportPage,
    run: ReportRun,
    get: QueryDict,
    *,
    tree: CategoryTree,
    warehouses: dict,
) -> PageData:
    """The page of ``run``'s rows that the request ``get`` asks for, and its chart."""
    frame = report_data.frame_load(run)
    columns = [column for column in spec.columns if column.key in frame]
    selection = read_selection(spec, frame, get, tree, warehouses)
    rows, order = apply_selection(frame, selection, tree)
    page = Paginator(order, PAGE_SIZE).get_page(selection.page)
    shown = rows.loc[page.object_list]
    chart = spec.chart(rows, tree=tree) if not rows.empty else None
    return PageData(
        spec=spec,
        columns=columns,
        selection=selection,
        page=page,
        rows=formatted_rows(shown, columns) if len(shown) else [],
        chart=chart,
        total=len(frame),
    )


def supplier_options(run: ReportRun) -> list[tuple[int, str]]:
    """The suppliers chosen in the run's rows (from its frame: no query)."""
    frame = report_data.frame_load(run)
    if "supplier_id" not in frame or frame.empty:
        return []
    pairs = frame[["supplier_id", "supplier"]].dropna().drop_duplicates("supplier_id")
    pairs = pairs.sort_values("supplier")
    return [(int(pk), str(name)) for pk, name in pairs.itertuples(index=False)]


def warehouse_options() -> dict[int, str]:
    return {
        pk: f"{code} {name}"
        for pk, code, name in Warehouse.objects.values_list("pk", "code", "name")
    }
