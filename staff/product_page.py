"""The product page (商品详情): everything a role may see about one product (SPU) and its SKUs,
and where the product stands in its flow (``staff.flow``, computed live here).

The page reads the other apps through their selectors; what a user does not hold the
permission for is never read, so it cannot leak into the page.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.access import VIEW_COST, VIEW_MARGIN, visible_attributes_q
from catalog.enums import CompletenessScope
from catalog.models import AttributeValue, Product
from inventory import selectors as inventory_selectors
from orders import reviews as review_selectors
from orders import selectors as order_selectors
from purchasing import selectors as purchasing_selectors
from staff import flow

CHART_WEEKS = 26
PRICE_HISTORY_ROWS = 20
VIEW_PRICE_HISTORY = "catalog.view_historicalsku"
VIEW_OFFERS = "purchasing.view_supplieroffer"
VIEW_SALES = "orders.view_salesorderline"
VIEW_STOCK = "inventory.view_warehousestock"
VIEW_REVIEWS = "orders.view_review"
LATEST_REVIEWS = 5


# --- The page -----------------------------------------------------------------------------


def _attribute_values(user, product: Product, sku_ids: list[int]):
    """Return the product's visible attribute values in display-priority order, and the SKUs'
    by SKU id; one query."""
    rows = list(
        AttributeValue.objects.filter(visible_attributes_q(user, prefix="attribute__"))
        .filter(Q(product=product) | Q(sku_id__in=sku_ids))
        .select_related("attribute")
        .order_by("attribute__display_priority", "attribute__code")
    )
    product_values = [v for v in rows if v.product_id and v.is_filled]
    sku_values: dict[int, list[AttributeValue]] = {}
    for value in rows:
        if value.sku_id and value.is_filled:
            sku_values.setdefault(value.sku_id, []).append(value)
    return product_values, sku_values


def product_page(user, product: Product) -> dict:
    """Return the context of the product page for ``user``: only what the user may see."""
    today = timezone.localdate()
    product = (
        catalog_selectors.completeness_prefetch(Product.objects.filter(pk=product.pk))
        .select_related("brand")
        .get()
    )
    skus = list(product.active_skus)
    sku_ids = [s.pk for s in skus]
    may_cost, may_margin = user.has_perm(VIEW_COST), user.has_perm(VIEW_MARGIN)
    product_values, sku_values = _attribute_values(user, product, sku_ids)
    quotes = order_selectors.prices_in_effect(skus) if skus else {}
    for sku in skus:
        sku.price_now = quotes.get(sku.pk)
        sku.attributes = sku_values.get(sku.pk, [])
    completeness = catalog_selectors.products_completeness([product])[product.pk]
    context = {
        "product": product,
        "skus": skus,
        "attributes": product_values,
        "selling_points": list(product.selling_points.all()),
        "promotion_items": order_selectors.product_promotion_items(product.pk, on=today),
        "completeness": [
            (label, completeness[scope]) for scope, label in CompletenessScope.choices
        ],
        "may_cost": may_cost,
        "may_margin": may_margin and may_cost,
        "flow": flow.products_flow([product], {product.pk: completeness})[product.pk],
        "sales_days": flow.FLOW_SALES_DAYS,
    }
    context["next_stage"] = flow.first_pending(context["flow"])
    if user.has_perm(VIEW_REVIEWS):
        context["reviews"] = review_selectors.product_review_stats([product.pk]).get(
            product.pk, review_selectors.ReviewStats()
        )
        per_sku = review_selectors.sku_review_stats(sku_ids)
        context["sku_reviews"] = [(sku, per_sku[sku.pk]) for sku in skus if sku.pk in per_sku]
        context["latest_reviews"] = review_selectors.latest_reviews(
            product.pk, limit=LATEST_REVIEWS
        )
    if user.has_perm(VIEW_STOCK):
        context["stock"] = inventory_selectors.sku_stock_by_warehouse(sku_ids)
    if may_cost and user.has_perm(VIEW_OFFERS):
        facts = purchasing_selectors.offer_facts(
            sku_ids=[s.pk for s in skus if not s.is_bundle],
            scores=purchasing_selectors.supplier_scores(on=today),
        )
        context["choices"] = [
            (
                sku,
                purchasing_selectors.choose_from_facts(
                    facts.get(sku.pk, []), sku_id=sku.pk, quantity=1, on=today
                ),
            )
            for sku in skus
            if not sku.is_bundle
        ]
    if user.has_perm(VIEW_SALES):
        context["sales"] = order_selectors.products_sales(
            [product.pk],
            since=flow.since_days(flow.FLOW_SALES_DAYS),
            recent=flow.since_days(flow.FLOW_SELLING_DAYS),
        )[product.pk]
        weeks = order_selectors.product_weekly_sales(product.pk, weeks=CHART_WEEKS)
        context["chart"] = {
            "labels": [monday.strftime("%m-%d") for monday, _units, _revenue in weeks],
            "datasets": [{"label": _("Units sold per week"), "data": [u for _m, u, _r in weeks]}],
        }
    if user.has_perm(VIEW_PRICE_HISTORY):
        fields = catalog_selectors.PRICE_FIELDS
        if not may_cost:
            fields = tuple(name for name in fields if name != "cost_price")
        records = catalog_selectors.sku_price_history(sku_ids=sku_ids, fields=fields)
        context["price_changes"] = catalog_selectors.price_changes(
            records[:PRICE_HISTORY_ROWS], fields
        )
    return context
