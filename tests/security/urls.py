"""Every URL of the project, read from the URL resolver and filled with ids of the staff world,
and who may open it according to the role matrix.

``project_urls(world)`` returns one ``Url`` per pattern (admin included); a pattern whose
parameters it cannot fill, or a view it has no rule for, comes back in ``unfilled``, which the
walk asserts is empty: a new URL is covered, or the walk fails and says what to add here.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView
from import_export.admin import ExportMixin, ImportMixin
from simple_history.admin import SimpleHistoryAdmin

from catalog.models import SKU
from finance.models import Invoice, SupplierBill
from orders.access import PICK_ORDER
from orders.models import ChannelListing, Promotion, SalesOrder
from purchasing.models import PurchaseOrder, Supplier
from staff.models import ReportRun, ShelfPin
from staff.roles import MODEL_ACCESS, role_permissions

ANONYMOUS = "anonymous"
MISSING = "missing-4711"


@dataclass
class Url:
    name: str
    path: str
    # role → may it open this URL (GET)? ``None``: no role rule (public or always 404).
    allowed: dict[str, bool | None] = field(default_factory=dict)
    redirect_only: bool = False  # a RedirectView: where it leads decides
    not_found_denies: bool = False  # the admin's app index hides an app as 404
    post_only: bool = False  # a GET is refused (403 or 405) even to a role that may post


def _patterns(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}", pattern


def _model_admin(callback):
    found = getattr(callback, "model_admin", None)
    if found is None:
        found = getattr(getattr(callback, "__wrapped__", None), "__self__", None)
    return found if isinstance(found, admin.ModelAdmin) else None


def _letters(role: str, label: str) -> str:
    return MODEL_ACCESS.get(label, {}).get(role, "")


def _superuser_request():
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


# Pages outside the admin: URL name → the permission (or rule) a role needs to open them.
def _page_rules(world) -> dict[str, object]:
    return {
        "staff:dashboard": True,
        "staff:role_matrix": "staff.view_role_matrix",
        # The product page and the flow board: every role reads products (each its part).
        "staff:product": "catalog.view_product",
        "staff:product_flow": "catalog.view_product",
        # The attribute application table: every role reads it (the form only to editors).
        "catalog:attribute_tree": (
            "catalog.view_category",
            "catalog.view_attribute",
            "catalog.view_categoryattribute",
        ),
        "catalog:attribute_table": (
            "catalog.view_category",
            "catalog.view_attribute",
            "catalog.view_categoryattribute",
        ),
        "staff:product_search": "catalog.view_product",
        # The shelf plan (WEB货架): every reader of products; pins: who may change them.
        "staff:shelf": "catalog.view_product",
        "staff:shelf_plan_json": "catalog.view_product",
        "staff:shelf_pin": "staff.change_shelfpin",
        "staff:shelf_unpin": "staff.change_shelfpin",
        # The world's run is a restock run: its workbook holds unit costs.
        "staff:report_run_file": ("staff.view_reportrun", "catalog.view_cost"),
        # The report pages (filled with the restock kind): every reader of runs has a version
        # of it (the one without costs); "run now" builds the reader's version.
        "staff:report": "staff.view_reportrun",
        "staff:report_run_now": "staff.view_reportrun",
        "staff:report_run_progress": ("staff.view_reportrun", "catalog.view_cost"),
        "inventory:stock_overview": "inventory.view_warehousestock",
        "inventory:low_stock": "inventory.view_warehousestock",
        "inventory:pick_list": "inventory.view_reservation",
        "purchasing:order": "purchasing.view_purchaseorder",
        "purchasing:receive": "purchasing.add_receipt",
        "purchasing:supplier": "purchasing.view_supplier",
        "purchasing:restock": ("purchasing.add_purchaseorder", "catalog.view_cost"),
        "purchasing:candidates": (
            "purchasing.add_purchaseorder",
            "catalog.view_cost",
            "catalog.view_margin",
        ),
        "purchasing:choice": "purchasing.view_supplieroffer",
        "orders:order_list": "orders.view_salesorder",
        "orders:order_new": "orders.add_salesorder",
        "orders:order_detail": "orders.view_salesorder",
        "orders:pack": "orders.view_packingcheck",
        "orders:order_return": "orders.add_return",
        "orders:order_action": "orders.confirm_payment",  # filled with the "pay" step
        "orders:listings_unmatched": "orders.view_channellisting",
        "orders:listing_resolve": "orders.change_channellisting",
        "orders:waves": PICK_ORDER,
        "orders:logistics_errors": "orders.view_packingcheck",
        "orders:reviews": "orders.view_review",
        "orders:inquiries": "orders.view_inquiry",
        "orders:customer_segments": "orders.view_customer",
        "orders:customer_segments_xlsx": "orders.view_customer",
        "orders:promotions": "orders.view_promotionspend",
        "orders:promotion_detail": "orders.view_promotionspend",
        "finance:margins": ("catalog.view_cost", "catalog.view_margin"),
        "finance:pnl": ("catalog.view_cost", "catalog.view_margin"),
        "finance:valuation": "catalog.view_cost",
        "finance:productline": ("catalog.view_cost", "catalog.view_margin"),
        "finance:kpi": ("catalog.view_cost", "catalog.view_margin"),
        "finance:structure": "catalog.view_product",
        "finance:month_ends": "finance.view_monthend",
        "finance:month_end_close": "finance.add_monthend",
        "finance:bill_list": "finance.view_supplierbill",
        "finance:bill_detail": "finance.view_supplierbill",
        "finance:bill_approve": "finance.approve_supplierbill",
        "finance:bill_cancel": "finance.change_supplierbill",
        "finance:bill_pay": "finance.add_supplierpayment",
        "finance:orders_to_bill": "finance.view_supplierbill",
        "finance:bill_new": "finance.add_supplierbill",
        "finance:payables_ageing": "finance.view_supplierbill",
        "finance:payables_ageing_xlsx": "finance.view_supplierbill",
        # Receivables: finance records, the manager reads; credit holds need credit terms.
        "finance:receivables_ageing": "finance.view_invoice",
        "finance:invoice_list": "finance.view_invoice",
        "finance:invoices_issue": "finance.add_invoice",
        "finance:invoice_detail": "finance.view_invoice",
        "finance:credit_note_create": "finance.add_creditnote",
        "finance:credit_holds": "orders.view_customer_credit",
        "finance:credit_hold_release": "orders.confirm_payment",
        "finance:prices": "catalog.view_historicalsku",
        "login": None,
        "logout": None,
        "password_change": True,
        "password_change_done": True,
        "set_language": None,
        "healthz": None,  # public by design: the load balancer asks it
    }


# Path parameters of the pages outside the admin: URL name → parameter → value.
def _page_values(world) -> dict[str, dict[str, str]]:
    order = world.objects[SalesOrder].pk
    purchase = world.objects[PurchaseOrder].pk
    bill = SupplierBill.objects.order_by("pk").first().pk
    return {
        "staff:report_run_file": {"pk": world.objects[ReportRun].pk},
        "staff:product": {"pk": world.product.pk},
        "catalog:attribute_table": {"pk": world.product.category_id},
        "staff:shelf_unpin": {"pk": world.objects[ShelfPin].pk},
        "staff:report": {"kind": "restock"},
        "staff:report_run_now": {"kind": "restock"},
        "staff:report_run_progress": {"pk": world.objects[ReportRun].pk},
        "orders:order_detail": {"pk": order},
        "orders:pack": {"pk": order},
        "orders:order_return": {"pk": order},
        "orders:order_action": {"pk": order, "action": "pay"},
        "orders:listing_resolve": {"pk": world.objects[ChannelListing].pk},
        "orders:promotion_detail": {"pk": Promotion.objects.order_by("pk").first().pk},
        "finance:invoice_detail": {"pk": world.objects[Invoice].pk},
        "finance:credit_note_create": {"pk": world.objects[Invoice].pk},
        "finance:credit_hold_release": {"pk": order},
        "purchasing:order": {"pk": purchase},
        "purchasing:receive": {"pk": purchase},
        "purchasing:supplier": {"pk": world.objects[Supplier].pk},
        "finance:bill_detail": {"pk": bill},
        "finance:bill_approve": {"pk": bill},
        "finance:bill_cancel": {"pk": bill},
        "finance:bill_pay": {"pk": bill},
        "finance:bill_new": {"pk": purchase},
    }


PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")
UNNAMED_GROUP = re.compile(r"\((?!\?)[^)]*\)")


def _fill(route: str, values: dict[str, object], positional: list[object]) -> str:
    """Replace the route's parameters by ``values`` (named) and ``positional`` (groups)."""
    route = route.replace("^", "").replace("$", "")
    missing = []

    def named(match):
        name = match.group("name") or match.group("group")
        if name not in values:
            missing.append(name)
            return ""
        return str(values[name])

    path = PARAMETER.sub(named, route)
    groups = iter(positional)

    def unnamed(_match):
        try:
            return str(next(groups))
        except StopIteration:
            missing.append("(unnamed group)")
            return ""

    path = UNNAMED_GROUP.sub(unnamed, path)
    if missing:
        raise LookupError(", ".join(missing))
    return "/" + path


def _admin_rule(model_admin, suffix: str, obj, role: str) -> bool | None:
    """Return whether the matrix lets ``role`` open the admin page ``suffix`` of a model."""
    label = model_admin.model._meta.label_lower
    access = _letters(role, label)
    everyone = _superuser_request()
    if suffix in ("changelist", "change", "redirect"):
        return bool(set(access) & {"v", "c"})
    if suffix == "add":
        return "a" in access and model_admin.has_add_permission(everyone)
    if suffix == "delete":
        return "d" in access and model_admin.has_delete_permission(everyone, obj)
    if suffix in ("history", "simple_history"):
        if isinstance(model_admin, SimpleHistoryAdmin):
            return "v" in _letters(role, obj.history.model._meta.label_lower)
        return bool(set(access) & {"v", "c"})
    if suffix in ("import", "process_import", "import_template", "import_job", "import_status"):
        return isinstance(model_admin, ImportMixin) and "a" in access and "c" in access
    if suffix == "export":
        return isinstance(model_admin, ExportMixin) and "v" in access
    if suffix == "password_change":
        return "c" in access and not obj.is_superuser
    raise LookupError(f"no rule for the admin page {suffix!r} of {label}")


def _admin_values(model_admin, suffix: str, obj) -> tuple[dict, list]:
    values: dict[str, object] = {"object_id": obj.pk, "id": obj.pk, "job_id": MISSING}
    positional: list[object] = []
    if suffix == "simple_history":
        record = obj.history.order_by("-history_id").first()
        positional = [obj.pk, record.history_id]
    return values, positional


def _site_url(name: str, route: str, world, roles: list[str]) -> Url:
    """The admin site's own pages (index, login, autocomplete …)."""
    sku = world.sku
    if name == "admin:app_list":
        url = Url(name, "/admin/catalog/", not_found_denies=True)
        url.allowed = {
            role: any(
                label.startswith("catalog.") and _letters(role, label) for label in MODEL_ACCESS
            )
            for role in roles
        }
        return url
    if name == "admin:view_on_site":
        content_type = ContentType.objects.get_for_model(SKU)
        return Url(name, f"/admin/r/{content_type.pk}/{sku.pk}/", dict.fromkeys(roles))
    if name == "admin:autocomplete":
        query = {"app_label": "catalog", "model_name": "bundlecomponent"}
        query |= {"field_name": "component", "term": "S-"}
        path = "/admin/autocomplete/?" + urlencode(query)
        return Url(name, path, {role: "v" in _letters(role, "catalog.sku") for role in roles})
    if name == "admin:":  # the catch-all: an admin URL that does not exist
        return Url(name, "/admin/nowhere/", dict.fromkeys(roles))
    known = {
        "admin:index": True,
        "admin:login": None,
        "admin:logout": None,
        "admin:password_change": True,
        "admin:password_change_done": True,
        "admin:jsi18n": True,
    }
    if name not in known:
        raise LookupError(f"no rule for the admin site page {name}")
    return Url(name, _fill(route, {}, []), dict.fromkeys(roles, known[name]))


def _allowed(rule, role: str) -> bool | None:
    if rule is None or rule is True:
        return rule
    needed = (rule,) if isinstance(rule, str) else rule
    return set(needed) <= role_permissions(role)


def project_urls(world, roles: list[str]) -> tuple[list[Url], list[str]]:
    """Return every URL of the project filled for the world, and the patterns it could not."""
    urls: list[Url] = []
    unfilled: list[str] = []
    rules, page_values = _page_rules(world), _page_values(world)
    for route, name, pattern in _patterns():
        try:
            model_admin = _model_admin(pattern.callback)
            if model_admin is not None:
                opts = model_admin.model._meta
                prefix = f"admin:{opts.app_label}_{opts.model_name}_"
                obj = world.objects[model_admin.model]
                if obj is None:
                    raise LookupError(f"build_world makes no {opts.label}")
                redirect_only = getattr(pattern.callback, "view_class", None) is RedirectView
                if name.startswith(prefix):
                    suffix = name.removeprefix(prefix)
                elif redirect_only:
                    suffix = "redirect"
                else:
                    raise LookupError(f"admin URL {name!r} outside its model's names")
                values, positional = _admin_values(model_admin, suffix, obj)
                url = Url(name or route, _fill(route, values, positional))
                url.redirect_only = redirect_only
                url.post_only = suffix == "process_import"
                url.allowed = {role: _admin_rule(model_admin, suffix, obj, role) for role in roles}
            elif name.startswith("admin:"):
                url = _site_url(name, route, world, roles)
            else:
                if name not in rules:
                    raise LookupError(f"no rule for {name!r}: add it to _page_rules")
                path = _fill(route, page_values.get(name, {}), [])
                url = Url(name, path, {role: _allowed(rules[name], role) for role in roles})
        except LookupError as error:
            unfilled.append(f"{route} ({name}): {error}")
            continue
        if ANONYMOUS in url.allowed and url.allowed[ANONYMOUS] is not None:
            url.allowed[ANONYMOUS] = False  # only the public pages (rule None) let visitors in
        urls.append(url)
    return urls, unfilled
