"""Reviews (点评): averages per product and SKU, the flag threshold, the import (all or
nothing, named errors), the reviews page and the product page's section, role access and
constant query counts."""

import datetime as dt
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from orders import reviews
from orders.enums import OrderSource, OrderStatus, ReviewSource
from orders.models import Review, SalesOrder, SalesOrderLine
from purchasing.enums import SupplierType
from purchasing.models import Supplier, SupplierOffer
from staff import supplier_quality
from tests.factories import ProductFactory, SKUFactory

_serial = iter(range(1, 10**6))


def sold(shop, *skus, number: str | None = None) -> SalesOrder:
    """A completed order of one unit of each SKU, written directly: reviews need no stock."""
    order = SalesOrder.objects.create(
        shop=shop,
        number=number or f"TB{next(_serial):08d}",
        source=OrderSource.CHANNEL,
        warehouse=shop.warehouse,
        status=OrderStatus.COMPLETED,
    )
    for line_no, sku in enumerate(skus, start=1):
        SalesOrderLine.objects.create(
            order=order, line_no=line_no, sku=sku, platform_code=sku.code, quantity=1,
            unit_price=10,
        )  # fmt: skip
    return order


def review(shop, sku, score: int, text: str = "", days_ago: int = 1) -> Review:
    line = sold(shop, sku).lines.get()
    return Review.objects.create(
        line=line,
        score=score,
        text=text,
        reviewed_at=timezone.now() - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def reviewed(shops):
    """Product 茶 (SKUs A: 5, 4; B: 1) and product 杯 (SKU C: 3)."""
    tea = ProductFactory(code="P-TEA", name="龙井茶")
    cup = ProductFactory(code="P-CUP", name="玻璃杯")
    a = SKUFactory(product=tea, code="TEA-A")
    b = SKUFactory(product=tea, code="TEA-B")
    c = SKUFactory(product=cup, code="CUP-C")
    review(shops.tmall, a, 5, "物流很快，质量不错", days_ago=3)
    review(shops.tmall, a, 4, days_ago=2)
    review(shops.tmall, b, 1, "质量差，和描述不符", days_ago=1)
    review(shops.tmall, c, 3)
    return tea, cup, a, b, c


# --- Averages and flags -------------------------------------------------------------------


def test_averages_counts_and_distribution_per_product_and_sku(reviewed, django_assert_num_queries):
    tea, cup, a, b, c = reviewed
    with django_assert_num_queries(1):
        per_product = reviews.product_review_stats([tea.pk, cup.pk])
    assert per_product[tea.pk].count == 3
    assert per_product[tea.pk].average == pytest.approx(10 / 3)
    assert per_product[tea.pk].distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}
    assert per_product[cup.pk].average == 3.0 and per_product[cup.pk].count == 1
    with django_assert_num_queries(1):
        per_sku = reviews.sku_review_stats([a.pk, b.pk, c.pk])
    assert (per_sku[a.pk].average, per_sku[a.pk].count) == (4.5, 2)
    assert (per_sku[b.pk].average, per_sku[b.pk].count) == (1.0, 1)
    assert [text.text for text in reviews.latest_reviews(tea.pk)] == [
        "质量差，和描述不符",
        "物流很快，质量不错",
    ]


def test_a_product_is_flagged_below_the_threshold_with_enough_reviews(reviewed, settings):
    settings.ORDERS_REVIEW_FLAG_SCORE = 3.5
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 3
    rows = list(reviews.product_reviews())
    assert [(r["code"], r["count"], r["flagged"]) for r in rows] == [
        ("P-TEA", 3, 1),  # 3.33 over 3 reviews: flagged, first
        ("P-CUP", 1, 0),  # 3.0 but a single review: too few to flag
    ]
    assert [r["code"] for r in reviews.flagged_products()] == ["P-TEA"]
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 4  # now tea has too few reviews
    assert list(reviews.flagged_products()) == []


def test_an_average_exactly_at_the_threshold_is_not_flagged(shops, settings):
    settings.ORDERS_REVIEW_FLAG_SCORE = 3.5
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 3
    sku = SKUFactory(code="AT-1")
    for score in (5, 4, 3, 2):  # 14 / 4 = 3.5
        review(shops.tmall, sku, score)
    assert list(reviews.flagged_products()) == []
    assert reviews.is_flagged(3.5, 4) is False
    assert reviews.is_flagged(3.49, 3) is True
    assert reviews.is_flagged(1.0, 2) is False
    review(shops.tmall, sku, 3)  # 17 / 5 = 3.4
    assert [r["code"] for r in reviews.flagged_products()] == [sku.product.code]


def test_the_score_is_between_1_and_5_in_the_database(shops):
    line = sold(shops.tmall, SKUFactory()).lines.get()
    for score in (0, 6):
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(line=line, score=score)
    Review.objects.create(line=line, score=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(line=line, score=4)  # one review per order line


def test_the_supplier_quality_signal_averages_the_reviews_of_its_skus(reviewed, settings):
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 3
    _tea, _cup, a, b, c = reviewed
    maker = Supplier.objects.create(code="M1", name="茶厂", supplier_type=SupplierType.MANUFACTURER)
    glass = Supplier.objects.create(
        code="G1", name="玻璃厂", supplier_type=SupplierType.MANUFACTURER
    )
    for supplier, sku in ((maker, a), (maker, b), (glass, c)):
        SupplierOffer.objects.create(supplier=supplier, sku=sku, unit_cost=5)
    cards = supplier_quality.supplier_review_quality()
    # Lowest average first: 玻璃厂's 3.0 over one review, then 茶厂's 10 / 3 over three.
    assert [(card.supplier.code, card.count) for card in cards] == [("G1", 1), ("M1", 3)]
    assert cards[1].average == pytest.approx(10 / 3)
    assert len(cards[1].flagged_products) == 1 and not cards[0].flagged_products


# --- Import -------------------------------------------------------------------------------


def run(path, **options) -> str:
    out = StringIO()
    call_command("import_reviews", str(path), stdout=out, stderr=out, **options)
    return out.getvalue()


def test_a_good_file_imports_every_review(shops, tmp_path):
    tea, cup = SKUFactory(code="TEA-1"), SKUFactory(code="CUP-1")
    sold(shops.tmall, tea, number="TB-ONE")
    sold(shops.tmall, tea, cup, number="TB-TWO")
    path = tmp_path / "reviews.csv"
    path.write_text(
        "order_number,sku,score,text,date\n"
        "TB-ONE,,5,物流很快,2026-11-12\n"
        "TB-TWO,cup-1,2,杯子有裂纹,2026-11-13 09:30\n"
        "TB-TWO,TEA-1,4,,\n",
        encoding="utf-8",
    )
    assert "Dry run, nothing imported: 3 reviews imported." in run(path, dry_run=True)
    assert not Review.objects.exists()
    assert "3 reviews imported." in run(path)
    cup_review = Review.objects.get(line__sku=cup)
    assert (cup_review.score, cup_review.text, cup_review.source) == (
        2,
        "杯子有裂纹",
        ReviewSource.IMPORT,
    )
    assert (
        timezone.localtime(cup_review.reviewed_at).strftime("%Y-%m-%d %H:%M") == "2026-11-13 09:30"
    )


def test_a_malformed_workbook_writes_nothing_and_names_each_row_column_and_reason(shops, tmp_path):
    tea, cup = SKUFactory(code="TEA-1"), SKUFactory(code="CUP-1")
    sold(shops.tmall, tea, number="TB-ONE")
    sold(shops.tmall, tea, cup, number="TB-TWO")
    reviewed_before = sold(shops.tmall, tea, number="TB-OLD")
    Review.objects.create(line=reviewed_before.lines.get(), score=5)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_number", "sku", "score", "text", "date"])
    sheet.append(["TB-ONE", "", 4, "好", "2026-11-12"])  # row 2: good
    sheet.append(["TB-ONE", "", 6, "", ""])  # row 3: score, and TB-ONE's line twice
    sheet.append(["TB-NOPE", "", 3, "", ""])  # row 4: unknown order
    sheet.append(["TB-TWO", "", 3, "", ""])  # row 5: two lines, no SKU
    sheet.append(["TB-TWO", "BOWL-9", 3, "", ""])  # row 6: not on the order
    sheet.append(["TB-OLD", "", 3, "", "next tuesday"])  # row 7: reviewed already, bad date
    sheet.append(["TB-TWO", "CUP-1", 2.5, "", ""])  # row 8: not a whole score
    path = tmp_path / "reviews.xlsx"
    book.save(path)
    with pytest.raises(CommandError, match="8 errors, nothing was imported"):
        out = StringIO()
        call_command("import_reviews", str(path), stdout=out, stderr=out)
    report = out.getvalue()
    for expected in (
        "row 3, column score, value '6': Give a whole score from 1 to 5.",
        "row 3, column order_number, value 'TB-ONE': Row 2 reviews this order line already.",
        "row 4, column order_number, value 'TB-NOPE': No order has this number.",
        "row 5, column sku, value '': The order has 2 lines: give the SKU of the line reviewed.",
        "row 6, column sku, value 'BOWL-9': The order has no line with this SKU.",
        "row 7, column date, value 'next tuesday': Give a date",
        "row 7, column order_number, value 'TB-OLD': This order line has a review already.",
        "row 8, column score, value '2.5': Give a whole score from 1 to 5.",
    ):
        assert expected in report
    assert Review.objects.count() == 1  # only the one there before


def test_an_order_number_of_two_shops_is_ambiguous(shops, tmp_path):
    tea = SKUFactory(code="TEA-1")
    sold(shops.tmall, tea, number="SAME-1")
    sold(shops.desk, tea, number="SAME-1")
    path = tmp_path / "reviews.csv"
    path.write_text("order_number,score\nSAME-1,5\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run(path)
    assert not Review.objects.exists()


def test_a_file_without_the_score_column_is_refused(shops, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("order_number,text\nTB-1,好\n", encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_reviews", str(path), stdout=out, stderr=out)
    assert "column score" in out.getvalue() and "missing from the header row" in out.getvalue()


# --- Pages --------------------------------------------------------------------------------


def _more_reviews(shops, count: int) -> None:
    for i in range(count):
        sku = SKUFactory()
        for score in (1, 2, 3):
            review(shops.tmall, sku, score, text=f"评价{i}")


def test_the_reviews_page_lists_flagged_products_first_with_constant_queries(
    reviewed, shops, as_role, django_assert_max_num_queries
):
    client = as_role("merchandiser")
    with django_assert_max_num_queries(14) as small:
        page = client.get(reverse("orders:reviews"))
    assert page.status_code == 200
    rows = page.context["page"].object_list
    assert rows[0]["code"] == "P-TEA" and rows[0]["flagged"] == 1
    _more_reviews(shops, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("orders:reviews"))
    assert len(page.context["page"].object_list) == 10
    flagged = client.get(reverse("orders:reviews"), {"flagged": "on", "q": "TEA"})
    assert [r["code"] for r in flagged.context["page"].object_list] == ["P-TEA"]
    assert "Flagged" in flagged.content.decode()


@pytest.mark.parametrize("role", ["warehouse", "finance"])
def test_roles_without_reviews_get_403(reviewed, as_role, role):
    assert as_role(role).get(reverse("orders:reviews")).status_code == 403


def test_the_product_page_shows_the_reviews_section(reviewed, shops, as_role, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    tea, *_ = reviewed
    page = as_role("merchandiser").get(reverse("staff:product", args=[tea.pk]))
    html = page.content.decode()
    assert page.context["reviews"].count == 3
    assert "点评" in html and "3.33" in html and "质量差，和描述不符" in html
    assert [sku.code for sku, _stats in page.context["sku_reviews"]] == ["TEA-A", "TEA-B"]
    hidden = as_role("warehouse").get(reverse("staff:product", args=[tea.pk]))
    assert "reviews" not in hidden.context


def test_the_product_page_keeps_its_query_count_with_more_reviews(
    reviewed, shops, as_role, django_assert_max_num_queries
):
    tea, _cup, a, b, _c = reviewed
    client = as_role("merchandiser")
    url = reverse("staff:product", args=[tea.pk])
    with django_assert_max_num_queries(60) as small:
        client.get(url)
    for i in range(10):
        review(shops.tmall, a if i % 2 else b, 1 + i % 5, text=f"评价{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_the_dashboards_flag_low_scores_to_merchandising_and_purchasing(
    reviewed, shops, as_role, settings, django_assert_max_num_queries
):
    settings.ORDERS_REVIEW_FLAG_MIN_COUNT = 3
    a = reviewed[2]
    maker = Supplier.objects.create(code="M1", name="茶厂", supplier_type=SupplierType.MANUFACTURER)
    SupplierOffer.objects.create(supplier=maker, sku=a, unit_cost=5)
    for role in ("merchandiser", "purchaser"):
        html = as_role(role).get(reverse("staff:dashboard")).content.decode()
        assert 'id="panel-review_flags"' in html and "龙井茶" in html
    purchaser = as_role("purchaser")
    with django_assert_max_num_queries(200) as small:
        html = purchaser.get(reverse("staff:dashboard")).content.decode()
    assert 'id="panel-supplier_reviews"' in html and "茶厂" in html
    _more_reviews(shops, 5)
    for i in range(5):
        Supplier.objects.create(
            code=f"X{i}", name=f"厂{i}", supplier_type=SupplierType.MANUFACTURER
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        purchaser.get(reverse("staff:dashboard"))
    support = as_role("support").get(reverse("staff:dashboard")).content.decode()
    assert "panel-review_flags" not in support


def test_bad_filter_values_keep_the_page_and_say_what_is_wrong(reviewed, as_role):
    page = as_role("merchandiser").get(
        reverse("orders:reviews"), {"q": "x" * 80, "flagged": "maybe", "page": "abc"}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["q"]
    assert len(page.context["page"].object_list) == 2  # unfiltered, first page


def test_support_records_a_review_in_the_admin_and_a_bad_score_is_a_form_error(shops, as_role):
    line = sold(shops.tmall, SKUFactory()).lines.get()
    client = as_role("support")
    url = reverse("admin:orders_review_add")
    form = {
        "line": line.pk,
        "text": "客服电话回访：很满意",
        "reviewed_at_0": "2026-11-12",
        "reviewed_at_1": "10:00:00",
    }
    refused = client.post(url, {**form, "score": 7})
    assert refused.status_code == 200 and not Review.objects.exists()
    assert "score" in refused.context["adminform"].form.errors
    assert client.post(url, {**form, "score": 5}).status_code == 302
    saved = Review.objects.get()
    assert (saved.score, saved.source, saved.created_by.username) == (
        5,
        ReviewSource.MANUAL,
        "support",
    )
    assert as_role("merchandiser").post(url, {**form, "score": 4}).status_code == 403
