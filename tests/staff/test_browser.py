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


# --- Wide tables at 1366 x 768 -------------------------------------------------------------

WIDE_ROLES = ["merchandiser", "purchaser", "manager"]

# Each visible table of the page's content against the narrowest box that clips it (the
# changelist scrolls its table inside a box): a table wider than that box scrolls off screen.
TABLE_OVERFLOWS = """() => Array.from(document.querySelectorAll('#content table'))
  .filter(table => table.offsetParent !== null)
  .map(table => {
    let right = window.innerWidth;
    for (let box = table.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible') {
        right = Math.min(right, box.getBoundingClientRect().right);
      }
    }
    const name = table.id || (table.closest('[id]') || {}).id;
    return [name, Math.round(table.getBoundingClientRect().right), Math.round(right)];
  })
  .filter(([name, tableRight, visibleRight]) => tableRight > visibleRight + 1)"""


@pytest.fixture
def wide_catalogue(transactional_db):
    """A product of many SKUs with long names and every price, and attributes of every use."""
    from catalog.enums import AttributeUse
    from tests.factories import AttributeFactory, ProductFactory

    role_users()
    product = ProductFactory(name="华为 HUAWEI Mate 30 Pro 5G 全网通 超长名称的旗舰智能手机")
    for n in range(60):
        SKUFactory(
            product=product,
            code=f"CM-SKU-LONG-{n:03d}",
            name=f"{product.name} 翡冷翠 8GB+512GB 套装 {n}",
            retail_price=Decimal("12999.00"),
            distribution_price=Decimal("10999.00"),
            cost_price=Decimal("8999.99"),
        )
    for n in range(3):
        AttributeFactory(
            code=f"every_use_{n}",
            name=f"适用于所有用途的属性名称 {n}",
            value_type="multi_choice",
            options=[f"选项{i}号很长的可选值" for i in range(12)],
            **{f"use_{use}": True for use in AttributeUse.values},
        )
    return product


def log_in(browser, live_server, role: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize("role", WIDE_ROLES)
def test_catalogue_tables_fit_a_1366_px_screen(
    wide_catalogue, live_server, browser, role, tmp_path
):
    page = log_in(browser, live_server, role)
    paths = {
        "sku list": "/admin/catalog/sku/",
        "attribute list": "/admin/catalog/attribute/",
        "product page": f"/admin/catalog/product/{wide_catalogue.pk}/change/",
    }
    problems = []
    for name, path in paths.items():
        page.goto(f"{live_server.url}{path}")
        assert page.locator("#content table").count(), f"{name}: no table"
        page.screenshot(path=str(tmp_path / f"{role}-{name}.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1366:
            problems.append(f"{name}: the page is {width} px wide")
        for table, right, visible in page.evaluate(TABLE_OVERFLOWS):
            problems.append(f"{name}: table {table} ends at {right} px, visible up to {visible}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_long_lists_page_at_fifty_rows(wide_catalogue, live_server, browser):
    page = log_in(browser, live_server, "merchandiser")
    page.goto(f"{live_server.url}/admin/catalog/sku/")
    assert page.locator("#result_list tbody tr").count() == 50
    assert page.locator(".paginator a").count() >= 1
