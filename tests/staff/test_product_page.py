"""The product page (/products/<pk>/), the product flow and the flow board."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.enums import ProductStatus
from catalog.models import Product, ProductImage, SellingPoint
from inventory import services as inventory_services
from inventory.enums import SlotType
from orders.enums import ChannelKind, OrderSource, OrderStatus, ReturnDisposition, ReturnReason
from orders.models import (
    Channel,
    Promotion,
    PromotionItem,
    Return,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    Shop,
)
from purchasing.enums import SupplierType
from purchasing.models import Supplier, SupplierOffer
from staff.flow import STAGES, first_pending, flow_refresh, product_flow
from staff.models import ProductFlowState
from staff.roles import (
    FINANCE,
    MANAGER,
    MARKETER,
    MERCHANDISER,
    PURCHASER,
    SUPPORT,
    WAREHOUSE,
)
from tests.factories import ProductFactory, SKUFactory, SlotFactory, WarehouseFactory
from tests.staff.support import COST

STAGE_LABELS = {key: label for key, label, _owner in STAGES}

pytestmark = pytest.mark.django_db


def _next(product):
    """Return (stage key, owner) of the first pending stage, or None when all are done."""
    stage = first_pending(product_flow(product))
    return (stage.key, stage.owner) if stage else None


def _sell(sku, warehouse, *, quantity: int, returned: int = 0, cost=Decimal("10.00")):
    channel, _created = Channel.objects.get_or_create(
        code="FLOW", defaults={"name": "流程渠道", "kind": ChannelKind.TMALL}
    )
    shop, _created = Shop.objects.get_or_create(
        channel=channel, code="F1", defaults={"name": "流程店", "warehouse": warehouse}
    )
    now = timezone.now()
    order = SalesOrder.objects.create(
        shop=shop,
        number=f"FLOW-{SalesOrder.objects.count() + 1}",
        source=OrderSource.CHANNEL,
        warehouse=warehouse,
        status=OrderStatus.SHIPPED,
        placed_at=now - dt.timedelta(days=2),
        shipped_at=now - dt.timedelta(days=1),
    )
    line = SalesOrderLine.objects.create(
        order=order,
        line_no=1,
        sku=sku,
        quantity=quantity,
        unit_price=Decimal("20.00"),
        shipped_quantity=quantity,
        cost_of_goods=cost * quantity if cost is not None else None,
    )
    if returned:
        rma = Return.objects.create(order=order)
        ReturnLine.objects.create(
            rma=rma,
            order_line=line,
            quantity=returned,
            reason=ReturnReason.WRONG_ITEM,
            disposition=ReturnDisposition.RESTOCK,
        )


def test_a_product_moves_through_every_stage_of_its_flow_and_names_the_next_owner(settings):
    settings.STAFF_FLOW_RETURN_RATE = 0.05
    product = ProductFactory(status=ProductStatus.DRAFT)
    sku = SKUFactory(product=product, retail_price=Decimal("20.00"))
    assert _next(product) == ("purchase", PURCHASER)
    flow = product_flow(product)
    assert [stage.key for stage in flow] == [
        "purchase",
        "receipt",
        "listing",
        "promotion",
        "service",
        "after_sales",
        "finance",
    ]
    assert not any(stage.done for stage in flow)

    supplier = Supplier.objects.create(
        code="SUP-FLOW", name="流程供应商", supplier_type=SupplierType.MANUFACTURER
    )
    SupplierOffer.objects.create(
        supplier=supplier,
        sku=sku,
        unit_cost=Decimal("10.00"),
        valid_from=timezone.localdate() - dt.timedelta(days=1),
    )
    assert _next(product) == ("purchase", PURCHASER)  # a supplier, but no cost price yet
    sku.cost_price = Decimal("10.00")
    sku.distribution_price = Decimal("15.00")
    sku.save()
    assert _next(product) == ("receipt", WAREHOUSE)

    warehouse = WarehouseFactory()
    dock = SlotFactory(warehouse=warehouse, slot_type=SlotType.RECEIVING)
    line = inventory_services.ReceiptLine(sku=sku, quantity=10, unit_cost=Decimal("10.00"))
    inventory_services.stock_receive(slot=dock, lines=[line])
    receipt = product_flow(product)[1]
    assert [check.ok for check in receipt.checks] == [True, False]  # received, not slotted
    inventory_services.stock_receive(slot=SlotFactory(warehouse=warehouse), lines=[line])
    assert _next(product) == ("listing", MERCHANDISER)

    product.status = ProductStatus.LISTED
    product.save()
    assert _next(product) == ("listing", MERCHANDISER)  # listed, the web listing incomplete
    ProductImage.objects.create(product=product, image="products/flow.jpg")
    SellingPoint.objects.create(product=product, text="卖点")
    assert _next(product) == ("promotion", MARKETER)

    promotion = Promotion.objects.create(
        name="流程大促",
        starts_on=timezone.localdate() + dt.timedelta(days=3),
        ends_on=timezone.localdate() + dt.timedelta(days=10),
    )
    PromotionItem.objects.create(promotion=promotion, sku=sku, price=Decimal("18.00"))
    assert _next(product) == ("service", SUPPORT)  # a promotion to come counts

    _sell(sku, warehouse, quantity=10, returned=1)  # 10 % returned: above 5 %
    assert _next(product) == ("after_sales", SUPPORT)
    _sell(sku, warehouse, quantity=30, cost=None)  # 1 of 40: 2.5 %
    assert _next(product) is None  # every stage done
    settings.STAFF_FLOW_RETURN_RATE = 0.02
    assert _next(product) == ("after_sales", SUPPORT)


def test_finance_stays_pending_without_a_cost_of_goods(settings):
    product = ProductFactory(status=ProductStatus.LISTED)
    sku = SKUFactory(product=product, cost_price=Decimal("5.00"))
    _sell(sku, WarehouseFactory(), quantity=5, cost=None)
    finance = product_flow(product)[-1]
    assert finance.owner == FINANCE
    assert [check.ok for check in finance.checks] == [True, False]


def test_a_missing_product_is_not_found(login):
    response = login(SUPPORT).get(reverse("staff:product", args=[999_999]))
    assert response.status_code == 404


def test_warehouse_sees_stock_but_no_cost_nor_supplier(world, login):
    response = login(WAREHOUSE).get(reverse("staff:product", args=[world.product.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "世界仓" in page  # the stock by warehouse
    assert "987.65" not in page  # the cost price
    assert "世界供应商" not in page
    assert "price_changes" not in response.context or response.context.get("price_changes") is None


def test_support_sees_the_price_in_effect_and_the_promotion(world, login):
    response = login(SUPPORT).get(reverse("staff:product", args=[world.product.pk]))
    page = response.content.decode()
    assert "999.00" in page  # the campaign's price today
    assert "世界大促" in page
    assert "卖点一: 轻" in page
    assert "987.65" not in page


def test_purchaser_sees_the_chosen_supplier_and_why(world, login):
    page = login(PURCHASER).get(reverse("staff:product", args=[world.product.pk])).content
    page = page.decode()
    assert "SUP-WORLD 世界供应商" in page
    assert "987.65" in page


def test_finance_sees_the_price_history_with_the_cost(world, login):
    response = login(FINANCE).get(reverse("staff:product", args=[world.product.pk]))
    changes = response.context["price_changes"]
    assert any(c.field == "retail_price" and c.new == Decimal("1199.00") for c in changes)
    assert response.context["may_margin"]


def test_only_the_attributes_of_the_roles_uses_are_shown(world, login):
    from tests.staff.support import attribute_marker

    page = login(WAREHOUSE).get(reverse("staff:product", args=[world.product.pk])).content
    page = page.decode()
    assert attribute_marker("warehouse", "product") in page
    assert attribute_marker("finance", "product") not in page
    assert attribute_marker("marketing", "product") not in page


def _add_skus_and_warehouses(product, n: int):
    for _ in range(n):
        sku = SKUFactory(product=product, cost_price=COST)
        slot = SlotFactory(warehouse=WarehouseFactory())
        line = inventory_services.ReceiptLine(sku=sku, quantity=3, unit_cost=COST)
        inventory_services.stock_receive(slot=slot, lines=[line])


@pytest.mark.parametrize("role", [MANAGER, SUPPORT])
def test_the_product_page_takes_as_many_queries_for_many_skus_as_for_one(
    world, login, role, django_assert_max_num_queries
):
    client = login(role)
    url = reverse("staff:product", args=[world.product.pk])
    client.get(url)  # sessions, permissions cached
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    _add_skus_and_warehouses(world.product, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_flow_board_lists_a_teams_to_do_and_keeps_its_query_count(
    world, login, django_assert_max_num_queries
):
    client = login(MANAGER)
    url = reverse("staff:product_flow")
    flow_refresh()
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(5):
        _add_skus_and_warehouses(ProductFactory(), 2)
    flow_refresh()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) >= 6
    purchaser_rows = login(MANAGER).get(url, {"role": PURCHASER}).context["rows"]
    assert purchaser_rows
    purchase = str(STAGE_LABELS["purchase"])
    assert all(row.pending_label == purchase for row in purchaser_rows)
    assert str(world.product.code) in response.content.decode()


def test_the_stored_flow_states_are_the_live_flow(world):
    assert flow_refresh() == Product.objects.count()
    for product in Product.objects.all():
        live = product_flow(product)
        state = ProductFlowState.objects.get(product=product)
        pending = first_pending(live)
        assert state.pending_stage == (pending.key if pending else "")
        assert state.unmet == {
            stage.key: [c.key for c in stage.checks if not c.ok] for stage in live if not stage.done
        }
        assert product.stored_completeness.web == state.web_percent


def test_the_flow_board_before_any_refresh_says_so(world, login):
    response = login(MANAGER).get(reverse("staff:product_flow"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Not computed yet" in response.content.decode()
