"""In a real browser (Playwright, Debian Chromium, 1366 × 768, Chinese): the product structure
table unfolds its tree 大类 → 中类 → 小类, and a product's flow opens from the flow board.
Screenshots are kept under var/artifacts/screenshots/; no page scrolls sideways."""

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.enums import ProductRole, ProductStatus
from staff.flow import flow_refresh
from tests.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - chromium: a fixture
from tests.staff.support import role_users


@pytest.fixture
def shop(transactional_db):
    role_users()
    appliances = CategoryFactory(name="家用电器", code="JD")
    kitchen = CategoryFactory(name="厨房电器", code="JD-CF", parent=appliances)
    cookers = CategoryFactory(name="电饭煲", code="JD-CF-DFB", parent=kitchen)
    kettles = CategoryFactory(name="电水壶", code="JD-CF-DSH", parent=kitchen)
    products = [
        ProductFactory(
            code="MD-FB40", name="美的 智能电饭煲 4L", category=cookers, role=ProductRole.TRAFFIC
        ),
        ProductFactory(code="SP-SH17", name="苏泊尔 电水壶 1.7L", category=kettles),
        ProductFactory(
            code="ZJR-IH5", name="象印 IH 电饭煲 5L", category=cookers, role=ProductRole.IMAGE
        ),
    ]
    for product in products:
        SKUFactory(product=product, retail_price=Decimal("299.00"), cost_price=Decimal("180.00"))
    products[0].status = ProductStatus.LISTED
    products[0].save(update_fields=["status"])
    flow_refresh()
    return products


def _text(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def test_the_structure_table_unfolds_its_tree(shop, live_server, chromium):  # noqa: F811
    page = log_in(chromium, live_server, "merchandiser")
    page.goto(f"{live_server.url}/finance/structure/")
    assert page.locator("h1").inner_text() == _text("Product structure")
    periods = page.locator("select[name=days] option").all_inner_texts()
    assert periods == [_text("Last %(days)s days") % {"days": d} for d in (30, 90, 365)]
    assert "days" not in " ".join(periods)
    middle = page.locator("tr.level-1", has_text="厨房电器")
    leaf = page.locator("tr.level-2", has_text="电饭煲")
    assert page.locator("tr.level-0", has_text="家用电器").is_visible()
    assert not middle.is_visible() and not leaf.is_visible()  # folded to the 大类

    page.locator("tr.level-0 [data-toggle]").click()
    assert middle.is_visible() and not leaf.is_visible()
    middle.locator("[data-toggle]").click()
    assert leaf.is_visible()
    assert leaf.locator("td.num").first.inner_text() == "2"  # two rice cookers
    problems = shoot(page, "structure-unfolded-merchandiser")

    page.locator("tr.level-0 [data-toggle]").click()
    assert not middle.is_visible() and not leaf.is_visible()
    assert not problems, problems


def test_a_products_flow_opens_from_the_flow_board(shop, live_server, chromium):  # noqa: F811
    page = log_in(chromium, live_server, "purchaser")
    page.goto(f"{live_server.url}/products/flow/?role=purchaser")
    assert page.locator("h1").inner_text() == _text("Product flow board")
    problems = shoot(page, "flow-board-purchaser")
    rows = page.locator("table tbody tr")
    assert rows.count() == 3  # no supplier chosen for any of them: the purchaser's to-do
    assert _text("a supplier chosen") in rows.first.inner_text()

    page.get_by_role("link", name="MD-FB40").click()
    page.wait_for_url(f"{live_server.url}/products/{shop[0].pk}/")
    stages = page.locator("ol.flow > li")
    assert stages.count() == 7
    assert stages.first.locator("h3").inner_text() == _text("Purchasing (采购)")
    assert "next" in (stages.first.get_attribute("class") or "")
    assert _text("a supplier chosen") in stages.first.inner_text()
    problems += shoot(page, "product-flow-purchaser")
    assert not problems, problems
