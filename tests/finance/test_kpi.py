"""The manager's KPI page (finance.kpi): figures hand-computed on a small month of orders,
with and without visitor counts; who opens the page; its query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.enums import ProductStatus
from finance.kpi import KpiScope, kpis
from orders import services
from orders.enums import ReturnDisposition, ReturnReason
from orders.models import Customer, SalesOrder, ShopTraffic
from tests.factories import ProductFactory, SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line, staff_order
from tests.orders.test_lifecycle import fulfil

D = Decimal
site, shops, as_role = inventory_fixtures.site, order_fixtures.shops, order_fixtures.as_role


def sku(code: str, price: str, status=ProductStatus.LISTED):
    product = ProductFactory(code=f"P-{code}", name=code, status=status)
    return SKUFactory(product=product, code=code, retail_price=D(price))


def previous_month_noon() -> dt.datetime:
    """Noon on the 15th of the month before this one (local time)."""
    day = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def month(shops):
    """This month: four orders of three customers; the month before: one.

    Stock received this month: tea 10 × 20.00, cup 10 × 8.50, pot 5 × 100.00 (listed, never
    sold) and a draft product's SKU (not listed). Prices: tea 50, cup 30.

    - O1 Tmall, 张三: 2 tea = 100      - O2 Tmall, 李四: 3 cup = 90
    - O3 desk, 张三: 1 tea = 50         - O4 Tmall, 王五: 1 cup = 30
    - the month before, P1 Tmall, 李四: 1 tea = 50 (paid, not shipped)

    O1..O4 ship; one tea of O1 comes back as the wrong item and is restocked.
    """
    tea, cup, pot = sku("TEA", "50.00"), sku("CUP", "30.00"), sku("POT", "400.00")
    draft = sku("NEW", "10.00", status=ProductStatus.DRAFT)
    receive(tea, shops.site.pick_a, 10, unit_cost="20.00")
    receive(cup, shops.site.pick_b, 10, unit_cost="8.50")
    receive(pot, shops.site.pick_a, 5, unit_cost="100.00")
    zhang, li = shops.customer, Customer.objects.create(code="C002", name="李四")
    wang = Customer.objects.create(code="C003", name="王五")
    earlier = channel_order(shops.tmall, line(tea, 1), customer=li)
    SalesOrder.objects.filter(pk=earlier.pk).update(
        placed_at=previous_month_noon(), paid_at=previous_month_noon()
    )
    orders = [
        channel_order(shops.tmall, line(tea, 2), customer=zhang),
        channel_order(shops.tmall, line(cup, 3), customer=li),
        staff_order(shops.desk, line(tea, 1), customer=zhang),
        channel_order(shops.tmall, line(cup, 1), customer=wang),
    ]
    for order in orders:
        fulfil(order)
    services.return_create(
        order=orders[0],
        lines=[
            services.ReturnLineInput(
                order_line=orders[0].lines.get(),
                quantity=1,
                reason=ReturnReason.WRONG_ITEM,
                disposition=ReturnDisposition.RESTOCK,
            )
        ],
    )
    return {"tea": tea, "cup": cup, "pot": pot, "draft": draft, "orders": orders}


def test_a_months_kpis_without_visitor_counts_come_from_the_orders(month):
    report = kpis(month=timezone.localdate())
    now, before = report.current, report.previous
    assert len(report.months) == 13 and now.end == timezone.localdate()
    # GMV 100 + 90 + 50 + 30 = 270 over 4 orders: AOV 67.50. The month before: 50, 1 order.
    assert now.gmv == D("270.00") and now.orders == 4 and now.aov == D("67.50")
    assert before.gmv == D("50.00") and before.orders == 1 and before.aov == D("50.00")
    assert now.gmv_source == "orders" and now.visitors is None and now.conversion is None
    # Buyers 张三 (twice this month), 李四 (once before) and 王五: two of three repeat.
    assert (now.buyers, now.repeat_buyers) == (3, 2)
    assert now.repurchase_rate == pytest.approx(2 / 3)
    assert before.repurchase_rate == 0
    # Shipped 3 tea + 4 cups = 7 of 0 on hand + 25 received.
    assert (now.units_shipped, now.units_available) == (7, 25)
    assert now.sell_through == pytest.approx(0.28)
    # Listed: tea, cup, pot (the draft is not); sold: tea and cup, the month before tea.
    assert now.skus_listed == 3 and now.active_sku_rate == pytest.approx(2 / 3)
    assert before.active_sku_rate == pytest.approx(1 / 3)
    # One wrong-item return in 4 orders shipped.
    assert (now.logistics_errors, now.shipped_orders) == (1, 4)
    assert now.logistics_error_rate == pytest.approx(0.25)
    assert before.logistics_error_rate is None
    # Stock: 785 received − 60 tea − 34 cups shipped + 20 restocked = 711; COGS 94 − 20 = 74.
    assert now.stock_value == D("711.00") and now.cogs == D("74.00")
    assert now.days_of_inventory == pytest.approx(round(711 / (74 / now.days), 1))
    # Month on month: GMV 270 against 50 is +440 %, orders +300 %, AOV +35 %.
    assert report.change("gmv") == pytest.approx(4.4)
    assert report.change("orders") == pytest.approx(3.0)
    assert report.change("aov") == pytest.approx(0.35)
    assert report.change("active_sku_rate") == pytest.approx(1.0)
    assert report.change("repurchase_rate") is None  # 0 the month before


def test_visitor_counts_split_the_gmv_into_visitors_conversion_and_order_value(month, shops):
    ShopTraffic.objects.create(shop=shops.tmall, day=timezone.localdate(), visitors=100)
    now = kpis(month=timezone.localdate()).current
    # Tmall's three orders of today are covered: 3 of 100 visitors, GMV 100 + 90 + 30 = 220.
    assert now.visitors == 100 and now.covered_orders == 3
    assert now.conversion == pytest.approx(0.03)
    assert now.covered_gmv == D("220.00") and now.covered_aov == D("73.33")
    assert float(now.visitors * now.conversion) * float(D("220.00") / 3) == pytest.approx(220)
    # The desk has no visitors: its 50 is GMV from its order; the total stays 270.
    assert now.gmv_source == "mixed" and now.uncovered_gmv == D("50.00")
    assert now.gmv == D("270.00")

    tmall = kpis(month=timezone.localdate(), scope=KpiScope(shop_id=shops.tmall.pk)).current
    assert tmall.gmv_source == "traffic" and tmall.gmv == tmall.covered_gmv == D("220.00")
    assert tmall.orders == 3 and tmall.aov == D("73.33")
    # 张三 bought once at Tmall, 李四 before at Tmall, 王五 once: one of three repeats.
    assert tmall.repurchase_rate == pytest.approx(1 / 3)
    desk = kpis(month=timezone.localdate(), scope=KpiScope(channel_id=shops.desk.channel_id))
    assert desk.current.gmv == D("50.00") and desk.current.gmv_source == "orders"


def test_the_page_shows_the_figures_with_their_change(as_role, month, shops):
    ShopTraffic.objects.create(shop=shops.tmall, day=timezone.localdate(), visitors=100)
    answer = as_role("manager").get(
        reverse("finance:kpi"), {"month": f"{timezone.localdate():%Y-%m}"}
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "270.00" in text and "67.50" in text and "3.00 %" in text and "73.33" in text
    assert "↑ 440.0 %" in text and "28.0 %" in text and "66.7 %" in text and "25.0 %" in text
    assert 'id="kpi-data"' in text and ">nan<" not in text.lower()


def test_the_page_defaults_to_the_last_complete_month(as_role, month):
    answer = as_role("finance").get(reverse("finance:kpi"))
    assert answer.status_code == 200
    last = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert answer.context["current"].month == last and answer.context["current"].is_whole
    assert answer.context["current"].gmv == D("50.00")


def test_a_future_month_or_a_shop_of_another_channel_is_refused(as_role, shops):
    client = as_role("manager")
    future = (timezone.localdate().replace(day=28) + dt.timedelta(days=10)).strftime("%Y-%m")
    answer = client.get(reverse("finance:kpi"), {"month": future})
    assert answer.status_code == 200 and answer.context["report"] is None
    assert answer.context["form"].errors["month"]
    answer = client.get(
        reverse("finance:kpi"), {"channel": shops.tmall.channel_id, "shop": shops.desk.pk}
    )
    assert answer.context["form"].errors["shop"]


@pytest.mark.parametrize("role", ["manager", "finance", "purchaser"])
def test_roles_with_cost_and_margin_open_the_page(as_role, role):
    assert as_role(role).get(reverse("finance:kpi")).status_code == 200


@pytest.mark.parametrize("role", ["warehouse", "merchandiser", "marketer", "support"])
def test_roles_without_cost_are_refused(as_role, role):
    assert as_role(role).get(reverse("finance:kpi")).status_code == 403


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("finance:kpi")).status_code == 200
    return len(captured.captured_queries)


def test_the_page_costs_the_same_queries_for_a_year_of_orders(
    as_role, month, shops, django_assert_max_num_queries
):
    client = as_role("manager")
    few = _queries(client)
    # Twelve more months of orders, each with visitors.
    for back in range(1, 13):
        paid = timezone.now() - dt.timedelta(days=30 * back)
        order = channel_order(shops.tmall, line(month["cup"], 1), customer=shops.customer)
        SalesOrder.objects.filter(pk=order.pk).update(placed_at=paid, paid_at=paid)
        ShopTraffic.objects.create(
            shop=shops.tmall, day=timezone.localtime(paid).date(), visitors=50 + back
        )
    with django_assert_max_num_queries(few):
        assert client.get(reverse("finance:kpi")).status_code == 200
