"""Gross margin and the monthly P&L (finance.reports), hand-computed on orders shipped and
returned through the real services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.enums import ProductRole
from finance.reports import (
    ReportInputError,
    SalesFilter,
    margin_by,
    margin_totals,
    pnl_by_month,
)
from orders import services
from orders.enums import ReturnDisposition, ReturnReason
from orders.models import SalesOrder
from tests.factories import CategoryFactory, ProductFactory, SKUFactory, WarehouseFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line, staff_order
from tests.orders.test_lifecycle import fulfil

D = Decimal
# The shops on the inventory test site (tests/orders/conftest.py).
site, shops = inventory_fixtures.site, order_fixtures.shops


def give_back(order, quantity, disposition=ReturnDisposition.RESTOCK, refund="0", index=0):
    order_line = order.lines.order_by("line_no")[index]
    return services.return_create(
        order=order,
        lines=[
            services.ReturnLineInput(
                order_line=order_line,
                quantity=quantity,
                reason=ReturnReason.UNWANTED,
                disposition=disposition,
                refund_amount=D(refund),
            )
        ],
    )


def row(frame, key, column="id"):
    rows = frame[frame[column] == key]
    assert len(rows) == 1, frame
    return rows.iloc[0].to_dict()


@pytest.fixture
def tree(db):
    """大类 茶 > 中类 绿茶 > 小类 龙井 / 碧螺春; 大类 器 > 中类 杯 > 小类 玻璃杯."""
    tea = CategoryFactory(name="茶", code="TEA")
    green = CategoryFactory(name="绿茶", code="GREEN", parent=tea)
    longjing = CategoryFactory(name="龙井", code="LJ", parent=green)
    biluo = CategoryFactory(name="碧螺春", code="BLC", parent=green)
    ware = CategoryFactory(name="器", code="WARE")
    cups = CategoryFactory(name="杯", code="CUPS", parent=ware)
    glass = CategoryFactory(name="玻璃杯", code="GLASS", parent=cups)
    return {
        "tea": tea,
        "green": green,
        "longjing": longjing,
        "biluo": biluo,
        "ware": ware,
        "cups": cups,
        "glass": glass,
    }


def sku_in(category, code, price, role=ProductRole.REGULAR):
    product = ProductFactory(category=category, code=f"P-{code}", name=code, role=role)
    return SKUFactory(product=product, code=code, retail_price=D(price))


def test_cogs_is_fifo_across_three_lots_and_a_restocked_return_reverses_it(shops, tree):
    sku = sku_in(tree["longjing"], "LJ-250", "50.00")
    receive(sku, shops.site.pick_a, 2, unit_cost="10.00")
    receive(sku, shops.site.pick_a, 2, unit_cost="12.00")
    receive(sku, shops.site.pick_a, 5, unit_cost="15.00")
    order = channel_order(shops.tmall, line(sku, 5))
    fulfil(order)
    # Shipped 5: 2 × 10 + 2 × 12 + 1 × 15 = 59.00 from the three lots, oldest first.
    assert order.lines.get().cost_of_goods == D("59.00")
    # One comes back and is restocked into the newest lot it left from (15.00), refund 50.
    give_back(order, 1, refund="50.00")
    # Another order of 1 ships from that lot (15.00); its unit comes back and is scrapped.
    other = channel_order(shops.tmall, line(sku, 1))
    fulfil(other)
    give_back(other, 1, disposition=ReturnDisposition.SCRAP, refund="50.00")

    frame = margin_by("sku")
    got = row(frame, sku.pk)
    # Revenue 6 × 50 = 300; returns 50 + 50 = 100; net 200.
    # COGS 59 + 15 − 15 (restocked) = 59; the scrapped unit's 15 stays in COGS.
    assert got["units"] == 6 and got["returned_units"] == 2
    assert got["revenue"] == D("300.00") and got["returns"] == D("100.00")
    assert got["net_revenue"] == D("200.00")
    assert got["cogs"] == D("59.00")
    assert got["gross_profit"] == D("141.00")
    assert got["margin"] == pytest.approx(141 / 200)
    totals = margin_totals()
    assert totals["cogs"] == D("59.00") and totals["gross_profit"] == D("141.00")


def test_a_months_pnl_is_the_sum_of_its_orders(shops, tree):
    tea = sku_in(tree["longjing"], "LJ", "80.00")
    cup = sku_in(tree["glass"], "CUP", "30.00")
    receive(tea, shops.site.pick_a, 10, unit_cost="20.00")
    receive(cup, shops.site.pick_b, 10, unit_cost="8.50")
    # Order 1: 2 tea at 80 less 10 discount = 150; COGS 40.
    first = channel_order(shops.tmall, line(tea, 2, discount=D("10.00")))
    # Order 2: 1 tea + 3 cups = 80 + 90 = 170; COGS 20 + 25.50 = 45.50.
    second = staff_order(shops.desk, line(tea, 1), line(cup, 3))
    fulfil(first)
    fulfil(second)
    # A cup of order 2 comes back restocked, refund 30: COGS back 8.50.
    give_back(second, 1, refund="30.00", index=1)
    # An order not shipped counts nothing.
    channel_order(shops.tmall, line(tea, 1))

    today = timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    pnl = pnl_by_month(SalesFilter(date_from=start, date_to=today))
    rows = pnl.rows.set_index("month")
    assert list(rows.index) == [f"{start:%Y-%m}", f"{today:%Y-%m}"]
    empty = rows.loc[f"{start:%Y-%m}"]
    assert empty["revenue"] == 0 and empty["margin"] is None
    month = rows.loc[f"{today:%Y-%m}"]
    # Revenue 150 + 170 = 320; returns 30; net 290; COGS 40 + 45.50 − 8.50 = 77; GP 213.
    assert month["revenue"] == D("320.00")
    assert month["returns"] == D("30.00")
    assert month["net_revenue"] == D("290.00")
    assert month["cogs"] == D("77.00")
    assert month["gross_profit"] == D("213.00")
    assert month["margin"] == pytest.approx(213 / 290)
    # Stock left: tea 10 − 3 = 7 × 20 = 140; cups 10 − 3 + 1 = 8 × 8.50 = 68; 208.
    assert month["stock_value"] == D("208.00")
    # Days of inventory: 208 ÷ (77 ÷ days in the month).
    days = ((today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    assert month["days_of_inventory"] == pytest.approx(round(208 / (77 / days), 1))
    # The totals are the sums of the months.
    assert pnl.totals["net_revenue"] == D("290.00") and pnl.totals["cogs"] == D("77.00")
    # The same figures summed order by order.
    shipped = SalesOrder.objects.filter(shipped_at__isnull=False)
    assert sum(sum((x.amount for x in o.lines.all()), D(0)) for o in shipped) == D("320.00")


def test_a_category_margin_is_the_sum_of_its_leaves(shops, tree):
    longjing = sku_in(tree["longjing"], "LJ", "100.00")
    biluo = sku_in(tree["biluo"], "BLC", "60.00")
    cup = sku_in(tree["glass"], "CUP", "20.00")
    for sku, cost in ((longjing, "40.00"), (biluo, "45.00"), (cup, "5.00")):
        receive(sku, shops.site.pick_a, 10, unit_cost=cost)
    fulfil(channel_order(shops.tmall, line(longjing, 2), line(biluo, 1), line(cup, 4)))

    leaves = margin_by("category", level=3)
    middle = margin_by("category", level=2)
    top = margin_by("category", level=1)
    # 龙井: 200 − 80 = 120; 碧螺春: 60 − 45 = 15; 绿茶 = 茶 = 260 − 125 = 135.
    assert row(leaves, "LJ", "code")["gross_profit"] == D("120.00")
    assert row(leaves, "BLC", "code")["gross_profit"] == D("15.00")
    for frame, code in ((middle, "GREEN"), (top, "TEA")):
        got = row(frame, code, "code")
        assert got["net_revenue"] == D("260.00") and got["cogs"] == D("125.00")
        assert got["gross_profit"] == D("135.00")
        assert got["margin"] == pytest.approx(135 / 260)
    # 器 (80 − 20 = 60) on its own; the three levels add up to the same totals.
    assert row(top, "WARE", "code")["gross_profit"] == D("60.00")
    for frame in (leaves, middle, top):
        assert sum(frame["gross_profit"], D(0)) == D("195.00")
    assert list(top["code"]) == ["TEA", "WARE"]  # by net revenue, largest first


def test_filters_narrow_by_channel_role_warehouse_and_subtree(shops, tree):
    tea = sku_in(tree["longjing"], "LJ", "100.00", role=ProductRole.TRAFFIC)
    cup = sku_in(tree["glass"], "CUP", "20.00", role=ProductRole.IMAGE)
    receive(tea, shops.site.pick_a, 10, unit_cost="40.00")
    receive(cup, shops.site.pick_b, 10, unit_cost="5.00")
    fulfil(channel_order(shops.tmall, line(tea, 1), line(cup, 1)))
    fulfil(staff_order(shops.desk, line(tea, 2)))

    def net(**kw):
        return margin_totals(SalesFilter(**kw))["net_revenue"]

    assert net() == D("320.00")
    assert net(channel_id=shops.tmall.channel_id) == D("120.00")
    assert net(channel_id=shops.desk.channel_id) == D("200.00")
    assert net(role=ProductRole.IMAGE) == D("20.00")
    assert net(category_id=tree["tea"].pk) == D("300.00")
    assert net(category_id=tree["glass"].pk) == D("20.00")
    assert net(warehouse_id=shops.site.warehouse.pk) == D("320.00")
    assert net(warehouse_id=WarehouseFactory().pk) == D("0.00")
    today = timezone.localdate()
    assert net(date_from=today - timedelta(days=3), date_to=today - timedelta(days=1)) == 0
    by_channel = margin_by("channel")
    assert row(by_channel, shops.tmall.channel_id)["name"] == "天猫"
    by_role = margin_by("role")
    assert row(by_role, ProductRole.TRAFFIC)["gross_profit"] == D("180.00")  # 300 − 120
    by_month = margin_by("product", per_month=True)
    assert set(by_month["month"]) == {f"{today:%Y-%m}"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: margin_by("colour"), "Unknown report dimension"),
        (lambda: margin_by("category", level=4), "category level"),
        (lambda: margin_by("sku", level=1), "category level"),
        (lambda: SalesFilter(role="hero"), "Unknown product role"),
        (
            lambda: SalesFilter(
                date_from=timezone.localdate(), date_to=timezone.localdate() - timedelta(days=1)
            ),
            "starts",
        ),
        (lambda: SalesFilter(channel_id="1; DROP"), "from the lists"),
        (lambda: margin_by("sku", SalesFilter(category_id=987654)), "does not exist"),
    ],
)
def test_bad_report_input_is_refused_with_a_clear_message(db, call, message):
    with pytest.raises(ReportInputError, match=message):
        call()


def test_an_empty_report_is_an_empty_table_without_nan(db):
    frame = margin_by("category", level=1)
    assert frame.empty and list(frame.columns)[:3] == ["id", "code", "name"]
    assert margin_totals()["margin"] is None
