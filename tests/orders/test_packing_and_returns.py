"""The packing check (扫描验货) blocks a wrong parcel; returns go back through inventory."""

from decimal import Decimal

import pytest

from inventory.enums import MoveKind
from inventory.models import StockMove
from orders import services
from orders.enums import OrderStatus, ReturnDisposition, ReturnReason, ScanResult
from orders.exceptions import InvalidOrderInput, InvalidTransition
from orders.models import PackingCheck
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, in_slot, receive
from tests.orders.support import channel_order, line
from tests.orders.test_lifecycle import fulfil


@pytest.fixture
def picked(shops):
    tea, cup = SKUFactory(code="TEA"), SKUFactory(code="CUP")
    receive(tea, shops.site.pick_a, 10)
    receive(cup, shops.site.pick_b, 10)
    order = channel_order(shops.tmall, line(tea, 2), line(cup, 1))
    services.wave_pick(warehouse=shops.site.warehouse)
    order.refresh_from_db()
    return order, tea, cup


def test_a_wrong_item_blocks_shipping_and_is_recorded(picked):
    order, tea, cup = picked
    stranger = SKUFactory(code="STRANGER")
    check = services.packing_check(
        order=order, barcodes=[tea.barcode, stranger.barcode, cup.barcode]
    )
    assert not check.passed
    assert "STRANGER" in check.problems and "TEA: 1 missing" in check.problems
    assert [s.result for s in check.scans.order_by("pk")] == [
        ScanResult.OK,
        ScanResult.WRONG_ITEM,
        ScanResult.OK,
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKING
    with pytest.raises(InvalidTransition, match="cannot be shipped"):
        services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    # Repacked right, it ships; the failed check stays on record.
    assert services.packing_check(
        order=order, barcodes=[tea.barcode, tea.barcode, cup.barcode]
    ).passed
    services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    assert PackingCheck.objects.filter(order=order, passed=False).count() == 1


def test_a_wrong_quantity_and_an_unknown_barcode_fail_the_check(picked):
    order, tea, cup = picked
    check = services.packing_check(
        order=order, barcodes=[tea.barcode] * 3 + [cup.barcode, "0000000000000"]
    )
    assert not check.passed
    results = [s.result for s in check.scans.order_by("pk")]
    assert results.count(ScanResult.TOO_MANY) == 1 and results[-1] == ScanResult.UNKNOWN


def test_a_return_with_restock_puts_the_goods_back_in_stock_and_the_ledger(shops):
    sku = SKUFactory(code="KETTLE", retail_price=Decimal("120.00"))
    receive(sku, shops.site.pick_a, 5, unit_cost="40.00")
    order = channel_order(shops.tmall, line(sku, 2))
    fulfil(order)
    assert columns(sku, shops.site.warehouse)["on_hand"] == 3
    order_line = order.lines.get()

    rma = services.return_create(
        order=order,
        lines=[
            services.ReturnLineInput(
                order_line=order_line,
                quantity=1,
                reason=ReturnReason.UNWANTED,
                disposition=ReturnDisposition.RESTOCK,
                refund_amount=Decimal("120.00"),
            )
        ],
    )
    assert columns(sku, shops.site.warehouse)["on_hand"] == 4
    assert columns(sku, shops.site.warehouse)["available"] == 4
    moves = StockMove.objects.filter(reference_id=f"RMA-{rma.pk}")
    assert {m.kind for m in moves} == {MoveKind.RETURN, MoveKind.PUTAWAY}
    assert all(m.unit_cost == Decimal("40.0000") for m in moves)  # back at the shipped cost
    assert in_slot(sku, shops.site.returns) == 0
    assert_ledger_agrees()

    with pytest.raises(InvalidOrderInput, match="2 returned, but only 1 shipped and not returned"):
        services.return_create(
            order=order,
            lines=[
                services.ReturnLineInput(
                    order_line=order_line,
                    quantity=2,
                    reason=ReturnReason.DAMAGED,
                    disposition=ReturnDisposition.SCRAP,
                )
            ],
        )


def test_goods_for_the_supplier_are_held_as_defective(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 1))
    fulfil(order)
    services.return_create(
        order=order,
        lines=[
            services.ReturnLineInput(
                order_line=order.lines.get(),
                quantity=1,
                reason=ReturnReason.QUALITY,
                disposition=ReturnDisposition.RETURN_TO_SUPPLIER,
            )
        ],
    )
    stock = columns(sku, shops.site.warehouse)
    assert (stock["on_hand"], stock["defective"], stock["available"]) == (5, 1, 4)


def test_a_restocked_return_serves_a_waiting_backorder(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 1)
    shipped = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=60)
    fulfil(shipped)
    waiting = channel_order(shops.tmall, line(sku, 1))
    assert waiting.status == OrderStatus.PAID
    services.return_create(
        order=shipped,
        lines=[
            services.ReturnLineInput(
                order_line=shipped.lines.get(),
                quantity=1,
                reason=ReturnReason.WRONG_ITEM,
                disposition=ReturnDisposition.RESTOCK,
            )
        ],
    )
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.ALLOCATED


def test_an_order_that_has_not_shipped_cannot_be_returned(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 1)
    order = channel_order(shops.tmall, line(sku, 1))
    with pytest.raises(InvalidTransition, match="cannot be returned"):
        services.return_create(
            order=order,
            lines=[
                services.ReturnLineInput(
                    order_line=order.lines.get(),
                    quantity=1,
                    reason=ReturnReason.DAMAGED,
                    disposition=ReturnDisposition.SCRAP,
                )
            ],
        )
