from decimal import Decimal

import pytest

from catalog.services import bundle_set_components
from inventory import selectors, services
from inventory.enums import MoveKind
from inventory.exceptions import (
    InvalidStockInput,
    NoSlotAvailable,
    SlotCapacityExceeded,
    SlotStockShortage,
    StockCommitted,
)
from inventory.models import Lot, StockMove
from tests.factories import SKUFactory, SlotFactory
from tests.inventory.support import assert_ledger_agrees, columns, in_slot, receive


def test_receiving_creates_a_lot_at_its_unit_cost_and_puts_the_units_on_hand(site):
    sku = SKUFactory()
    moves = services.stock_receive(
        slot=site.receiving,
        lines=[services.ReceiptLine(sku, 12, Decimal("8.50"))],
        source_reference="PO-0001",
        reference_type="purchase_order",
        reference_id="1",
    )

    lot = Lot.objects.get(sku=sku)
    assert (lot.unit_cost, lot.source_reference, lot.warehouse) == (
        Decimal("8.50"),
        "PO-0001",
        site.warehouse,
    )
    assert moves[0].kind == MoveKind.RECEIPT and moves[0].lot == lot
    assert in_slot(sku, site.receiving) == 12
    assert columns(sku, site.warehouse)["available"] == 12
    assert_ledger_agrees()


def test_receiving_lists_every_problem_of_the_input(site):
    bundle = SKUFactory(code="BUNDLE-1")
    bundle_set_components(bundle=bundle, components=[(SKUFactory(), 1)])
    plain = SKUFactory(code="PLAIN-1")

    with pytest.raises(InvalidStockInput) as error:
        services.stock_receive(
            slot=site.packing,
            lines=[
                services.ReceiptLine(bundle, 1, Decimal("1")),
                services.ReceiptLine(plain, 0, 2.5),
            ],
        )

    assert error.value.problems == [
        "Slot SH/P-00-00-1 is a Packing (打包区) slot and cannot be used here.",
        "BUNDLE-1 is a bundle (组合装) and holds no stock; move its components.",
        "PLAIN-1: the quantity must be a whole number above zero, not 0.",
        "PLAIN-1: give the unit cost as a Decimal, not 2.5.",
    ]
    assert not StockMove.objects.exists()


def test_putaway_suggests_the_slot_already_holding_the_sku_first(site):
    sku = SKUFactory()
    receive(sku, site.pick_b, 3)
    receive(sku, site.receiving, 5)

    assert selectors.slot_suggest_putaway(sku=sku, warehouse=site.warehouse, quantity=5) == (
        site.pick_b
    )
    moves = services.stock_putaway(sku=sku, from_slot=site.receiving, quantity=5)

    assert [m.to_slot for m in moves] == [site.pick_b]
    assert in_slot(sku, site.pick_b) == 8
    assert in_slot(sku, site.receiving) == 0
    assert_ledger_agrees()


def test_putaway_suggests_the_first_empty_pick_slot_with_room_for_the_volume(site):
    # 200 × 100 × 50 mm = 1,000,000 mm³ per unit.
    sku = SKUFactory(length_mm=200, width_mm=100, height_mm=50)
    receive(SKUFactory(), site.pick_a, 1)  # occupied by another SKU
    site.pick_b.capacity_volume_mm3 = 4_000_000
    site.pick_b.save()
    site.pick_c.capacity_volume_mm3 = 10_000_000
    site.pick_c.save()

    suggest = selectors.slot_suggest_putaway
    assert suggest(sku=sku, warehouse=site.warehouse, quantity=4) == site.pick_b
    assert suggest(sku=sku, warehouse=site.warehouse, quantity=5) == site.pick_c
    assert suggest(sku=sku, warehouse=site.warehouse, quantity=11) is None


def test_putaway_without_a_slot_with_room_says_so(site):
    sku = SKUFactory(code="BIG-1")
    for slot in (site.pick_a, site.pick_b, site.pick_c):
        slot.capacity_units = 2
        slot.save()
    receive(sku, site.receiving, 5)

    with pytest.raises(NoSlotAvailable) as error:
        services.stock_putaway(sku=sku, from_slot=site.receiving, quantity=5)

    assert str(error.value) == (
        "No pick slot in SH holds BIG-1 or is empty with room for 5 units; choose a slot."
    )


def test_a_move_that_would_overfill_a_slot_is_refused(site):
    sku = SKUFactory(code="FULL-1", length_mm=100, width_mm=100, height_mm=100)
    site.pick_a.capacity_units = 10
    site.pick_a.capacity_volume_mm3 = 5_000_000
    site.pick_a.save()
    receive(sku, site.pick_a, 4)
    receive(sku, site.receiving, 3)

    with pytest.raises(SlotCapacityExceeded) as error:
        services.stock_transfer(sku=sku, from_slot=site.receiving, to_slot=site.pick_a, quantity=3)

    assert str(error.value) == (
        "Not enough room: slot SH/A-01-01-1 takes 5000000 mm³ and holds 4000000 mm³, so "
        "3000000 mm³ more do not fit."
    )
    assert in_slot(sku, site.pick_a) == 4


def test_moving_more_than_a_slot_holds_is_refused(site):
    sku = SKUFactory(code="FEW-1")
    receive(sku, site.receiving, 2)

    with pytest.raises(SlotStockShortage) as error:
        services.stock_transfer(sku=sku, from_slot=site.receiving, to_slot=site.pick_a, quantity=3)

    assert str(error.value) == (
        "Not enough stock in the slot: SH/R-00-00-1 holds 2 of FEW-1, 3 wanted."
    )


def test_a_transfer_takes_the_oldest_lots_first(site):
    sku = SKUFactory()
    old = receive(sku, site.reserve, 2, "5.00")
    new = receive(sku, site.reserve, 5, "6.00")

    moves = services.stock_transfer(
        sku=sku, from_slot=site.reserve, to_slot=site.pick_a, quantity=4
    )

    assert [(m.lot, m.quantity, m.unit_cost) for m in moves] == [
        (old, 2, Decimal("5.0000")),
        (new, 2, Decimal("6.0000")),
    ]
    assert_ledger_agrees()


def test_a_transfer_between_warehouses_moves_the_stock_columns_too(site):
    sku = SKUFactory()
    other = SlotFactory(code="A-01-01-1")
    receive(sku, site.pick_a, 5)

    services.stock_transfer(sku=sku, from_slot=site.pick_a, to_slot=other, quantity=2)

    assert columns(sku, site.warehouse)["on_hand"] == 3
    assert columns(sku, other.warehouse)["on_hand"] == 2
    assert_ledger_agrees()


def test_moving_stock_to_quarantine_makes_it_defective_and_not_available(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 10)

    services.stock_transfer(
        sku=sku, from_slot=site.pick_a, to_slot=site.quarantine, quantity=3, reason="破损"
    )

    assert columns(sku, site.warehouse) == {
        "on_hand": 10,
        "reserved": 0,
        "locked": 0,
        "defective": 3,
        "available": 7,
        "stock_status": "normal",
    }
    assert_ledger_agrees()


def test_reserved_stock_cannot_be_moved_to_quarantine(site):
    sku = SKUFactory(code="HELD-1")
    receive(sku, site.pick_a, 10)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(sku, 8)])
    services.stock_lock(
        warehouse=site.warehouse, lines=[services.StockLine(sku, 1)], reason="618 活动"
    )

    with pytest.raises(StockCommitted) as error:
        services.stock_transfer(sku=sku, from_slot=site.pick_a, to_slot=site.quarantine, quantity=2)

    assert str(error.value) == (
        "Stock held by orders or locks cannot be taken: HELD-1 in SH would keep 8 sellable "
        "units while 8 are reserved and 1 locked. Release reservations or unlock stock first."
    )
    assert columns(sku, site.warehouse)["defective"] == 0


def test_a_transfer_checks_its_input(site):
    sku = SKUFactory(code="IN-1")
    other_lot = receive(SKUFactory(), site.pick_a, 1)
    site.pick_b.is_active = False
    site.pick_b.save()

    with pytest.raises(InvalidStockInput) as error:
        services.stock_transfer(
            sku=sku, from_slot=site.pick_a, to_slot=site.pick_b, quantity=-1, lot=other_lot
        )

    assert error.value.problems == [
        "IN-1: the quantity must be a whole number above zero, not -1.",
        f"Lot {other_lot.pk} is not a lot of IN-1.",
        "Slot SH/A-01-02-1 is not active.",
    ]
