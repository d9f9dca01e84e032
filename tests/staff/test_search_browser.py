"""In a real browser (Playwright, Chromium, 1366 × 768, Chinese): a merchandiser opens the
catalogue search, narrows it with three facets by clicking, sees the counts and the results
follow, removes a filter by its chip and opens a result's product page."""

import re

import pytest

from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - a fixture
from tests.staff.search_support import build_shop4
from tests.staff.support import role_users


@pytest.fixture
def shop4(transactional_db):
    role_users()
    return build_shop4()


def _found(page) -> str:
    return page.locator(".results > p").first.inner_text()


def _count(page, facet: str, label: str) -> str:
    row = page.locator(f"#facet-{facet} li", has_text=label)
    return row.locator(".count").inner_text()


def _rows(page) -> list[str]:
    return [
        text.split()[0] for text in page.locator("table.search-results tbody tr").all_inner_texts()
    ]


def test_a_merchandiser_narrows_the_search_with_three_facets_and_opens_a_product(
    shop4,
    live_server,
    chromium,  # noqa: F811 - the fixture imported above
):
    page = log_in(chromium, live_server, "merchandiser")
    page.click("header.top >> text=商品搜索")
    assert page.locator("h1").inner_text() == "商品搜索"
    assert "共找到 4 个商品" in _found(page)
    assert "截至" in _found(page)
    assert _rows(page) == ["P2", "P1", "P4", "P3"]  # best selling first
    problems = shoot(page, "search-all")

    page.locator("#facet-category a", has_text="食品").click()
    assert "共找到 3 个商品" in _found(page)
    assert _count(page, "brand", "甲牌") == "2"
    page.locator("#facet-brand a", has_text="甲牌").click()
    assert "共找到 2 个商品" in _found(page)
    # Disjunctive: the brand facet still counts the other brands under 食品.
    assert _count(page, "brand", "乙牌") == "1"
    assert _count(page, "stock", "有货") == "1"
    assert _count(page, "stock", "无货") == "1"
    page.locator("#facet-stock a", has_text="有货").click()
    assert "共找到 1 个商品" in _found(page)
    assert _rows(page) == ["P1"]
    chips = page.locator(".chips .chip").all_inner_texts()
    assert len(chips) == 3 and any("甲牌" in chip for chip in chips)
    assert re.search(r"[?&]stock=in_stock", page.url)
    problems += shoot(page, "search-three-facets")

    page.locator(".chips .chip", has_text="有货").click()  # remove the stock filter
    assert "共找到 2 个商品" in _found(page)
    assert sorted(_rows(page)) == ["P1", "P3"]
    page.locator("table.search-results a", has_text="P1").click()
    page.wait_for_url(re.compile(r"/products/\d+/$"))
    assert "P1" in page.locator("h1").inner_text()
    assert problems == []
