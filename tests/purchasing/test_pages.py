"""Purchasing pages: the printable order (costs only for cost roles), receiving, the supplier
scorecard and the restock page that makes draft orders; constant query counts."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from inventory.models import StockMove
from purchasing.enums import PurchaseOrderStatus
from purchasing.models import PurchaseOrder, Receipt
from staff import services as staff_services
from tests.factories import SKUFactory
from tests.purchasing.support import offer, placed_order, supplier


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


def make_order(site, lines: int = 2):
    maker = supplier("M1", contact_name="王经理", address="杭州市")
    skus = [SKUFactory(code=f"PO-SKU-{n}") for n in range(lines)]
    for sku in skus:
        offer(sku, maker, "987.65")
    return placed_order(maker, site.warehouse, [(sku, 10) for sku in skus])


def test_the_printable_order_shows_costs_to_the_purchaser_only(site, as_role):
    order = make_order(site)
    url = reverse("purchasing:order", args=[order.pk])
    purchaser = as_role("purchaser").get(url)
    assert purchaser.status_code == 200
    body = text(purchaser)
    assert order.code in body and "王经理" in body and "PO-SKU-1" in body
    assert "987.65" in body and "19753.00" in body  # 2 lines × 10 × 987.65
    # The print layout is a stylesheet of its own (the CSP allows no inline style).
    assert "/static/css/purchase_order.css" in purchaser.content.decode()
    assert "@media print" in Path(finders.find("css/purchase_order.css")).read_text()
    warehouse = as_role("warehouse").get(url)
    assert warehouse.status_code == 200
    assert "PO-SKU-1" in text(warehouse) and "987" not in text(warehouse)
    assert as_role("marketer").get(url).status_code == 403


def test_the_order_page_keeps_a_constant_query_count(site, as_role, django_assert_max_num_queries):
    small = make_order(site, lines=2)
    client = as_role("purchaser")
    client.get(reverse("purchasing:order", args=[small.pk]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("purchasing:order", args=[small.pk]))
    big_supplier = supplier("M9")
    skus = [SKUFactory() for _n in range(20)]
    for sku in skus:
        offer(sku, big_supplier)
    big = placed_order(big_supplier, site.warehouse, [(sku, 1) for sku in skus])
    with django_assert_max_num_queries(len(captured)):
        assert client.get(reverse("purchasing:order", args=[big.pk])).status_code == 200


def post_receipt(client, order, rows, note="到货", submission=None):
    data = {"note": note, **({"submission": submission} if submission else {})}
    for line, (received, rejected, slot) in rows.items():
        data[f"line-{line.pk}-received"] = received
        data[f"line-{line.pk}-rejected"] = rejected
        data[f"line-{line.pk}-slot"] = slot.pk if slot else ""
    return client.post(reverse("purchasing:receive", args=[order.pk]), data)


def test_the_warehouse_receives_part_of_an_order_on_the_receive_page(site, as_role):
    order = make_order(site)
    first, second = order.lines.order_by("pk")
    client = as_role("warehouse")
    page = client.get(reverse("purchasing:receive", args=[order.pk]))
    assert page.status_code == 200 and "987" not in page.content.decode()
    response = post_receipt(client, order, {first: (6, 1, site.receiving), second: ("", 0, None)})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert StockMove.objects.get().quantity == 5
    follow = client.get(response["Location"])
    assert "5" in text(follow) and "partially received" in text(follow).lower()


def test_a_receive_page_sent_twice_records_one_receipt(site, as_role):
    """A double click or a resend after a lost answer carries the page's key again: the
    second sending records nothing and leads to the order."""
    order = make_order(site)
    first, second = order.lines.order_by("pk")
    client = as_role("warehouse")
    page = client.get(reverse("purchasing:receive", args=[order.pk]))
    key = page.context["submission"]
    assert f'name="submission" value="{key}"' in page.content.decode()
    rows = {first: (6, 1, site.receiving), second: ("", 0, None)}
    assert post_receipt(client, order, rows, submission=str(key)).status_code == 302
    again = post_receipt(client, order, rows, submission=str(key))
    assert again.status_code == 302
    assert "recorded already from this page" in text(client.get(again["Location"]))
    assert Receipt.objects.count() == 1 and StockMove.objects.get().quantity == 5
    assert post_receipt(client, order, rows, submission="not-a-key").status_code == 302
    assert Receipt.objects.count() == 2  # a page without a valid key is simply recorded


def test_an_over_receipt_on_the_page_is_refused_with_the_message_and_the_input_kept(site, as_role):
    order = make_order(site, lines=1)
    (line,) = order.lines.all()
    client = as_role("warehouse")
    response = post_receipt(client, order, {line: (12, 0, site.receiving)})
    assert response.status_code == 200
    assert "More than ordered cannot be received" in text(response)
    assert 'value="12"' in response.content.decode()
    assert not Receipt.objects.exists() and not StockMove.objects.exists()


def test_the_purchaser_cannot_receive_and_finance_cannot_open_the_restock_page(site, as_role):
    order = make_order(site, lines=1)
    assert (
        as_role("purchaser").get(reverse("purchasing:receive", args=[order.pk])).status_code == 403
    )
    assert as_role("finance").get(reverse("purchasing:restock")).status_code == 403
    assert as_role("warehouse").get(reverse("purchasing:restock")).status_code == 403


def test_the_supplier_page_shows_the_scorecard_and_hides_offer_costs(site, as_role):
    order = make_order(site, lines=1)
    (line,) = order.lines.all()
    post_receipt(as_role("warehouse"), order, {line: (10, 2, site.receiving)})
    url = reverse("purchasing:supplier", args=[order.supplier.pk])
    body = text(as_role("purchaser").get(url))
    assert "Score" in body and "Quality rate" in body and "80 %" in body
    assert "987.65" in body
    warehouse = as_role("warehouse").get(url)
    assert warehouse.status_code == 200 and "987" not in warehouse.content.decode()


def test_the_restock_page_turns_selected_suggestions_into_draft_orders(site, as_role):
    sku = SKUFactory(code="LOW", warning_level=10)
    maker = supplier("M1")
    offer(sku, maker, "4.50", min_order_quantity=24)
    from tests.purchasing.support import at, receive_at

    receive_at(at(3), sku, site.receiving, 5)
    client = as_role("purchaser")
    page = client.get(reverse("purchasing:restock"))
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert (row["sku"], row["suggested_quantity"], row["supplier"]) == ("LOW", 24, "M1 供应商M1")
    response = client.post(
        reverse("purchasing:restock"),
        {"selected": [row["key"]], f"quantity-{row['key']}": "30"},
    )
    assert response.status_code == 302
    draft = PurchaseOrder.objects.get()
    assert draft.status == PurchaseOrderStatus.DRAFT
    line = draft.lines.get()
    assert (line.quantity, line.unit_cost) == (30, Decimal("4.5000"))
    bad = client.post(reverse("purchasing:restock"), {"selected": ["x:y:z"]}, follow=True)
    assert "has no offer or no quantity" in text(bad)
    assert PurchaseOrder.objects.count() == 1


def test_the_admin_places_a_draft_and_refuses_to_cancel_a_received_order(site, as_role):
    order = make_order(site, lines=1)
    maker = order.supplier
    sku = SKUFactory()
    offer(sku, maker)
    from purchasing import services

    draft = services.purchase_order_create(
        supplier=maker, warehouse=site.warehouse, lines=[services.OrderLineInput(sku, 3)]
    )
    client = as_role("purchaser")
    url = reverse("admin:purchasing_purchaseorder_changelist")
    client.post(url, {"action": "place", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == PurchaseOrderStatus.ORDERED
    services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(order.lines.get(), received=1, slot=site.receiving)],
    )
    response = client.post(url, {"action": "cancel", "_selected_action": [order.pk]}, follow=True)
    assert "cannot go from Partially received to Cancelled" in text(response)


def admin_add_order(client, maker, warehouse, lines):
    data = {
        "supplier": maker.pk,
        "warehouse": warehouse.pk,
        "currency": "CNY",
        "note": "",
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": 0,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
    }
    for n, (sku, quantity, unit_cost) in enumerate(lines):
        data |= {
            f"lines-{n}-sku": sku.pk,
            f"lines-{n}-quantity": quantity,
            f"lines-{n}-unit_cost": unit_cost,
            f"lines-{n}-expected_date": "",
        }
    return client.post(reverse("admin:purchasing_purchaseorder_add"), data)


def test_an_order_made_in_the_admin_takes_the_offer_cost_or_says_what_is_missing(site, as_role):
    maker = supplier("M1")
    with_offer, without = SKUFactory(code="HAS-OFFER"), SKUFactory(code="NO-OFFER")
    offer(with_offer, maker, "6.60", lead_time_days=5)
    client = as_role("purchaser")
    refused = admin_add_order(
        client, maker, site.warehouse, [(with_offer, 4, ""), (without, 2, "")]
    )
    assert refused.status_code == 200
    assert "M1 has no offer in effect for this SKU; give the unit cost." in text(refused)
    assert not PurchaseOrder.objects.exists()
    saved = admin_add_order(
        client, maker, site.warehouse, [(with_offer, 4, ""), (without, 2, "1.25")]
    )
    assert saved.status_code == 302
    order = PurchaseOrder.objects.get()
    costs = dict(order.lines.values_list("sku__code", "unit_cost"))
    assert costs == {"HAS-OFFER": Decimal("6.6000"), "NO-OFFER": Decimal("1.2500")}
    assert order.created_by.username == "purchaser" and order.status == PurchaseOrderStatus.DRAFT


def test_candidates_filter_by_selection_tags_and_high_sales(site, as_role):
    from catalog.models import Product
    from tests.purchasing.support import at, receive_at, ship_at

    famous = SKUFactory(code="FAMOUS-SELLER", retail_price=Decimal("100"), cost_price=Decimal("50"))
    plain = SKUFactory(code="PLAIN", retail_price=Decimal("100"), cost_price=Decimal("90"))
    quiet = SKUFactory(code="FAMOUS-QUIET", retail_price=Decimal("10"), cost_price=Decimal("9"))
    Product.objects.filter(pk__in=[famous.product_id, quiet.product_id]).update(is_famous=True)
    for sku, units in ((famous, 10), (plain, 1)):
        receive_at(at(5), sku, site.receiving, 20)
        ship_at(at(2), sku, site.warehouse, site.packing, units)
    client = as_role("purchaser")
    url = reverse("purchasing:candidates")
    codes = lambda response: [row["code"] for row in response.context["rows"]]  # noqa: E731
    assert codes(client.get(url, {"tags": ["famous"]})) == ["FAMOUS-SELLER", "FAMOUS-QUIET"]
    assert codes(client.get(url, {"high_sales": "on"})) == ["FAMOUS-SELLER"]
    assert codes(client.get(url, {"high_margin": "on"})) == ["FAMOUS-SELLER"]
    page = client.get(url, {"tags": ["famous"]})
    assert "名" in text(page)
    assert as_role("warehouse").get(url).status_code == 403
    assert as_role("finance").get(url).status_code == 403


def test_the_scorecard_period_can_be_chosen_and_a_bad_period_is_explained(site, as_role):
    order = make_order(site, lines=1)
    (line,) = order.lines.all()
    post_receipt(as_role("warehouse"), order, {line: (10, 2, site.receiving)})
    url = reverse("purchasing:supplier", args=[order.supplier.pk])
    client = as_role("purchaser")
    old = client.get(url, {"start": "2020-01-01", "end": "2020-12-31"})
    assert old.context["card"].score is None and "no score yet" in text(old)
    bad = client.get(url, {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200
    assert "The period cannot end before it starts." in text(bad)
    garbage = client.get(url, {"start": "yesterday"})
    assert garbage.status_code == 200 and "Enter a valid date." in text(garbage)


def test_the_restock_page_takes_an_as_of_date(site, as_role):
    sku = SKUFactory(code="LOW", warning_level=10)
    offer(sku, supplier("M1"), "4.50")
    from tests.purchasing.support import at, receive_at

    receive_at(at(3), sku, site.receiving, 5)
    client = as_role("purchaser")
    assert len(client.get(reverse("purchasing:restock")).context["rows"]) == 1
    before = client.get(reverse("purchasing:restock"), {"as_of": "2020-01-01"})
    assert before.context["rows"] == []
    assert client.get(reverse("purchasing:restock"), {"as_of": "soon"}).status_code == 200


def test_the_choice_page_explains_the_choice_for_a_sku_and_quantity(as_role, db):
    import datetime as dt

    from django.utils import timezone

    from purchasing.enums import SupplierType

    sku = SKUFactory(code="WHY")
    offer(sku, supplier("M1", SupplierType.MANUFACTURER), "9.00", min_order_quantity=12)
    offer(sku, supplier("T1", SupplierType.TRADING_COMPANY), "5.00")
    offer(
        sku,
        supplier("A1", SupplierType.AGENT),
        "1.00",
        valid_to=timezone.localdate() - dt.timedelta(days=2),
    )
    client = as_role("purchaser")
    body = text(client.get(reverse("purchasing:choice"), {"sku": "why", "quantity": 5}))
    assert (
        "Chosen M1 供应商M1: Manufacturer (制造商), score no scorecard yet, unit cost 9.00, "
        "minimum order 12, lead time" in body
    )
    assert "Order 12 units" in body
    assert "T1 供应商T1: the type Trading company (商贸公司) ranks after Manufacturer" in body
    assert "A1 供应商A1: the offer expired on" in body
    finance = text(
        as_role("finance").get(reverse("purchasing:choice"), {"sku": "WHY", "quantity": 5})
    )
    assert "unit cost 9.00" in finance
    missing = as_role("purchaser").get(reverse("purchasing:choice"), {"sku": "NOPE", "quantity": 0})
    assert "No SKU has the code NOPE." in text(missing)
    assert as_role("warehouse").get(reverse("purchasing:choice")).status_code == 403


def test_the_supplier_admin_lists_its_offers_with_costs_for_the_purchaser_only(site, as_role):
    order = make_order(site, lines=1)
    url = reverse("admin:purchasing_supplier_change", args=[order.supplier.pk])
    purchaser = as_role("purchaser").get(url)
    assert purchaser.status_code == 200 and "987.65" in purchaser.content.decode()
    warehouse = as_role("warehouse").get(url)
    assert warehouse.status_code == 200 and "987" not in warehouse.content.decode()
    assert "PO-SKU-0" not in warehouse.content.decode()  # no offers for the warehouse


def test_a_second_click_on_create_draft_orders_changes_nothing(site, as_role):
    from tests.purchasing.support import at, receive_at

    sku = SKUFactory(code="LOW", warning_level=10)
    offer(sku, supplier("M1"), "4.50", min_order_quantity=24)
    receive_at(at(3), sku, site.receiving, 5)
    client = as_role("purchaser")
    url = reverse("purchasing:restock")
    page = client.get(url)
    (row,) = page.context["rows"]
    form = {
        "orders_seen": page.context["orders_seen"],
        "selected": [row["key"]],
        f"quantity-{row['key']}": "24",
    }
    first = client.post(url, form, follow=True)
    draft = PurchaseOrder.objects.get()
    assert f"Draft orders created: {draft.code}." in text(first)
    second = client.post(url, form, follow=True)  # the same form, sent again
    assert PurchaseOrder.objects.count() == 1 and draft.lines.get().quantity == 24
    assert f"Nothing was created: LOW already on {draft.code}" in text(second)
    # The draft's 24 units count as incoming: 5 + 24 > 10, nothing left to suggest.
    assert second.context["rows"] == [] and "Nothing to restock." in text(second)


def test_a_suggestion_still_short_despite_a_draft_names_it_and_is_not_ticked(site, as_role):
    from tests.purchasing.support import at, receive_at

    sku = SKUFactory(code="LOW", warning_level=40)
    maker = supplier("M1")
    offer(sku, maker, "4.50")
    receive_at(at(3), sku, site.receiving, 5)
    from purchasing import services

    draft = services.purchase_order_create(
        supplier=maker, warehouse=site.warehouse, lines=[services.OrderLineInput(sku, 10)]
    )
    page = as_role("purchaser").get(reverse("purchasing:restock"))
    (row,) = page.context["rows"]
    assert (row["draft_po"], row["projected"]) == (10, 15)  # 15 ≤ 40: still short
    body = page.content.decode()
    assert f"draft {draft.code} exists" in text(page)
    checkbox = re.search(r'<input type="checkbox" name="selected"[^>]*>', body).group(0)
    assert "checked" not in checkbox


def test_the_restock_page_flags_a_minimum_order_over_a_year_and_a_delisted_sku(
    site, as_role, settings
):
    from catalog.enums import ProductStatus
    from catalog.models import Product
    from inventory import services as inventory_services
    from tests.purchasing.support import at, receive_at, ship_at

    settings.PURCHASING_DEMAND_DAYS = 45
    shirt = SKUFactory(code="T-SHIRT")
    gone = SKUFactory(code="GONE")
    maker = supplier("M1")
    offer(shirt, maker, "134.87", min_order_quantity=24)
    offer(gone, maker, "3.00")
    receive_at(at(44, 9), shirt, site.receiving, 1)
    ship_at(at(0), shirt, site.warehouse, site.packing, 1)
    Product.objects.filter(pk=gone.product_id).update(status=ProductStatus.DELISTED)
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=gone, change=2)
    page = as_role("purchaser").get(reverse("purchasing:restock"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = text(page)
    assert "可满足 1081 天的需求：因最小起订量或预警值超过一年" in body
    assert "已下架" in body and "已下架：只为 2 件缺货下单。" in body
    assert "单价 134.87，最小起订量 24" in body
    assert "nan" not in body and "None" not in body


def test_candidates_show_labels_percentages_and_a_dash_for_a_missing_margin(site, as_role):
    from catalog.enums import ProductRole
    from catalog.models import Product

    priced = SKUFactory(code="PRICED", retail_price=Decimal("150"), cost_price=Decimal("50"))
    SKUFactory(code="NO-COST", retail_price=Decimal("80"), cost_price=None)
    Product.objects.filter(pk=priced.product_id).update(role=ProductRole.IMAGE)
    url = reverse("purchasing:candidates")
    page = as_role("purchaser").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = {row["code"]: row for row in page.context["rows"]}
    body = text(page)
    assert re.search(r"PRICED \S+ 规格 (\S+ )?形象产品 0 66\.7 % 150\.00", body)
    assert re.search(r"NO-COST \S+ 规格 (\S+ )?常规性产品 0 — 80\.00", body)
    assert rows["NO-COST"]["margin"] is None
    for raw in ("nan", "image", "regular", "0.667"):
        assert raw not in body.split()


def test_candidates_page_by_fifty_with_a_constant_query_count(
    site, as_role, django_assert_max_num_queries
):
    client = as_role("purchaser")
    url = reverse("purchasing:candidates")
    SKUFactory.create_batch(60, cost_price=Decimal("5"))
    with django_assert_max_num_queries(8):
        first = client.get(url)
    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2 (60 rows)" in text(first)
    second = client.get(url, {"page": 2})
    assert len(second.context["rows"]) == 10
    SKUFactory.create_batch(140, cost_price=Decimal("5"))
    with django_assert_max_num_queries(8):
        last = client.get(url, {"page": 4})
    assert len(last.context["rows"]) == 50 and "Page 4 of 4 (200 rows)" in text(last)
