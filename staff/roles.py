"""The role matrix: one declarative table of who may see and change what.

Everything else follows from it: ``setup_roles`` turns it into Django groups and permissions,
the admin and the pages ask those permissions (field-level ones included, see
``catalog.access``), the manager's matrix page renders it, and the tests walk it. A model that
is missing here fails the tests: every model is either given to roles below or listed in
``MODELS_WITHOUT_ROLE``.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.access import VIEW_COST, VIEW_MARGIN, attribute_use_permission
from catalog.enums import AttributeUse
from finance.access import APPROVE_BILL
from orders.access import (
    CANCEL_ORDER,
    COMPLETE_ORDER,
    CONFIRM_PAYMENT,
    PACK_ORDER,
    PICK_ORDER,
    SHIP_ORDER,
    VIEW_CUSTOMER_CREDIT,
)


class Role(models.TextChoices):
    PURCHASER = "purchaser", _("Purchaser (采购)")
    WAREHOUSE = "warehouse", _("Warehouse (仓库)")
    MERCHANDISER = "merchandiser", _("Merchandiser (商品上架/运营)")
    MARKETER = "marketer", _("Marketer (营销推广)")
    SUPPORT = "support", _("Customer support (客服)")
    FINANCE = "finance", _("Finance (财务)")
    MANAGER = "manager", _("Operations manager (运营经理)")


PURCHASER, WAREHOUSE, MERCHANDISER, MARKETER, SUPPORT, FINANCE, MANAGER = Role.values
EVERYONE = frozenset(Role.values)

# Access letters: v = view, a = add, c = change, d = delete.
ACTIONS = {"v": "view", "a": "add", "c": "change", "d": "delete"}


def _everyone(letters: str = "v", **overrides: str) -> dict[str, str]:
    return {role: overrides.get(role, letters) for role in Role.values}


# model (app_label.model_name) → role → access letters. A role not named has no access.
MODEL_ACCESS: dict[str, dict[str, str]] = {
    # catalog: the product master everyone reads; merchandisers keep it.
    "catalog.category": _everyone(merchandiser="vacd", manager="vacd"),
    "catalog.brand": _everyone(merchandiser="vacd", purchaser="vac", manager="vacd"),
    "catalog.product": _everyone(merchandiser="vacd", marketer="vc", manager="vacd"),
    "catalog.sellingpoint": _everyone(merchandiser="vacd", marketer="vacd", manager="vacd"),
    "catalog.productimage": _everyone(merchandiser="vacd", marketer="vacd", manager="vacd"),
    "catalog.sku": _everyone(merchandiser="vacd", purchaser="vc", finance="vc", manager="vacd"),
    "catalog.bundlecomponent": _everyone(merchandiser="vacd", manager="vacd"),
    "catalog.attribute": _everyone(merchandiser="vacd", manager="vacd"),
    "catalog.categoryattribute": _everyone(merchandiser="vacd", manager="vacd"),
    "catalog.attributevalue": _everyone(merchandiser="vacd", manager="vacd"),
    # Change history (audit) of products and prices: manager and finance.
    "catalog.historicalproduct": {MANAGER: "v", FINANCE: "v"},
    "catalog.historicalsku": {MANAGER: "v", FINANCE: "v"},
    # inventory: the warehouse runs it; purchasing, support and finance read stock.
    "inventory.warehouse": {
        WAREHOUSE: "vac",
        PURCHASER: "v",
        SUPPORT: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    "inventory.slot": {WAREHOUSE: "vacd", MANAGER: "vacd"},
    "inventory.lot": {WAREHOUSE: "v", PURCHASER: "v", FINANCE: "v", MANAGER: "v"},
    "inventory.stockmove": {WAREHOUSE: "v", PURCHASER: "v", FINANCE: "v", MANAGER: "v"},
    "inventory.stocklevel": {WAREHOUSE: "v", MANAGER: "v"},
    "inventory.warehousestock": {
        WAREHOUSE: "v",
        PURCHASER: "v",
        MERCHANDISER: "v",
        MARKETER: "v",
        SUPPORT: "v",
        FINANCE: "v",
        MANAGER: "v",
    },
    "inventory.reservation": {WAREHOUSE: "v", SUPPORT: "v", MANAGER: "v"},
    "inventory.reservationpick": {WAREHOUSE: "v", MANAGER: "v"},
    "inventory.stocklock": {WAREHOUSE: "vacd", MARKETER: "v", MANAGER: "vacd"},
    # purchasing: the purchaser keeps suppliers, offers and orders; the warehouse sees the
    # orders (never their costs) and records receipts; finance reads everything.
    "purchasing.supplier": {PURCHASER: "vacd", WAREHOUSE: "v", FINANCE: "v", MANAGER: "vacd"},
    "purchasing.supplieroffer": {PURCHASER: "vacd", FINANCE: "v", MANAGER: "vacd"},
    "purchasing.historicalsupplieroffer": {PURCHASER: "v", FINANCE: "v", MANAGER: "v"},
    "purchasing.purchaseorder": {
        PURCHASER: "vacd",
        WAREHOUSE: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    "purchasing.purchaseorderline": {
        PURCHASER: "vacd",
        WAREHOUSE: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    "purchasing.historicalpurchaseorderline": {PURCHASER: "v", FINANCE: "v", MANAGER: "v"},
    "purchasing.receipt": {WAREHOUSE: "va", PURCHASER: "v", FINANCE: "v", MANAGER: "va"},
    "purchasing.receiptline": {WAREHOUSE: "va", PURCHASER: "v", FINANCE: "v", MANAGER: "va"},
    # orders: support takes orders and returns, the warehouse fulfils them, merchandisers
    # keep the channel listings; everyone who answers for sales reads them.
    "orders.channel": _everyone(manager="vacd", merchandiser="vac"),
    "orders.shop": _everyone(manager="vacd", merchandiser="vac"),
    "orders.customer": {
        SUPPORT: "vac",
        FINANCE: "vac",
        MARKETER: "v",
        MANAGER: "vac",
    },
    "orders.channellisting": {
        MERCHANDISER: "vacd",
        SUPPORT: "v",
        WAREHOUSE: "v",
        MANAGER: "vacd",
    },
    "orders.salesorder": {
        SUPPORT: "vac",
        WAREHOUSE: "vc",
        FINANCE: "v",
        MERCHANDISER: "v",
        MARKETER: "v",
        MANAGER: "vac",
    },
    "orders.salesorderline": {
        SUPPORT: "vac",
        WAREHOUSE: "v",
        FINANCE: "v",
        MERCHANDISER: "v",
        MARKETER: "v",
        MANAGER: "vac",
    },
    "orders.linereservation": {WAREHOUSE: "v", SUPPORT: "v", MANAGER: "v"},
    "orders.packingcheck": {WAREHOUSE: "va", SUPPORT: "v", MANAGER: "v"},
    "orders.packingscan": {WAREHOUSE: "v", SUPPORT: "v", MANAGER: "v"},
    "orders.return": {SUPPORT: "va", WAREHOUSE: "va", FINANCE: "v", MANAGER: "va"},
    "orders.returnline": {SUPPORT: "va", WAREHOUSE: "va", FINANCE: "v", MANAGER: "va"},
    # Campaigns (活动) and their prices: marketing and merchandising (运营) run them.
    "orders.promotion": {
        MARKETER: "vacd",
        MERCHANDISER: "vacd",
        SUPPORT: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    "orders.promotionitem": {
        MARKETER: "vacd",
        MERCHANDISER: "vacd",
        SUPPORT: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    # What a campaign cost (ads, coupons, discount cost): marketing enters it; the results
    # page (ROI) is read by whoever sees it.
    "orders.promotionspend": {
        MARKETER: "vacd",
        MERCHANDISER: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    # Visitors per shop and day (访客数, from the platforms): marketing keeps them, the
    # manager too; those who answer for sales read them.
    "orders.shoptraffic": {
        MARKETER: "vacd",
        MERCHANDISER: "v",
        FINANCE: "v",
        MANAGER: "vacd",
    },
    # Reviews (点评): support records the ones buyers give by phone or chat (the rest are
    # imported); merchandising and purchasing act on low scores, marketing reads them.
    "orders.review": {
        SUPPORT: "vac",
        MERCHANDISER: "v",
        PURCHASER: "v",
        MARKETER: "v",
        MANAGER: "vacd",
    },
    # Inquiries (咨询): support records and follows them up; the manager too; marketing reads
    # them (which products are asked about and how many turn into orders).
    "orders.inquiry": {SUPPORT: "vac", MARKETER: "v", MANAGER: "vac"},
    # finance: receivables, payables and month ends are finance's; the manager reads them;
    # the purchaser reads the bills of its orders (the cost side).
    "finance.invoice": {FINANCE: "vac", MANAGER: "v"},
    "finance.customerpayment": {FINANCE: "vac", MANAGER: "v"},
    "finance.creditnote": {FINANCE: "vac", MANAGER: "v"},
    "finance.supplierbill": {FINANCE: "vac", PURCHASER: "v", MANAGER: "v"},
    "finance.supplierbillline": {FINANCE: "vacd", PURCHASER: "v", MANAGER: "v"},
    "finance.supplierpayment": {FINANCE: "vac", MANAGER: "v"},
    "finance.monthend": {FINANCE: "va", MANAGER: "v"},
    # staff: role membership and its audit trail.
    "auth.user": {MANAGER: "vac"},
    "auth.group": {MANAGER: "v"},
    "staff.rolechange": {MANAGER: "v", FINANCE: "v"},
    # E-mails sent by the back office and why one did not leave: read-only, the manager's.
    "staff.maildelivery": {MANAGER: "v"},
    # Stored report runs (restock, slow movers, low stock, finance summary): read-only; a
    # workbook with costs or margins downloads only with those permissions as well.
    "staff.reportrun": {
        role: "v" for role in (PURCHASER, WAREHOUSE, MERCHANDISER, MARKETER, FINANCE, MANAGER)
    },
    # Who receives which report when: the manager keeps them; finance reads them.
    "staff.reportsubscription": {MANAGER: "vacd", FINANCE: "v"},
    # The shelf plan's pins and exclusions (WEB货架): merchandisers decide, the manager too;
    # marketing reads them (promotions lean on the featured slots). Every reader of products
    # sees the plan itself (``catalog.view_product``).
    "staff.shelfpin": {MERCHANDISER: "vacd", MANAGER: "vacd", MARKETER: "v"},
    # Login throttling (django-axes): the manager unlocks a locked account by deleting its
    # access attempts, and reads the login logs.
    "axes.accessattempt": {MANAGER: "vd"},
    "axes.accesslog": {MANAGER: "v"},
    "axes.accessfailurelog": {MANAGER: "v"},
    # Scheduled jobs (django-celery-beat): settings, the manager's.
    "django_celery_beat.periodictask": {MANAGER: "vacd"},
    "django_celery_beat.intervalschedule": {MANAGER: "vacd"},
    "django_celery_beat.crontabschedule": {MANAGER: "vacd"},
    "django_celery_beat.solarschedule": {MANAGER: "vacd"},
    "django_celery_beat.clockedschedule": {MANAGER: "vacd"},
}

# Models no staff role works with directly (framework bookkeeping); superusers only.
MODELS_WITHOUT_ROLE = frozenset(
    {
        "admin.logentry",
        "auth.permission",
        "contenttypes.contenttype",
        "sessions.session",
        "django_celery_beat.periodictasks",
        # The catalogue search's cache of sales, prices, stock and filter values: read
        # through the search page, which shows each role its part.
        "staff.productsearchfacts",
        "staff.productsearchvalue",
        "axes.accessattemptexpiration",
        # Caches the pages read, recomputed by a task (staff.flow); no admin, no role.
        "catalog.productcompleteness",
        "staff.productflowstate",
    }
)


@dataclass(frozen=True)
class Sensitive:
    permission: str
    label: str
    roles: frozenset[str]


# Sensitive facts: only the roles named here see them, wherever they appear.
SENSITIVE: list[Sensitive] = [
    Sensitive(
        VIEW_COST, _("cost prices, unit costs, COGS"), frozenset({FINANCE, PURCHASER, MANAGER})
    ),
    Sensitive(VIEW_MARGIN, _("margins"), frozenset({FINANCE, PURCHASER, MANAGER})),
    Sensitive(VIEW_CUSTOMER_CREDIT, _("customers' credit terms"), frozenset({FINANCE, MANAGER})),
]

WEB_USES = {AttributeUse.WEB_FILTER, AttributeUse.WEB_DISPLAY}

# Attribute values are shown to a role when the attribute serves that role's work.
ATTRIBUTE_USE_ACCESS: dict[str, frozenset[str]] = {
    AttributeUse.WEB_FILTER: frozenset({MERCHANDISER, MARKETER, SUPPORT, PURCHASER, MANAGER}),
    AttributeUse.WEB_DISPLAY: frozenset({MERCHANDISER, MARKETER, SUPPORT, PURCHASER, MANAGER}),
    AttributeUse.VARIANT: EVERYONE,  # colour and size tell SKUs apart for every role
    AttributeUse.WAREHOUSE: frozenset({WAREHOUSE, MANAGER}),
    AttributeUse.LOGISTICS: frozenset({WAREHOUSE, SUPPORT, MANAGER}),
    AttributeUse.CUSTOMER_SERVICE: frozenset({SUPPORT, MERCHANDISER, MANAGER}),
    AttributeUse.MARKETING: frozenset({MARKETER, MERCHANDISER, MANAGER}),
    AttributeUse.FINANCE: frozenset({FINANCE, MANAGER}),
}

# Permissions of the staff pages themselves.
VIEW_ROLE_MATRIX = "staff.view_role_matrix"
PAGE_ACCESS: dict[str, frozenset[str]] = {
    VIEW_ROLE_MATRIX: frozenset({MANAGER}),
}

# The steps of an order, each a permission of its own: support takes orders (and cancels or
# completes them for the customer), finance confirms payment, the warehouse picks, packs and
# ships; the operations manager may stand in for any of them.
STEP_ACCESS: dict[str, frozenset[str]] = {
    CONFIRM_PAYMENT: frozenset({FINANCE, MANAGER}),
    PICK_ORDER: frozenset({WAREHOUSE, MANAGER}),
    PACK_ORDER: frozenset({WAREHOUSE, MANAGER}),
    SHIP_ORDER: frozenset({WAREHOUSE, MANAGER}),
    CANCEL_ORDER: frozenset({SUPPORT, MANAGER}),
    COMPLETE_ORDER: frozenset({SUPPORT, MANAGER}),
    # A supplier bill is approved for payment by finance alone, after its three-way match.
    APPROVE_BILL: frozenset({FINANCE}),
}


def role_permissions(role: str) -> set[str]:
    """Return every permission (``app_label.codename``) the matrix gives ``role``."""
    permissions = set()
    for model, access in MODEL_ACCESS.items():
        app_label, model_name = model.split(".")
        for letter in access.get(role, ""):
            permissions.add(f"{app_label}.{ACTIONS[letter]}_{model_name}")
    permissions |= {s.permission for s in SENSITIVE if role in s.roles}
    permissions |= {
        attribute_use_permission(use)
        for use, roles in ATTRIBUTE_USE_ACCESS.items()
        if role in roles
    }
    permissions |= {p for p, roles in PAGE_ACCESS.items() if role in roles}
    permissions |= {p for p, roles in STEP_ACCESS.items() if role in roles}
    return permissions
