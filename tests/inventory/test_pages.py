"""The inventory pages: stock columns, low stock and the printable pick list."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from inventory import services
from inventory.models import WarehouseStock
from staff import services as staff_services
from tests.factories import SKUFactory
from tests.inventory.support import receive


@pytest.fixture
def users(db) -> dict[str, User]:
    staff_services.roles_sync()
    return {u.username: u for u in staff_services.demo_users_create(password="x-Pw-4711-jingxi")}


@pytest.fixture
def as_role(users):
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def stock(site, count: int, *, warning_level: int = 5) -> list:
    skus = [SKUFactory(warning_level=warning_level) for _n in range(count)]
    services.stock_receive(
        slot=site.pick_a,
        lines=[
            services.ReceiptLine(sku=sku, quantity=10 + n, unit_cost=Decimal("987.65"))
            for n, sku in enumerate(skus)
        ],
    )
    return skus


def test_the_stock_overview_shows_every_column_and_status(site, as_role):
    healthy, low, gone = stock(site, 3)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(healthy, 2)])
    services.stock_lock(
        warehouse=site.warehouse, lines=[services.StockLine(healthy, 1)], reason="大促"
    )
    services.stock_transfer(
        sku=healthy, from_slot=site.pick_a, to_slot=site.quarantine, quantity=1, reason="破损"
    )
    services.stock_backorder_change(warehouse=site.warehouse, sku=healthy, change=4)
    services.stock_adjust(sku=low, slot=site.pick_a, quantity=-8, reason="盘亏")
    services.stock_adjust(sku=gone, slot=site.pick_a, quantity=-12, reason="盘亏")

    page = text(as_role("support").get(reverse("inventory:stock_overview")))

    assert (
        f"{healthy.code} {healthy.name} {healthy.barcode} {site.warehouse} 10 2 1 1 6 4 Normal"
        in page
    )
    assert f"{low.code} {low.name} {low.barcode} {site.warehouse} 3 0 0 0 3 0 Low stock" in page
    assert (
        f"{gone.code} {gone.name} {gone.barcode} {site.warehouse} 0 0 0 0 0 0 Out of stock" in page
    )
    assert "987.65" not in page


def test_the_stock_overview_filters_by_status_warehouse_and_search(site, as_role):
    healthy, low = stock(site, 2)
    services.stock_adjust(sku=low, slot=site.pick_a, quantity=-8, reason="盘亏")
    client = as_role("warehouse")
    url = reverse("inventory:stock_overview")

    warning = text(client.get(url, {"status": "warning"}))
    by_barcode = text(client.get(url, {"q": healthy.barcode}))
    by_warehouse = text(client.get(url, {"warehouse": site.warehouse.pk, "q": low.code}))

    assert low.code in warning and healthy.code not in warning
    assert healthy.code in by_barcode and low.code not in by_barcode
    assert low.code in by_warehouse and healthy.code not in by_warehouse


@pytest.mark.parametrize("rows", [10, 200])
def test_the_stock_pages_take_the_same_queries_for_10_and_200_rows(
    site, as_role, rows, django_assert_max_num_queries
):
    stock(site, rows, warning_level=100)
    client = as_role("manager")
    assert WarehouseStock.objects.count() == rows
    for name in ("inventory:stock_overview", "inventory:low_stock"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


def test_the_low_stock_page_lists_rows_at_or_below_the_warning_level(site, as_role):
    low, healthy = stock(site, 2, warning_level=10)  # 10 and 11 units
    services.stock_adjust(sku=low, slot=site.pick_a, quantity=-5, reason="盘亏")

    page = text(as_role("purchaser").get(reverse("inventory:low_stock")))

    assert low.code in page and healthy.code not in page


@pytest.mark.parametrize(
    ("role", "stock_status", "pick_status"),
    [
        ("warehouse", 200, 200),
        ("manager", 200, 200),
        ("support", 200, 200),
        ("purchaser", 200, 403),
        ("finance", 200, 403),
        ("marketer", 200, 403),
        ("merchandiser", 200, 403),
    ],
)
def test_pages_answer_as_the_role_matrix_says(site, as_role, role, stock_status, pick_status):
    client = as_role(role)
    assert client.get(reverse("inventory:stock_overview")).status_code == stock_status
    assert client.get(reverse("inventory:low_stock")).status_code == stock_status
    assert client.get(reverse("inventory:pick_list")).status_code == pick_status


def test_a_user_without_a_role_is_refused_and_a_visitor_sent_to_log_in(site, db, client):
    for name in ("inventory:stock_overview", "inventory:low_stock", "inventory:pick_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
    nobody = User.objects.create_user("nobody")
    client.force_login(nobody)
    assert client.get(reverse("inventory:stock_overview")).status_code == 403


def test_the_pick_list_walks_slots_in_sequence_and_merges_orders_per_slot(site, as_role):
    cup, shoe = SKUFactory(code="S-CUP"), SKUFactory(code="S-SHOE")
    receive(cup, site.pick_c, 5)  # last on the route
    receive(shoe, site.pick_a, 5)  # first on the route
    receive(cup, site.pick_b, 5)  # cup's older lot is in pick_c: FIFO picks it first
    reservations = services.stock_reserve(
        warehouse=site.warehouse,
        lines=[
            services.StockLine(cup, 3, "sales_order", "SO-1"),
            services.StockLine(shoe, 1, "sales_order", "SO-1"),
            services.StockLine(cup, 4, "sales_order", "SO-2"),
        ],
    )

    response = as_role("warehouse").get(
        reverse("inventory:pick_list"), {"warehouse": site.warehouse.pk}
    )

    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode().split('class="pick"')[1], re.S)
    lines = [text_of(row) for row in rows[1:]]
    assert lines == [
        f"1 A-01-01-1 S-SHOE {shoe.name} {shoe.barcode} 1 SO-1",
        f"2 A-01-02-1 S-CUP {cup.name} {cup.barcode} 2 SO-2 ×2",
        f"3 A-02-01-1 S-CUP {cup.name} {cup.barcode} 5 SO-1 ×3, SO-2 ×2",
    ]
    # The print layout is a stylesheet of its own (the CSP allows no inline style).
    assert "/static/css/pick_list.css" in response.content.decode()
    assert "@media print" in Path(finders.find("css/pick_list.css")).read_text()
    assert len(reservations) == 3


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_the_pick_list_of_listed_reservations_shows_what_cannot_be_picked(site, as_role):
    cup = SKUFactory(code="S-CUP")
    receive(cup, site.pick_a, 4)
    services.stock_transfer(
        sku=cup, from_slot=site.pick_a, to_slot=site.reserve, quantity=1, reason="补货"
    )
    first, second = services.stock_reserve(
        warehouse=site.warehouse,
        lines=[services.StockLine(cup, 2, "sales_order", "SO-1"), services.StockLine(cup, 2)],
    )
    # The reserve slot goes inactive after the reservation: one unit cannot be picked.
    site.reserve.is_active = False
    site.reserve.save()

    page = text(
        as_role("warehouse").get(
            reverse("inventory:pick_list"), {"ids": f"{first.pk}, {second.pk}"}
        )
    )

    assert "Cannot be picked" in page
    assert f"S-CUP {cup.name} {cup.barcode} 4 3 1" in page


def test_the_pick_list_form_explains_bad_input(site, as_role):
    client = as_role("warehouse")
    url = reverse("inventory:pick_list")
    assert "whole numbers" in text(client.get(url, {"ids": "12, abc"}))
    assert "Choose a warehouse or give reservation ids" in text(client.get(url, {"ids": ""}))
    assert "nothing left to pick" in text(client.get(url, {"warehouse": site.warehouse.pk}))


def test_the_warehouse_dashboard_links_to_the_pick_list_of_waiting_reservations(site, as_role):
    cup = SKUFactory()
    receive(cup, site.pick_a, 5)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(cup, 2)])

    page = as_role("warehouse").get(reverse("staff:dashboard")).content.decode()

    assert f"{reverse('inventory:pick_list')}?warehouse={site.warehouse.pk}" in page
    assert reverse("inventory:stock_overview") in page
    assert (
        reverse("inventory:pick_list")
        not in as_role("finance").get(reverse("staff:dashboard")).content.decode()
    )
