"""Stock valuation (finance.valuation) at past dates: the ledger replayed to that day."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.money import money
from finance.reports import ReportInputError
from finance.valuation import stock_valuation, stock_value_by_month, valuation_total
from inventory import services as stock
from inventory.models import StockMove
from tests.factories import CategoryFactory, ProductFactory, SKUFactory, SlotFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive

D = Decimal
site = inventory_fixtures.site


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def replay(on: date) -> Decimal:
    """Value the stock by walking the ledger move by move up to the end of ``on``."""
    end = at(date.fromordinal(on.toordinal() + 1), 0)
    value = D(0)
    for move in StockMove.objects.filter(created_at__lt=end).select_related("from_slot", "to_slot"):
        into = move.to_slot.warehouse_id if move.to_slot else None
        out_of = move.from_slot.warehouse_id if move.from_slot else None
        if into == out_of:
            continue
        if into is not None:
            value += move.quantity * move.unit_cost
        if out_of is not None:
            value -= move.quantity * move.unit_cost
    return value


@pytest.fixture
def history(site):
    """Three lots of tea and one of cups in 上海仓 over March–May 2026, some of it scrapped,
    adjusted and moved to 北京仓."""
    tea_top, ware_top = CategoryFactory(name="茶", code="TEA"), CategoryFactory(name="器")
    tea_leaf = CategoryFactory(parent=CategoryFactory(parent=tea_top), code="LJ")
    cup_leaf = CategoryFactory(parent=CategoryFactory(parent=ware_top))
    tea = SKUFactory(product=ProductFactory(category=tea_leaf), code="TEA")
    cup = SKUFactory(product=ProductFactory(category=cup_leaf), code="CUP")
    beijing = SlotFactory(warehouse__code="BJ", warehouse__name="北京仓", code="A-09-09-1")
    receive(tea, site.pick_a, 10, unit_cost="10.00", at=at(date(2026, 3, 5)))
    receive(tea, site.pick_a, 10, unit_cost="12.50", at=at(date(2026, 4, 2)))
    receive(cup, site.pick_b, 4, unit_cost="3.3333", at=at(date(2026, 4, 10)))
    # 12 tea leave: 10 of the 10.00 lot and 2 of the 12.50 lot.
    stock.stock_scrap(
        sku=tea, slot=site.pick_a, quantity=12, reason="水渍", at=at(date(2026, 4, 20))
    )
    receive(tea, site.pick_a, 5, unit_cost="15.00", at=at(date(2026, 5, 3)))
    # 3 of the 12.50 lot to Beijing; a pick-slot shuffle inside Shanghai changes nothing.
    stock.stock_transfer(
        sku=tea, from_slot=site.pick_a, to_slot=beijing, quantity=3, at=at(date(2026, 5, 10))
    )
    stock.stock_transfer(
        sku=cup, from_slot=site.pick_b, to_slot=site.pick_c, quantity=4, at=at(date(2026, 5, 11))
    )
    stock.stock_adjust(
        sku=cup, slot=site.pick_c, quantity=-1, reason="盘亏", at=at(date(2026, 5, 12))
    )
    return {"tea": tea, "cup": cup, "beijing": beijing.warehouse, "shanghai": site.warehouse}


def test_valuation_at_past_dates_equals_the_ledger_replayed(history):
    # 31 March: 10 × 10.00 = 100.00.
    assert valuation_total(on=date(2026, 3, 31)) == D("100.00") == replay(date(2026, 3, 31))
    # 15 April: 100 + 10 × 12.50 + 4 × 3.3333 (13.3332 → 13.33) = 238.33.
    assert valuation_total(on=date(2026, 4, 15)) == D("238.33")
    # 30 April: 8 × 12.50 = 100 tea + 13.33 cups = 113.33.
    assert valuation_total(on=date(2026, 4, 30)) == D("113.33")
    # 31 May: Shanghai 5 × 12.50 + 5 × 15 = 137.50 tea, 3 × 3.3333 = 10.00 cups;
    # Beijing 3 × 12.50 = 37.50.
    frame = stock_valuation(on=date(2026, 5, 31))
    got = {(r.warehouse_code, r.category_name): (r.units, r.value) for r in frame.itertuples()}
    assert got == {
        ("SH", "茶"): (10, D("137.50")),
        ("BJ", "茶"): (3, D("37.50")),
        ("SH", "器"): (3, D("10.00")),
    }
    for day in (date(2026, 3, 4), date(2026, 4, 20), date(2026, 5, 10), date(2026, 5, 31)):
        assert valuation_total(on=day) == money(replay(day))
    by_warehouse = stock_valuation(on=date(2026, 5, 31), by=("warehouse",))
    assert list(by_warehouse["value"]) == [D("147.50"), D("37.50")]
    assert valuation_total(on=date(2026, 5, 31), warehouse_id=history["beijing"].pk) == D("37.50")


def test_month_end_values_come_in_one_query_and_match_each_day(history, django_assert_num_queries):
    ends = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    # The query, in a savepoint of its own with JIT off: savepoint, SET, query, release.
    with django_assert_num_queries(4):
        values = stock_value_by_month(ends)
    assert values == {end: valuation_total(on=end) for end in ends}
    assert values[date(2026, 4, 30)] == D("113.33")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on": "2026-05-31"}, "as a day"),
        ({"on": date(2026, 5, 31), "by": ("shelf",)}, "by warehouse"),
        ({"on": date(2026, 5, 31), "by": ()}, "by warehouse"),
    ],
)
def test_bad_valuation_input_is_refused(db, kwargs, message):
    with pytest.raises(ReportInputError, match=message):
        stock_valuation(**kwargs)
