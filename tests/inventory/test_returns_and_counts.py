from decimal import Decimal

import pytest

from inventory import services
from inventory.enums import MoveKind, ReturnDisposition
from inventory.exceptions import InvalidStockInput, StockCommitted
from inventory.models import Lot, StockMove
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, in_slot, receive


def kinds():
    return [(m.kind, m.from_slot, m.to_slot, m.quantity) for m in StockMove.objects.order_by("id")]


def test_a_restocked_return_goes_through_the_returns_slot_into_the_lot_it_left(site):
    sku = SKUFactory()
    lot = receive(sku, site.pick_a, 5, "9.00")

    moves = services.stock_return(
        sku=sku,
        warehouse=site.warehouse,
        quantity=2,
        disposition=ReturnDisposition.RESTOCK,
        lot=lot,
        reference_type="return_order",
        reference_id="RMA-1",
    )

    assert [(m.kind, m.from_slot, m.to_slot, m.lot, m.unit_cost) for m in moves] == [
        (MoveKind.RETURN, None, site.returns, lot, Decimal("9.0000")),
        (MoveKind.PUTAWAY, site.returns, site.pick_a, lot, Decimal("9.0000")),
    ]
    assert in_slot(sku, site.pick_a) == 7 and in_slot(sku, site.returns) == 0
    assert_ledger_agrees()


def test_a_defective_return_is_quarantined_and_a_broken_one_scrapped(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 5)

    services.stock_return(
        sku=sku, warehouse=site.warehouse, quantity=2, disposition=ReturnDisposition.QUARANTINE
    )
    services.stock_return(
        sku=sku,
        warehouse=site.warehouse,
        quantity=1,
        disposition=ReturnDisposition.SCRAP,
        unit_cost=Decimal("3.20"),
        reason="屏幕碎裂",
    )

    assert columns(sku, site.warehouse)["defective"] == 2
    assert columns(sku, site.warehouse)["on_hand"] == 7
    scrapped = StockMove.objects.get(kind=MoveKind.SCRAP)
    assert (scrapped.unit_cost, scrapped.lot.source_reference) == (Decimal("3.2000"), "return")
    assert_ledger_agrees()


def test_a_return_lists_every_problem(site):
    sku = SKUFactory(code="RET-1")
    site.returns.is_active = False
    site.returns.save()

    with pytest.raises(InvalidStockInput) as error:
        services.stock_return(
            sku=sku, warehouse=site.warehouse, quantity=1, disposition="keep", unit_cost=-1
        )

    assert error.value.problems == [
        "RET-1: the unit cost cannot be negative.",
        "Choose what happens to the returned goods: Restock, Quarantine as defective, Scrap.",
        "SH has no active returns slot.",
    ]


def test_an_adjustment_needs_a_reason_and_takes_the_oldest_lot_first(site):
    sku = SKUFactory(code="ADJ-1")
    old = receive(sku, site.pick_a, 2, "4.00")
    receive(sku, site.pick_a, 2, "5.00")

    with pytest.raises(InvalidStockInput) as error:
        services.stock_adjust(sku=sku, slot=site.pick_a, quantity=0, reason="")
    assert error.value.problems == [
        "ADJ-1: the adjustment must be a whole number of units other than zero.",
        "Give a reason.",
    ]

    moves = services.stock_adjust(sku=sku, slot=site.pick_a, quantity=-3, reason="丢失")
    assert [(m.kind, m.lot, m.quantity, m.reason) for m in moves][:1] == [
        (MoveKind.ADJUST, old, 2, "丢失")
    ]
    services.stock_adjust(
        sku=sku, slot=site.pick_a, quantity=4, reason="找到", unit_cost=Decimal("4.50")
    )
    assert in_slot(sku, site.pick_a) == 5
    assert Lot.objects.filter(sku=sku, unit_cost=Decimal("4.50")).exists()
    assert_ledger_agrees()


def test_scrap_writes_units_off_with_a_reason(site):
    sku = SKUFactory()
    receive(sku, site.quarantine, 3)

    services.stock_scrap(sku=sku, slot=site.quarantine, quantity=2, reason="过期")

    assert columns(sku, site.warehouse)["defective"] == 1
    assert columns(sku, site.warehouse)["on_hand"] == 1
    assert_ledger_agrees()


def test_a_cycle_count_posts_the_variance_and_reports_it(site):
    a, b, c = SKUFactory(code="CA"), SKUFactory(code="CB"), SKUFactory(code="CC")
    receive(a, site.pick_a, 10, "2.00")
    receive(b, site.pick_a, 4, "3.00")
    receive(c, site.pick_b, 6, "1.00")

    report = services.stock_count(
        lines=[
            services.CountLine(site.pick_a, a, 8),  # 2 missing
            services.CountLine(site.pick_b, c, 7),  # 1 found
            # CB is in A-01-01-1 but not counted: the slot is counted completely, so 0.
        ],
        reason="月度盘点",
    )

    assert [
        (v.slot.code, v.sku.code, v.system, v.counted, v.variance, v.value) for v in report.lines
    ] == [
        ("A-01-01-1", "CA", 10, 8, -2, Decimal("-4.00")),
        ("A-01-01-1", "CB", 4, 0, -4, Decimal("-12.00")),
        ("A-01-02-1", "CC", 6, 7, 1, Decimal("1.00")),
    ]
    assert report.total_value == Decimal("-15.00")
    assert in_slot(a, site.pick_a) == 8 and in_slot(b, site.pick_a) == 0
    assert in_slot(c, site.pick_b) == 7
    assert {m.reason for m in StockMove.objects.filter(kind=MoveKind.COUNT)} == {"月度盘点"}
    assert_ledger_agrees()


def test_a_count_that_matches_posts_nothing(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 3)

    report = services.stock_count(lines=[services.CountLine(site.pick_a, sku, 3)])

    assert report.variances == [] and report.moves == []
    assert StockMove.objects.count() == 1


def test_a_count_below_what_orders_hold_asks_to_release_them_first(site):
    sku = SKUFactory(code="CNT-1")
    receive(sku, site.pick_a, 5)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(sku, 4)])

    with pytest.raises(StockCommitted) as error:
        services.stock_count(lines=[services.CountLine(site.pick_a, sku, 3)])

    assert "CNT-1 in SH would keep 3 sellable units while 4 are reserved and 0 locked" in str(
        error.value
    )
    assert in_slot(sku, site.pick_a) == 5


def test_count_input_problems_are_listed_together(site):
    sku = SKUFactory(code="CI-1")

    with pytest.raises(InvalidStockInput) as error:
        services.stock_count(
            lines=[
                services.CountLine(site.packing, sku, -1),
                services.CountLine(site.packing, sku, 1),
            ]
        )

    assert error.value.problems == [
        "Slot SH/P-00-00-1 is a Packing (打包区) slot and cannot be used here.",
        "SH/P-00-00-1, CI-1: the count must be a whole number, zero or more.",
        "Slot SH/P-00-00-1 is a Packing (打包区) slot and cannot be used here.",
        "SH/P-00-00-1, CI-1 is counted twice.",
    ]
