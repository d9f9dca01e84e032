"""Customer segments (orders.segments): RFM scores, activity levels, repurchase rate and the
follow-up lists, hand-computed on a fixed set of orders and fixed dates."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.enums import ActivityLevel, OrderSource, OrderStatus
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.segments import (
    Thresholds,
    churned_best_customers,
    customer_segments,
    repurchase,
    segment_counts,
    segment_overview,
    unpaid_orders,
)
from tests.factories import CategoryFactory, ProductFactory, SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.orders import conftest as order_fixtures

D = Decimal
site, shops = inventory_fixtures.site, order_fixtures.shops
AS_OF = dt.date(2026, 6, 30)
RULES = Thresholds(window_days=365, active_days=30, active_min_orders=2, churn_days=180)
_numbers = iter(range(1, 10**6))


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def order(shops, customer, day, sku, amount, status=OrderStatus.COMPLETED, paid=True):
    """One order of one line worth ``amount``, placed (and paid) at local noon of ``day``."""
    placed = noon(day)
    sales_order = SalesOrder.objects.create(
        shop=shops.tmall,
        number=f"SEG{next(_numbers):06d}",
        source=OrderSource.CHANNEL,
        customer=customer,
        warehouse=shops.site.warehouse,
        status=status,
        placed_at=placed,
        paid_at=placed if paid else None,
    )
    SalesOrderLine.objects.create(
        order=sales_order, line_no=1, sku=sku, quantity=2, unit_price=D(amount) / 2 + 1, discount=2
    )
    return sales_order


def top_category_sku(name: str):
    top = CategoryFactory(name=name)
    leaf = CategoryFactory(parent=CategoryFactory(parent=top))
    return SKUFactory(product=ProductFactory(category=leaf))


@pytest.fixture
def book(shops):
    """Five customers with orders and one without, as of 2026-06-30 (window from 2025-07-01).

    Each line is 2 × (amount ÷ 2 + 1) − 2 = amount. 茶 = tea 大类, 器 = cups 大类.

    - A: 06-25 茶 100, 06-01 器 50, 01-10 茶 30   → R 5, F 3, M 180  high-active
    - B: 06-20 器 200 (and 07-01 茶 70, after the day) → R 10, F 1, M 200  low-active
    - C: 04-01 茶 60, 03-01 茶 40                  → R 90, F 2, M 100  silent
    - D: 2025-10-01 器 500, 2025-09-01 器 300       → R 272, F 2, M 800  churned
    - E: 2025-06-15 茶 1000 (before the window); cancelled 06-29 器 999 → R 380, F 0, M 0
      churned
    - 无单: no order → not segmented
    """
    tea, cup = top_category_sku("茶"), top_category_sku("器")
    people = {key: Customer.objects.create(code=f"K-{key}", name=f"客户{key}") for key in "ABCDE"}
    Customer.objects.create(code="K-N", name="无单")
    d = dt.date
    for key, day, sku, amount in [
        ("A", d(2026, 6, 25), tea, 100),
        ("A", d(2026, 6, 1), cup, 50),
        ("A", d(2026, 1, 10), tea, 30),
        ("B", d(2026, 6, 20), cup, 200),
        ("B", d(2026, 7, 1), tea, 70),
        ("C", d(2026, 4, 1), tea, 60),
        ("C", d(2026, 3, 1), tea, 40),
        ("D", d(2025, 10, 1), cup, 500),
        ("D", d(2025, 9, 1), cup, 300),
        ("E", d(2025, 6, 15), tea, 1000),
    ]:
        order(shops, people[key], day, sku, amount)
    order(shops, people["E"], d(2026, 6, 29), cup, 999, status=OrderStatus.CANCELLED)
    return people


def by_code(rows):
    return {row.code: row for row in rows}


@pytest.mark.django_db
def test_rfm_figures_scores_and_levels_on_a_fixed_day(book):
    rows = by_code(customer_segments(as_of=AS_OF, thresholds=RULES))

    assert set(rows) == {"K-A", "K-B", "K-C", "K-D", "K-E"}  # 无单 has no order
    figures = {code: (r.recency, r.frequency, r.monetary) for code, r in rows.items()}
    assert figures == {
        "K-A": (5, 3, D("180.00")),
        "K-B": (10, 1, D("200.00")),  # the order of 07-01 is after the day
        # 04-01 → 06-30: 29 + 31 + 30 days
        "K-C": (90, 2, D("100.00")),
        # 2025-10-01 → 2026-06-30: 30 + 30 + 31 + 31 + 28 + 31 + 30 + 31 + 30
        "K-D": (272, 2, D("800.00")),
        # the order of 2025-06-15 is before the window (2025-07-01); the cancelled one ignored
        "K-E": (380, 0, D("0.00")),
    }
    # n = 5, score = 1 + ⌊5 × (rank − 1) ÷ 5⌋ = rank.
    # R ranks the last day, oldest first: E 1, D 2, C 3, B 4, A 5.
    # F: E 0, B 1, C 2, D 2, A 3 → ranks 1, 2, 3, 3 (tie shares), 5 (4 is skipped).
    # M: E 0, C 100, A 180, B 200, D 800 → ranks 1 … 5.
    assert {code: r.rfm for code, r in rows.items()} == {
        "K-A": "553",
        "K-B": "424",
        "K-C": "332",
        "K-D": "235",
        "K-E": "111",
    }
    assert {code: r.level for code, r in rows.items()} == {
        "K-A": ActivityLevel.HIGH_ACTIVE,  # R 5 ≤ 30, F 3 ≥ 2
        "K-B": ActivityLevel.LOW_ACTIVE,  # R 10 ≤ 30, F 1 < 2
        "K-C": ActivityLevel.SILENT,  # 30 < R 90 ≤ 180
        "K-D": ActivityLevel.CHURNED,  # R 272 > 180
        "K-E": ActivityLevel.CHURNED,
    }
    assert rows["K-D"].orders_total == 2 and rows["K-D"].amount_total == D("800.00")
    assert rows["K-E"].amount_total == D("1000.00")
    # Best first: A 13; D and B 10 (D spent more); C 8; E 3.
    ordered = customer_segments(as_of=AS_OF, thresholds=RULES)
    assert [r.code for r in ordered] == ["K-A", "K-D", "K-B", "K-C", "K-E"]


@pytest.mark.django_db
def test_thresholds_are_inclusive_and_come_from_the_settings(book, settings):
    rules = Thresholds(window_days=365, active_days=10, active_min_orders=1, churn_days=272)
    rows = by_code(customer_segments(as_of=AS_OF, thresholds=rules))
    assert rows["K-B"].level == ActivityLevel.HIGH_ACTIVE  # R 10 ≤ 10 and F 1 ≥ 1
    assert rows["K-D"].level == ActivityLevel.SILENT  # R 272 ≤ 272
    assert rows["K-C"].level == ActivityLevel.SILENT

    settings.ORDERS_ACTIVE_DAYS, settings.ORDERS_CHURN_DAYS = 4, 400
    rows = by_code(customer_segments(as_of=AS_OF))
    assert rows["K-A"].level == ActivityLevel.SILENT  # R 5 > 4
    assert rows["K-E"].level == ActivityLevel.SILENT  # R 380 ≤ 400


@pytest.mark.django_db
def test_a_later_day_moves_customers_down_the_levels(book):
    # On 2026-12-31: A's last order (06-25) is 189 days old, B's (07-01) 183: both churned.
    rows = by_code(customer_segments(as_of=dt.date(2026, 12, 31), thresholds=RULES))
    assert rows["K-A"].recency == 189 and rows["K-A"].level == ActivityLevel.CHURNED
    assert rows["K-B"].recency == 183 and rows["K-B"].frequency == 2
    assert rows["K-C"].level == ActivityLevel.CHURNED


@pytest.mark.django_db
def test_segment_counts_per_level_and_per_r_and_f_score(book):
    counts = segment_counts(as_of=AS_OF, thresholds=RULES)
    assert counts.levels == {
        ActivityLevel.HIGH_ACTIVE: 1,
        ActivityLevel.LOW_ACTIVE: 1,
        ActivityLevel.SILENT: 1,
        ActivityLevel.CHURNED: 2,
    }
    assert counts.customers == 5
    assert counts.level_amounts[ActivityLevel.CHURNED] == D("800.00")
    assert counts.grid == {(5, 5): 1, (4, 2): 1, (3, 3): 1, (2, 3): 1, (1, 1): 1}
    assert counts.grid_rows()[0] == (5, [0, 0, 0, 0, 1])


@pytest.mark.django_db
def test_churned_best_customers_are_the_churned_with_a_top_f_or_m_score(book):
    best = churned_best_customers(as_of=AS_OF, thresholds=RULES)
    # D (M score 5) is; E (1, 1) is not.
    assert [(r.code, r.last_day, r.amount_total) for r in best] == [
        ("K-D", dt.date(2025, 10, 1), D("800.00"))
    ]


@pytest.mark.django_db
def test_the_overview_is_the_counts_and_the_churned_best_in_one_statement(book):
    with CaptureQueriesContext(connection) as captured:
        counts, best = segment_overview(as_of=AS_OF, thresholds=RULES)
    # One statement reads the orders (around it: a savepoint and its SET LOCAL).
    assert len([q for q in captured if "orders_salesorder" in q["sql"]]) == 1
    assert counts == segment_counts(as_of=AS_OF, thresholds=RULES)
    assert best == churned_best_customers(as_of=AS_OF, thresholds=RULES)


@pytest.mark.django_db
def test_repurchase_rate_per_month_and_per_top_category(book):
    tz = timezone.get_current_timezone()
    since = dt.datetime(2026, 1, 1, tzinfo=tz)
    until = dt.datetime(2026, 7, 1, tzinfo=tz)
    months = {row.month: row for row in repurchase(since=since, until=until)}
    # June: A (paid before, in January) and B (first order) → 1 of 2.
    assert (months["2026-06"].buyers, months["2026-06"].repeat_buyers) == (2, 1)
    assert months["2026-06"].rate == 0.5
    # March: C's first order; April: C again → 1 of 1. January: A's first.
    assert months["2026-03"].rate == 0 and months["2026-04"].rate == 1
    assert months["2026-01"].rate == 0
    assert "2026-07" not in months  # B's order of 07-01 is after the period

    cells = {
        (row.month, row.category): (row.buyers, row.repeat_buyers)
        for row in repurchase(since=since, until=until, by_category=True)
    }
    # June, 茶: A, who bought 茶 in January → 1 of 1; 器: A and B, both for the first time.
    assert cells[("2026-06", "茶")] == (1, 1)
    assert cells[("2026-06", "器")] == (2, 0)


@pytest.mark.django_db
def test_unpaid_orders_are_listed_after_the_hours_of_the_setting(book, shops, settings):
    settings.ORDERS_UNPAID_FOLLOW_UP_HOURS = 24
    now = noon(AS_OF)
    sku = SKUFactory()
    customer = Customer.objects.get(code="K-B")
    old = order(shops, customer, dt.date(2026, 6, 28), sku, 88, OrderStatus.PENDING_PAYMENT, False)
    order(shops, customer, AS_OF, sku, 66, OrderStatus.PENDING_PAYMENT, paid=False)  # 0 h old
    rows = list(unpaid_orders(now=now))
    assert [(row.pk, row.customer.name, row.amount) for row in rows] == [
        (old.pk, "客户B", D("88.00"))
    ]
    assert len(unpaid_orders(now=now, hours=0)) == 2


# The page and its downloads.

as_role = order_fixtures.as_role
PAGE = "orders:customer_segments"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["support", "marketer", "manager", "finance"])
def test_the_page_shows_levels_grid_repurchase_and_follow_ups(as_role, book, role):
    answer = as_role(role).get(reverse(PAGE), {"on": "2026-06-30"})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "As of 2026-06-30" in page
    levels = {value: count for value, _label, count, _amount, _share in answer.context["levels"]}
    assert levels == {"high_active": 1, "low_active": 1, "silent": 1, "churned": 2}
    assert [row.code for row in answer.context["churned"]] == ["K-D"]
    june = [row for row in answer.context["month_rows"] if row.month == "2026-06"]
    assert june[0].rate == 0.5
    assert "50.0 %" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["warehouse", "purchaser", "merchandiser"])
def test_roles_without_customers_are_refused(as_role, role):
    client = as_role(role)
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse("orders:customer_segments_xlsx")).status_code == 403


@pytest.mark.django_db
def test_a_bad_date_says_so_and_shows_today(as_role, book):
    answer = as_role("support").get(reverse(PAGE), {"on": "2026-13-45"})
    assert answer.status_code == 200
    assert answer.context["as_of"] == timezone.localdate()
    assert "The date is not valid" in answer.content.decode()


@pytest.mark.django_db
def test_an_unknown_list_or_level_is_not_found(as_role):
    client = as_role("support")
    url = reverse("orders:customer_segments_xlsx")
    assert client.get(url, {"list": "everyone"}).status_code == 404
    assert client.get(url, {"level": "asleep"}).status_code == 404


def _sheet(answer):
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.mark.django_db
def test_the_segments_download_opens_in_openpyxl(as_role, book):
    client = as_role("marketer")
    url = reverse("orders:customer_segments_xlsx")
    rows = _sheet(client.get(url, {"on": "2026-06-30"}))
    assert rows[0][:4] == ["Customer code", "Customer", "Last order", "R (days)"]
    first = rows[1]
    assert first[0] == "K-A" and first[3:6] == [5, 3, 180]
    assert first[6:11] == [5, 5, 3, "553", "High-active (高活跃)"]
    assert len(rows) == 6

    churned = _sheet(client.get(url, {"on": "2026-06-30", "level": "churned"}))
    assert [row[0] for row in churned[1:]] == ["K-D", "K-E"]
    best = _sheet(client.get(url, {"on": "2026-06-30", "list": "churned"}))
    assert [row[0] for row in best[1:]] == ["K-D"]


@pytest.mark.django_db
def test_the_unpaid_download_lists_the_orders_due(as_role, book, shops):
    old = order(
        shops,
        Customer.objects.get(code="K-A"),
        timezone.localdate() - dt.timedelta(days=3),
        SKUFactory(),
        88,
        OrderStatus.PENDING_PAYMENT,
        paid=False,
    )
    rows = _sheet(
        as_role("support").get(reverse("orders:customer_segments_xlsx"), {"list": "unpaid"})
    )
    assert rows[1][0] == old.number and rows[1][3] == "客户A" and rows[1][6] == 88


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_more_customers_and_orders(
    as_role, book, shops, django_assert_max_num_queries
):
    client = as_role("support")
    url = reverse(PAGE) + "?on=2026-06-30"
    sku = SKUFactory()
    due = timezone.localdate() - dt.timedelta(days=2)
    unpaid = OrderStatus.PENDING_PAYMENT
    order(shops, Customer.objects.get(code="K-A"), due, sku, 5, unpaid, paid=False)
    few = _queries(client, url)
    for n in range(30):
        customer = Customer.objects.create(code=f"M-{n}", name=f"多{n}")
        for back in range(3):
            day = dt.date(2026, 6, 28) - dt.timedelta(days=40 * back + n)
            order(shops, customer, day, sku, 10 + n)
        order(
            shops,
            customer,
            dt.date.today() - dt.timedelta(days=2),
            sku,
            5,
            OrderStatus.PENDING_PAYMENT,
            False,
        )
    with django_assert_max_num_queries(few):
        answer = client.get(url)
    assert answer.status_code == 200
    assert answer.context["counts"].customers == 35
    assert answer.context["unpaid"].paginator.count == 31


@pytest.mark.django_db
def test_dashboards_show_follow_ups_to_support_and_segments_to_the_marketer(as_role, book, shops):
    order(
        shops,
        Customer.objects.get(code="K-C"),
        timezone.localdate() - dt.timedelta(days=2),
        SKUFactory(),
        77,
        OrderStatus.PENDING_PAYMENT,
        paid=False,
    )
    support = as_role("support").get(reverse("staff:dashboard")).content.decode()
    assert "Follow-ups due: unpaid orders" in support and "客户C" in support
    marketer = as_role("marketer").get(reverse("staff:dashboard")).content.decode()
    assert "Churned (流失)" in marketer
