"""Receiving against purchase orders: stock at the order's cost, partial receipts, over-receipt
refused, rejected goods never in stock, and the order lifecycle."""

from decimal import Decimal

import pytest

from inventory.models import Lot, StockMove
from purchasing import selectors, services
from purchasing.enums import PurchaseOrderStatus
from purchasing.exceptions import InvalidOrderTransition, InvalidPurchaseInput, OverReceipt
from purchasing.models import Receipt
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns
from tests.purchasing.support import offer, placed_order, supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(site):
    maker = supplier("M1")
    shirt, socks = SKUFactory(code="SHIRT"), SKUFactory(code="SOCKS")
    offer(shirt, maker, "12.50", lead_time_days=10)
    offer(socks, maker, "3.2000")
    return placed_order(maker, site.warehouse, [(shirt, 10), (socks, 20, Decimal("3.10"))])


def lines_of(order):
    return {line.sku.code: line for line in selectors.order_lines_with_receipts(order)}


def test_an_order_takes_unit_costs_and_expected_dates_from_the_offer(order):
    shirt, socks = lines_of(order)["SHIRT"], lines_of(order)["SOCKS"]
    assert shirt.unit_cost == Decimal("12.50") and shirt.offer_unit_cost == Decimal("12.50")
    assert socks.unit_cost == Decimal("3.10") and socks.offer_unit_cost == Decimal("3.20")
    assert (shirt.expected_date - order.ordered_at.date()).days in (9, 10, 11)
    assert order.status == PurchaseOrderStatus.ORDERED
    assert selectors.order_total(order) == Decimal("187.00")


def test_a_partial_receipt_puts_accepted_units_in_stock_at_the_order_cost(order, site):
    shirt = lines_of(order)["SHIRT"]
    receipt = services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(shirt, received=6, rejected=2, slot=site.receiving)],
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert columns(shirt.sku, site.warehouse)["on_hand"] == 4  # the 2 rejected never entered
    lot = Lot.objects.get(sku=shirt.sku)
    assert lot.unit_cost == Decimal("12.50") and lot.source_reference == order.code
    move = StockMove.objects.get(sku=shirt.sku)
    assert (move.quantity, move.reference_type, move.reference_id) == (
        4,
        "purchase_receipt",
        str(receipt.pk),
    )
    line = lines_of(order)["SHIRT"]
    assert (line.received, line.rejected, line.accepted, line.open_quantity) == (6, 2, 4, 6)
    assert_ledger_agrees()


def test_receiving_everything_marks_the_order_received_and_it_can_be_closed(order, site):
    lines = lines_of(order)
    services.purchase_order_receive(
        order=order,
        lines=[
            services.ReceiveLine(lines["SHIRT"], received=10, slot=site.pick_a),
            services.ReceiveLine(lines["SOCKS"], received=20, slot=site.receiving),
        ],
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    services.purchase_order_close(order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.CLOSED
    assert columns(lines["SHIRT"].sku, site.warehouse)["on_hand"] == 10


def test_rejected_units_are_replaced_by_a_later_delivery(order, site):
    shirt = lines_of(order)["SHIRT"]
    services.purchase_order_receive(
        order=order, lines=[services.ReceiveLine(shirt, received=10, rejected=3, slot=site.pick_a)]
    )
    services.purchase_order_receive(
        order=order, lines=[services.ReceiveLine(shirt, received=3, slot=site.pick_a)]
    )
    assert columns(shirt.sku, site.warehouse)["on_hand"] == 10
    assert lines_of(order)["SHIRT"].open_quantity == 0


def test_a_fully_rejected_delivery_needs_no_slot_and_moves_no_stock(order, site):
    shirt = lines_of(order)["SHIRT"]
    services.purchase_order_receive(
        order=order, lines=[services.ReceiveLine(shirt, received=5, rejected=5)]
    )
    assert not StockMove.objects.filter(sku=shirt.sku).exists()
    assert columns(shirt.sku, site.warehouse) == {}


def test_over_receipt_is_refused_with_the_figures_and_nothing_is_applied(order, site):
    lines = lines_of(order)
    services.purchase_order_receive(
        order=order, lines=[services.ReceiveLine(lines["SHIRT"], received=8, slot=site.pick_a)]
    )
    with pytest.raises(OverReceipt) as error:
        services.purchase_order_receive(
            order=order,
            lines=[
                services.ReceiveLine(lines["SOCKS"], received=5, slot=site.pick_a),
                services.ReceiveLine(lines["SHIRT"], received=4, rejected=1, slot=site.pick_a),
            ],
        )
    assert str(error.value) == (
        "More than ordered cannot be received: SHIRT: ordered 10, 8 accepted before, 3 more "
        "would make 11."
    )
    assert Receipt.objects.count() == 1
    assert columns(lines["SOCKS"].sku, site.warehouse) == {}
    assert columns(lines["SHIRT"].sku, site.warehouse)["on_hand"] == 8


def test_bad_receipt_lines_are_all_reported_at_once(order, site):
    lines = lines_of(order)
    with pytest.raises(InvalidPurchaseInput) as error:
        services.purchase_order_receive(
            order=order,
            lines=[
                services.ReceiveLine(lines["SHIRT"], received=2, rejected=3, slot=site.pick_a),
                services.ReceiveLine(lines["SOCKS"], received=2, slot=site.packing),
            ],
        )
    assert error.value.problems == [
        "SHIRT: rejected units must be a whole number from 0 to the 2 received.",
        "SOCKS: goods cannot be received into SH/P-00-00-1, a Packing (打包区) slot.",
    ]


def test_a_draft_cannot_be_received_and_a_received_order_cannot_be_cancelled(site, order):
    maker = order.supplier
    sku = SKUFactory()
    offer(sku, maker)
    draft = services.purchase_order_create(
        supplier=maker, warehouse=site.warehouse, lines=[services.OrderLineInput(sku, 5)]
    )
    with pytest.raises(InvalidPurchaseInput, match="only ordered goods can be received"):
        services.purchase_order_receive(
            order=draft,
            lines=[services.ReceiveLine(draft.lines.get(), received=1, slot=site.pick_a)],
        )
    services.purchase_order_receive(
        order=order,
        lines=[services.ReceiveLine(lines_of(order)["SHIRT"], received=1, slot=site.pick_a)],
    )
    with pytest.raises(InvalidOrderTransition):
        services.purchase_order_cancel(order=order)
    services.purchase_order_cancel(order=draft)
    draft.refresh_from_db()
    assert draft.status == PurchaseOrderStatus.CANCELLED


def test_a_line_cost_change_is_kept_in_history_until_goods_arrive(order, site):
    shirt = lines_of(order)["SHIRT"]
    services.purchase_order_line_set_cost(line=shirt, unit_cost=Decimal("11.90"))
    assert [h.unit_cost for h in shirt.history.order_by("history_id")] == [
        Decimal("12.50"),
        Decimal("11.90"),
    ]
    services.purchase_order_receive(
        order=order, lines=[services.ReceiveLine(shirt, received=10, slot=site.pick_a)]
    )
    with pytest.raises(InvalidPurchaseInput):
        services.purchase_order_line_set_cost(line=shirt, unit_cost=Decimal("1"))
    assert Lot.objects.get(sku=shirt.sku).unit_cost == Decimal("11.90")


def test_an_order_line_needs_an_offer_or_a_unit_cost(site):
    sku = SKUFactory(code="NOOFFER")
    with pytest.raises(InvalidPurchaseInput) as error:
        services.purchase_order_create(
            supplier=supplier("X1"),
            warehouse=site.warehouse,
            lines=[services.OrderLineInput(sku, 0)],
        )
    assert error.value.problems == [
        "NOOFFER: the quantity must be a whole number above zero.",
        "NOOFFER: X1 has no offer in effect; give the unit cost.",
    ]
