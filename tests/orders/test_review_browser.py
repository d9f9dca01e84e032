"""In a real browser (Playwright, Debian Chromium, headless, 1366 × 768, in Chinese): a
merchandiser opens the reviews page from the dashboard, sees the flagged product first, opens
its product page and reads its 点评 section."""

import pytest
from django.utils import timezone

from orders.enums import ChannelKind, OrderSource, OrderStatus
from orders.models import Channel, Review, SalesOrder, SalesOrderLine, Shop
from tests.factories import ProductFactory, SKUFactory, WarehouseFactory
from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - chromium is a fixture
from tests.staff.support import FAST_HASHERS, role_users

SCORES = {
    "P-TEA": [(1, "质量差，和描述不符"), (2, "等了很久才到货，有点失望。"), (4, "")],  # 2.33
    "P-CUP": [(5, "物流很快，质量不错，好评！"), (4, "")],
}


@pytest.fixture
def reviewed(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.ORDERS_REVIEW_FLAG_SCORE = 3.5
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 3
    role_users()
    warehouse = WarehouseFactory()
    channel = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(channel=channel, code="TM1", name="天猫旗舰店", warehouse=warehouse)
    names = {"P-TEA": "西湖龙井茶 250g", "P-CUP": "双层玻璃杯"}
    for code, reviews in SCORES.items():
        sku = SKUFactory(product=ProductFactory(code=code, name=names[code]))
        for i, (score, text) in enumerate(reviews):
            order = SalesOrder.objects.create(
                shop=shop,
                number=f"TB{code}{i}",
                source=OrderSource.CHANNEL,
                warehouse=warehouse,
                status=OrderStatus.COMPLETED,
            )
            line = SalesOrderLine.objects.create(
                order=order, line_no=1, sku=sku, platform_code=sku.code, quantity=1, unit_price=59
            )
            Review.objects.create(line=line, score=score, text=text, reviewed_at=timezone.now())


def test_a_merchandiser_finds_a_flagged_product_and_reads_its_reviews(
    reviewed,
    live_server,
    chromium,  # noqa: F811
):
    page = log_in(chromium, live_server, "merchandiser")
    panel = page.locator("#panel-review_flags")
    assert "西湖龙井茶" in panel.inner_text() and "双层玻璃杯" not in panel.inner_text()
    page.get_by_role("link", name="点评", exact=True).first.click()
    assert page.locator("h1").inner_text() == "点评"
    first = page.locator("table tbody tr").first
    assert "西湖龙井茶" in first.inner_text() and "预警" in first.inner_text()
    assert "2.33" in first.inner_text()
    assert shoot(page, "reviews-merchandiser") == []

    first.get_by_role("link").click()
    assert page.locator("h1").inner_text() == "P-TEA 西湖龙井茶 250g"
    section = page.locator("#reviews")
    assert section.inner_text().startswith("点评")
    body = page.locator("body").inner_text()
    assert "预警：平均评分偏低" in body and "3 条点评" in body
    assert "质量差，和描述不符" in body
    section.scroll_into_view_if_needed()
    assert shoot(page, "reviews-product-merchandiser") == []
