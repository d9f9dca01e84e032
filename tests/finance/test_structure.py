"""The product structure table (商品结构表), by hand on a small tree.

大类 甲 (中类 甲一: 小类 甲一a, 甲一b) and 大类 乙 (中类 乙一: 小类 乙一a):

- 甲一a: traffic T1 10 × (10, cost 12) = 100 − 120 → −20; regular R1 2 × (30, 20) = 60 − 40 →
  20 (5 received: 3 × 20 = 60 in stock); image I1 listed, never received.
- 甲一b: regular R2, draft, two SKUs, unsold.
- 乙一a: regular R3 4 × (25, 10) = 100 − 40 → 60; image I2 listed, 3 × 50 = 150 in stock.

So 甲 sells 160 (traffic 100 = 62.5 % at −20 %), 乙 100; all sales 260, gross profit 60.
"""

from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from catalog.enums import CompletenessScope, ProductRole, ProductStatus
from catalog.models import Product
from catalog.selectors import Completeness
from catalog.services import completeness_store
from finance.structure import ALL, product_structure
from tests.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line
from tests.orders.test_lifecycle import fulfil

D = Decimal
site, shops, as_role = inventory_fixtures.site, order_fixtures.shops, order_fixtures.as_role
TRAFFIC, REGULAR, IMAGE = ProductRole.TRAFFIC, ProductRole.REGULAR, ProductRole.IMAGE
URL = "/finance/structure/"


def product(code, role, category, price="10.00", *, status=ProductStatus.LISTED, skus=1):
    made = ProductFactory(
        code=code, name=f"商品{code}", role=role, status=status, category=category
    )
    made_skus = [
        SKUFactory(product=made, code=f"{code}-{n}", retail_price=D(price), cost_price=D("1.00"))
        for n in range(1, skus + 1)
    ]
    return made_skus[0]


@pytest.fixture
def tree(shops):
    jia = CategoryFactory(name="甲", code="JIA")
    jia1 = CategoryFactory(name="甲一", code="JIA1", parent=jia)
    jia1a = CategoryFactory(name="甲一a", code="JIA1A", parent=jia1)
    jia1b = CategoryFactory(name="甲一b", code="JIA1B", parent=jia1)
    yi = CategoryFactory(name="乙", code="YI")
    yi1 = CategoryFactory(name="乙一", code="YI1", parent=yi)
    yi1a = CategoryFactory(name="乙一a", code="YI1A", parent=yi1)
    slot = shops.site.pick_a
    t1 = product("T1", TRAFFIC, jia1a, "10.00")
    r1 = product("R1", REGULAR, jia1a, "30.00")
    product("I1", IMAGE, jia1a, "500.00")
    product("R2", REGULAR, jia1b, status=ProductStatus.DRAFT, skus=2)
    r3 = product("R3", REGULAR, yi1a, "25.00")
    i2 = product("I2", IMAGE, yi1a, "900.00")
    receive(t1, slot, 10, unit_cost="12.00")
    receive(r1, slot, 5, unit_cost="20.00")
    receive(r3, slot, 4, unit_cost="10.00")
    receive(i2, slot, 3, unit_cost="50.00")
    for sku, units in ((t1, 10), (r1, 2), (r3, 4)):
        fulfil(channel_order(shops.tmall, line(sku, units)))
    return {c.code: c for c in (jia, jia1, jia1a, jia1b, yi, yi1, yi1a)}


def test_counts_sales_shares_and_stock_value_add_up_the_tree(tree):
    table = product_structure(days=90, with_margin=True, with_stock_value=True)
    nodes = {node.code: node for node in table.nodes}
    # Tree order: 大类 by sort order then name (乙 U+4E59 before 甲 U+7532), each with its subtree.
    order = ["YI", "YI1", "YI1A", "JIA", "JIA1", "JIA1A", "JIA1B"]
    assert [node.code for node in table.nodes] == order
    jia, yi = nodes["JIA"], nodes["YI"]
    assert [jia.cells[r].products for r in (TRAFFIC, REGULAR, IMAGE, ALL)] == [1, 2, 1, 4]
    assert jia.cells[ALL].skus == 5 and jia.cells[ALL].listed_share == pytest.approx(0.75)
    assert nodes["JIA1B"].cells[ALL].listed_share == 0
    assert yi.cells[ALL].products == 2 and yi.cells[ALL].listed_share == 1
    assert jia.cells[ALL].net_revenue == D("160.00") and yi.cells[ALL].net_revenue == D("100.00")
    assert nodes["JIA1"].cells[TRAFFIC].net_revenue == D("100.00")
    assert table.total[ALL].net_revenue == D("260.00")
    assert table.sales_share(jia, ALL) == pytest.approx(160 / 260)
    assert table.role_share(jia, TRAFFIC) == pytest.approx(0.625)
    assert jia.cells[TRAFFIC].gross_profit == D("-20.00") and jia.cells[ALL].gross_profit == 0
    assert table.profit_share(yi, ALL) == pytest.approx(1.0)
    assert table.profit_share(jia, TRAFFIC) == pytest.approx(-20 / 60)
    assert jia.cells[ALL].stock_value == D("60.00") and yi.cells[IMAGE].stock_value == D("150.00")
    assert table.total[ALL].stock_value == D("210.00")
    # No completeness stored yet: none shown, rather than a false 0 %.
    assert jia.cells[ALL].completeness is None and table.completeness_at is None


def test_completeness_is_the_average_of_the_stored_percentages(tree):
    jia = Product.objects.filter(category__code__startswith="JIA").exclude(
        status=ProductStatus.DELISTED
    )
    codes = jia.order_by("code").values_list("pk", flat=True)
    stored = dict(zip(codes, [100, 50, 0, 30], strict=True))
    completeness_store(
        scores={
            pk: {
                scope: Completeness(scope, required=100, filled=web)
                for scope in CompletenessScope.values
            }
            for pk, web in stored.items()
        },
        at=timezone.now(),
    )
    table = product_structure(days=90)
    nodes = {node.code: node for node in table.nodes}
    assert nodes["JIA"].cells[ALL].completeness == pytest.approx(0.45)  # (100+50+0+30) / 4
    assert nodes["YI"].cells[ALL].completeness is None  # never scored
    assert table.completeness_at is not None


def test_warnings_name_the_rows_where_the_structure_is_off(tree):
    table = product_structure(days=90, with_margin=True)
    found = {(w.kind, w.node.code) for w in table.warnings}
    assert found == {
        ("no_traffic", "YI"),  # 乙 has no traffic driver
        ("traffic_loss", "JIA"),  # 62.5 % of 甲's sales at −20 %
        ("image_no_stock", "JIA"),  # I1 is listed with nothing on hand; I2 has stock
    }
    (image,) = (w for w in table.warnings if w.kind == "image_no_stock")
    assert "I1 商品I1" in str(image.message) and "I2" not in str(image.message)
    # Without margins there is no margin warning, and no gross profit at all.
    blind = product_structure(days=90)
    assert {w.kind for w in blind.warnings} == {"no_traffic", "image_no_stock"}
    assert blind.total[ALL].gross_profit == 0 and blind.total[ALL].stock_value == 0


def test_the_page_shows_the_tree_warnings_chart_and_exports_xlsx(tree, as_role):
    client = as_role("finance")
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="cat-{tree["JIA1A"].pk}"' in text
    assert f'href="#cat-{tree["YI"].pk}"' in text  # the warning links to its row
    assert "finance_structure.js" in text and 'id="structure-data"' in text
    assert "61.5" in text and "210.00" in text  # 甲's share of all sales; stock value
    chart = response.context["chart"]
    assert chart["labels"] == ["乙", "甲"]
    by_role = {d["key"]: d["data"] for d in chart["datasets"]}
    assert by_role == {TRAFFIC: [0.0, 62.5], REGULAR: [100.0, 37.5], IMAGE: [0.0, 0.0]}

    download = client.get(URL, {"format": "xlsx", "days": 30}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert download.status_code == 200
    book = load_workbook(BytesIO(download.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    by_key = {(row[1], row[3]): dict(zip(header, row, strict=True)) for row in rows[1:]}
    jia_all = by_key["JIA", "全部角色"]
    assert jia_all["商品数"] == 4 and jia_all["净销售额"] == pytest.approx(160.0)
    assert "库存金额" in header and "毛利占比" in header
    assert len(book.worksheets) == 3 and book.worksheets[1]._charts


def test_the_role_selector_shows_one_role_with_its_share_of_the_category(tree, as_role):
    response = as_role("merchandiser").get(URL, {"role": TRAFFIC, "days": 365})
    assert response.status_code == 200
    jia = next(row for row in response.context["rows"] if 'data-node="' in row and "JIA<" in row)
    # products, SKUs, listed share, net sales, share of all sales, share of the category's
    assert [cell.split("</td>")[0] for cell in jia.split('<td class="num">')[1:4]] == [
        "1",
        "1",
        "100.0 %",
    ]
    assert "62.5 %" in jia


@pytest.mark.parametrize("role", ["warehouse", "support", "merchandiser", "marketer"])
def test_roles_without_margin_or_cost_see_no_margin_and_no_stock_value(tree, as_role, role):
    response = as_role(role).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert not response.context["with_margin"] and not response.context["with_cost"]
    text = response.content.decode()
    assert "毛利率" not in text and "库存金额" not in text and "毛利占比" not in text
    assert "净销售额" in text and "网店完整度" in text
    assert "毛利率却为负" not in text  # the margin warning is theirs neither
    download = as_role(role).get(URL, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    header = next(
        load_workbook(BytesIO(download.content)).worksheets[0].iter_rows(values_only=True)
    )
    assert "毛利" not in header and "库存金额" not in header and "商品数" in header


def test_a_user_without_a_role_is_refused(tree, db):
    user = get_user_model().objects.create_user("nobody", password="x-Pw-4711-jx", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_the_page_keeps_its_query_count_as_the_tree_grows(
    tree, as_role, django_assert_max_num_queries
):
    client = as_role("manager")
    client.get(URL)
    with django_assert_max_num_queries(45) as small:
        assert client.get(URL).status_code == 200
    for n in range(6):
        top = CategoryFactory(name=f"丙{n}")
        leaf = CategoryFactory(name=f"丙{n}小", parent=CategoryFactory(name=f"丙{n}中", parent=top))
        for role in (TRAFFIC, REGULAR, IMAGE):
            product(f"X{n}{role[0]}", role, leaf, skus=2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(URL).status_code == 200
