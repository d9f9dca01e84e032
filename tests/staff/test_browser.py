"""In a real browser (Playwright, Debian Chromium, headless): warehouse and finance log in
through the login page and open the same SKU; finance sees its cost, the warehouse sees its
barcode and weight and no cost."""

from decimal import Decimal
from pathlib import Path

import pytest

from tests.factories import SKUFactory
from tests.staff.support import PASSWORD, leaks, role_users

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: apt-get install -y chromium (Debian) to run browser tests",
)


@pytest.fixture
def browser(sku, live_server):
    # Playwright's sync API runs an event loop in this thread while it is open: Django would
    # take ORM calls made meanwhile for async ones. The data is made before (``sku``), the
    # test itself only talks HTTP, and the database is flushed after Playwright stopped.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def sku(transactional_db):
    role_users()
    return SKUFactory(
        code="S-BROWSER",
        cost_price=Decimal("987.65"),
        retail_price=Decimal("129.00"),
        weight_g=1234,
    )


def open_sku_as(browser, live_server, role: str, sku):
    page = browser.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Dashboard"
    page.goto(f"{live_server.url}/admin/catalog/sku/{sku.pk}/change/")
    return page


def test_finance_sees_the_cost_of_the_sku(sku, live_server, browser):
    page = open_sku_as(browser, live_server, "finance", sku)
    cost = page.locator("input[name=cost_price]")
    assert cost.is_visible()
    assert cost.input_value() == "987.65"
    assert page.locator("label[for=id_cost_price]").inner_text().startswith("Cost price")


def test_the_warehouse_sees_barcode_and_weight_but_no_cost(sku, live_server, browser):
    page = open_sku_as(browser, live_server, "warehouse", sku)
    assert page.locator(".field-barcode .readonly").inner_text() == sku.barcode
    assert page.locator(".field-weight_g .readonly").inner_text() == "1234"
    assert page.locator(".field-cost_price").count() == 0
    assert "Cost price" not in page.locator("#content").inner_text()
    assert not leaks(page.content())
