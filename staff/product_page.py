"""The product page and the product flow: everything a role may see about one product (SPU)
and its SKUs, and where the product stands in the flow every product moves through.

The flow has seven stages, each done when all of its checks hold, each owned by a role:

=======  ==============  ================================================================
stage    owner           checks
=======  ==============  ================================================================
采购     purchaser       a supplier can be chosen for an active SKU (bundles excepted);
                         every active SKU has a cost price
入库     warehouse       a lot was received; a pick or reserve slot holds it
上架     merchandiser    the product is listed; its web listing is 100 % complete
推广     marketer        a promotion of one of its SKUs runs now or is to come
客服     support         it sold in the last ``FLOW_SELLING_DAYS`` days
售后     support         returns of the last ``FLOW_SALES_DAYS`` days stay under
                         ``STAFF_FLOW_RETURN_RATE`` of the units sold (it must have sold)
财务     finance         its margin is known: cost prices set and shipped lines with a COGS
=======  ==============  ================================================================

``products_flow`` computes the flow of many products in a constant number of grouped
queries (the flow board); ``product_flow`` is its one-product shortcut. The page reads the
other apps through their selectors; what a user does not hold the permission for is never
read, so it cannot leak into the page.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from catalog.access import VIEW_COST, VIEW_MARGIN, visible_attributes_q
from catalog.enums import CompletenessScope, ProductStatus
from catalog.models import AttributeValue, Product
from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from purchasing import selectors as purchasing_selectors
from staff.roles import FINANCE, MARKETER, MERCHANDISER, PURCHASER, SUPPORT, WAREHOUSE, Role

# Sales and returns are read over this many days; "selling" over the shorter window.
FLOW_SALES_DAYS = 90
FLOW_SELLING_DAYS = 30
CHART_WEEKS = 26
PRICE_HISTORY_ROWS = 20
VIEW_PRICE_HISTORY = "catalog.view_historicalsku"
VIEW_OFFERS = "purchasing.view_supplieroffer"
VIEW_SALES = "orders.view_salesorderline"
VIEW_STOCK = "inventory.view_warehousestock"


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool


@dataclass
class Stage:
    """One stage of a product's flow: done when every check holds."""

    key: str
    label: str
    owner: str
    checks: list[Check] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def owner_label(self) -> str:
        return str(Role(self.owner).label)


# key, label, owner: in flow order.
STAGES = (
    ("purchase", gettext_lazy("Purchasing (采购)"), PURCHASER),
    ("receipt", gettext_lazy("Receipt (入库)"), WAREHOUSE),
    ("listing", gettext_lazy("Listing (上架)"), MERCHANDISER),
    ("promotion", gettext_lazy("Promotion (推广)"), MARKETER),
    ("service", gettext_lazy("Customer service (客服)"), SUPPORT),
    ("after_sales", gettext_lazy("After-sales (售后)"), SUPPORT),
    ("finance", gettext_lazy("Finance (财务)"), FINANCE),
)


def first_pending(flow: list[Stage]) -> Stage | None:
    """Return the first stage not done (its owner has the next step); ``None``: all done."""
    return next((stage for stage in flow if not stage.done), None)


def _since(days: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def products_flow(products) -> dict[int, list[Stage]]:
    """Return the flow (``Stage`` list) of each product by id, in a constant number of
    queries whatever the number of products."""
    products = list(catalog_selectors.completeness_prefetch(products.order_by()))
    ids = [p.pk for p in products]
    today = timezone.localdate()
    completeness = catalog_selectors.products_completeness(products)
    skus = {p.pk: list(p.skus.all()) for p in products}  # active SKUs (the prefetch)
    buyable = [s.pk for sku_list in skus.values() for s in sku_list if not s.is_bundle]
    offers = purchasing_selectors.offer_facts(
        sku_ids=buyable, scores=purchasing_selectors.supplier_scores(on=today), on=today
    )
    received, slotted = inventory_selectors.products_received_and_slotted(ids)
    promotions = order_selectors.products_promotions(ids, on=today)
    sales = order_selectors.products_sales(
        ids, since=_since(FLOW_SALES_DAYS), recent=_since(FLOW_SELLING_DAYS)
    )
    threshold = settings.STAFF_FLOW_RETURN_RATE
    out = {}
    for product in products:
        product_skus = skus[product.pk]
        to_buy = [s for s in product_skus if not s.is_bundle]
        # One SKU with a choosable supplier starts the flow; the page lists the SKUs
        # still without one (a range often buys its variants one by one).
        chosen = any(
            purchasing_selectors.choose_from_facts(
                offers.get(s.pk, []), sku_id=s.pk, quantity=1, on=today, explain=False
            ).chosen
            for s in to_buy
        )
        costed = bool(product_skus) and all(s.cost_price is not None for s in product_skus)
        web = completeness[product.pk][CompletenessScope.WEB]
        sold = sales[product.pk]
        rate = sold.return_rate
        checks = {
            "purchase": [
                Check(_("a supplier chosen"), chosen),
                Check(_("cost price set"), costed),
            ],
            "receipt": [
                Check(_("received into a warehouse"), product.pk in received),
                Check(_("held in a slot"), product.pk in slotted),
            ],
            "listing": [
                Check(_("listed"), product.status == ProductStatus.LISTED),
                Check(
                    _("web listing complete (%(percent)d %%)") % {"percent": web.percent},
                    web.percent == 100,
                ),
            ],
            "promotion": [
                Check(_("in a promotion (running or to come)"), bool(promotions[product.pk]))
            ],
            "service": [
                Check(
                    _("sold in the last %(days)d days") % {"days": FLOW_SELLING_DAYS},
                    sold.recent_units > 0,
                )
            ],
            "after_sales": [
                Check(
                    _("returns under %(threshold)s %% of units sold")
                    % {"threshold": f"{threshold * 100:g}"},
                    rate is not None and rate < threshold,
                )
            ],
            "finance": [
                Check(_("cost price set"), costed),
                Check(_("shipped lines with a cost of goods"), sold.costed_revenue > 0),
            ],
        }
        out[product.pk] = [
            Stage(key, str(label), owner, checks[key]) for key, label, owner in STAGES
        ]
    return out


def product_flow(product: Product) -> list[Stage]:
    """Return the flow of one product (see the module)."""
    return products_flow(Product.objects.filter(pk=product.pk))[product.pk]


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
    skus = list(product.skus.all())
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
        "flow": product_flow(product),
        "sales_days": FLOW_SALES_DAYS,
    }
    context["next_stage"] = first_pending(context["flow"])
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
            [product.pk], since=_since(FLOW_SALES_DAYS), recent=_since(FLOW_SELLING_DAYS)
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


def flow_board(*, role: str = "") -> list[tuple[Product, list[Stage], Stage | None]]:
    """Return every product not delisted with its flow and first pending stage, ordered by
    that stage (flow order; done last) then code; with ``role``, only the products whose
    next step is that role's."""
    products = Product.objects.exclude(status=ProductStatus.DELISTED)
    flows = products_flow(products)
    order = {key: n for n, (key, _label, _owner) in enumerate(STAGES)}
    rows = []
    for product in products.select_related("category"):
        flow = flows[product.pk]
        pending = first_pending(flow)
        if role and (pending is None or pending.owner != role):
            continue
        rows.append((product, flow, pending))
    rows.sort(key=lambda r: (order[r[2].key] if r[2] else len(order), r[0].code))
    return rows
