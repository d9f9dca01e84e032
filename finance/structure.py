"""The product structure table (商品结构表): the category tree × product roles.

Every category (大类 → 中类 → 小类) gets, per product role and for all roles together: its
products and active SKUs (delisted products left out), how many of them are listed, net
sales and gross profit over the period, stock value today and the products' average web
completeness (as last stored by the flow refresh, ``staff.flow``). Products hang on leaves;
a category's figures are the sums of its subtree's, added up in Python from one grouped
query per measure (counts, SKUs, sales per role, stock value, completeness): never a query per
node, so the page costs the same queries for ten categories or fifteen hundred.

Shares are of the whole (every category, every role): a cell's sales share is its net sales ÷
all net sales; its role share is its net sales ÷ its category's net sales.

Warnings point at the rows where the structure is off:

- a 大类 without a traffic driver (目标性/导流 product) to bring visitors in;
- listed image (形象) products with nothing on hand (one warning per 大类);
- a 大类 whose traffic drivers carry most (over half) of its net sales at a negative gross
  margin (only computed for those who may see margins).
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import selectors as catalog_selectors
from catalog.enums import ProductRole, ProductStatus
from catalog.models import Category, Product
from finance.reports import SalesFilter, margin_by
from finance.valuation import stock_value_by_category_role
from inventory.models import WarehouseStock

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
ROLES = tuple(ProductRole.values)
ALL = "all"
ZERO = Decimal("0.00")
# Traffic drivers "carry" a 大类 when they make more than this share of its net sales.
TRAFFIC_CARRIES = 0.5
# A 大类's warning names this many of its image products without stock.
IMAGE_NAMED = 5


@dataclass
class Cell:
    """One category × role (or all roles): the sums over its subtree."""

    products: int = 0
    listed: int = 0
    skus: int = 0
    net_revenue: Decimal = ZERO
    gross_profit: Decimal = ZERO
    stock_value: Decimal = ZERO
    completeness_sum: int = 0  # stored web completeness in percent, summed over the products
    completeness_scored: int = 0  # products with a stored completeness

    def add(self, other: "Cell") -> None:
        self.products += other.products
        self.listed += other.listed
        self.skus += other.skus
        self.net_revenue += other.net_revenue
        self.gross_profit += other.gross_profit
        self.stock_value += other.stock_value
        self.completeness_sum += other.completeness_sum
        self.completeness_scored += other.completeness_scored

    @property
    def listed_share(self) -> float | None:
        return self.listed / self.products if self.products else None

    @property
    def completeness(self) -> float | None:
        """Average stored web completeness of the products scored, 0–1."""
        scored = self.completeness_scored
        return self.completeness_sum / scored / 100 if scored else None

    @property
    def margin(self) -> float | None:
        return float(self.gross_profit / self.net_revenue) if self.net_revenue > 0 else None


@dataclass
class Node:
    """A category row of the table."""

    id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    cells: dict[str, Cell] = field(default_factory=lambda: {r: Cell() for r in (*ROLES, ALL)})
    children: list["Node"] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"cat-{self.id}"


@dataclass(frozen=True)
class StructureWarning:
    """Something off in the structure; ``node`` is the row it points at."""

    kind: str
    message: str
    node: Node


@dataclass
class Structure:
    """The table (``nodes`` in tree order, each with its ``cells``), totals and warnings."""

    nodes: list[Node]
    roots: list[Node]
    total: dict[str, Cell]
    warnings: list[StructureWarning]
    date_from: object
    date_to: object
    days: int
    completeness_at: object = None  # when the web completeness was stored (None: never)

    def sales_share(self, node: Node, role: str) -> float | None:
        whole = self.total[ALL].net_revenue
        return float(node.cells[role].net_revenue / whole) if whole > 0 else None

    def role_share(self, node: Node, role: str) -> float | None:
        whole = node.cells[ALL].net_revenue
        return float(node.cells[role].net_revenue / whole) if whole > 0 else None

    def profit_share(self, node: Node, role: str) -> float | None:
        whole = self.total[ALL].gross_profit
        return float(node.cells[role].gross_profit / whole) if whole > 0 else None


def _leaf_cells(*, with_sales: bool, with_stock_value: bool, sales: SalesFilter):
    """Return ``{(category_id, role): Cell}`` for the categories products hang on."""
    cells: dict[tuple[int, str], Cell] = {}

    def cell(category_id, role) -> Cell:
        return cells.setdefault((category_id, role), Cell())

    for (
        category_id,
        role,
        products,
        listed,
        skus,
    ) in catalog_selectors.product_counts_by_category_role():
        target = cell(category_id, role)
        target.products, target.listed, target.skus = products, listed, skus
    if with_sales:
        # Sales per product category (no level: the leaf), one margin_by per role.
        for role in ROLES:
            frame = margin_by("category", replace(sales, role=role))
            for category_id, net, profit in frame[["id", "net_revenue", "gross_profit"]].itertuples(
                index=False, name=None
            ):
                target = cell(category_id, role)
                target.net_revenue, target.gross_profit = net, profit
    if with_stock_value:
        frame = stock_value_by_category_role(on=sales.date_to)
        for category_id, role, value in frame[["category_id", "role", "value"]].itertuples(
            index=False, name=None
        ):
            cell(category_id, role).stock_value = value
    current = Product.objects.exclude(status=ProductStatus.DELISTED)
    for row in catalog_selectors.stored_web_completeness_by_category_role(current):
        target = cell(row["category_id"], row["role"])
        target.completeness_sum, target.completeness_scored = row["web_sum"], row["scored"]
    return cells


def _image_products_without_stock() -> list[tuple[str, str, int]]:
    """Return (code, name, category id) of the listed image products with nothing on hand."""
    images = Product.objects.filter(role=ProductRole.IMAGE, status=ProductStatus.LISTED)
    stocked = set(
        WarehouseStock.objects.filter(sku__product__in=images, on_hand__gt=0).values_list(
            "sku__product_id", flat=True
        )
    )
    rows = images.order_by("code").values_list("pk", "code", "name", "category_id")
    return [(code, name, category) for pk, code, name, category in rows if pk not in stocked]


def product_structure(
    *,
    days: int = DEFAULT_PERIOD,
    with_margin: bool = False,
    with_stock_value: bool = False,
) -> Structure:
    """Return the structure table over the last ``days`` days (today included).

    ``with_margin`` and ``with_stock_value`` say whether the reader may see gross profit and
    stock value: without them those figures stay zero and no margin warning is raised.
    """
    today = timezone.localdate()
    sales = SalesFilter(date_from=today - timedelta(days=days - 1), date_to=today)
    leaves = _leaf_cells(with_sales=True, with_stock_value=with_stock_value, sales=sales)
    nodes: dict[int, Node] = {}
    ordered: list[Node] = []
    roots: list[Node] = []
    for row in Category.objects.order_by("tree_id", "lft").values(
        "id", "code", "name", "level", "parent_id"
    ):
        node = Node(**row)
        nodes[node.id] = node
        ordered.append(node)
        if node.parent_id is None:
            roots.append(node)
        else:
            nodes[node.parent_id].children.append(node)
    for (category_id, role), cell in leaves.items():
        if not with_margin:
            cell.gross_profit = ZERO
        node = nodes.get(category_id)
        while node is not None:  # up the tree: three steps at most
            node.cells[role].add(cell)
            node.cells[ALL].add(cell)
            node = nodes.get(node.parent_id)
    total = {role: Cell() for role in (*ROLES, ALL)}
    for root in roots:
        for role, cell in root.cells.items():
            total[role].add(cell)
    warnings = _warnings(roots, nodes, with_margin=with_margin)
    return Structure(
        nodes=ordered,
        roots=roots,
        total=total,
        warnings=warnings,
        date_from=sales.date_from,
        date_to=sales.date_to,
        days=days,
        completeness_at=catalog_selectors.completeness_computed_at(),
    )


def _warnings(
    roots: list[Node], nodes: dict[int, Node], *, with_margin: bool
) -> list[StructureWarning]:
    warnings = []
    for root in roots:
        cells = root.cells
        if cells[ALL].products and not cells[ProductRole.TRAFFIC].products:
            warnings.append(
                StructureWarning(
                    "no_traffic",
                    _("%(category)s has no traffic driver (目标性/导流 product).")
                    % {"category": root.name},
                    root,
                )
            )
        traffic, whole = cells[ProductRole.TRAFFIC], cells[ALL].net_revenue
        if (
            with_margin
            and whole > 0
            and traffic.net_revenue / whole > TRAFFIC_CARRIES
            and traffic.gross_profit < 0
        ):
            warnings.append(
                StructureWarning(
                    "traffic_loss",
                    _(
                        "%(category)s: traffic drivers carry %(share)s of the sales at a "
                        "negative gross margin (%(margin)s)."
                    )
                    % {
                        "category": root.name,
                        "share": f"{float(traffic.net_revenue / whole):.0%}",
                        "margin": f"{traffic.margin:.1%}",
                    },
                    root,
                )
            )
    # One warning per 大类, naming its first few image products without stock.
    unstocked: dict[int, list[str]] = {}
    for code, name, category_id in _image_products_without_stock():
        root = nodes[category_id]
        while root.parent_id is not None:
            root = nodes[root.parent_id]
        unstocked.setdefault(root.id, []).append(f"{code} {name}")
    for root in roots:
        products = unstocked.get(root.id)
        if not products:
            continue
        shown = "、".join(products[:IMAGE_NAMED])
        if len(products) > IMAGE_NAMED:
            shown += " …"
        warnings.append(
            StructureWarning(
                "image_no_stock",
                ngettext(
                    "%(category)s: %(count)d image product is listed with no stock: %(products)s.",
                    "%(category)s: %(count)d image products are listed with no stock: "
                    "%(products)s.",
                    len(products),
                )
                % {"category": root.name, "count": len(products), "products": shown},
                root,
            )
        )
    return warnings
