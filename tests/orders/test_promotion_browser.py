"""In a real browser (Playwright, Debian Chromium, 1366 × 768, Chinese): customer service looks
a product up on its dashboard and sees the promotion running today, its price and name; the
marketer reads the promotion results. Screenshots under var/artifacts/screenshots/; no page
scrolls sideways."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.enums import SpendKind
from orders.models import Promotion, PromotionItem, PromotionSpend
from tests.factories import ProductFactory, SKUFactory
from tests.inventory.support import receive
from tests.orders.test_promotions import sold
from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - chromium: a fixture
from tests.staff.support import role_users

D = Decimal


@pytest.fixture
def campaign(transactional_db, shops):
    role_users()
    product = ProductFactory(code="MD-FB40", name="美的 智能电饭煲 4L")
    sku = SKUFactory(
        product=product,
        code="MD-FB40-W",
        name="美的 智能电饭煲 4L 白色",
        retail_price=D("299.00"),
        cost_price=D("180.00"),
    )
    receive(sku, shops.site.pick_a, 40)
    today = timezone.localdate()
    promotion = Promotion.objects.create(
        name="年货节 厨房电器专场",
        starts_on=today - dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=5),
    )
    PromotionItem.objects.create(promotion=promotion, sku=sku, price=D("259.00"))
    coming = Promotion.objects.create(
        name="天猫38女王节",
        channel=shops.tmall.channel,
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=17),
    )
    PromotionItem.objects.create(promotion=coming, sku=sku, percent_off=D("15"))
    PromotionSpend.objects.create(
        promotion=promotion, kind=SpendKind.ADS, amount=D("800.00"), note="天猫直通车"
    )
    PromotionSpend.objects.create(
        promotion=promotion, kind=SpendKind.COUPONS, amount=D("300.00"), note="满199减20"
    )
    # Sold before (8 days before its first day: 2 units) and during (1 + 3 + 2 units).
    for days_ago, units, price in (
        (8, 2, "299.00"),
        (2, 1, "259.00"),
        (1, 3, "259.00"),
        (0, 2, "259.00"),
    ):
        sold(
            shops.tmall,
            today - dt.timedelta(days=days_ago),
            sku,
            units,
            price,
            cost=str(180 * units),
        )
    return promotion, sku


def test_support_sees_the_running_promotion_price_in_the_product_lookup(
    campaign,
    live_server,
    chromium,  # noqa: F811
):
    page = log_in(chromium, live_server, "support")
    page.fill("input[name=q]", "MD-FB40")
    page.click("form button[type=submit].primary")
    row = page.locator("tr", has_text="MD-FB40-W")
    text = row.inner_text()
    assert "259.00" in text and "年货节 厨房电器专场" in text
    assert "天猫38女王节" in text and "254.15" in text  # 299 less 15 % = 254.15, to come
    assert shoot(page, "promotion_support_lookup") == []


def test_the_marketer_reads_the_promotion_results(campaign, live_server, chromium):  # noqa: F811
    promotion, _sku = campaign
    page = log_in(chromium, live_server, "marketer")
    assert "年货节 厨房电器专场" in page.locator("main").inner_text()  # the dashboard panel
    page.goto(f"{live_server.url}/orders/promotions/")
    assert (
        "1,100.00" in page.locator("main").inner_text()
        or "1100.00" in page.locator("main").inner_text()
    )
    assert shoot(page, "promotion_results") == []
    page.goto(f"{live_server.url}/orders/promotions/{promotion.pk}/")
    page.wait_for_function("document.querySelector('#report-chart').width > 0")
    assert shoot(page, "promotion_detail") == []
