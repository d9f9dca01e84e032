"""Inquiries in a real browser: support records an inquiry through the quick entry form and
finds it listed; the conversion page (chart, the three breakdowns) fits a 1366 × 768 screen."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.enums import ChannelKind, InquiryOutcome
from orders.models import Channel, Customer, Inquiry, Shop
from staff.roles import MANAGER, SUPPORT
from tests import pages_browser
from tests.factories import ProductFactory, SKUFactory, WarehouseFactory
from tests.pages_browser import log_in, shoot
from tests.staff.support import role_users

chromium = pages_browser.chromium  # the fixture


@pytest.fixture
def desk(transactional_db):
    users = role_users()
    channel = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(
        channel=channel, code="TM1", name="天猫旗舰店", warehouse=WarehouseFactory()
    )
    customer = Customer.objects.create(code="C001", name="张三", phone="13800001234")
    cup = SKUFactory(code="CUP-01", product=ProductFactory(code="P-CUP", name="真空保温杯"))
    kettle = SKUFactory(code="KET-01", product=ProductFactory(code="P-KET", name="电热水壶"))
    now = timezone.now()
    outcomes = [InquiryOutcome.ORDERED, InquiryOutcome.NOT_ORDERED, InquiryOutcome.ANSWERED]
    for n in range(40):
        inquiry = Inquiry.objects.create(
            shop=shop,
            customer=customer if n % 2 else None,
            visitor="" if n % 2 else "tb_小鱼儿88",
            asked_at=now - dt.timedelta(hours=30 * n + 1),
            agent=users[SUPPORT] if n % 3 else users[MANAGER],
            question="保温效果怎么样？能保温多久？",
            outcome=outcomes[n % 3],
        )
        inquiry.skus.set([cup] if n % 2 else [cup, kettle])
    return customer


def test_support_records_an_inquiry_and_sees_it_listed(desk, chromium, live_server):
    page = log_in(chromium, live_server, SUPPORT)
    page.goto(f"{live_server.url}/orders/inquiries/")
    assert page.locator("h1").inner_text() == "咨询与转化"
    page.select_option("#id_shop", label="TMALL/TM1 天猫旗舰店")
    page.fill("#id_customer", "13800001234")
    page.fill("#id_skus", "KET-01")
    page.fill("#id_question", "这款水壶有蓝色吗？")
    page.fill("#id_note", "到货后通知客户")
    page.click("#inquiry-entry button[type=submit]")
    page.wait_for_load_state()
    assert "咨询已记录" in page.locator(".messages").inner_text()
    first = page.locator("#inquiry-list tbody tr").first.inner_text()
    assert "这款水壶有蓝色吗？" in first and "KET-01" in first and "待跟进" in first
    assert shoot(page, "inquiries_support") == []


def test_the_conversion_page_fits_the_screen(desk, chromium, live_server):
    page = log_in(chromium, live_server, MANAGER)
    page.goto(f"{live_server.url}/orders/inquiries/")
    assert page.locator("#report-chart").is_visible()
    text = page.locator("main").inner_text()
    assert "转化率" in text and "%" in text and "nan" not in text
    assert "P-CUP 真空保温杯" in text
    assert shoot(page, "inquiries_conversion") == []
