"""The product-line report (产品线优化): which products to grow, which to cut.

Every product that is listed, or sold in the period, is placed by two figures of the period:

- **sales velocity**: units shipped per day (net of nothing: returns show in the margin);
- **gross margin %**: gross profit ÷ net revenue of the period (``finance.reports.margin_by``);
  a product that did not sell has no realised margin and is placed by its standard margin,
  (Σ retail − Σ cost) ÷ Σ retail over its priced SKUs, and marked so.

Each figure is split in two: a product sells fast when its velocity reaches the
``FINANCE_PRODUCTLINE_VELOCITY_QUANTILE`` quantile of the products that sold (the median by
default); its margin is high when it reaches the period's overall gross margin plus
``FINANCE_PRODUCTLINE_MARGIN_POINTS`` (the business's own margin by default). That gives four
quadrants (``Quadrant``): traffic drivers (fast, low margin), profit makers (fast, high),
niche (slow, high), delist candidates (slow, low).

The quadrant is read against the role the product was given (目标性 / 常规 / 形象):
``SUGGESTIONS`` says, for each pair, the role it should have and what to do. A product losing
money on every sale (margin below zero) is to be repriced, whatever its role, unless it is a
delist candidate. The **gross profit at stake** is the product's gross profit in the period:
what is given up by delisting it, or lost again next period if a loss-maker stays as it is.

Everything is one SQL query for the products and the margin report's query for the sales;
pandas places them with column operations, no loop per product.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count, Q, Sum

from catalog.enums import ProductRole, ProductStatus
from catalog.models import Category, Product
from finance.enums import LineAction, Quadrant
from finance.reports import SalesFilter, margin_by

TRAFFIC, REGULAR, IMAGE = ProductRole.TRAFFIC, ProductRole.REGULAR, ProductRole.IMAGE

# (quadrant, assigned role) → (suggested role or None to keep it, action).
SUGGESTIONS: dict[tuple[str, str], tuple[str | None, str]] = {
    (Quadrant.TRAFFIC, TRAFFIC): (None, LineAction.KEEP),
    (Quadrant.TRAFFIC, REGULAR): (TRAFFIC, LineAction.MAKE_TRAFFIC),
    (Quadrant.TRAFFIC, IMAGE): (REGULAR, LineAction.MAKE_REGULAR),
    (Quadrant.PROFIT, TRAFFIC): (REGULAR, LineAction.MAKE_REGULAR),
    (Quadrant.PROFIT, REGULAR): (None, LineAction.GROW),
    (Quadrant.PROFIT, IMAGE): (None, LineAction.GROW),
    (Quadrant.NICHE, TRAFFIC): (REGULAR, LineAction.REPLACE_TRAFFIC),
    (Quadrant.NICHE, REGULAR): (IMAGE, LineAction.MAKE_IMAGE),
    (Quadrant.NICHE, IMAGE): (None, LineAction.KEEP),
    (Quadrant.DELIST, TRAFFIC): (None, LineAction.REPLACE_TRAFFIC),
    (Quadrant.DELIST, REGULAR): (None, LineAction.DELIST),
    (Quadrant.DELIST, IMAGE): (None, LineAction.REVIEW_IMAGE),
}

COLUMNS = [
    "product_id",
    "code",
    "name",
    "category",
    "role",
    "units",
    "velocity",
    "net_revenue",
    "gross_profit",
    "margin",
    "margin_is_standard",
    "quadrant",
    "suggested_role",
    "action",
    "at_stake",
]


@dataclass(frozen=True)
class ProductLine:
    """The placed products (``rows``, one per product, ``COLUMNS``) and how they were split."""

    filters: SalesFilter
    days: int
    velocity_split: float
    margin_split: float
    rows: pd.DataFrame

    def counts(self) -> dict[str, dict[str, int]]:
        """Return quadrant → role → number of products (every pair, zeros included)."""
        table = self.rows.groupby(["quadrant", "role"]).size()
        return {
            quadrant: {role: int(table.get((quadrant, role), 0)) for role in ProductRole.values}
            for quadrant in Quadrant.values
        }

    def at_stake(self) -> dict[str, float]:
        """Return quadrant → gross profit of its products in the period."""
        sums = self.rows.groupby("quadrant")["at_stake"].sum()
        return {quadrant: float(sums.get(quadrant, 0.0)) for quadrant in Quadrant.values}

    def to_act_on(self) -> pd.DataFrame:
        """Return the products whose role or handling should change, largest stake first."""
        rows = self.rows[(self.rows["action"] != LineAction.KEEP)]
        order = rows["at_stake"].abs().sort_values(ascending=False, kind="stable").index
        return rows.loc[order]


def _products(filters: SalesFilter, sold: pd.Index) -> pd.DataFrame:
    """Return the listed products and those sold (``sold``), with their standard margin, in
    one query, narrowed by the filters' category subtree and role."""
    scope = Q(status=ProductStatus.LISTED) | Q(pk__in=list(sold))
    queryset = Product.objects.filter(scope)
    if filters.category_id:
        category = Category.objects.get(pk=filters.category_id)
        queryset = queryset.filter(
            category__tree_id=category.tree_id,
            category__lft__gte=category.lft,
            category__rght__lte=category.rght,
        )
    if filters.role:
        queryset = queryset.filter(role=filters.role)
    priced = Q(skus__is_active=True, skus__retail_price__gt=0, skus__cost_price__isnull=False)
    rows = queryset.values("pk", "code", "name", "role", "category__name").annotate(
        priced=Count("skus", filter=priced),
        retail=Sum("skus__retail_price", filter=priced),
        cost=Sum("skus__cost_price", filter=priced),
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=["pk", "code", "name", "role", "category__name", "priced", "retail", "cost"],
    )
    frame = frame.rename(columns={"pk": "product_id", "category__name": "category"})
    retail = frame["retail"].astype(float)
    frame["standard_margin"] = np.where(
        retail > 0, (retail - frame["cost"].astype(float)) / retail.where(retail > 0, 1), np.nan
    )
    return frame.drop(columns=["priced", "retail", "cost"]).set_index("product_id")


def _sales(filters: SalesFilter) -> pd.DataFrame:
    """Return units, net revenue and gross profit per product sold in the period."""
    frame = margin_by("product", filters)
    frame = frame.rename(columns={"id": "product_id"})
    frame = frame.set_index("product_id")[["units", "net_revenue", "gross_profit"]]
    return frame.astype({"units": "int64", "net_revenue": float, "gross_profit": float})


def product_line(filters: SalesFilter) -> ProductLine:
    """Place every product of the filters' scope in its quadrant, with a suggestion."""
    days = (filters.date_to - filters.date_from).days + 1
    sales = _sales(filters)
    products = _products(filters, sales.index)
    rows = products.join(sales, how="left")
    rows[["units", "net_revenue", "gross_profit"]] = rows[
        ["units", "net_revenue", "gross_profit"]
    ].fillna(0)
    rows["units"] = rows["units"].astype("int64")
    rows["velocity"] = rows["units"] / days
    realised = rows["net_revenue"] > 0
    rows["margin"] = np.where(
        realised,
        rows["gross_profit"] / rows["net_revenue"].where(realised, 1),
        rows["standard_margin"],
    )
    rows["margin_is_standard"] = ~realised
    sold = rows[rows["units"] > 0]
    velocity_split = (
        float(sold["velocity"].quantile(settings.FINANCE_PRODUCTLINE_VELOCITY_QUANTILE))
        if len(sold)
        else 0.0
    )
    revenue = float(sold["net_revenue"].sum())
    overall = float(sold["gross_profit"].sum()) / revenue if revenue > 0 else 0.0
    margin_split = overall + settings.FINANCE_PRODUCTLINE_MARGIN_POINTS / 100
    fast = (rows["velocity"] >= velocity_split) & (rows["units"] > 0)
    # A product with no margin at all (no sale, no priced SKU) counts as low margin.
    high = rows["margin"].fillna(-np.inf) >= margin_split
    rows["quadrant"] = np.select(
        [fast & ~high, fast & high, ~fast & high],
        [Quadrant.TRAFFIC, Quadrant.PROFIT, Quadrant.NICHE],
        default=Quadrant.DELIST,
    )
    suggestions = pd.DataFrame(
        [(q, r, role, action) for (q, r), (role, action) in SUGGESTIONS.items()],
        columns=["quadrant", "role", "suggested_role", "action"],
    )
    rows = rows.reset_index().merge(suggestions, on=["quadrant", "role"], how="left")
    losing = (rows["margin"] < 0) & (rows["quadrant"] != Quadrant.DELIST)
    rows.loc[losing, "action"] = LineAction.REPRICE
    rows["suggested_role"] = rows["suggested_role"].where(rows["suggested_role"].notna(), "")
    rows["at_stake"] = rows["gross_profit"]
    rows = rows.sort_values(["net_revenue", "code"], ascending=[False, True], kind="stable")
    return ProductLine(
        filters=filters,
        days=days,
        velocity_split=velocity_split,
        margin_split=margin_split,
        rows=rows[COLUMNS].reset_index(drop=True),
    )
