"""Sensitive facts stay with the roles that hold them, wherever a request reaches:

- no page, JSON answer, CSV or xlsx a role can open shows a cost (987.65 in the world) to a
  role without ``catalog.view_cost``, nor a customer's credit limit (50000.00) to a role
  without ``orders.view_customer_credit``;
- a field hidden from a role's form is refused when posted anyway (no mass assignment);
- ids of records a role may not see are refused (403), never served.

(The admin export forms are posted role by role in tests/staff/test_role_access.py.)
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from catalog.access import VIEW_COST
from orders.access import VIEW_CUSTOMER_CREDIT
from orders.models import Customer
from staff.roles import MODEL_ACCESS, Role, role_permissions
from tests.staff.support import admin_form_data, leaks

CREDIT_TEXTS = ("50000.00", "50,000.00", "50000,00")
BLIND_TO_COST = [r for r in Role.values if VIEW_COST not in role_permissions(r)]
BLIND_TO_CREDIT = [r for r in Role.values if VIEW_CUSTOMER_CREDIT not in role_permissions(r)]


def body_text(response) -> str:
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("role", sorted(set(BLIND_TO_COST) | set(BLIND_TO_CREDIT)))
def test_no_response_a_role_opens_shows_a_fact_it_may_not_see(world, db, urls, role):
    client = Client(raise_request_exception=False)
    client.force_login(world.users[role])
    problems = []
    opened = 0
    for url in urls:
        if not url.allowed.get(role) or "logout" in url.name:
            continue
        response = client.get(url.path)
        if response.status_code != 200:
            continue
        opened += 1
        text = body_text(response)
        if role in BLIND_TO_COST and (found := leaks(text)):
            problems.append(f"{url.path}: cost {found}")
        if role in BLIND_TO_CREDIT and (found := [t for t in CREDIT_TEXTS if t in text]):
            problems.append(f"{url.path}: credit {found}")
    assert opened > 10, (role, opened)
    assert not problems, f"{role}:\n" + "\n".join(problems)


# --- Mass assignment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [r for r in BLIND_TO_COST if "c" in MODEL_ACCESS["catalog.sku"].get(r, "")]
)
def test_a_cost_posted_by_a_role_that_cannot_see_it_is_ignored(world, login, role):
    sku = world.sku
    client = login(role)
    url = reverse("admin:catalog_sku_change", args=[sku.pk])
    page = client.get(url)
    assert page.status_code == 200 and "cost_price" not in page.context["adminform"].form.fields
    data = admin_form_data(page) | {"cost_price": "1.00", "bundle_cost": "1.00"}
    response = client.post(url, data)
    assert response.status_code in (200, 302)
    sku.refresh_from_db()
    assert sku.cost_price == Decimal("987.65")


@pytest.mark.parametrize(
    "role",
    [r for r in BLIND_TO_CREDIT if "c" in MODEL_ACCESS["orders.customer"].get(r, "")],
)
def test_a_credit_limit_posted_by_a_role_without_credit_is_ignored(world, login, role):
    customer = world.objects[Customer]
    client = login(role)
    url = reverse("admin:orders_customer_change", args=[customer.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "credit_limit" not in page.context["adminform"].form.fields
    data = admin_form_data(page) | {"credit_limit": "99999999.00", "payment_days": "999"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("50000.00") and customer.payment_days == 30


def test_roles_without_change_rights_cannot_post_a_change(world, login):
    sku = world.sku
    client = login("warehouse")  # views SKUs, may not change them
    url = reverse("admin:catalog_sku_change", args=[sku.pk])
    response = client.post(url, {"name": "改名", "cost_price": "1.00", "retail_price": "1.00"})
    assert response.status_code == 403
    sku.refresh_from_db()
    assert sku.cost_price == Decimal("987.65") and sku.name != "改名"


# --- Ids outside a role's reach --------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_records_of_models_a_role_may_not_see_are_refused_by_id(world, login, role):
    client = login(role)
    problems = []
    for label, access in MODEL_ACCESS.items():
        if access.get(role):
            continue
        model = apps.get_model(label)
        obj = world.objects.get(model)
        if obj is None:
            continue
        opts = model._meta
        for view in ("change", "history", "delete"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
            response = client.get(url)
            if response.status_code not in (403, 404):
                problems.append(f"{url}: {response.status_code}")
    assert not problems, f"{role}:\n" + "\n".join(problems)
