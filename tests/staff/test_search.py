"""The catalogue search (/products/search/): facet counts, drill-down, sorts, what each role
sees, bad parameters, constant queries, and the stored search facts it reads."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.enums import ProductStatus
from catalog.models import AttributeValue, Brand, Product
from staff.models import ProductSearchFacts, SearchStockStatus
from staff.search_facts import search_facts_refresh
from tests.factories import BrandFactory, ProductFactory, SKUFactory
from tests.staff.search_support import Shop4, build_shop4

pytestmark = pytest.mark.django_db
URL = reverse("staff:product_search")


@pytest.fixture
def shop4(db) -> Shop4:
    return build_shop4()


def _search(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["result"]


def _facets(result) -> dict[str, dict[str, int]]:
    return {f.title: {v.label: v.count for v in f.values} for f in result.facets}


def _codes(result) -> list[str]:
    return [p.code for p in result.page]


def test_facet_counts_are_those_counted_by_hand(shop4, client_as):
    result = _search(client_as("merchandiser"))
    assert result.total == 4
    assert {v.label: v.count for v in result.category.values} == {"食品": 3, "家电": 1}
    facets = _facets(result)
    assert facets["Product role"] == {
        "Traffic driver (目标性/导流)": 1,
        "Regular (常规性)": 2,
        "Image / flagship (形象)": 1,
    }
    assert facets["Status"] == {"Draft": 1, "Ready": 0, "Listed": 3, "Delisted": 0}
    assert facets["Selection tags (名特优新)"] == {
        "Famous (名)": 1,
        "Special (特)": 0,
        "Quality (优)": 0,
        "New (新)": 1,
    }
    assert facets["Stock status"] == {
        "In stock (有货)": 2,
        "Low stock (低库存)": 1,
        "No stock (无货)": 1,
    }
    assert facets["Retail price"] == {
        "¥0–50": 1,
        "¥50–100": 2,
        "¥100–200": 1,
        "¥200–500": 0,
        "¥500–1000": 1,
        "¥1000–3000": 0,
        "¥3000 and up": 0,  # the inactive SKU at 9999 is not counted
    }
    assert facets["Brand"] == {"甲牌": 2, "乙牌": 1, "丙牌": 1}
    # Web filter attributes attached to a 大类; 产地 is no web filter.
    assert facets["颜色"] == {"红": 2, "蓝": 1}
    assert facets["适用人群"] == {"儿童": 2, "男士": 1}
    assert facets["智能"] == {"Yes": 1}
    assert "产地" not in facets


def test_counts_are_disjunctive_or_within_a_facet_and_across_facets(shop4, client_as):
    client = client_as("merchandiser")
    brand = dict(Brand.objects.values_list("name", "pk"))
    result = _search(client, brand=brand["甲牌"], stock=SearchStockStatus.IN_STOCK)
    assert _codes(result) == ["P1"]
    facets = _facets(result)
    # A facet's own selection is left out of its counts; the others apply.
    assert facets["Brand"] == {"甲牌": 1, "丙牌": 1}
    assert facets["Stock status"] == {
        "In stock (有货)": 1,
        "Low stock (低库存)": 0,
        "No stock (无货)": 1,
    }
    assert facets["Product role"]["Traffic driver (目标性/导流)"] == 1
    assert facets["Product role"]["Regular (常规性)"] == 0
    assert {c.label for c in result.chips} == {"Brand: 甲牌", "Stock status: In stock (有货)"}

    result = _search(client, brand=[brand["甲牌"], brand["乙牌"]])
    assert sorted(_codes(result)) == ["P1", "P2", "P3"]  # OR within a facet
    result = _search(client, **{"attr": ["colour:红", "audience:儿童"]})
    assert _codes(result) == ["P1"]  # AND across facets
    assert _facets(result)["颜色"] == {"红": 1, "蓝": 1}  # p1 and p2 are for children
    assert _facets(result)["适用人群"] == {"儿童": 1, "男士": 1}  # p1 and p3 are red
    result = _search(client, attr=["colour:红", "colour:蓝"], price="50-100")
    assert _codes(result) == ["P2"]


def test_chips_remove_their_own_filter(shop4, client_as):
    client = client_as("merchandiser")
    result = _search(client, role="traffic", tag="new", q="饼干")
    assert _codes(result) == ["P1"]
    chip = next(c for c in result.chips if c.label == "Product role: Traffic driver (目标性/导流)")
    after = client.get(URL + chip.url).context["result"]
    assert sorted(_codes(after)) == ["P1"]  # still new and a biscuit
    assert after.selection.roles == [] and after.selection.tags == ["new"]
    text_chip = next(c for c in after.chips if c.label.startswith("Keywords:"))
    assert client.get(URL + text_chip.url).context["result"].selection.query == ""


def test_category_drill_down_shows_children_with_counts_and_their_attributes(shop4, client_as):
    client = client_as("merchandiser")
    result = _search(client, cat=shop4.top_a.pk)
    assert {v.label: v.count for v in result.category.values} == {"零食": 3}
    assert "智能" not in _facets(result)  # attached to 家电 only
    result = _search(client, cat=shop4.middle_a.pk, stock="in_stock")
    assert [name for name, _url in result.category.trail] == ["食品", "零食"]
    assert {v.label: v.count for v in result.category.values} == {"饼干": 1}
    result = _search(client, cat=shop4.leaf_a2.pk)
    assert result.total == 1 and _codes(result) == ["P3"] and result.category.values == []
    result = _search(client, cat=shop4.top_b.pk)
    assert set(_facets(result)) >= {"智能"} and "颜色" not in _facets(result)


def test_text_finds_code_name_sku_code_and_barcode(shop4, client_as):
    client = client_as("support")
    p4 = shop4.products["p4"]
    sku = p4.skus.exclude(barcode=None).first()
    assert _codes(_search(client, q="p2")) == ["P2"]
    assert _codes(_search(client, q="电饭")) == ["P4"]
    assert _codes(_search(client, q=sku.barcode)) == ["P4"]
    assert _codes(_search(client, q=sku.code)) == ["P4"]
    assert _codes(_search(client, q="没有这个")) == []


def test_sorts_by_sales_stock_newest_and_margin_for_those_who_may(shop4, client_as):
    merchandiser = client_as("merchandiser")
    assert _codes(_search(merchandiser)) == ["P2", "P1", "P4", "P3"]  # sales by default
    assert _codes(_search(merchandiser, sort="stock")) == ["P1", "P4", "P2", "P3"]
    assert _codes(_search(merchandiser, sort="newest")) == ["P4", "P3", "P2", "P1"]
    purchaser = client_as("purchaser")
    # p2 (80−40)/80 = 50 %, p4 (660−354)/660 = 46.4 %, p1 (30−20)/30 = 33.3 %, p3 unknown.
    result = _search(purchaser, sort="margin")
    assert _codes(result) == ["P2", "P4", "P1", "P3"]
    response = purchaser.get(URL, {"sort": "margin"})
    assert "46.4 %" in response.content.decode()


@pytest.mark.parametrize("role", ["merchandiser", "warehouse", "support", "marketer"])
def test_margin_is_never_shown_nor_sortable_without_the_permission(shop4, client_as, role):
    client = client_as(role)
    response = client.get(URL, {"sort": "margin"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.selection.sort != "margin"
    assert "margin" not in [key for key, _label in result.sorts]
    html = response.content.decode()
    assert "Margin" not in html and "Highest margin" not in html
    assert "50.0 %" not in html and "46.4 %" not in html


def test_sales_need_the_permission_to_read_sales_lines(shop4, client_as):
    result = _search(client_as("purchaser"), sort="sales")  # purchasers read no sales lines
    assert result.selection.sort == "newest"
    assert "sales" not in [key for key, _label in result.sorts]


def test_facets_of_values_a_role_may_not_see_are_left_out(shop4, client_as):
    facets = _facets(_search(client_as("warehouse")))
    assert "颜色" in facets  # a variant attribute: every role
    assert "适用人群" not in facets  # web filter and marketing only


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "999999999999999999999"},
        {"cat": "abc"},
        {"cat": "99999999"},
        {"cat": "99999999999999999999"},
        {"brand": ["x", "99999999", "-1"]},
        {"role": "bogus", "status": "gone", "tag": "<script>", "stock": "lots"},
        {"price": ["1-2", "3000"]},
        {"attr": ["nocolon", "colour:紫", "smart:maybe", "unknown:1", "colour:"]},
        {"sort": "margin"},
        {"sort": "cost_price"},
        {"q": "x" * 500},
        {"brands": "everything"},
    ],
)
def test_bad_parameters_are_ignored(shop4, client_as, params):
    result = _search(client_as("merchandiser"), **params)
    if "q" not in params:
        assert result.total == 4
        assert result.chips == []


def test_the_page_links_results_to_the_product_page_and_pages_by_fifty(shop4, client_as):
    for n in range(55):
        ProductFactory(code=f"X{n:03d}", category=shop4.leaf_a1, name=f"批量{n}")
    search_facts_refresh()
    client = client_as("merchandiser")
    response = client.get(URL, {"cat": shop4.top_a.pk, "sort": "newest"})
    html = response.content.decode()
    assert reverse("staff:product", args=[Product.objects.get(code="X054").pk]) in html
    result = response.context["result"]
    assert len(result.page.object_list) == 50 and result.total == 58
    second = client.get(URL + "?" + result.query + "&page=2").context["result"]
    assert len(second.page.object_list) == 8


def _grow(shop4, n):
    brand = BrandFactory(name=f"增长{n}")
    for i in range(n):
        product = ProductFactory(
            code=f"G{n}-{i}", category=shop4.leaf_a1, brand=brand, status=ProductStatus.LISTED
        )
        sku = SKUFactory(product=product, retail_price="45.00", barcode=None)
        AttributeValue.objects.create(
            attribute=shop4.attributes["audience"], product=product, value_list=["儿童"]
        )
        AttributeValue.objects.create(
            attribute=shop4.attributes["colour"], sku=sku, value_text="红"
        )
    search_facts_refresh()


@pytest.mark.parametrize("extra", [2, 60])
def test_the_query_count_does_not_grow_with_the_products(
    shop4, client_as, django_assert_max_num_queries, extra
):
    _grow(shop4, extra)
    client = client_as("merchandiser")
    params = {
        "cat": shop4.top_a.pk,
        "role": "regular",
        "status": ["listed", "ready"],
        "stock": ["in_stock", "out"],
        "price": "0-50",
        "attr": ["colour:红", "audience:儿童"],
        "sort": "sales",
    }
    client.get(URL, params)  # sessions and permissions cached
    with django_assert_max_num_queries(24):
        response = client.get(URL, params)
    assert response.context["result"].total >= 1


def test_refresh_stores_sales_prices_stock_and_margin(shop4):
    facts = {f.product.code: f for f in ProductSearchFacts.objects.select_related("product")}
    assert (facts["P1"].units_sold, facts["P2"].units_sold, facts["P4"].units_sold) == (5, 10, 1)
    assert facts["P3"].units_sold == 0
    assert (facts["P4"].min_price, facts["P4"].max_price) == (Decimal("60.00"), Decimal("600"))
    assert (facts["P1"].available, facts["P2"].available, facts["P4"].available) == (25, 3, 20)
    assert [facts[c].stock_status for c in ("P1", "P2", "P3", "P4")] == [
        SearchStockStatus.IN_STOCK,
        SearchStockStatus.LOW,
        SearchStockStatus.OUT,
        SearchStockStatus.IN_STOCK,
    ]
    assert facts["P1"].margin == Decimal("0.3333")
    assert facts["P4"].price_bands == 0b10010  # ¥50–100 (bit 1) and ¥500–1000 (bit 4)
    assert facts["P3"].margin is None
    # Safe to run twice; a new product is searchable before its facts exist.
    new = ProductFactory(code="P5", name="新饼干", category=shop4.leaf_a1)
    assert _codes_of(new) == ["P5"]
    assert search_facts_refresh() == 5
    assert ProductSearchFacts.objects.count() == 5


def _codes_of(product):
    from django.test import Client

    from tests.staff.support import role_users

    client = Client()
    client.force_login(role_users()["support"])
    return _codes(_search(client, q=product.name))


def test_refresh_runs_from_its_task_and_beat(shop4, settings):
    from staff.tasks import search_facts_refresh as task

    ProductSearchFacts.objects.all().delete()
    assert task.delay().get() == 4
    assert "staff.search_facts_refresh" in settings.CELERY_BEAT_SCHEDULE


def test_the_page_is_in_chinese_with_the_facts_time(shop4, client_as, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client_as("merchandiser").get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("商品搜索", "有货", "低库存", "无货", "品牌", "名特优新", "截至"):
        assert text in html, text
