"""The product flow: the stages every product moves through, from purchasing to finance.

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
queries; ``product_flow`` is its one-product shortcut (the product page, always live).

The flow board lists every product, so it reads stored states instead: ``flow_refresh``
computes the flow (and the completeness, stored in catalog) of every product in batches of
``REFRESH_BATCH`` and rewrites ``staff.ProductFlowState``; the periodic task
``staff.product_flow_refresh`` runs it every ``STAFF_FLOW_REFRESH_MINUTES`` and
``seed_demo`` after loading. The board says when its states were computed.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.enums import CompletenessScope, ProductStatus
from catalog.models import Product
from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from purchasing import selectors as purchasing_selectors
from staff.models import ProductFlowState
from staff.roles import FINANCE, MARKETER, MERCHANDISER, PURCHASER, SUPPORT, WAREHOUSE, Role

# Sales and returns are read over this many days; "selling" over the shorter window.
FLOW_SALES_DAYS = 90
FLOW_SELLING_DAYS = 30
REFRESH_BATCH = 1000


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    web_percent: int = 0

    @property
    def label(self) -> str:
        return check_label(self.key, web_percent=self.web_percent)


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
STAGE_RANK = {key: n for n, (key, _label, _owner) in enumerate(STAGES)}
ALL_DONE_RANK = len(STAGES)


def check_label(key: str, *, web_percent: int = 0) -> str:
    """Return the label of the check ``key`` in the active language."""
    if key == "supplier":
        return _("a supplier chosen")
    if key == "cost":
        return _("cost price set")
    if key == "received":
        return _("received into a warehouse")
    if key == "slotted":
        return _("held in a slot")
    if key == "listed":
        return _("listed")
    if key == "web_complete":
        return _("web listing complete (%(percent)d %%)") % {"percent": web_percent}
    if key == "promotion":
        return _("in a promotion (running or to come)")
    if key == "selling":
        return _("sold in the last %(days)d days") % {"days": FLOW_SELLING_DAYS}
    if key == "returns":
        threshold = f"{settings.STAFF_FLOW_RETURN_RATE * 100:g}"
        return _("returns under %(threshold)s %% of units sold") % {"threshold": threshold}
    if key == "cogs":
        return _("shipped lines with a cost of goods")
    raise KeyError(key)


def first_pending(flow: list[Stage]) -> Stage | None:
    """Return the first stage not done (its owner has the next step); ``None``: all done."""
    return next((stage for stage in flow if not stage.done), None)


def since_days(days: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def products_flow(products: list[Product], completeness=None) -> dict[int, list[Stage]]:
    """Return the flow (``Stage`` list) of each product by id, in a constant number of
    queries whatever the number of products.

    ``products`` come with ``catalog.selectors.completeness_prefetch``; ``completeness`` is
    their ``products_completeness`` when the caller has it already.
    """
    ids = [p.pk for p in products]
    today = timezone.localdate()
    if completeness is None:
        completeness = catalog_selectors.products_completeness(products)
    skus = {p.pk: p.active_skus for p in products}  # the prefetch
    buyable = [s.pk for sku_list in skus.values() for s in sku_list if not s.is_bundle]
    offers = purchasing_selectors.offer_facts(
        sku_ids=buyable, scores=purchasing_selectors.supplier_scores(on=today), on=today
    )
    received, slotted = inventory_selectors.products_received_and_slotted(ids)
    promotions = order_selectors.products_promotions(ids, on=today)
    sales = order_selectors.products_sales(
        ids, since=since_days(FLOW_SALES_DAYS), recent=since_days(FLOW_SELLING_DAYS)
    )
    threshold = settings.STAFF_FLOW_RETURN_RATE
    labels = [(key, str(label), owner) for key, label, owner in STAGES]  # translated once
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
        web = completeness[product.pk][CompletenessScope.WEB].percent
        sold = sales[product.pk]
        rate = sold.return_rate
        results = {
            "purchase": {"supplier": chosen, "cost": costed},
            "receipt": {"received": product.pk in received, "slotted": product.pk in slotted},
            "listing": {
                "listed": product.status == ProductStatus.LISTED,
                "web_complete": web == 100,
            },
            "promotion": {"promotion": bool(promotions[product.pk])},
            "service": {"selling": sold.recent_units > 0},
            "after_sales": {"returns": rate is not None and rate < threshold},
            "finance": {"cost": costed, "cogs": sold.costed_revenue > 0},
        }
        out[product.pk] = [
            Stage(key, label, owner, [Check(c, ok, web) for c, ok in results[key].items()])
            for key, label, owner in labels
        ]
    return out


def product_flow(product: Product) -> list[Stage]:
    """Return the flow of one product (see the module)."""
    products = list(catalog_selectors.completeness_prefetch(Product.objects.filter(pk=product.pk)))
    return products_flow(products)[product.pk]


# --- Stored states and the board ------------------------------------------------------------


def _states(flows: dict[int, list[Stage]], completeness, now) -> list[ProductFlowState]:
    states = []
    for product_id, flow in flows.items():
        pending = first_pending(flow)
        states.append(
            ProductFlowState(
                product_id=product_id,
                pending_stage=pending.key if pending else "",
                pending_rank=STAGE_RANK[pending.key] if pending else ALL_DONE_RANK,
                pending_owner=pending.owner if pending else "",
                unmet={
                    stage.key: [c.key for c in stage.checks if not c.ok]
                    for stage in flow
                    if not stage.done
                },
                web_percent=completeness[product_id][CompletenessScope.WEB].percent,
                computed_at=now,
            )
        )
    return states


def flow_refresh(*, batch: int = REFRESH_BATCH) -> int:
    """Recompute the completeness and the flow state of every product, ``batch`` products at
    a time (each batch in its own transaction, a constant number of queries); return how many
    products were refreshed. States of deleted products go with them (cascade)."""
    now = timezone.now()
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        products = list(
            catalog_selectors.completeness_prefetch(Product.objects.filter(pk__in=chunk))
        )
        completeness = catalog_selectors.products_completeness(products)
        flows = products_flow(products, completeness)
        with transaction.atomic():
            catalog_services.completeness_store(scores=completeness, at=now)
            ProductFlowState.objects.bulk_create(
                _states(flows, completeness, now),
                update_conflicts=True,
                unique_fields=["product"],
                update_fields=[
                    "pending_stage",
                    "pending_rank",
                    "pending_owner",
                    "unmet",
                    "web_percent",
                    "computed_at",
                ],
            )
    return len(ids)


@dataclass
class BoardRow:
    """One product on the flow board, as its stored state says."""

    product: Product
    stages: list[tuple[str, bool]]  # (label, done) in flow order
    pending_label: str
    owner_label: str
    unmet: list[str]  # labels of the pending stage's checks not met


def flow_board(*, role: str = "") -> QuerySet[ProductFlowState]:
    """Return the stored states of the products not delisted, by their first pending stage
    (flow order; done last) then code; with ``role``, only those whose next step is that
    role's. Turn a page of them into rows with ``board_rows``."""
    states = ProductFlowState.objects.exclude(product__status=ProductStatus.DELISTED)
    if role:
        states = states.filter(pending_owner=role)
    return states.select_related("product__category").order_by("pending_rank", "product__code")


def board_rows(states) -> list[BoardRow]:
    """Return the board rows of ``states`` (a page): labels in the active language."""
    labels = {key: str(label) for key, label, _owner in STAGES}
    rows = []
    for state in states:
        pending = state.pending_stage
        rows.append(
            BoardRow(
                product=state.product,
                stages=[(labels[key], key not in state.unmet) for key, _l, _o in STAGES],
                pending_label=labels.get(pending, ""),
                owner_label=str(Role(state.pending_owner).label) if pending else "",
                unmet=[
                    check_label(key, web_percent=state.web_percent)
                    for key in state.unmet.get(pending, [])
                ],
            )
        )
    return rows


def flow_computed_at() -> dt.datetime | None:
    """Return when the stored states were last computed (``None``: never)."""
    return ProductFlowState.objects.aggregate(at=Max("computed_at"))["at"]
