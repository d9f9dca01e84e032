"""In a real browser (Playwright, Debian Chromium, headless, 1366 × 768, in Chinese): support
opens the customer segments page from the dashboard and finds the unpaid order to follow up
and the churned best customer."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from inventory.models import Warehouse
from orders.enums import ChannelKind, OrderStatus
from orders.models import Channel, Customer, Shop
from tests.factories import SKUFactory
from tests.orders.test_segments import order
from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - chromium is a fixture
from tests.staff.support import FAST_HASHERS, role_users


@pytest.fixture
def customers(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    role_users()
    warehouse = Warehouse.objects.create(code="WH1", name="主仓")
    channel = Channel.objects.create(code="TMALL", name="天猫", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(channel=channel, code="TM1", name="天猫旗舰店", warehouse=warehouse)
    shops = SimpleNamespace(tmall=shop, site=SimpleNamespace(warehouse=warehouse))
    sku = SKUFactory()
    today = timezone.localdate()
    regular = Customer.objects.create(code="K-001", name="陈静", phone="13800000001")
    for back in (3, 20, 40):
        order(shops, regular, today - dt.timedelta(days=back), sku, 120)
    gone = Customer.objects.create(code="K-002", name="刘洋", phone="13800000002")
    for back in (200, 230, 260):
        order(shops, gone, today - dt.timedelta(days=back), sku, 900)
    once = Customer.objects.create(code="K-003", name="王芳", phone="13800000003")
    order(shops, once, today - dt.timedelta(days=90), sku, 60)
    for n, back in ((4, 10), (5, 150)):  # five customers: the best fifth can score 5
        customer = Customer.objects.create(code=f"K-00{n}", name=f"顾客{n}")
        order(shops, customer, today - dt.timedelta(days=back), sku, 30)
    unpaid = order(
        shops, once, today - dt.timedelta(days=2), sku, 88, OrderStatus.PENDING_PAYMENT, False
    )
    return {"unpaid": unpaid}


def test_support_finds_the_follow_ups_on_the_segments_page(
    customers,
    live_server,
    chromium,  # noqa: F811
):
    page = log_in(chromium, live_server, "support")
    assert "待跟进：未付款订单" in page.content()
    page.get_by_role("link", name="全部待跟进").click()
    assert page.locator("h1").inner_text() == "客户分层"
    unpaid = page.locator("#unpaid + p + table")
    assert customers["unpaid"].number in unpaid.inner_text()
    assert "王芳" in unpaid.inner_text() and "88.00" in unpaid.inner_text()
    churned = page.locator("#churned + p + table")
    assert "刘洋" in churned.inner_text()
    text = page.locator("main").inner_text() if page.locator("main").count() else page.content()
    assert "nan" not in text and "high_active" not in text
    assert "高活跃" in text and "流失" in text and "%" in text
    page.wait_for_function("document.querySelector('#report-chart').width > 0")
    assert shoot(page, "orders-customer-segments") == []
