"""In a real browser (Playwright, Debian Chromium, headless, 1366 × 768, in Chinese): a
merchandiser finds a 小类 through the tree of the attribute application table, ticks a use and
saves; a purchaser reads the same table without a form."""

import pytest

from catalog.models import CategoryAttribute
from tests.factories import AttributeFactory, CategoryFactory
from tests.pages_browser import chromium, log_in, shoot  # noqa: F401 - chromium is a fixture
from tests.staff.support import FAST_HASHERS, role_users


@pytest.fixture
def tree(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    role_users()
    top = CategoryFactory(name="服饰内衣")
    middle = CategoryFactory(name="男装", parent=top)
    leaf = CategoryFactory(name="衬衫", parent=middle)
    CategoryFactory(name="T恤", parent=middle)
    CategoryFactory(name="女装", parent=top)
    for code, name, uses in (
        ("spec", "规格", {"use_variant": True, "use_web_filter": True}),
        ("origin", "产地", {"use_web_display": True, "use_customer_service": True}),
        ("tax_rate", "税率", {"use_finance": True}),
    ):
        attribute = AttributeFactory(code=code, name=name, **uses)
        CategoryAttribute.objects.create(category=top, attribute=attribute, is_required=True)
    material = AttributeFactory(code="material", name="材质", use_web_filter=True)
    CategoryAttribute.objects.create(category=middle, attribute=material)
    collar = AttributeFactory(code="collar", name="领型", value_type="choice")
    CategoryAttribute.objects.create(category=leaf, attribute=collar, sort_order=0)
    sleeve = AttributeFactory(code="sleeve", name="袖长", value_type="choice", use_marketing=True)
    CategoryAttribute.objects.create(category=leaf, attribute=sleeve, sort_order=1)
    return {"leaf": leaf}


def test_a_merchandiser_finds_a_minor_class_in_the_tree_and_ticks_a_use(
    tree,
    live_server,
    chromium,  # noqa: F811
):
    page = log_in(chromium, live_server, "merchandiser")
    page.get_by_role("link", name="属性应用表").click()
    assert page.locator("h1").inner_text() == "属性应用表"
    top = page.locator("#attribute-tree summary", has_text="服饰内衣")
    top.click(position={"x": 4, "y": 8})  # the marker: the name is a link to the 大类's table
    middle = page.locator("#attribute-tree summary", has_text="男装")
    middle.click(position={"x": 4, "y": 8})
    page.locator("#attribute-tree").get_by_role("link", name="衬衫").click()
    assert page.locator("h1").inner_text().startswith("衬衫")
    assert page.locator(".breadcrumb").inner_text() == "属性应用表 › 服饰内衣 › 男装 › 衬衫"
    row = page.locator("#attribute-table tbody tr", has_text="材质")
    assert "继承自 服饰内衣 › 男装" in row.inner_text()
    assert "用途对所有使用该属性的类目生效" in page.locator(".notice").inner_text()

    collar = page.locator("#attribute-edit-table tbody tr", has_text="领型")
    collar.locator("input[name$='-use_warehouse'][type=checkbox]").check()
    page.get_by_role("button", name="保存").click()

    assert "衬衫 的属性已保存：修改 1 个" in page.locator(".messages").inner_text()
    collar_row = page.locator("#attribute-table tbody tr", has_text="领型")
    warehouse = collar_row.locator("td.mark").nth(4)  # required, filter, display, variant, 仓库
    assert warehouse.inner_text() == "✓"
    assert collar.locator("input[name$='-use_warehouse'][type=checkbox]").is_checked()
    assert shoot(page, "attribute-table-merchandiser") == []


def test_a_purchaser_reads_the_table_without_a_form(tree, live_server, chromium):  # noqa: F811
    page = log_in(chromium, live_server, "purchaser")
    page.goto(f"{live_server.url}/catalog/attributes/{tree['leaf'].pk}/")

    assert page.locator("#attribute-table tbody tr").count() == 6
    assert page.locator("#attribute-edit-table").count() == 0
    assert page.locator("form[method=post] button", has_text="保存").count() == 0
    assert shoot(page, "attribute-table-purchaser") == []
