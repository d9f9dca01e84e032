"""The order pages as their users see them: the staff order form, the unmatched-listings
queue, waves, the packing check and shipping, returns and the logistics error rate."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders import services
from orders.enums import OrderSource, OrderStatus
from orders.models import ChannelListing, SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import columns, receive
from tests.orders.support import channel_order, line


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def order_form(shop, *lines, **fields) -> dict:
    data = {
        "shop": shop.pk,
        "paid": "on",
        "lines-TOTAL_FORMS": "6",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        **fields,
    }
    for n, (code, quantity) in enumerate(lines):
        data[f"lines-{n}-sku"] = code
        data[f"lines-{n}-quantity"] = str(quantity)
    return data


def test_support_places_an_order_on_the_staff_order_page(shops, as_role):
    sku = SKUFactory(code="TEA-1", retail_price=Decimal("88.00"))
    receive(sku, shops.site.pick_a, 5)
    client = as_role("support")
    response = client.post(
        reverse("orders:order_new"), order_form(shops.desk, (sku.barcode, 2), customer="C001")
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302
    assert order.status == OrderStatus.ALLOCATED and order.customer.code == "C001"
    page = client.get(response["Location"])
    assert f"Order {order.number} placed: Allocated." in text(page)
    assert "176.00" in text(page)


def test_a_refused_order_names_the_short_lines_and_keeps_what_was_typed(shops, as_role):
    sku = SKUFactory(code="TEA-1")
    receive(sku, shops.site.pick_a, 1)
    response = as_role("support").post(
        reverse("orders:order_new"), order_form(shops.desk, ("TEA-1", 3), note="加急")
    )
    assert response.status_code == 200
    body = text(response)
    assert "the order was not placed: line 1, TEA-1: wanted 3, available 1" in body
    assert 'value="TEA-1"' in response.content.decode()
    assert 'value="加急"' in response.content.decode()
    assert not SalesOrder.objects.exists()
    accepted = as_role("support").post(
        reverse("orders:order_new"), order_form(shops.desk, ("TEA-1", 3), backorder="on")
    )
    assert accepted.status_code == 302
    assert SalesOrder.objects.get().lines.get().backordered == 3


def test_an_unknown_sku_on_the_order_form_is_a_field_error(shops, as_role):
    response = as_role("support").post(
        reverse("orders:order_new"), order_form(shops.desk, ("NOPE", 1))
    )
    assert response.status_code == 200
    assert "No SKU has the code or barcode NOPE." in text(response)


def test_the_unmatched_queue_resolves_a_listing_and_its_waiting_order(shops, as_role):
    sku = SKUFactory(code="MUG")
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(
        shops.tmall, line(None, 1, platform_code="777", unit_price=Decimal("9.90"))
    )
    client = as_role("merchandiser")
    queue = client.get(reverse("orders:listings_unmatched"))
    assert "777" in text(queue)
    listing = ChannelListing.objects.get(platform_sku_code="777")
    wrong = client.post(reverse("orders:listing_resolve", args=[listing.pk]), {"sku": "NOPE"})
    assert wrong.status_code == 302
    client.post(reverse("orders:listing_resolve", args=[listing.pk]), {"sku": "MUG"})
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert "Every listing is matched." in text(client.get(reverse("orders:listings_unmatched")))
    assert (
        as_role("support")
        .post(reverse("orders:listing_resolve", args=[listing.pk]), {"sku": "MUG"})
        .status_code
        == 403
    )


def test_the_warehouse_picks_a_wave_scans_and_ships(shops, as_role):
    sku = SKUFactory(code="TEA-1")
    receive(sku, shops.site.pick_a, 5, unit_cost="987.65")
    order = channel_order(shops.tmall, line(sku, 2))
    client = as_role("warehouse")
    wave = client.post(reverse("orders:waves"), {"warehouse": shops.site.warehouse.pk, "limit": 10})
    assert "A-01-01-1" in text(wave) and order.number in text(wave)
    pack_url = reverse("orders:pack", args=[order.pk])
    caught = client.post(pack_url, {"pack-barcodes": f"{sku.barcode}\n6900000000000"})
    assert "Packing check failed" in text(caught)
    blocked = client.post(pack_url, {"ship-carrier": "顺丰", "ship-tracking_number": "SF9"})
    assert "cannot be shipped" in text(client.get(pack_url)) or blocked.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING
    client.post(pack_url, {"pack-barcodes": f"{sku.barcode}\n{sku.barcode}"})
    shipped = client.post(pack_url, {"ship-carrier": "顺丰", "ship-tracking_number": "SF9"})
    assert shipped.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_number == "SF9"
    detail = client.get(reverse("orders:order_detail", args=[order.pk]))
    assert "987.65" not in detail.content.decode()  # COGS is cost data
    assert (
        "1975.30"
        in as_role("finance").get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    )
    errors = client.get(reverse("orders:logistics_errors"))
    assert "1 1 0 100.0 %" in text(errors)  # one catch for one shipped order
    chart = errors.context["chart"]  # 30 days, today last: shipped bars and the rate line
    assert len(chart["labels"]) == 30
    assert chart["datasets"][0]["data"][-1] == 1 and chart["datasets"][1]["data"][-1] == 100.0
    assert chart["datasets"][1]["data"][0] is None  # nothing shipped that day: no rate


def test_support_receives_a_return_on_the_return_page(shops, as_role):
    sku = SKUFactory(code="TEA-1")
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 2))
    services.wave_pick(warehouse=order.warehouse)
    services.packing_check(order=order, barcodes=[sku.barcode] * 2)
    services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    order_line = order.lines.get()
    url = reverse("orders:order_return", args=[order.pk])
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-line_id": order_line.pk,
        "lines-0-quantity": "3",
        "lines-0-reason": "damaged",
        "lines-0-disposition": "scrap",
        "lines-0-refund_amount": "10",
    }
    too_many = as_role("support").post(url, data)
    assert "3 returned, but only 2 shipped" in text(too_many)
    data["lines-0-quantity"] = "1"
    assert as_role("support").post(url, data).status_code == 302
    assert order.returns.get().lines.get().quantity == 1


def test_support_sees_customers_without_credit_terms(shops, as_role):
    shops.customer.credit_limit = Decimal("76543.21")
    shops.customer.save()
    url = reverse("admin:orders_customer_change", args=[shops.customer.pk])
    assert "76543.21" not in as_role("support").get(url).content.decode()
    assert "76543.21" in as_role("finance").get(url).content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_order_pages_keep_a_constant_query_count(
    shops, as_role, count, django_assert_max_num_queries
):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 100)
    orders = [channel_order(shops.tmall, line(sku, 1), line(sku, 2)) for _n in range(count)]
    client = as_role("manager")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("orders:order_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("orders:order_detail", args=[orders[-1].pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("orders:logistics_errors")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("orders:listings_unmatched")).status_code == 200


def test_the_admin_cancels_orders_through_the_service(shops, as_role):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 2))
    response = as_role("support").post(
        reverse("admin:orders_salesorder_changelist"),
        {"action": "cancel", "_selected_action": [order.pk]},
        follow=True,
    )
    assert "1 orders cancelled." in text(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert columns(sku, shops.site.warehouse)["reserved"] == 0


@pytest.mark.parametrize("count", [1, 6])
def test_waves_and_pack_pages_keep_a_constant_query_count(
    shops, as_role, count, django_assert_max_num_queries
):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 100)
    orders = [channel_order(shops.tmall, line(sku, 1), line(sku, 2)) for _n in range(count)]
    services.wave_pick(warehouse=shops.site.warehouse)
    client = as_role("warehouse")
    with django_assert_max_num_queries(14):
        assert client.get(reverse("orders:waves")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("orders:pack", args=[orders[-1].pk])).status_code == 200


# --- Each step of an order follows the role matrix ------------------------------------------


def pending_order(shops, sku):
    receive(sku, shops.site.pick_a, 5)
    return services.order_place(
        shop=shops.tmall, lines=[line(sku, 1)], source=OrderSource.CHANNEL, number="TB-PENDING"
    )


def test_only_finance_and_the_manager_confirm_a_payment(shops, as_role):
    sku = SKUFactory()
    order = pending_order(shops, sku)
    url = reverse("orders:order_action", args=[order.pk, "pay"])
    for role in ("warehouse", "support", "merchandiser", "marketer", "purchaser"):
        assert as_role(role).post(url).status_code == 403, role
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING_PAYMENT, role
    detail = as_role("warehouse").get(reverse("orders:order_detail", args=[order.pk]))
    assert "Mark paid" not in text(detail)
    finance = as_role("finance")
    assert "Mark paid" in text(finance.get(reverse("orders:order_detail", args=[order.pk])))
    assert finance.post(url).status_code == 302
    order.refresh_from_db()
    assert order.status != OrderStatus.PENDING_PAYMENT and order.paid_at is not None


def test_an_unknown_step_is_not_found(shops, as_role):
    order = pending_order(shops, SKUFactory())
    url = reverse("orders:order_action", args=[order.pk, "explode"])
    assert as_role("manager").post(url).status_code == 404


def test_support_neither_starts_a_wave_nor_packs_nor_ships(shops, as_role):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 1))
    support = as_role("support")
    wave = support.post(reverse("orders:waves"), {"warehouse": shops.site.warehouse.pk})
    assert wave.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    services.wave_pick(warehouse=shops.site.warehouse)
    pack_url = reverse("orders:pack", args=[order.pk])
    assert support.post(pack_url, {"pack-barcodes": sku.barcode}).status_code == 403
    services.packing_check(order=order, barcodes=[sku.barcode])
    shipped = support.post(pack_url, {"ship-carrier": "顺丰", "ship-tracking_number": "SF1"})
    assert shipped.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.PACKED and order.tracking_number == ""
    page = support.get(pack_url).content.decode()
    assert page and 'name="ship-carrier"' not in page and 'name="pack-barcodes"' not in page
    assert "Waves and packing" not in text(support.get(reverse("orders:order_list")))


def test_finance_cannot_cancel_and_the_warehouse_cannot_pay_through_admin_actions(shops, as_role):
    sku = SKUFactory()
    order = pending_order(shops, sku)
    changelist = reverse("admin:orders_salesorder_changelist")
    for role, action in (("warehouse", "pay"), ("finance", "cancel"), ("support", "deliver")):
        response = as_role(role).post(
            changelist, {"action": action, "_selected_action": [order.pk]}, follow=True
        )
        assert response.status_code == 200, role
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING_PAYMENT, (role, action)
    as_role("finance").post(changelist, {"action": "pay", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status != OrderStatus.PENDING_PAYMENT


def test_an_order_form_sent_twice_places_one_order(shops, as_role):
    """A double click or a resend after a lost answer carries the form's key again: the
    second sending places nothing and leads to the order the first one placed."""
    receive(SKUFactory(code="TEA-1"), shops.site.pick_a, 10)
    client = as_role("support")
    page = client.get(reverse("orders:order_new"))
    key = page.context["form"]["submission"].value()
    assert key and f'value="{key}"' in page.content.decode()
    assert client.get(reverse("orders:order_new")).context["form"]["submission"].value() != key
    data = {
        "shop": shops.desk.pk,
        "paid": "on",
        "submission": str(key),
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-sku": "TEA-1",
        "lines-0-quantity": "2",
    }
    first = client.post(reverse("orders:order_new"), data)
    again = client.post(reverse("orders:order_new"), data, follow=True)
    order = SalesOrder.objects.get(submission=key)
    assert (
        first.url == again.redirect_chain[-1][0] == reverse("orders:order_detail", args=[order.pk])
    )
    assert "was placed already from this form" in text(again)
    assert SalesOrder.objects.filter(shop=shops.desk).count() == 1
    assert order.lines.get().quantity == 2
