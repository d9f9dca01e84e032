"""The shelf plan in a real browser: a merchandiser pins a product by its code and finds it
first in its floor's featured slots; a marketer reads the plan without buttons. Both pages
fit a 1366 × 768 screen."""

import pytest

from staff.roles import MARKETER, MERCHANDISER
from tests import pages_browser
from tests.pages_browser import log_in, shoot
from tests.staff.shelf_world import Storefront
from tests.staff.support import role_users

chromium = pages_browser.chromium  # the fixture


@pytest.fixture
def store(transactional_db):
    role_users()
    return Storefront()


def test_a_merchandiser_pins_a_product_by_code_and_sees_it_in_the_featured_slots(
    store, chromium, live_server
):
    page = log_in(chromium, live_server, MERCHANDISER)
    page.goto(f"{live_server.url}/shelf/")
    assert page.locator("h1").inner_text() == "货架与首页规划（WEB货架）"
    featured = page.locator(f"#floor-{store.home.pk} .shelf-row").nth(1)
    assert "普通吸尘器" not in featured.inner_text()

    page.fill("#id_code", "P-PLAIN")
    page.select_option("#id_kind", "pin")
    page.select_option("#id_slot", "featured")
    page.fill("#id_note", "首页主推")
    page.click("#pin-form button[type=submit]")
    page.wait_for_load_state()

    assert "已钉选到精选位" in page.locator(".messages").inner_text()
    featured = page.locator(f"#floor-{store.home.pk} .shelf-row").nth(1)
    cards = featured.locator(".shelf-card")
    names = [cards.nth(i).locator(".shelf-name").inner_text() for i in range(cards.count())]
    assert names == ["钉选吸尘器", "普通吸尘器", "爆款电饭煲", "引流吸尘器"]
    assert "已钉选" in cards.nth(1).inner_text()
    assert cards.nth(1).locator(".shelf-name").get_attribute("href") == (
        f"/products/{store.plain.pk}/"
    )
    # The pin waiting for stock says so on its floor.
    assert "坚果礼盒" in page.locator(f"#floor-{store.food.pk} .warn").inner_text()
    assert "没有可发库存" in page.locator(f"#floor-{store.food.pk} .warn").inner_text()
    assert shoot(page, "shelf_merchandiser") == []


def test_a_marketer_reads_the_plan_without_buttons(store, chromium, live_server):
    page = log_in(chromium, live_server, MARKETER)
    page.goto(f"{live_server.url}/shelf/")
    assert page.locator(".shelf-card").count() > 5
    assert page.locator("#pin-form").count() == 0
    assert page.locator(".shelf-card button").count() == 0
    assert shoot(page, "shelf_marketer") == []
