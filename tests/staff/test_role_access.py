"""The walk: every role through every admin model and every staff page.

(a) What the matrix allows answers 200; the rest answers 403 or a redirect to a login page,
and nothing answers 500. (b) No page, JSON answer, filter count or export served to a role
without ``catalog.view_cost`` reveals a cost: the world's SKU costs 987.65, its lot and moves
too, and a bundle of two of it costs 1975.30. A model that is registered in the admin later
is walked automatically; one missing from the matrix fails ``test_role_matrix``.

The world is built once for the module, in a transaction rolled back at the end.
"""

from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.core.management import get_commands
from django.db import models
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from simple_history.admin import SimpleHistoryAdmin

from catalog.enums import AttributeUse
from inventory.models import Warehouse
from orders.access import PICK_ORDER
from orders.models import SalesOrder
from purchasing.models import PurchaseOrder, Supplier
from staff.roles import ATTRIBUTE_USE_ACCESS, MODEL_ACCESS, Role, role_permissions
from tests.staff.support import (
    BUNDLE_COST,
    COST,
    COST_ROLES,
    World,
    attribute_marker,
    leaks,
)

ROLES = list(Role.values)
BLIND_ROLES = [role for role in ROLES if role not in COST_ROLES]
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
LABELS = [model._meta.label_lower for model in REGISTERED]
LOGIN_PATHS = {"/admin/login/", "/accounts/login/"}


# --- What a page is and who may see it --------------------------------------------------


@dataclass
class Page:
    name: str
    url: str
    allowed: bool


def letters(role: str, label: str) -> str:
    return MODEL_ACCESS.get(label, {}).get(role, "")


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def admin_pages(model_admin, obj, role: str) -> list[Page]:
    """Return the admin pages of one model and whether the matrix lets ``role`` open them."""
    opts = model_admin.model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    access = letters(role, opts.label_lower)
    # Admins of ledgers and logs add or delete nothing, whoever asks: the matrix may grant
    # more than such an admin offers, never the reverse.
    everyone = _superuser_request()
    can_add = "a" in access and model_admin.has_add_permission(everyone)
    can_delete = "d" in access and model_admin.has_delete_permission(everyone, obj)
    pages = [
        Page("changelist", reverse(f"{name}_changelist"), "v" in access),
        Page("add", reverse(f"{name}_add"), can_add),
        Page("change", reverse(f"{name}_change", args=[obj.pk]), "v" in access),
        Page("delete", reverse(f"{name}_delete", args=[obj.pk]), can_delete),
    ]
    if isinstance(model_admin, SimpleHistoryAdmin):
        history = obj.history.model._meta
        allowed = "v" in letters(role, history.label_lower)
        record = obj.history.order_by("-history_id").first()
        pages += [
            Page("history", reverse(f"{name}_history", args=[obj.pk]), allowed),
            Page(
                "history record",
                reverse(f"{name}_simple_history", args=[obj.pk, record.history_id]),
                allowed,
            ),
        ]
    else:
        pages.append(Page("history", reverse(f"{name}_history", args=[obj.pk]), "v" in access))
    try:
        url = reverse(f"{name}_password_change", args=[obj.pk])
    except NoReverseMatch:
        pass
    else:
        pages.append(Page("password", url, "c" in access and not obj.is_superuser))
    return pages


def is_denied(response) -> bool:
    if response.status_code == 403:
        return True
    return response.status_code == 302 and urlparse(response["Location"]).path in LOGIN_PATHS


def check(client: Client, page: Page, role: str, problems: list[str]) -> None:
    response = client.get(page.url)
    status = response.status_code
    if page.allowed and status != 200:
        problems.append(f"{page.name} {page.url}: allowed, answered {status}")
    elif not page.allowed and not is_denied(response):
        problems.append(f"{page.name} {page.url}: not allowed, answered {status}")
    if role not in COST_ROLES:
        found = leaks(response.content.decode())
        if found:
            problems.append(f"{page.name} {page.url}: shows {found} to {role}")


# --- (a) + (b): the admin, model by model ------------------------------------------------


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_as_the_matrix_says_and_hide_costs(world, login, role, label):
    model = apps.get_model(label)
    obj = world.objects[model]
    assert obj is not None, f"build_world must create a {label} for the walk"
    client = login(role)
    problems: list[str] = []
    for page in admin_pages(admin.site._registry[model], obj, role):
        check(client, page, role, problems)
    assert not problems, f"{role} on {label}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_admin_index_lists_only_the_models_the_role_may_view(world, login, role):
    response = login(role).get(reverse("admin:index"))
    assert response.status_code == 200
    listed = {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }
    viewable = {label for label in LABELS if "v" in letters(role, label)}
    assert listed == viewable
    if role not in COST_ROLES:
        assert not leaks(response.content.decode())


@pytest.mark.parametrize("role", sorted(COST_ROLES))
def test_cost_roles_see_the_cost_of_the_sku_its_bundle_and_its_lot(world, login, role):
    client = login(role)
    sku_page = client.get(reverse("admin:catalog_sku_change", args=[world.sku.pk]))
    assert str(COST) in sku_page.content.decode()
    bundle_page = client.get(reverse("admin:catalog_sku_change", args=[world.bundle.pk]))
    assert str(BUNDLE_COST) in bundle_page.content.decode()
    assert str(COST) in bundle_page.content.decode()  # the component's cost price
    product_page = client.get(reverse("admin:catalog_product_change", args=[world.product.pk]))
    assert str(COST) in product_page.content.decode()  # the SKU row's cost price
    lots = client.get(reverse("admin:inventory_lot_changelist"))
    assert str(COST) in lots.content.decode()


@pytest.mark.parametrize("role", BLIND_ROLES)
def test_other_roles_see_the_sku_without_its_cost_but_with_its_logistics(world, login, role):
    page = login(role).get(reverse("admin:catalog_sku_change", args=[world.sku.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert world.sku.barcode in body and "1234" in body  # barcode and weight (g)
    assert not leaks(body)
    assert "cost_price" not in page.context["adminform"].form.fields


def test_a_user_with_two_roles_sees_the_union(world, db):
    user = User.objects.create_user("two-hats", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=["warehouse", "finance"]))
    client = Client()
    client.force_login(user)
    sku_page = client.get(reverse("admin:catalog_sku_change", args=[world.sku.pk]))
    assert str(COST) in sku_page.content.decode()
    product_page = client.get(reverse("admin:catalog_product_change", args=[world.product.pk]))
    body = product_page.content.decode()
    for use in AttributeUse.values:
        entitled = {"warehouse", "finance"} & ATTRIBUTE_USE_ACCESS[use]
        assert (attribute_marker(use, "product") in body) == bool(entitled), use
    assert client.get(reverse("admin:inventory_slot_add")).status_code == 200  # warehouse's


def test_a_superuser_sees_every_fact(world, db):
    client = Client()
    client.force_login(User.objects.get(username="root"))
    body = client.get(
        reverse("admin:catalog_product_change", args=[world.product.pk])
    ).content.decode()
    assert str(COST) in body
    assert all(attribute_marker(use, "product") in body for use in AttributeUse.values)


def test_history_pages_hide_the_cost_from_a_reader_without_it(world, login):
    """Were a role given the SKU history without the cost, its pages would still hide it."""
    group = Group.objects.get(name="warehouse")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="catalog", codename="view_historicalsku")
    )
    client = login("warehouse")
    record = world.sku.history.order_by("-history_id").first()
    for url in (
        reverse("admin:catalog_sku_history", args=[world.sku.pk]),
        reverse("admin:catalog_sku_simple_history", args=[world.sku.pk, record.history_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaks(response.content.decode()), url
        assert "Cost price" not in response.content.decode(), url
    manager = login("manager").get(reverse("admin:catalog_sku_history", args=[world.sku.pk]))
    assert str(COST) in manager.content.decode()  # the check above can fail


# --- (b) Filters, search and autocomplete must not count by cost -------------------------


def cost_fields() -> list[tuple[type[models.Model], str]]:
    """Return every stored cost or margin: the money columns named after them."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
        and ("cost" in field.name or "margin" in field.name)
    ]


def cost_lookups(model) -> list[str]:
    """Return the lookups from ``model`` to a cost, directly or over one relation."""
    targets = cost_fields()
    lookups = [name for target, name in targets if target is model]
    for relation in model._meta.get_fields():
        if not relation.is_relation or relation.related_model is None:
            continue
        lookups += [
            f"{relation.name}__{name}"
            for target, name in targets
            if target is relation.related_model
        ]
    return lookups


def result_count(response) -> int | None:
    """Return the rows a changelist answer reveals, or None when it refused the query."""
    if response.status_code != 200:
        return None
    return response.context["cl"].result_count


@dataclass
class Probe:
    hit: dict  # matches the world's cost
    miss: dict  # the same query, missing it
    scan: bool  # False when the page echoes 987.65 from the query itself


def probes(model_admin) -> list[Probe]:
    result = []
    for lookup in cost_lookups(model_admin.model):
        result += [
            Probe({lookup: "987.65"}, {lookup: "987.64"}, scan=False),
            Probe(
                {f"{lookup}__gt": "987.64", f"{lookup}__lt": "987.66"},
                {f"{lookup}__gt": "987.66", f"{lookup}__lt": "987.67"},
                scan=True,
            ),
        ]
    if model_admin.search_fields:
        result += [
            Probe({"q": "987.65"}, {"q": "987.64"}, scan=False),
            Probe({"q": "987.6"}, {"q": "987.7"}, scan=True),
        ]
    return result


def test_every_admin_declares_the_costs_it_shows_as_sensitive():
    """A cost column, field or display method of an admin or inline is guarded by
    ``catalog.access.FieldAccessMixin``: a plain admin shows it to every role."""
    request = _superuser_request()
    undeclared = []
    for model_admin in admin.site._registry.values():
        for holder in [model_admin, *model_admin.get_inline_instances(request)]:
            names = {name for target, name in cost_fields() if target is holder.model}
            shown = [
                *holder.get_fields(request),
                *holder.get_readonly_fields(request),
                *getattr(holder, "list_display", []),
            ]
            names |= {
                name
                for name in shown
                if isinstance(name, str) and ("cost" in name or "margin" in name)
            }
            declared = set(getattr(holder, "sensitive_fields", {}))
            undeclared += [f"{type(holder).__name__}.{name}" for name in sorted(names - declared)]
    assert not undeclared, (
        "Costs shown without a sensitive_fields entry (FieldAccessMixin): " + ", ".join(undeclared)
    )


@pytest.mark.parametrize("role", ROLES)
def test_changelist_filters_and_search_do_not_count_by_cost(world, login, role):
    client = login(role)
    problems = []
    for model in REGISTERED:
        model_admin = admin.site._registry[model]
        if "v" not in letters(role, model._meta.label_lower):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for probe in probes(model_admin):
            hit = client.get(url, probe.hit)
            assert hit.status_code < 500, (url, probe)
            if role in COST_ROLES:
                continue
            miss = client.get(url, probe.miss)
            query = f"{url}?{urlencode(probe.hit)}"
            found = leaks(hit.content.decode()) if probe.scan else []
            if found:
                problems.append(f"{query} shows {found}")
            if result_count(hit) != result_count(miss):
                problems.append(
                    f"{query} finds {result_count(hit)} rows, ?{urlencode(probe.miss)} finds "
                    f"{result_count(miss)}: the count reveals the cost"
                )
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_a_cost_role_finds_the_sku_by_its_cost(world, login):
    """The probe above can fail: filtering by cost works for who may see it."""
    client = login("finance")
    url = reverse("admin:catalog_sku_changelist")
    assert result_count(client.get(url, {"cost_price": "987.65"})) == 1
    assert result_count(client.get(url, {"cost_price": "987.64"})) == 0


def autocomplete_sources() -> list[dict]:
    """Return the autocomplete query of every relation to a model the admin can search."""
    sources = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            remote_admin = admin.site._registry.get(field.related_model)
            if remote_admin is None or not remote_admin.search_fields:
                continue
            sources.append(
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                }
            )
    return sources


def autocomplete_ids(response) -> set[str] | None:
    return {r["id"] for r in response.json()["results"]} if response.status_code == 200 else None


@pytest.mark.parametrize("role", ROLES)
def test_autocomplete_answers_show_no_cost_and_do_not_search_by_it(world, login, role):
    client = login(role)
    url = reverse("admin:autocomplete")
    problems = []
    for source in autocomplete_sources():
        everything = client.get(url, {**source, "term": ""})
        assert everything.status_code in (200, 403, 404), (source, everything.status_code)
        if role in COST_ROLES:
            continue
        hit = client.get(url, {**source, "term": "987.65"})
        miss = client.get(url, {**source, "term": "987.64"})
        for response in (hit, miss):
            assert response.status_code in (200, 403, 404), (source, response.status_code)
        for response in (everything, hit):
            found = leaks(response.content.decode())
            if found:
                problems.append(f"{source}: shows {found}")
        if autocomplete_ids(hit) != autocomplete_ids(miss):
            problems.append(f"{source}: the term 987.65 finds {autocomplete_ids(hit)}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_the_sku_autocomplete_of_bundle_components_answers(world, login):
    """The walk above does reach the SKU autocomplete (it is not all 403/404)."""
    response = login("warehouse").get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "bundlecomponent", "field_name": "component"},
    )
    assert response.status_code == 200
    assert world.sku.code in {r["text"].split()[0] for r in response.json()["results"]}


# --- Attribute values follow the uses they serve -----------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_attribute_values_are_shown_to_the_roles_their_use_serves(world, login, role):
    client = login(role)
    product_page = client.get(reverse("admin:catalog_product_change", args=[world.product.pk]))
    sku_page = client.get(reverse("admin:catalog_sku_change", args=[world.sku.pk]))
    assert product_page.status_code == sku_page.status_code == 200
    wrong = []
    for use in AttributeUse.values:
        entitled = role in ATTRIBUTE_USE_ACCESS[use]
        for owner, page in (("product", product_page), ("sku", sku_page)):
            shown = attribute_marker(use, owner) in page.content.decode()
            if shown != entitled:
                wrong.append(f"{use} value on the {owner} page: shown={shown}")
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_a_finance_attribute_is_for_finance_and_a_warehouse_attribute_for_the_warehouse(
    world, login
):
    """The same rule, spelled out for the two uses the issue names."""
    finance_value = attribute_marker(AttributeUse.FINANCE, "product")
    warehouse_value = attribute_marker(AttributeUse.WAREHOUSE, "product")
    url = reverse("admin:catalog_product_change", args=[world.product.pk])
    pages = {role: login(role).get(url).content.decode() for role in ROLES}
    assert finance_value in pages["finance"]
    assert finance_value not in pages["warehouse"]
    assert finance_value not in pages["support"]
    assert warehouse_value in pages["warehouse"]
    assert warehouse_value not in pages["marketer"]


# --- Staff pages, login pages, and anonymous visitors ------------------------------------


def staff_pages(world: World, role: str) -> list[Page]:
    return [
        Page("dashboard", reverse("staff:dashboard"), True),
        Page("lookup", reverse("staff:dashboard") + "?q=" + world.sku.code, True),
        Page("lookup by cost", reverse("staff:dashboard") + "?q=987.6", True),
        Page("lookup by name", reverse("staff:dashboard") + "?q=世界", True),
        Page("role matrix", reverse("staff:role_matrix"), role == "manager"),
        Page("password change", reverse("password_change"), True),
        Page("password changed", reverse("password_change_done"), True),
        Page("login", reverse("login"), True),
        Page("admin index", reverse("admin:index"), True),
        *inventory_pages(world, role),
        *purchasing_pages(world, role),
        *workbook_pages(role),
        *order_pages(world, role),
    ]


def purchasing_pages(world: World, role: str) -> list[Page]:
    order = world.objects[PurchaseOrder]
    supplier = world.objects[Supplier]
    orders = "v" in letters(role, "purchasing.purchaseorder")
    receipts = "a" in letters(role, "purchasing.receipt")
    buyer = "a" in letters(role, "purchasing.purchaseorder") and role in COST_ROLES
    return [
        Page("purchase order", reverse("purchasing:order", args=[order.pk]), orders),
        Page("receive", reverse("purchasing:receive", args=[order.pk]), receipts),
        Page(
            "supplier",
            reverse("purchasing:supplier", args=[supplier.pk]),
            "v" in letters(role, "purchasing.supplier"),
        ),
        Page("restock", reverse("purchasing:restock"), buyer),
        Page("candidates", reverse("purchasing:candidates"), buyer),
        Page(
            "supplier choice",
            reverse("purchasing:choice") + f"?sku={world.sku.code}&quantity=3",
            "v" in letters(role, "purchasing.supplieroffer"),
        ),
        Page("candidates, high", reverse("purchasing:candidates") + "?high_margin=on", buyer),
    ]


def workbook_pages(role: str) -> list[Page]:
    """The workbook import and export pages (SKU, category, supplier, supplier offer); the
    template is a workbook, checked in tests/catalog/test_workbook_admin.py."""
    pages = []
    for model in (
        "catalog.sku",
        "catalog.category",
        "purchasing.supplier",
        "purchasing.supplieroffer",
    ):
        access = letters(role, model)
        importer = "a" in access and "c" in access
        name = model.replace(".", "_")
        pages += [
            Page(f"{model} import", reverse(f"admin:{name}_import"), importer),
            Page(f"{model} export", reverse(f"admin:{name}_export"), "v" in access),
        ]
    return pages


def inventory_pages(world: World, role: str) -> list[Page]:
    stock = letters(role, "inventory.warehousestock") != ""
    picking = letters(role, "inventory.reservation") != ""
    overview = reverse("inventory:stock_overview")
    pick_list = reverse("inventory:pick_list")
    warehouse = world.objects[Warehouse].pk
    return [
        Page("stock overview", overview, stock),
        Page("stock search", overview + "?q=" + world.sku.code, stock),
        Page("stock search by cost", overview + "?q=987.6", stock),
        Page("low stock", reverse("inventory:low_stock"), stock),
        Page("pick list form", pick_list, picking),
        Page("pick list", f"{pick_list}?warehouse={warehouse}", picking),
    ]


def order_pages(world: World, role: str) -> list[Page]:
    order = world.objects[SalesOrder].pk
    orders = "v" in letters(role, "orders.salesorder")
    checks = "v" in letters(role, "orders.packingcheck")
    return [
        Page("orders", reverse("orders:order_list"), orders),
        Page("order search", reverse("orders:order_list") + "?q=987.6&status=shipped", orders),
        Page("order", reverse("orders:order_detail", args=[order]), orders),
        Page("new order", reverse("orders:order_new"), "a" in letters(role, "orders.salesorder")),
        Page(
            "unmatched listings",
            reverse("orders:listings_unmatched"),
            "v" in letters(role, "orders.channellisting"),
        ),
        Page("waves", reverse("orders:waves"), PICK_ORDER in role_permissions(role)),
        Page("pack", reverse("orders:pack", args=[order]), checks),
        Page(
            "return",
            reverse("orders:order_return", args=[order]),
            "a" in letters(role, "orders.return"),
        ),
        Page("logistics errors", reverse("orders:logistics_errors"), checks),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_answer_as_the_matrix_says_and_hide_costs(world, login, role):
    client = login(role)
    problems: list[str] = []
    for page in staff_pages(world, role):
        check(client, page, role, problems)
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_anonymous_visitors_are_sent_to_a_login_page(world, db, client):
    urls = [page.url for page in staff_pages(world, "anonymous") if page.name != "login"]
    for model in REGISTERED:
        obj = world.objects[model]
        urls += [page.url for page in admin_pages(admin.site._registry[model], obj, "-")]
    urls.append(
        reverse("admin:autocomplete") + "?app_label=catalog&model_name=sku&field_name=product"
    )
    for url in urls:
        response = client.get(url)
        assert is_denied(response), (url, response.status_code)
    assert client.get(reverse("login")).status_code == 200


# --- History: revert needs the right to change -------------------------------------------


def test_a_view_only_history_cannot_revert_the_product(world, login):
    """Finance reads product history but may not change products: no revert through it."""
    product = world.product
    first = product.history.order_by("history_id").first()
    product.name = "改过的名字"
    product.save()
    client = login("finance")
    url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.history_id])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    response = client.post(url, data)
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name == "改过的名字"


# --- Exports --------------------------------------------------------------------------------


def export_admins() -> list:
    """Return the model admins that offer a django-import-export export."""
    from import_export.admin import ExportMixin

    return [a for a in admin.site._registry.values() if isinstance(a, ExportMixin)]


def export_leaks(content: bytes, content_type: str) -> list[str]:
    """Return the sensitive texts in an exported file (xlsx cells, or text formats)."""
    if "spreadsheetml" in content_type:
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = (
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
        return leaks("\n".join(cells))
    return leaks(content.decode("utf-8", errors="replace"))


@pytest.mark.parametrize("role", BLIND_ROLES)
def test_exports_hide_costs_from_roles_without_them(world, login, role, tmp_path):
    exporters = export_admins()
    assert exporters, "no admin offers an export: the role check below would prove nothing"
    commands = get_commands()
    assert {"export_catalog", "export_suppliers"} <= set(commands)
    client = login(role)
    for model_admin in exporters:
        opts = model_admin.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_export")
        response = client.get(url)
        if response.status_code != 200:
            assert is_denied(response), (url, response.status_code)
            continue
        form = response.context["form"]
        data = {name: form[name].value() for name in form.fields}
        formats = dict(form.fields["format"].choices)
        data["format"] = next(k for k, v in formats.items() if "xlsx" in str(v).lower())
        exported = client.post(url, data)
        assert exported.status_code == 200, url
        assert not export_leaks(exported.content, exported["Content-Type"]), url
    from django.core.management import call_command

    out = tmp_path / f"catalog-{role}.xlsx"
    call_command("export_catalog", str(out), role=role)
    assert not export_leaks(out.read_bytes(), "spreadsheetml"), role
    if "v" in letters(role, "purchasing.supplier"):  # the role matrix says who sees suppliers
        out = tmp_path / f"suppliers-{role}.xlsx"
        call_command("export_suppliers", str(out), role=role)
        assert not export_leaks(out.read_bytes(), "spreadsheetml"), role
