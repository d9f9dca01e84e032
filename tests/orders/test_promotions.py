"""Promotions: results (units, revenue, gross margin, uplift, ROI) on a fixed order set worked
out by hand, the price in effect on its days, its stock locks and their release, and the
pages (who sees what, constant queries)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLock, WarehouseStock
from orders import services
from orders.enums import OrderSource, OrderStatus, PriceType, SpendKind
from orders.exceptions import InvalidOrderInput
from orders.models import Promotion, PromotionItem, PromotionSpend, SalesOrder, SalesOrderLine
from orders.pricing import price_for
from orders.promotion_results import promotion_result, promotions_results
from tests.factories import SKUFactory
from tests.inventory.support import receive

D = Decimal
_numbers = iter(range(1, 10**6))


def day(d: int) -> dt.date:
    return dt.date(2025, 12, d)


def sold(shop, d, sku, quantity, price, *, discount="0", cost=None, status=OrderStatus.SHIPPED):
    """One order of one line placed at noon (Shanghai) of 2025-12-``d`` (or the date ``d``);
    shipped with its
    COGS when ``cost`` is given."""
    on = d if isinstance(d, dt.date) else day(d)
    placed_at = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    order = SalesOrder.objects.create(
        shop=shop,
        number=f"P{next(_numbers):06d}",
        source=OrderSource.CHANNEL,
        warehouse=shop.warehouse,
        status=status,
        placed_at=placed_at,
        shipped_at=placed_at if status == OrderStatus.SHIPPED else None,
    )
    SalesOrderLine.objects.create(
        order=order,
        line_no=1,
        sku=sku,
        platform_code=sku.code,
        quantity=quantity,
        unit_price=D(price),
        discount=D(discount),
        shipped_quantity=quantity if cost is not None else 0,
        cost_of_goods=D(cost) if cost is not None else None,
    )
    return order


@pytest.fixture
def campaign(shops):
    """双十二 on Tmall, 12-10 to 12-12 (3 days; the days before: 12-07 to 12-09).
    A (retail 100) at a fixed 80, B (retail 50) at 20 % off = 40. Spend 100 ads + 50 coupons."""
    a = SKUFactory(code="A-1", retail_price=D("100.00"))
    b = SKUFactory(code="B-1", retail_price=D("50.00"))
    promotion = Promotion.objects.create(
        name="双十二年终大促", channel=shops.tmall.channel, starts_on=day(10), ends_on=day(12)
    )
    PromotionItem.objects.create(promotion=promotion, sku=a, price=D("80.00"))
    PromotionItem.objects.create(promotion=promotion, sku=b, percent_off=D("20"))
    PromotionSpend.objects.create(promotion=promotion, kind=SpendKind.ADS, amount=D("100.00"))
    PromotionSpend.objects.create(promotion=promotion, kind=SpendKind.COUPONS, amount=D("50.00"))
    tmall, desk = shops.tmall, shops.desk
    # Before (12-07..12-09): A 2 × 100 = 200 (COGS 120); B 4 × 50 = 200 (COGS 100).
    sold(tmall, 8, a, 2, "100.00", cost="120.00")
    sold(tmall, 9, b, 4, "50.00", cost="100.00")
    # During: A 5 × 80 − 10 = 390 (costed 400, COGS 300); B 6 × 40 = 240 (COGS 150);
    # A 1 × 80 = 80 not shipped yet (no COGS: no margin).
    sold(tmall, 10, a, 5, "80.00", discount="10.00", cost="300.00")
    sold(tmall, 11, b, 6, "40.00", cost="150.00")
    sold(tmall, 12, a, 1, "80.00")
    # Left out: cancelled; another channel; after the last day; before the days compared.
    sold(tmall, 12, a, 3, "80.00", status=OrderStatus.CANCELLED)
    sold(desk, 11, a, 2, "80.00", cost="120.00")
    sold(tmall, 13, a, 7, "100.00", cost="420.00")
    sold(tmall, 6, b, 9, "50.00", cost="225.00")
    return promotion, a, b


def test_results_of_a_promotion_worked_out_by_hand(campaign):
    promotion, _a, _b = campaign
    result = promotion_result(promotion)
    # During: units 5 + 6 + 1 = 12; revenue 390 + 240 + 80 = 710.
    assert (result.during.units, result.during.revenue) == (12, D("710.00"))
    # Before: units 2 + 4 = 6; revenue 200 + 200 = 400.
    assert (result.before.units, result.before.revenue) == (6, D("400.00"))
    # Gross margin: (400 − 300) + (240 − 150) = 190.
    assert result.during.gross_margin == D("190.00")
    # Uplift: units (12 − 6) ÷ 6 = 100 %; revenue (710 − 400) ÷ 400 = 77.5 %.
    assert result.units_uplift == pytest.approx(1.0)
    assert result.revenue_uplift == pytest.approx(0.775)
    # ROI = (190 − 150) ÷ 150 = 26.67 %.
    assert result.spend == D("150.00")
    assert result.roi == pytest.approx(40 / 150)
    by_code = {s.sku.code: s for s in result.skus}
    # A: during 5 + 1 = 6 units, 390 + 80 = 470; before 2, 200 → units +200 %, revenue +135 %.
    assert (by_code["A-1"].during.units, by_code["A-1"].during.revenue) == (6, D("470.00"))
    assert by_code["A-1"].units_uplift == pytest.approx(2.0)
    assert by_code["A-1"].revenue_uplift == pytest.approx(1.35)
    assert by_code["A-1"].during.gross_margin == D("100.00")
    # B: 6 units, 240 against 4 and 200 → +50 %, +20 %; its price 50 less 20 % = 40.
    assert by_code["B-1"].units_uplift == pytest.approx(0.5)
    assert by_code["B-1"].revenue_uplift == pytest.approx(0.2)
    assert (by_code["A-1"].price, by_code["B-1"].price) == (D("80.00"), D("40.00"))
    # Daily units, 12-07..12-12: 0, 2, 4 before; 5, 6, 1 during.
    assert [units for _day, units in result.daily] == [0, 2, 4, 5, 6, 1]


def test_roi_is_none_without_spend_and_uplift_none_without_sales_before(shops):
    sku = SKUFactory(retail_price=D("10.00"))
    promotion = Promotion.objects.create(name="新品尝鲜", starts_on=day(10), ends_on=day(10))
    PromotionItem.objects.create(promotion=promotion, sku=sku, price=D("8.00"))
    sold(shops.tmall, 10, sku, 3, "8.00", cost="15.00")
    result = promotion_result(promotion)
    # No channel: every channel. 3 units, 24 revenue, margin 24 − 15 = 9; no spend, no before.
    assert (result.during.units, result.during.gross_margin) == (3, D("9.00"))
    assert (result.roi, result.units_uplift) == (None, None)


def test_results_of_many_promotions_take_four_queries(campaign, django_assert_num_queries):
    _promotion, a, _b = campaign
    other = Promotion.objects.create(name="年货节", starts_on=day(11), ends_on=day(13))
    PromotionItem.objects.create(promotion=other, sku=a, price=D("85.00"))
    with django_assert_num_queries(4):  # promotions, items with SKUs, spend, daily sales
        results = promotions_results(Promotion.objects.order_by("pk"))
    # 年货节, everywhere, 12-11..12-13 (before 12-08..12-10): A 1 + 2 (desk) + 7 = 10 units.
    assert [r.during.units for r in results] == [12, 10]


@pytest.mark.parametrize(
    ("on", "price", "kind"),
    [
        (day(9), D("50.00"), PriceType.RETAIL),  # the day before
        (day(10), D("40.00"), PriceType.PROMOTION),  # first day: 50 less 20 %
        (day(12), D("40.00"), PriceType.PROMOTION),  # last day
        (day(13), D("50.00"), PriceType.RETAIL),  # the day after
    ],
)
def test_price_in_effect_of_a_percentage_item_before_during_and_after(campaign, on, price, kind):
    promotion, _a, b = campaign
    quote = price_for(b, None, promotion.channel, on=on)
    assert (quote.unit_price, quote.price_type) == (price, kind)
    assert quote.promotion == (promotion if kind == PriceType.PROMOTION else None)


def test_price_in_effect_of_a_fixed_price_item_and_outside_its_scope(campaign, shops):
    promotion, a, _b = campaign
    assert price_for(a, None, promotion.channel, on=day(11)).unit_price == D("80.00")
    assert price_for(a, None, promotion.channel, on=day(13)).unit_price == D("100.00")
    # The desk's channel is not the promotion's: retail.
    assert price_for(a, None, shops.desk.channel, on=day(11)).unit_price == D("100.00")


# --- Stock locks ------------------------------------------------------------------------


def locked(sku, warehouse) -> int:
    return WarehouseStock.objects.get(sku=sku, warehouse=warehouse).locked


@pytest.fixture
def locking(shops):
    """A promotion running today locking 5 of a SKU with 20 on hand."""
    sku = SKUFactory(retail_price=D("99.00"))
    receive(sku, shops.site.pick_a, 20)
    today = timezone.localdate()
    promotion = Promotion.objects.create(
        name="618 年中大促",
        starts_on=today,
        ends_on=today + dt.timedelta(days=2),
        lock_warehouse=shops.site.warehouse,
    )
    PromotionItem.objects.create(promotion=promotion, sku=sku, price=D("79.00"), lock_quantity=5)
    return promotion, sku, shops.site.warehouse


def test_a_promotion_locks_its_stock_once_under_its_name_and_releases_it_after(locking):
    promotion, sku, warehouse = locking
    locks = services.promotion_lock_stock(promotion=promotion)
    assert [(lock.reason, lock.quantity) for lock in locks] == [("618 年中大促", 5)]
    assert str(locks[0]).startswith("618 年中大促")
    assert locked(sku, warehouse) == 5
    assert services.promotion_lock_stock(promotion=promotion) == []  # idempotent
    assert locked(sku, warehouse) == 5
    # Still running: the daily release leaves it; the day after its last day releases it.
    assert services.ended_promotions_release() == 0
    after = promotion.ends_on + dt.timedelta(days=1)
    assert services.ended_promotions_release(today=after) == 5
    assert locked(sku, warehouse) == 0
    assert services.ended_promotions_release(today=after) == 0


def test_ending_early_or_deleting_a_promotion_releases_its_stock(locking):
    promotion, sku, warehouse = locking
    services.promotion_lock_stock(promotion=promotion)
    assert services.promotion_end(promotion=promotion) == 5
    promotion.refresh_from_db()
    assert promotion.ends_on == timezone.localdate()
    assert locked(sku, warehouse) == 0
    promotion.ends_on = timezone.localdate() + dt.timedelta(days=3)
    promotion.save()
    services.promotion_lock_stock(promotion=promotion)  # its SKU has a (released) lock
    assert locked(sku, warehouse) == 0
    StockLock.objects.all().delete()
    services.promotion_lock_stock(promotion=promotion)
    assert locked(sku, warehouse) == 5
    assert services.promotion_delete(promotion=promotion) == 5
    assert locked(sku, warehouse) == 0
    assert not Promotion.objects.filter(pk=promotion.pk).exists()


def test_locking_without_a_warehouse_or_stock_is_refused_with_nothing_locked(locking):
    promotion, sku, warehouse = locking
    promotion.lock_warehouse = None
    with pytest.raises(InvalidOrderInput):
        services.promotion_lock_stock(promotion=promotion)
    promotion.lock_warehouse = warehouse
    PromotionItem.objects.filter(promotion=promotion).update(lock_quantity=500)
    with pytest.raises(Exception):  # noqa: B017  (inventory's shortfall)
        services.promotion_lock_stock(promotion=promotion)
    assert locked(sku, warehouse) == 0


def test_a_promotion_named_by_order_lines_cannot_be_deleted(campaign):
    promotion, a, _b = campaign
    SalesOrderLine.objects.filter(sku=a).update(promotion=promotion)
    with pytest.raises(ProtectedError):
        services.promotion_delete(promotion=promotion)


def test_the_release_task_runs_the_service(locking):
    from orders.tasks import promotion_locks_release

    promotion, _sku, _warehouse = locking
    services.promotion_lock_stock(promotion=promotion)
    assert promotion_locks_release() == 0


# --- Pages ------------------------------------------------------------------------------


def test_the_manager_sees_margin_and_roi_the_marketer_not_support_nothing(campaign, as_role):
    promotion, _a, _b = campaign
    url = reverse("orders:promotion_detail", args=[promotion.pk])
    manager = as_role("manager").get(url).content.decode()
    assert "190.00" in manager and "26.7 %" in manager
    marketer = as_role("marketer").get(url).content.decode()
    assert "710.00" in marketer and "190.00" not in marketer and "26.7 %" not in marketer
    listing = as_role("marketer").get(reverse("orders:promotions")).content.decode()
    assert "双十二年终大促" in listing and '<th class="num">ROI</th>' not in listing
    assert as_role("support").get(url).status_code == 403
    assert as_role("support").get(reverse("orders:promotions")).status_code == 403
    assert (
        as_role("manager").get(reverse("orders:promotion_detail", args=[99999])).status_code == 404
    )


@pytest.mark.parametrize("count", [1, 6])
def test_promotion_pages_keep_a_constant_query_count(
    shops, as_role, count, django_assert_max_num_queries
):
    channel = shops.tmall.channel
    promotion = None
    for n in range(count):
        sku = SKUFactory(retail_price=D("100.00"))
        promotion = Promotion.objects.create(
            name=f"活动{n}", channel=channel, starts_on=day(10), ends_on=day(12)
        )
        PromotionItem.objects.create(promotion=promotion, sku=sku, price=D("80.00"))
        PromotionSpend.objects.create(promotion=promotion, kind=SpendKind.ADS, amount=D("10"))
        sold(shops.tmall, 11, sku, 2, "80.00", cost="100.00")
    client = as_role("manager")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("orders:promotions")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("orders:promotion_detail", args=[promotion.pk])).status_code == 200
        )
    with django_assert_max_num_queries(40):
        assert client.get(reverse("staff:dashboard")).status_code == 200


def test_support_lookup_and_order_form_show_running_promotion_prices(shops, as_role):
    sku = SKUFactory(code="TEA-01", retail_price=D("99.00"))
    receive(sku, shops.site.pick_a, 10)
    today = timezone.localdate()
    promotion = Promotion.objects.create(
        name="天猫年货节", channel=shops.tmall.channel, starts_on=today, ends_on=today
    )
    PromotionItem.objects.create(promotion=promotion, sku=sku, percent_off=D("10"))
    support = as_role("support")
    page = support.get(reverse("staff:dashboard"), {"q": "TEA-01"}).content.decode()
    assert "天猫年货节" in page and "89.10" in page  # 99 less 10 % = 89.10
    form = support.get(reverse("orders:order_new")).content.decode()
    assert "天猫年货节" in form and "89.10" in form


def _admin_form(promotion_fields: dict, sku, lock_quantity: int) -> dict:
    data = {
        **promotion_fields,
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-sku": str(sku.pk),
        "items-0-price": "79.00",
        "items-0-lock_quantity": str(lock_quantity),
        "spend-TOTAL_FORMS": "1",
        "spend-INITIAL_FORMS": "0",
        "spend-0-kind": SpendKind.ADS,
        "spend-0-amount": "1200.00",
        "spend-0-note": "天猫直通车",
    }
    return data


def test_the_marketer_saves_a_promotion_with_spend_and_its_stock_is_locked(shops, as_role):
    sku = SKUFactory(retail_price=D("99.00"))
    receive(sku, shops.site.pick_a, 20)
    today = timezone.localdate()
    fields = {
        "name": "双11狂欢节",
        "starts_on": str(today),
        "ends_on": str(today + dt.timedelta(days=3)),
        "lock_warehouse": str(shops.site.warehouse.pk),
    }
    client = as_role("marketer")
    response = client.post(
        reverse("admin:orders_promotion_add"), _admin_form(fields, sku, 8), follow=True
    )
    assert response.status_code == 200
    promotion = Promotion.objects.get(name="双11狂欢节")
    assert promotion.spend.get().amount == D("1200.00")
    assert locked(sku, shops.site.warehouse) == 8
    assert StockLock.objects.get().reason == "双11狂欢节"
    # More than the stock: the promotion is saved, nothing locked, the marketer is told.
    fields["name"] = "双12年终盛典"
    response = client.post(
        reverse("admin:orders_promotion_add"), _admin_form(fields, sku, 500), follow=True
    )
    assert Promotion.objects.filter(name="双12年终盛典").exists()
    assert locked(sku, shops.site.warehouse) == 8
    assert "not locked" in response.content.decode()
