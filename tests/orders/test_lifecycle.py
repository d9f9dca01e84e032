"""The life of a sales order: paid → allocated → picking → packed → shipped → delivered →
completed, the transitions it refuses, cancellation and prices captured at order time."""

from decimal import Decimal

import pytest

from catalog import services as catalog_services
from inventory.enums import MoveKind
from inventory.models import StockMove, WarehouseStock
from orders import services
from orders.enums import OrderStatus, PriceType
from orders.exceptions import InvalidOrderInput, InvalidTransition
from orders.models import SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, in_slot, receive
from tests.orders.support import channel_order, line, staff_order


def fulfil(order, *, barcodes=None, user=None):
    """Pick, pack (scanning the right items) and ship ``order``."""
    services.wave_pick(warehouse=order.warehouse, orders=[order])
    if barcodes is None:
        barcodes = [
            each.sku.barcode
            for each in order.lines.select_related("sku")
            for _n in range(each.quantity)
        ]
    check = services.packing_check(order=order, barcodes=barcodes)
    assert check.passed, check.problems
    return services.order_ship(order=order, carrier="顺丰", tracking_number="SF1234567890")


def test_an_order_walks_from_paid_to_completed_and_ships_at_fifo_cost(shops):
    sku = SKUFactory(code="TEA-1", retail_price=Decimal("50.00"))
    receive(sku, shops.site.pick_a, 2, unit_cost="10.00")
    receive(sku, shops.site.pick_a, 5, unit_cost="12.00")
    order = channel_order(shops.tmall, line(sku, 3))
    assert order.status == OrderStatus.ALLOCATED
    assert columns(sku, shops.site.warehouse)["reserved"] == 3

    pick_list, wave = services.wave_pick(warehouse=shops.site.warehouse)
    assert [o.pk for o in wave] == [order.pk]
    assert pick_list.total_units == 3
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING

    check = services.packing_check(order=order, barcodes=[sku.barcode] * 3)
    assert check.passed
    order.refresh_from_db()
    assert order.status == OrderStatus.PACKED

    services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_number == "SF1"
    shipped = order.lines.get()
    assert shipped.cost_of_goods == Decimal("32.00")  # 2 × 10 + 1 × 12, oldest lot first
    assert shipped.shipped_quantity == 3
    assert columns(sku, shops.site.warehouse)["on_hand"] == 4
    assert StockMove.objects.filter(kind=MoveKind.SHIP, reference_id=order.number).exists()

    services.order_deliver(order=order)
    services.order_complete(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert_ledger_agrees()


def test_forbidden_transitions_are_refused_with_a_clear_error(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 1))
    with pytest.raises(InvalidTransition, match="is Allocated: it cannot be shipped"):
        services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    with pytest.raises(InvalidTransition, match="cannot be paid"):
        services.order_pay(order=order)
    with pytest.raises(InvalidTransition, match="cannot be delivered"):
        services.order_deliver(order=order)
    with pytest.raises(InvalidTransition, match="cannot be packed"):
        services.packing_check(order=order, barcodes=[sku.barcode])
    fulfil(order)
    with pytest.raises(InvalidTransition, match="is Shipped: it cannot be cancelled"):
        services.order_cancel(order=order)
    with pytest.raises(InvalidTransition, match="cannot be completed"):
        services.order_complete(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_shipping_needs_a_carrier_and_tracking_number(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 1))
    with pytest.raises(InvalidOrderInput, match=r"Give the carrier\. Give the tracking number\."):
        services.order_ship(order=order, carrier=" ", tracking_number="")


def test_a_pending_order_reserves_nothing_until_it_is_paid(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = services.order_place(shop=shops.desk, lines=[line(sku, 2)])
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert columns(sku, shops.site.warehouse)["reserved"] == 0
    services.order_pay(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED and order.paid_at is not None
    assert columns(sku, shops.site.warehouse)["reserved"] == 2


@pytest.mark.parametrize("stage", ["pending", "allocated", "picking", "packed", "backordered"])
def test_cancellation_before_shipping_gives_the_stock_back(shops, stage):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5 if stage != "backordered" else 1)
    if stage == "backordered":
        order = channel_order(shops.tmall, line(sku, 3))
        assert order.lines.get().backordered == 3
    elif stage == "pending":
        order = services.order_place(shop=shops.desk, lines=[line(sku, 3)])
    else:
        order = channel_order(shops.tmall, line(sku, 3))
        if stage in ("picking", "packed"):
            services.wave_pick(warehouse=order.warehouse, orders=[order])
        if stage == "packed":
            assert services.packing_check(order=order, barcodes=[sku.barcode] * 3).passed
    services.order_cancel(order=order, reason="买家取消")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    stock = columns(sku, shops.site.warehouse)
    assert stock["reserved"] == 0
    assert stock["available"] == stock["on_hand"]
    assert in_slot(sku, shops.site.packing) == 0  # picked goods went back to their slot
    assert order.lines.get().backordered == 0
    assert WarehouseStock.objects.get(sku=sku).backordered == 0
    assert_ledger_agrees()


def test_the_price_is_captured_when_the_order_is_placed(shops):
    sku = SKUFactory(retail_price=Decimal("99.00"), distribution_price=Decimal("70.00"))
    receive(sku, shops.site.pick_a, 10)
    retail = staff_order(shops.desk, line(sku, 2, discount=Decimal("8.00")))
    wholesale = staff_order(shops.desk, line(sku, 1, price_type=PriceType.DISTRIBUTION))
    promo = channel_order(
        shops.tmall, line(sku, 1, price_type=PriceType.PROMOTION, unit_price=Decimal("59.90"))
    )
    sku.retail_price, sku.distribution_price = Decimal("129.00"), Decimal("90.00")
    sku.save()
    assert retail.lines.get().unit_price == Decimal("99.00")
    assert retail.lines.get().amount == Decimal("190.00")
    assert wholesale.lines.get().unit_price == Decimal("70.00")
    assert promo.lines.get().unit_price == Decimal("59.90")


def test_a_line_without_a_price_is_refused_and_nothing_is_saved(shops):
    sku = SKUFactory(distribution_price=None)
    with pytest.raises(InvalidOrderInput, match="Line 1: give the unit price"):
        staff_order(shops.desk, line(sku, 1, price_type=PriceType.PROMOTION))
    with pytest.raises(InvalidOrderInput, match="Line 2: the quantity must be a whole number"):
        staff_order(shops.desk, line(sku, 1), line(sku, 0))
    assert not SalesOrder.objects.exists()


def test_a_bundle_line_keeps_the_bundle_and_reserves_and_ships_its_components(shops):
    a, b = SKUFactory(code="CUP"), SKUFactory(code="LID")
    bundle = SKUFactory(code="CUP-SET", retail_price=Decimal("30.00"))
    catalog_services.bundle_set_components(bundle=bundle, components=[(a, 2), (b, 1)])
    bundle.refresh_from_db()
    receive(a, shops.site.pick_a, 10, unit_cost="3.00")
    receive(b, shops.site.pick_b, 10, unit_cost="1.50")
    order = channel_order(shops.tmall, line(bundle, 2))
    assert order.status == OrderStatus.ALLOCATED
    assert order.lines.get().sku == bundle
    assert columns(a, shops.site.warehouse)["reserved"] == 4
    assert columns(b, shops.site.warehouse)["reserved"] == 2
    fulfil(order, barcodes=[a.barcode] * 4 + [b.barcode] * 2)
    shipped = order.lines.get()
    assert shipped.cost_of_goods == Decimal("15.00")  # 4 × 3.00 + 2 × 1.50
    assert columns(a, shops.site.warehouse)["on_hand"] == 6
    assert columns(b, shops.site.warehouse)["on_hand"] == 8
    assert_ledger_agrees()


def test_a_customer_with_orders_is_never_deleted(shops):
    from django.db.models import ProtectedError

    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 1)
    staff_order(shops.desk, line(sku, 1), customer=shops.customer)
    with pytest.raises(ProtectedError):
        shops.customer.delete()


def test_a_wave_of_allocated_orders_gives_a_pick_list_in_slot_order(shops):
    far, near = SKUFactory(code="FAR"), SKUFactory(code="NEAR")
    receive(far, shops.site.pick_c, 5)  # pick sequence 30
    receive(near, shops.site.pick_a, 5)  # pick sequence 10
    first = channel_order(shops.tmall, line(far, 1), paid_minutes_ago=20)
    second = channel_order(shops.tmall, line(near, 2), line(far, 1), paid_minutes_ago=10)
    pending = services.order_place(shop=shops.desk, lines=[line(near, 1)])
    pick_list, wave = services.wave_pick(warehouse=shops.site.warehouse)
    assert [o.number for o in wave] == [first.number, second.number]
    assert [(pl.slot.code, pl.sku.code, pl.quantity) for pl in pick_list.lines] == [
        ("A-01-01-1", "NEAR", 2),
        ("A-02-01-1", "FAR", 2),
    ]
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING_PAYMENT
    with pytest.raises(InvalidOrderInput, match="No allocated orders to pick"):
        services.wave_pick(warehouse=shops.site.warehouse)


def test_order_prices_follow_the_money_rule_half_a_cent_rounds_up(shops):
    """Half-even would keep 10.00 and 1.00; the one money rule rounds half-up."""
    sku = SKUFactory(retail_price=Decimal("99.00"))
    receive(sku, shops.site.pick_a, 10)
    order = channel_order(
        shops.tmall,
        line(
            sku,
            3,
            price_type=PriceType.PROMOTION,
            unit_price=Decimal("10.005"),
            discount=Decimal("1.005"),
        ),
    )
    placed = order.lines.get()
    assert (placed.unit_price, placed.discount) == (Decimal("10.01"), Decimal("1.01"))
    assert placed.amount == Decimal("29.02")
