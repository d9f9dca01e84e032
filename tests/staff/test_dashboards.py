"""Role dashboards: each user lands on the panels of their roles that the matrix allows, in a
constant number of queries; the manager's role matrix page shows the rules."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.enums import ProductRole, ProductStatus
from catalog.models import SKU, Product, SellingPoint
from inventory import services as inventory_services
from staff.panels import PANELS
from staff.roles import MODEL_ACCESS, Role, role_permissions
from tests.factories import BrandFactory, SKUFactory, SlotFactory, leaf_category
from tests.staff.support import PASSWORD, leaks

pytestmark = pytest.mark.django_db

ROLES = list(Role.values)


def expected_panels(roles: set[str]) -> list[str]:
    """Return the panels ``PANELS`` gives ``roles`` and the matrix lets them see, in order."""
    permissions = set().union(*(role_permissions(role) for role in roles))
    return [
        panel.key
        for panel in PANELS
        if panel.roles & roles and set(panel.permissions) <= permissions
    ]


def shown_panels(response) -> list[str]:
    return [panel.key for panel, _data in response.context["panels"]]


# --- Landing ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_dashboard_after_logging_in(users, role):
    client = Client()
    response = client.post(reverse("login"), {"username": role, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:dashboard")
    assert response.status_code == 200
    assert "staff/dashboard.html" in [t.name for t in response.templates]
    expected = expected_panels({role})
    assert expected, f"{role} has no panel on its dashboard"
    assert shown_panels(response) == expected
    body = response.content.decode()
    for key in expected:
        assert f'id="panel-{key}"' in body


def test_every_panel_a_role_is_given_is_allowed_by_the_matrix():
    """A panel given to a role that lacks its permissions would silently never show."""
    for panel in PANELS:
        for role in panel.roles:
            missing = set(panel.permissions) - role_permissions(role)
            assert not missing, f"panel {panel.key} is given to {role}, who lacks {missing}"


def test_a_user_with_two_roles_sees_the_panels_of_both(users, client_as):
    user = users["warehouse"]
    user.groups.add(Group.objects.get(name="finance"))
    response = client_as(user).get(reverse("staff:dashboard"))
    assert shown_panels(response) == expected_panels({"warehouse", "finance"})
    assert set(shown_panels(response)) > set(expected_panels({"warehouse"}))


def test_a_superuser_sees_every_panel(db):
    root = User.objects.create_superuser("root", "root@jingxi.local", "root-Pw-4711-x")
    client = Client()
    client.force_login(root)
    assert shown_panels(client.get(reverse("staff:dashboard"))) == [p.key for p in PANELS]


def test_a_staff_user_without_a_role_is_refused_cleanly(db):
    nobody = User.objects.create_user("nobody", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("staff:dashboard")).status_code == 403


def test_panels_follow_the_groups_not_the_role_names(users, client_as):
    """A panel needs its permissions: a role group stripped of them loses the panel."""
    group = Group.objects.get(name="finance")
    group.permissions.remove(*group.permissions.filter(codename="view_cost"))
    response = client_as("finance").get(reverse("staff:dashboard"))
    assert "skus_without_cost" not in shown_panels(response)
    assert "standard_margins" not in shown_panels(response)


# --- Constant query counts ----------------------------------------------------------------


def add_products(n: int, *, start: int, category, brand, slot) -> None:
    """Add ``n`` products of every status and role, one SKU each, low on stock."""
    statuses = [ProductStatus.DRAFT, ProductStatus.READY, ProductStatus.LISTED]
    roles = ProductRole.values
    products = Product.objects.bulk_create(
        Product(
            code=f"PQ{start + i:05d}",
            name=f"查询商品{start + i}",
            category=category,
            brand=brand,
            status=statuses[i % 3],
            role=roles[i % len(roles)],
        )
        for i in range(n)
    )
    SellingPoint.objects.bulk_create(
        SellingPoint(product=p, text=f"卖点 {p.code}", sort_order=k)
        for p in products
        for k in range(2)
    )
    skus = SKU.objects.bulk_create(
        SKU(
            product=p,
            code=f"SQ{p.code}",
            name=p.name,
            retail_price=Decimal("100.00"),
            cost_price=Decimal("60.00") if i % 2 else None,
            warning_level=5,
        )
        for i, p in enumerate(products)
    )
    inventory_services.stock_receive(
        slot=slot,
        lines=[
            inventory_services.ReceiptLine(sku=sku, quantity=2, unit_cost=Decimal("60.00"))
            for sku in skus
        ],
    )


def dashboard_queries(client: Client, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("staff:dashboard"), params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ROLES)
def test_each_dashboard_keeps_a_constant_query_count(
    users, client_as, role, django_assert_max_num_queries
):
    category, brand, slot = leaf_category(), BrandFactory(), SlotFactory()
    client = client_as(role)
    params = {"q": "查询商品"} if role == "support" else {}
    add_products(10, start=0, category=category, brand=brand, slot=slot)
    client.get(reverse("staff:dashboard"), params)  # warm the session and the content types
    with_10 = dashboard_queries(client, params)
    add_products(190, start=10, category=category, brand=brand, slot=slot)
    with django_assert_max_num_queries(with_10):
        response = client.get(reverse("staff:dashboard"), params)
    assert response.status_code == 200
    # The manager's dashboard, with the most panels (finance's three, the inquiry conversion
    # by agent and the running promotions' results included), takes 32.
    assert with_10 <= 32, f"{role}'s dashboard takes {with_10} queries"


# --- Support's product lookup ----------------------------------------------------------------


def test_support_looks_up_selling_points_and_available_stock_never_the_cost(client_as):
    sku = SKUFactory(code="S-LOOKUP", cost_price=Decimal("987.65"), retail_price=Decimal("59.90"))
    SellingPoint.objects.create(product=sku.product, text="续航 30 小时", sort_order=0)
    SellingPoint.objects.create(product=sku.product, text="防水 IPX5", sort_order=1)
    slot = SlotFactory()
    inventory_services.stock_receive(
        slot=slot,
        lines=[inventory_services.ReceiptLine(sku=sku, quantity=9, unit_cost=Decimal("987.65"))],
    )
    inventory_services.stock_reserve(
        warehouse=slot.warehouse, lines=[inventory_services.StockLine(sku=sku, quantity=2)]
    )
    response = client_as("support").get(reverse("staff:dashboard"), {"q": "S-LOOKUP"})
    body = response.content.decode()
    (row,) = response.context["panels"][0][1]["skus"]
    assert row.available == 7
    assert "续航 30 小时" in body and "防水 IPX5" in body
    assert "59.90" in body
    assert not leaks(body)
    # By barcode and by product name too.
    for query in (sku.barcode, sku.product.name):
        found = client_as("support").get(reverse("staff:dashboard"), {"q": query})
        assert [s.code for s in found.context["panels"][0][1]["skus"]] == ["S-LOOKUP"]


def test_the_lookup_finds_nothing_by_cost(client_as):
    SKUFactory(code="S-LOOKUP", cost_price=Decimal("987.65"))
    response = client_as("support").get(reverse("staff:dashboard"), {"q": "987.65"})
    assert response.context["panels"][0][1]["skus"] == []


# --- The manager's role matrix page ----------------------------------------------------------


def test_the_manager_reads_the_role_matrix(client_as):
    response = client_as("manager").get(reverse("staff:role_matrix"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Catalog · SKUs" in body
    assert "Catalog · categories" in body
    assert "Sensitive facts" in body
    assert "cost prices, unit costs, COGS" in body
    assert "Attribute values by use" in body
    rows = [row for rows in response.context["sections"].values() for row in rows]
    sku_row = next(row for row in rows if row.label == "Catalog · SKUs")
    assert sku_row.cells == [MODEL_ACCESS["catalog.sku"].get(r, "") for r in ROLES]
    assert len(response.context["sections"]["models"]) == len(MODEL_ACCESS)


def test_the_manager_finds_the_role_matrix_on_the_dashboard(client_as):
    body = client_as("manager").get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:role_matrix") in body


@pytest.mark.parametrize("role", [r for r in ROLES if r != "manager"])
def test_other_roles_may_not_read_the_role_matrix(client_as, role):
    assert client_as(role).get(reverse("staff:role_matrix")).status_code == 403
    dashboard = client_as(role).get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:role_matrix") not in dashboard
