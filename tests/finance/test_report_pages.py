"""The margin, P&L and valuation pages: who opens them, what they show, their downloads."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line
from tests.orders.test_lifecycle import fulfil

site, shops, as_role = inventory_fixtures.site, order_fixtures.shops, order_fixtures.as_role
PAGES = ("finance:margins", "finance:pnl", "finance:valuation")


@pytest.fixture
def sold(shops):
    """Two SKUs sold on Tmall: 3 × 50 (cost 20) and 1 × 80 (cost 30)."""
    tea = SKUFactory(code="TEA-1", retail_price=Decimal("50.00"))
    cup = SKUFactory(code="CUP-1", retail_price=Decimal("80.00"))
    receive(tea, shops.site.pick_a, 10, unit_cost="20.00")
    receive(cup, shops.site.pick_b, 10, unit_cost="30.00")
    fulfil(channel_order(shops.tmall, line(tea, 3), line(cup, 1)))
    return tea, cup


@pytest.mark.parametrize("role", ["finance", "manager", "purchaser"])
def test_finance_manager_and_purchaser_see_the_reports(as_role, sold, role):
    client = as_role(role)
    page = client.get(reverse("finance:margins"), {"dimension": "sku"})
    assert page.status_code == 200
    text = page.content.decode()
    # TEA-1: 150 − 60 = 90 (60.0 %); total 230 − 90 = 140.
    assert "TEA-1" in text and "150.00" in text and "90.00" in text and "60.0 %" in text
    assert "140.00" in text and ">nan<" not in text.lower()
    pnl = client.get(reverse("finance:pnl"))
    assert pnl.status_code == 200 and 'id="pnl-data"' in pnl.content.decode()
    assert "230.00" in pnl.content.decode()
    value = client.get(reverse("finance:valuation"))
    # Left: 7 × 20 + 9 × 30 = 410.
    assert value.status_code == 200 and "410.00" in value.content.decode()


@pytest.mark.parametrize("role", ["merchandiser", "warehouse", "marketer", "support"])
def test_roles_without_cost_are_refused(as_role, role):
    client = as_role(role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403


def test_every_dimension_renders_and_downloads(as_role, sold):
    client = as_role("finance")
    for dimension in (
        "sku",
        "product",
        "category1",
        "category2",
        "category3",
        "role",
        "channel",
        "month",
    ):
        page = client.get(reverse("finance:margins"), {"dimension": dimension, "sort": "-margin"})
        assert page.status_code == 200, dimension
    answer = client.get(reverse("finance:margins"), {"dimension": "sku", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Code" and len(rows) == 3
    assert {(r[0], r[6], r[8]) for r in rows[1:]} == {("TEA-1", 150, 90), ("CUP-1", 80, 50)}
    for name in ("finance:pnl", "finance:valuation"):
        answer = client.get(reverse(name), {"format": "xlsx"})
        assert answer["Content-Type"].startswith("application/vnd.openxmlformats")


def test_bad_filters_show_a_clear_message_and_keep_the_input(as_role, sold):
    client = as_role("finance")
    today = timezone.localdate()
    page = client.get(
        reverse("finance:margins"),
        {"date_from": f"{today}", "date_to": f"{today - timedelta(days=5)}"},
    )
    text = page.content.decode()
    assert page.status_code == 200 and "starts" in text and f'value="{today}"' in text
    page = client.get(reverse("finance:margins"), {"date_from": "31/02/2026", "role": "hero"})
    assert page.status_code == 200 and "Enter a valid date" in page.content.decode()
    future = client.get(reverse("finance:valuation"), {"on": f"{today + timedelta(days=3)}"})
    assert "not in the future" in future.content.decode()


def test_pages_take_a_constant_number_of_queries(as_role, shops, django_assert_max_num_queries):
    client = as_role("finance")

    def count(name, **params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name), params).status_code == 200
        return len(queries)

    before = {name: count(name, dimension="sku") for name in PAGES}
    for n in range(6):
        sku = SKUFactory(code=f"S-{n}", retail_price=Decimal("10.00"))
        receive(sku, shops.site.pick_a, 5, unit_cost="4.00")
        fulfil(channel_order(shops.tmall, line(sku, 2)))
    after = {name: count(name, dimension="sku") for name in PAGES}
    assert after == before
    with django_assert_max_num_queries(30):
        client.get(reverse("finance:pnl"))
