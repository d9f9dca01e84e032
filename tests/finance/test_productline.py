"""The product-line report (产品线优化), hand-placed: six products sold through the real
services over ten days, each in the quadrant its velocity and margin put it in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from catalog.enums import ProductRole, ProductStatus
from finance.enums import LineAction, Quadrant
from finance.productline import product_line
from finance.reports import SalesFilter
from tests.factories import ProductFactory, SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line
from tests.orders.test_lifecycle import fulfil

D = Decimal
site, shops, as_role = inventory_fixtures.site, order_fixtures.shops, order_fixtures.as_role
TRAFFIC, REGULAR, IMAGE = ProductRole.TRAFFIC, ProductRole.REGULAR, ProductRole.IMAGE


def product(code, role, price, cost, *, status=ProductStatus.LISTED):
    made = ProductFactory(code=code, name=f"商品{code}", role=role, status=status)
    return SKUFactory(product=made, code=f"{code}-1", retail_price=D(price), cost_price=D(cost))


@pytest.fixture
def sold(shops):
    """Units sold in the ten days (price, FIFO cost):
    A traffic 10 × (10, 9)   = 100 − 90   →  10 %, 1.0 a day
    B regular 10 × (100, 50) = 1000 − 500 →  50 %, 1.0 a day
    C regular  1 × (100, 30) = 100 − 30   →  70 %, 0.1 a day
    D regular  1 × (10, 9)   = 10 − 9     →  10 %, 0.1 a day
    F traffic 10 × (10, 12)  = 100 − 120  → −20 %, 1.0 a day
    E image, listed, unsold: retail 200, cost 100 → standard margin 50 %.
    Overall: 561 ÷ 1310 = 42.8 %; the median velocity of the five that sold is 1.0."""
    skus = {
        "A": (product("A", TRAFFIC, "10.00", "9.00"), 10, "9.00"),
        "B": (product("B", REGULAR, "100.00", "50.00"), 10, "50.00"),
        "C": (product("C", REGULAR, "100.00", "30.00"), 1, "30.00"),
        "D": (product("D", REGULAR, "10.00", "9.00"), 1, "9.00"),
        "F": (product("F", TRAFFIC, "10.00", "12.00"), 10, "12.00"),
    }
    product("E", IMAGE, "200.00", "100.00")
    product("G", REGULAR, "50.00", "10.00", status=ProductStatus.DRAFT)  # not listed, unsold
    for sku, units, cost in skus.values():
        receive(sku, shops.site.pick_a, units, unit_cost=cost)
        fulfil(channel_order(shops.tmall, line(sku, units)))
    today = timezone.localdate()
    return SalesFilter(date_from=today - timedelta(days=9), date_to=today)


def test_each_product_lands_in_its_quadrant_with_its_suggestion(sold):
    report = product_line(sold)
    rows = report.rows.set_index("code")
    assert sorted(rows.index) == ["A", "B", "C", "D", "E", "F"]  # G: draft and unsold
    assert report.days == 10
    assert report.velocity_split == pytest.approx(1.0)
    assert report.margin_split == pytest.approx(561 / 1310)
    placed = {code: (rows.loc[code, "quadrant"], rows.loc[code, "action"]) for code in rows.index}
    assert placed == {
        "A": (Quadrant.TRAFFIC, LineAction.KEEP),
        "B": (Quadrant.PROFIT, LineAction.GROW),
        "C": (Quadrant.NICHE, LineAction.MAKE_IMAGE),
        "D": (Quadrant.DELIST, LineAction.DELIST),
        "E": (Quadrant.NICHE, LineAction.KEEP),
        "F": (Quadrant.TRAFFIC, LineAction.REPRICE),  # loses 2.00 on every sale
    }
    assert rows.loc["C", "suggested_role"] == IMAGE
    assert rows.loc["E", "margin"] == pytest.approx(0.5) and rows.loc["E", "margin_is_standard"]
    assert rows.loc["F", "margin"] == pytest.approx(-0.2)
    counts = report.counts()
    assert counts[Quadrant.TRAFFIC] == {TRAFFIC: 2, REGULAR: 0, IMAGE: 0}
    assert counts[Quadrant.PROFIT] == {TRAFFIC: 0, REGULAR: 1, IMAGE: 0}
    assert counts[Quadrant.NICHE] == {TRAFFIC: 0, REGULAR: 1, IMAGE: 1}
    assert counts[Quadrant.DELIST] == {TRAFFIC: 0, REGULAR: 1, IMAGE: 0}
    # Gross profit at stake: 10 − 20; 500; 70 + 0; 1.
    assert report.at_stake() == {
        Quadrant.TRAFFIC: pytest.approx(-10.0),
        Quadrant.PROFIT: pytest.approx(500.0),
        Quadrant.NICHE: pytest.approx(70.0),
        Quadrant.DELIST: pytest.approx(1.0),
    }
    # To act on: everything but "keep", the largest stake (either sign) first.
    assert list(report.to_act_on()["code"]) == ["B", "C", "F", "D"]


def test_the_role_filter_narrows_the_products_and_the_splits_follow_their_sales(sold):
    from dataclasses import replace

    report = product_line(replace(sold, role=TRAFFIC))
    assert sorted(report.rows["code"]) == ["A", "F"]
    # Among the traffic drivers alone: 200 revenue, 10 − 20 = −10 profit → split at −5 %.
    assert report.margin_split == pytest.approx(-0.05)


def test_the_page_shows_counts_chart_and_suggestions_and_exports_xlsx(sold, as_role):
    client = as_role("finance")
    response = client.get("/finance/reports/product-line/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="productline-chart"' in text and 'id="productline-data"' in text
    assert "chart.umd.min.js" in text
    assert (
        "商品B" in text and "商品A" not in text.split("productline-data")[-1].split("</table>")[0]
    )
    data = response.context["chart"]
    by_key = {q["key"]: q for q in data["quadrants"]}
    assert {p["label"] for p in by_key["traffic"]["points"]} == {"A 商品A", "F 商品F"}
    assert by_key["niche"]["points"][0]["y"] == pytest.approx(70.0)  # E has no sale: no point
    assert data["margin_split"] == pytest.approx(round(561 / 1310 * 100, 2))

    download = client.get("/finance/reports/product-line/", {"format": "xlsx"})
    assert download.status_code == 200
    from io import BytesIO

    sheet = load_workbook(BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6
    header = rows[0]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_code["B"][str(header[8])] == pytest.approx(500.0)


def test_the_xlsx_has_a_quadrant_sheet_with_native_charts(sold, as_role):
    from io import BytesIO

    client = as_role("finance")
    download = client.get(
        "/finance/reports/product-line/", {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    book = load_workbook(BytesIO(download.content))
    assert book.sheetnames[1] == "象限"
    sheet = book["象限"]
    rows = list(sheet.iter_rows(values_only=True))
    # Quadrant, traffic, regular, image, products, profit at stake (as on the page).
    assert [row[1:] for row in rows[1:]] == [
        (2, 0, 0, 2, pytest.approx(-10.0)),  # A 10, F −20
        (0, 1, 0, 1, pytest.approx(500.0)),  # B
        (0, 1, 1, 2, pytest.approx(70.0)),  # C 70, E unsold
        (0, 1, 0, 1, pytest.approx(1.0)),  # D
    ]
    column, pie = sheet._charts
    assert column.type == "col"
    assert column.series[0].val.numRef.f == "'象限'!$F$2:$F$5"
    assert column.series[0].cat.strRef.f == "'象限'!$A$2:$A$5"
    assert pie.series[0].val.numRef.f == "'象限'!$E$2:$E$5"


@pytest.mark.parametrize("role", ["warehouse", "merchandiser", "support", "marketer"])
def test_roles_without_cost_and_margin_are_refused(sold, as_role, role):
    assert as_role(role).get("/finance/reports/product-line/").status_code == 403


def test_the_page_keeps_its_query_count(sold, as_role, django_assert_max_num_queries):
    for n in range(30):
        product(f"X{n:02d}", REGULAR, "20.00", "5.00")
    client = as_role("manager")
    client.get("/finance/reports/product-line/")
    with django_assert_max_num_queries(18):
        assert client.get("/finance/reports/product-line/").status_code == 200
