"""Dashboard panels. Each panel names the roles whose dashboard shows it and the permissions
(from the role matrix) a viewer must hold; a panel never reaches a user without them.

Panels read through the owning apps' selectors and return a small context for their
template under ``templates/staff/panels/``; each keeps a constant number of queries.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog import selectors as catalog_selectors
from catalog.access import VIEW_COST, VIEW_MARGIN
from catalog.enums import ProductRole
from finance import month_end as month_end_selectors
from finance.enums import AgeingBucket
from finance.selectors import payables as payables_selectors
from finance.selectors import receivables as receivables_selectors
from inventory import selectors as inventory_selectors
from orders import promotion_results as order_promotion_results
from orders import reviews as review_selectors
from orders import segments as order_segments
from orders import selectors as order_selectors
from purchasing import selectors as purchasing_selectors
from staff import selectors as staff_selectors
from staff import supplier_quality
from staff.models import ReportKind
from staff.reports import may_download
from staff.roles import (
    FINANCE,
    MANAGER,
    MARKETER,
    MERCHANDISER,
    PURCHASER,
    SUPPORT,
    VIEW_ROLE_MATRIX,
    WAREHOUSE,
)

PANEL_ROWS = 20


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    roles: frozenset[str]
    permissions: tuple[str, ...]
    context: Callable[..., dict]

    @property
    def template(self) -> str:
        return f"staff/panels/{self.key}.html"

    def visible_to(self, user, roles: set[str]) -> bool:
        if not (user.is_superuser or roles & self.roles):
            return False
        return all(user.has_perm(p) for p in self.permissions)


def completeness_queue(request) -> dict:
    """Products being prepared (draft, ready) whose web listing is not complete yet."""
    products = list(catalog_selectors.products_being_prepared()[: PANEL_ROWS * 3])
    completeness = catalog_selectors.products_completeness(products)
    rows = [
        (product, completeness[product.pk]["web"])
        for product in products
        if completeness[product.pk]["web"].missing
    ]
    return {"rows": rows[:PANEL_ROWS]}


def listing_queue(request) -> dict:
    """Products marked ready, waiting to be listed."""
    queryset = catalog_selectors.products_ready_to_list()
    return {"count": queryset.count(), "rows": list(queryset[:PANEL_ROWS])}


def product_structure(request) -> dict:
    """Products per 大类 and role (traffic / regular / image), from one GROUP BY."""
    rows = catalog_selectors.product_counts_by_major_class()
    return {"roles": [label for _value, label in ProductRole.choices], "rows": rows}


def promotion_products(request) -> dict:
    """Listed traffic drivers: the products promotions are built around."""
    return {"rows": list(catalog_selectors.listed_traffic_products()[:PANEL_ROWS])}


def promotions(request) -> dict:
    """Campaigns by name, with the stock locked for them and what they still hold."""
    return {"rows": inventory_selectors.promotion_locks()[:PANEL_ROWS]}


def promotion_results(request) -> dict:
    """Promotions running now or starting this week: spend, units and uplift so far, and
    for roles that see margins the gross margin and ROI so far."""
    running = order_selectors.running_promotions(on=timezone.localdate())
    return {
        "rows": order_promotion_results.promotions_results(
            running.select_related("channel", "shop")[:PANEL_ROWS]
        ),
        "show_margin": request.user.has_perm(VIEW_MARGIN),
    }


def product_lookup(request) -> dict:
    """Find a product by code, name, SKU code or barcode: selling points and availability."""
    query = request.GET.get("q", "").strip()
    if not query:
        return {"query": ""}
    skus = list(
        inventory_selectors.sku_stock_columns(catalog_selectors.sku_search(query))[:PANEL_ROWS]
    )
    # What a buyer pays today on every channel (an all-channel promotion, else retail).
    quotes = order_selectors.prices_in_effect(skus) if skus else {}
    # Every running or coming promotion of the SKUs, whatever its channel or shop.
    promoted = defaultdict(list)
    if skus:
        today = timezone.localdate()
        for item in order_selectors.promotion_items_now(on=today, sku_ids=[s.pk for s in skus]):
            promoted[item.sku_id].append(item)
    for sku in skus:
        sku.price_now = quotes.get(sku.pk)
        sku.promotion_items = promoted[sku.pk]
    return {"query": query, "skus": skus}


def low_stock(request) -> dict:
    rows = inventory_selectors.low_stock()
    return {"count": rows.count(), "rows": list(rows[:PANEL_ROWS])}


def pick_waves(request) -> dict:
    """Reservations waiting to be picked, per warehouse, each a link to its pick list."""
    return {"rows": inventory_selectors.waves_to_pick()}


def logistics_errors(request) -> dict:
    """The last two weeks of packing-check catches and wrong-shipment returns per order."""
    days = order_selectors.logistics_error_rate(days=14)
    return {"days": list(reversed(days))}


def unmatched_listings(request) -> dict:
    rows = order_selectors.unmatched_listings()
    return {"count": rows.count(), "rows": list(rows[:PANEL_ROWS])}


def follow_ups(request) -> dict:
    """Orders still unpaid after the follow-up hours: support calls the customer."""
    rows = order_segments.unpaid_orders()
    return {
        "count": rows.count(),
        "rows": list(rows[:PANEL_ROWS]),
        "hours": order_segments.unpaid_hours(),
    }


def segment_counts(request) -> dict:
    """Customers per activity level today (one query over every customer with orders)."""
    counts = order_segments.segment_counts()
    return {"levels": counts.level_rows(), "customers": counts.customers}


def skus_without_cost(request) -> dict:
    queryset = catalog_selectors.active_skus_without_cost()
    return {"count": queryset.count(), "rows": list(queryset[:PANEL_ROWS])}


def standard_margins(request) -> dict:
    """Standard margin (retail − cost) ÷ retail per product role, over priced SKUs, beside the
    gross margin the shipped orders made per role (revenue less FIFO cost of goods)."""
    return {
        "rows": catalog_selectors.standard_margin_by_role(),
        "gross": order_selectors.gross_margin_by_role(),
    }


def restock_suggestions(request) -> dict:
    """What to order now, from the latest stored restock run (its summary: the count and the
    largest order values first), not a live report: one query, the workbook to download."""
    run = staff_selectors.latest_run(ReportKind.RESTOCK)
    if run is None:
        return {"run": None}
    return {
        "run": run,
        "count": run.summary.get("count", 0),
        "rows": run.summary.get("rows", [])[:PANEL_ROWS],
        "download": bool(run.file) and may_download(request.user, run),
    }


def review_flags(request) -> dict:
    """Products whose average review score (点评) is below the flag threshold."""
    rows = list(review_selectors.flagged_products()[: PANEL_ROWS + 1])
    return {
        "rows": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "threshold": settings.ORDERS_REVIEW_FLAG_SCORE,
        "minimum": settings.ORDERS_REVIEW_FLAG_MIN_COUNT,
    }


def supplier_reviews(request) -> dict:
    """The scorecard's quality signal: the average review score of each supplier's SKUs."""
    return {"rows": supplier_quality.supplier_review_quality()[:PANEL_ROWS]}


def late_purchase_orders(request) -> dict:
    """Open purchase orders with a line past its expected date and not fully received."""
    orders = list(purchasing_selectors.late_orders())  # few: one query, counted here
    return {"count": len(orders), "rows": orders[:PANEL_ROWS]}


def receivables_summary(request) -> dict:
    """应收: what customers owe by ageing bucket, and how many orders are on credit hold."""
    totals = receivables_selectors.receivables_ageing().totals
    return {
        "buckets": list(zip(AgeingBucket.labels, totals.columns, strict=True)),
        "total": totals.total,
        "overdue": totals.overdue,
        "holds": order_selectors.credit_hold_count(),
    }


def payables_summary(request) -> dict:
    """应付: what is owed to suppliers by ageing bucket and the bills awaiting approval."""
    totals = payables_selectors.payables_ageing().totals
    waiting = list(payables_selectors.bills_awaiting_approval())  # drafts: a handful
    return {
        "buckets": list(zip(AgeingBucket.labels, totals.amounts, strict=True)),
        "total": totals.total,
        "overdue": totals.overdue,
        "waiting": waiting[:5],
        "waiting_count": len(waiting),
    }


def month_ends(request) -> dict:
    """The last three closed months (月结): net revenue, gross profit, margin, stock, AR, AP."""
    return {"rows": month_end_selectors.month_end_rows(limit=3)}


def inquiries_today(request) -> dict:
    """Support: today's inquiries, the follow-ups due (待跟进) and this week's conversion."""
    return order_selectors.inquiry_day_summary() | {
        "rows": list(order_selectors.inquiries_due()[:PANEL_ROWS])
    }


def inquiry_conversion(request) -> dict:
    """The manager: the last four weeks' conversion (咨询转化率) per agent, one GROUP BY."""
    today = timezone.localdate()
    since = today - dt.timedelta(days=27)
    return {
        "since": since,
        "rows": order_selectors.inquiry_conversion_by_agent(since=since, until=today),
    }


PANELS: list[Panel] = [
    Panel(
        "completeness_queue",
        _("Products below 100 % web completeness"),
        frozenset({MERCHANDISER, MANAGER}),
        ("catalog.view_product",),
        completeness_queue,
    ),
    Panel(
        "listing_queue",
        _("Listing queue (ready to list)"),
        frozenset({MERCHANDISER, MANAGER}),
        ("catalog.view_product",),
        listing_queue,
    ),
    Panel(
        "product_structure",
        _("Product structure by role"),
        frozenset({MARKETER, MERCHANDISER, MANAGER}),
        ("catalog.view_product",),
        product_structure,
    ),
    Panel(
        "promotion_products",
        _("Traffic drivers for promotions"),
        frozenset({MARKETER}),
        ("catalog.view_product",),
        promotion_products,
    ),
    Panel(
        "promotions",
        _("Promotions and their stock locks"),
        frozenset({MARKETER, WAREHOUSE, MANAGER}),
        ("inventory.view_stocklock",),
        promotions,
    ),
    Panel(
        "promotion_results",
        _("Running promotions: results so far"),
        frozenset({MARKETER, MANAGER}),
        ("orders.view_promotionspend",),
        promotion_results,
    ),
    Panel(
        "product_lookup",
        _("Product lookup"),
        frozenset({SUPPORT}),
        ("catalog.view_sku", "inventory.view_warehousestock"),
        product_lookup,
    ),
    Panel(
        "inquiries_today",
        _("Inquiries (咨询) today"),
        frozenset({SUPPORT}),
        ("orders.view_inquiry",),
        inquiries_today,
    ),
    Panel(
        "inquiry_conversion",
        _("Inquiry conversion by agent (咨询转化率)"),
        frozenset({MANAGER}),
        ("orders.view_inquiry",),
        inquiry_conversion,
    ),
    Panel(
        "follow_ups",
        _("Follow-ups due: unpaid orders"),
        frozenset({SUPPORT}),
        ("orders.view_salesorder", "orders.view_customer"),
        follow_ups,
    ),
    Panel(
        "segment_counts",
        _("Customer segments"),
        frozenset({MARKETER}),
        ("orders.view_customer",),
        segment_counts,
    ),
    Panel(
        "low_stock",
        _("Low stock (at or below the warning level)"),
        frozenset({WAREHOUSE, PURCHASER, MANAGER}),
        ("inventory.view_warehousestock",),
        low_stock,
    ),
    Panel(
        "pick_waves",
        _("Today's pick list"),
        frozenset({WAREHOUSE, MANAGER}),
        ("inventory.view_reservation",),
        pick_waves,
    ),
    Panel(
        "restock_suggestions",
        _("Restock suggestions"),
        frozenset({PURCHASER}),
        ("purchasing.add_purchaseorder", VIEW_COST),
        restock_suggestions,
    ),
    Panel(
        "late_purchase_orders",
        _("Late purchase orders"),
        frozenset({PURCHASER, WAREHOUSE}),
        ("purchasing.view_purchaseorder",),
        late_purchase_orders,
    ),
    Panel(
        "review_flags",
        _("Products with low review scores (点评)"),
        frozenset({MERCHANDISER, PURCHASER}),
        ("orders.view_review",),
        review_flags,
    ),
    Panel(
        "supplier_reviews",
        _("Supplier quality: review scores of their SKUs"),
        frozenset({PURCHASER}),
        ("orders.view_review", "purchasing.view_supplier"),
        supplier_reviews,
    ),
    Panel(
        "logistics_errors",
        _("Logistics error rate"),
        frozenset({WAREHOUSE, MANAGER}),
        ("orders.view_packingcheck",),
        logistics_errors,
    ),
    Panel(
        "unmatched_listings",
        _("Channel listings waiting for their SKU"),
        frozenset({MERCHANDISER}),
        ("orders.view_channellisting",),
        unmatched_listings,
    ),
    Panel(
        "skus_without_cost",
        _("Active SKUs without a cost price"),
        frozenset({FINANCE, PURCHASER}),
        ("catalog.view_sku", VIEW_COST),
        skus_without_cost,
    ),
    Panel(
        "standard_margins",
        _("Margin by product role"),
        frozenset({FINANCE, MANAGER}),
        ("catalog.view_sku", "orders.view_salesorderline", VIEW_COST, VIEW_MARGIN),
        standard_margins,
    ),
    Panel(
        "month_ends",
        _("The last closed months (月结)"),
        frozenset({FINANCE, MANAGER}),
        ("finance.view_monthend", VIEW_COST, VIEW_MARGIN),
        month_ends,
    ),
    Panel(
        "receivables_summary",
        _("Receivables (应收) and credit holds"),
        frozenset({FINANCE, MANAGER}),
        ("finance.view_invoice",),
        receivables_summary,
    ),
    Panel(
        "payables_summary",
        _("Payables (应付) and bills awaiting approval"),
        frozenset({FINANCE, MANAGER}),
        ("finance.view_supplierbill",),
        payables_summary,
    ),
]

# The report pages (``staff:report``) a role's dashboard links to, when its user may read them.
REPORT_LINKS: dict[str, frozenset[str]] = {
    ReportKind.RESTOCK: frozenset({PURCHASER, MANAGER}),
    ReportKind.LOW_STOCK: frozenset({WAREHOUSE, PURCHASER, MANAGER}),
    ReportKind.SLOW_MOVERS: frozenset({MERCHANDISER, MARKETER, FINANCE, PURCHASER, MANAGER}),
    ReportKind.FINANCE_SUMMARY: frozenset({FINANCE, MANAGER}),
}

# Links shown on the dashboard to every user holding the permission before them.
MANAGER_LINKS = [
    (VIEW_ROLE_MATRIX, "staff:role_matrix", _("Role matrix: who sees what")),
    ("catalog.view_product", "staff:product_search", _("Catalogue search")),
    ("catalog.view_product", "staff:product_flow", _("Product flow board")),
    (
        "catalog.view_categoryattribute",
        "catalog:attribute_tree",
        _("Attribute application table (属性应用表)"),
    ),
    ("catalog.view_product", "staff:shelf", _("Shelf and home-page plan (WEB货架)")),
    ("inventory.view_warehousestock", "inventory:stock_overview", _("Stock overview")),
    ("inventory.view_warehousestock", "inventory:low_stock", _("Low stock")),
    ("inventory.view_reservation", "inventory:pick_list", _("Pick list")),
    ("purchasing.add_purchaseorder", "purchasing:restock", _("Restock suggestions")),
    ("orders.view_salesorder", "orders:order_list", _("Orders")),
    ("orders.add_salesorder", "orders:order_new", _("New order")),
    ("orders.view_channellisting", "orders:listings_unmatched", _("Unmatched listings")),
    ("orders.pick_order", "orders:waves", _("Waves and packing")),
    ("orders.view_packingcheck", "orders:logistics_errors", _("Logistics error rate")),
    ("orders.view_review", "orders:reviews", _("Reviews (点评)")),
    ("orders.view_inquiry", "orders:inquiries", _("Inquiries and conversion")),
    ("orders.view_customer", "orders:customer_segments", _("Customer segments")),
    ("finance.view_invoice", "finance:receivables_ageing", _("Receivables ageing (应收账龄)")),
    ("finance.view_invoice", "finance:invoice_list", _("Invoices")),
    ("finance.view_supplierbill", "finance:bill_list", _("Supplier bills")),
    ("finance.view_supplierbill", "finance:payables_ageing", _("Payables ageing (应付账龄)")),
    ("catalog.view_product", "finance:structure", _("Product structure (商品结构表)")),
    (VIEW_MARGIN, "finance:margins", _("Gross margin analysis")),
    (VIEW_MARGIN, "finance:pnl", _("Monthly P&L")),
    (VIEW_MARGIN, "finance:productline", _("Product line optimisation")),
    (VIEW_MARGIN, "finance:kpi", _("KPIs")),
    (VIEW_COST, "finance:valuation", _("Stock valuation")),
    ("finance.view_monthend", "finance:month_ends", _("Month end")),
]
