"""Inquiries (咨询): linking to the order they turned into, conversion rates (咨询转化率)
computed by hand, the page (entry form, bad input, 403s, query counts) and the panels."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from orders import selectors, services, tasks
from orders.demo_inquiries import PER_DAY, WEEKS, seed_inquiries
from orders.enums import InquiryOutcome, OrderSource
from orders.models import Customer, Inquiry
from tests.factories import ProductFactory, SKUFactory

NOW = timezone.now()


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def inquiry(shops, *skus, customer=None, asked_at=None, agent=None, outcome=None, visitor=""):
    record = Inquiry.objects.create(
        shop=shops.tmall,
        customer=customer if customer is not None or visitor else shops.customer,
        visitor=visitor,
        asked_at=asked_at or NOW - dt.timedelta(days=10),
        agent=agent,
        question="有货吗？",
        outcome=outcome or InquiryOutcome.FOLLOW_UP,
    )
    record.skus.set(skus)
    return record


def order(shops, *skus, customer=None, placed_at, number=None):
    """An unpaid channel order (no stock needed) placed at ``placed_at``."""
    return services.order_place(
        shop=shops.tmall,
        source=OrderSource.CHANNEL,
        number=number or f"TB-{placed_at:%m%d%H%M%S}-{len(skus)}-{skus[0].pk}",
        customer=customer or shops.customer,
        placed_at=placed_at,
        lines=[services.OrderLineInput(quantity=1, sku=sku) for sku in skus],
    )


@pytest.fixture
def days(settings):
    settings.ORDERS_INQUIRY_CONVERSION_DAYS = 3
    return 3


def test_an_inquiry_links_to_the_first_order_of_its_customer_with_a_sku_asked_about(shops, days):
    asked, other = SKUFactory(), SKUFactory()
    record = inquiry(shops, asked)
    at = record.asked_at
    order(shops, other, placed_at=at + dt.timedelta(hours=1))  # not a SKU asked about
    first = order(shops, other, asked, placed_at=at + dt.timedelta(days=1))
    order(shops, asked, placed_at=at + dt.timedelta(days=2))  # a later one
    record.refresh_from_db()
    assert record.order == first  # linked when the order was placed, by orders' own service
    assert record.outcome == InquiryOutcome.ORDERED
    assert services.inquiries_link_orders() == 0  # idempotent: nothing left to link
    record.refresh_from_db()
    assert record.order == first


@pytest.mark.parametrize(
    "case", ["after_the_window", "before_asking", "other_sku", "other_customer", "visitor"]
)
def test_an_inquiry_is_not_linked_outside_its_window_sku_or_customer(shops, days, case):
    asked, other = SKUFactory(), SKUFactory()
    stranger = Customer.objects.create(code="C999", name="李四")
    record = inquiry(
        shops, asked, **({"visitor": "淘宝买家abc", "customer": None} if case == "visitor" else {})
    )
    at = record.asked_at
    placed = {
        "after_the_window": dict(placed_at=at + dt.timedelta(days=days, minutes=1)),
        "before_asking": dict(placed_at=at - dt.timedelta(minutes=1)),
        "other_sku": dict(placed_at=at + dt.timedelta(days=1), skus=[other]),
        "other_customer": dict(placed_at=at + dt.timedelta(days=1), customer=stranger),
        "visitor": dict(placed_at=at + dt.timedelta(days=1)),
    }[case]
    order(shops, *placed.pop("skus", [asked]), **placed)
    assert services.inquiries_link_orders() == 0
    record.refresh_from_db()
    assert record.order is None
    assert record.outcome == InquiryOutcome.FOLLOW_UP


def test_the_window_includes_its_last_moment_and_cancelled_orders_do_not_count(shops, days):
    asked = SKUFactory()
    record = inquiry(shops, asked)
    at = record.asked_at
    cancelled = order(shops, asked, placed_at=at + dt.timedelta(hours=2), number="TB-C")
    services.order_cancel(order=cancelled)
    Inquiry.objects.filter(pk=record.pk).update(order=None, outcome=InquiryOutcome.FOLLOW_UP)
    last = order(shops, asked, placed_at=at + dt.timedelta(days=days), number="TB-L")
    Inquiry.objects.filter(pk=record.pk).update(order=None, outcome=InquiryOutcome.FOLLOW_UP)
    assert tasks.inquiries_link_orders() == 1  # the periodic task, for late data
    record.refresh_from_db()
    assert record.order == last


def test_an_inquiry_typed_in_late_and_a_channel_batch_are_linked(shops, days):
    asked = SKUFactory()
    placed = order(shops, asked, placed_at=NOW - dt.timedelta(days=1))
    late = services.inquiry_record(
        shop=shops.tmall,
        customer=shops.customer,
        skus=[asked],
        question="这个有蓝色吗？",
        asked_at=NOW - dt.timedelta(days=2),
    )
    assert late.order == placed
    assert late.outcome == InquiryOutcome.ORDERED
    waiting = inquiry(shops, asked, asked_at=NOW - dt.timedelta(hours=5))
    [outcome] = services.channel_orders_place(
        orders=[
            services.ChannelOrderInput(
                shop=shops.tmall,
                number="TB-BATCH-1",
                customer=shops.customer,
                placed_at=NOW - dt.timedelta(hours=1),
                lines=[services.OrderLineInput(quantity=1, sku=asked)],
            )
        ]
    )
    waiting.refresh_from_db()
    assert waiting.order == outcome.order


@pytest.fixture
def fixed_set(shops):
    """Seven inquiries in two ISO weeks (Mon 2026-11-02, Mon 2026-11-09) by two agents about
    two products (P1: SKUs a and b; P2: SKU c), and one the week before."""
    agent_a = User.objects.create(username="kefu_a", last_name="王", first_name="芳")
    agent_b = User.objects.create(username="kefu_b")
    p1, p2 = ProductFactory(code="P1", name="保温杯"), ProductFactory(code="P2", name="水壶")
    a, b, c = SKUFactory(product=p1), SKUFactory(product=p1), SKUFactory(product=p2)
    ordered, not_ordered = InquiryOutcome.ORDERED, InquiryOutcome.NOT_ORDERED
    rows = [
        (agent_a, local(2026, 11, 1, 23, 30), [a], ordered),  # the week before: outside
        (agent_a, local(2026, 11, 2, 0, 0), [a, b], ordered),  # i1
        (agent_a, local(2026, 11, 4, 10), [c], not_ordered),  # i2
        (agent_b, local(2026, 11, 8, 23, 59), [], ordered),  # i6
        (agent_a, local(2026, 11, 9, 9), [a, c], ordered),  # i3
        (agent_b, local(2026, 11, 10, 9), [c], InquiryOutcome.FOLLOW_UP),  # i4
        (agent_b, local(2026, 11, 12, 9), [b], InquiryOutcome.ANSWERED),  # i5
        (agent_a, local(2026, 11, 15, 23, 59), [a], not_ordered),  # i7
    ]
    for agent, asked_at, skus, outcome in rows:
        inquiry(shops, *skus, agent=agent, asked_at=asked_at, outcome=outcome)
    return agent_a, agent_b


def rates(rows) -> dict:
    return {row.label: (row.inquiries, row.converted, round(row.percent, 1)) for row in rows}


def test_conversion_rates_per_agent_product_and_week_by_hand(fixed_set):
    _agent_a, agent_b = fixed_set
    report = selectors.inquiry_conversion(since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 15))
    # A: i1 i2 i3 i7 → 2 of 4; B: i4 i5 i6 → 1 of 3.
    assert rates(report.by_agent) == {"王芳": (4, 2, 50.0), "kefu_b": (3, 1, 33.3)}
    # P1 (a, b): i1 (once, two SKUs) i3 i5 i7 → 2 of 4; P2 (c): i2 i3 i4 → 1 of 3.
    assert rates(report.by_product) == {"P1 保温杯": (4, 2, 50.0), "P2 水壶": (3, 1, 33.3)}
    # Week 45: i1 i2 i6 → 2 of 3; week 46: i3 i4 i5 i7 → 1 of 4.
    assert rates(report.by_week) == {"2026-W45": (3, 2, 66.7), "2026-W46": (4, 1, 25.0)}
    assert (report.total.inquiries, report.total.converted) == (7, 3)
    only_b = selectors.inquiry_conversion(
        since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 15), agent_id=agent_b.pk
    )
    assert rates(only_b.by_week) == {"2026-W45": (1, 1, 100.0), "2026-W46": (2, 0, 0.0)}
    assert rates(
        selectors.inquiry_conversion_by_agent(
            since=dt.date(2026, 11, 9), until=dt.date(2026, 11, 9)
        )
    ) == {"王芳": (1, 1, 100.0)}


@pytest.mark.parametrize("count", [2, 12])
def test_the_inquiry_page_keeps_a_constant_query_count(
    shops, as_role, count, django_assert_max_num_queries
):
    support = User.objects.get(username="support")
    skus = [SKUFactory() for _n in range(3)]
    for n in range(count):
        record = inquiry(
            shops, *skus[: n % 3 + 1], agent=support, asked_at=NOW - dt.timedelta(days=n)
        )
        if n % 4 == 0:
            order(shops, skus[0], placed_at=record.asked_at + dt.timedelta(hours=1), number=f"Q{n}")
    client = as_role("support")
    with django_assert_max_num_queries(16):
        assert client.get(reverse("orders:inquiries")).status_code == 200
    with django_assert_max_num_queries(16):
        url = reverse("orders:inquiries") + f"?agent={support.pk}&since=2026-01-01"
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("staff:dashboard")).status_code == 200


@pytest.mark.parametrize("role", ["warehouse", "purchaser", "finance", "merchandiser"])
def test_roles_without_inquiries_get_403(shops, as_role, role):
    assert as_role(role).get(reverse("orders:inquiries")).status_code == 403


def test_the_marketer_reads_but_cannot_record(shops, as_role):
    client = as_role("marketer")
    response = client.get(reverse("orders:inquiries"))
    assert response.status_code == 200
    assert 'id="inquiry-entry"' not in response.content.decode()
    post = client.post(reverse("orders:inquiries"), {"question": "x", "shop": shops.tmall.pk})
    assert post.status_code == 403
    assert not Inquiry.objects.exists()


def test_support_records_an_inquiry_and_bad_input_keeps_what_was_typed(shops, as_role, days):
    asked = SKUFactory(code="CUP-01")
    shops.customer.phone = "13800001234"
    shops.customer.save()
    client = as_role("support")
    url = reverse("orders:inquiries")
    bad = {
        "shop": shops.tmall.pk,
        "customer": "王五",
        "skus": "CUP-01, NOPE-9",
        "question": "保温多久？",
        "outcome": InquiryOutcome.FOLLOW_UP,
        "follow_up_on": "2026-13-45",
    }
    response = client.post(url, bad)
    page = response.content.decode()
    assert response.status_code == 200
    assert "No customer has the code, phone or name 王五" in page
    assert "No SKU has the code NOPE-9." in page
    assert "Enter a valid date." in page
    assert 'value="CUP-01, NOPE-9"' in page and 'value="保温多久？"' in page
    assert not Inquiry.objects.exists()
    good = bad | {"customer": "13800001234", "skus": "cup-01", "follow_up_on": ""}
    response = client.post(url, good, follow=True)
    assert "Inquiry recorded." in response.content.decode()
    record = Inquiry.objects.get()
    assert (record.customer, list(record.skus.all()), record.agent.username) == (
        shops.customer,
        [asked],
        "support",
    )
    assert record.follow_up_on == timezone.localdate() + dt.timedelta(days=1)
    assert "保温多久？" in response.content.decode()
    neither = client.post(url, bad | {"customer": "", "skus": "", "follow_up_on": ""})
    assert "Name the customer or the visitor&#x27;s handle." in neither.content.decode()


def test_the_dashboards_show_inquiries(shops, as_role):
    support = User.objects.get(username="support")
    inquiry(shops, SKUFactory(), agent=support, asked_at=NOW - dt.timedelta(minutes=5))
    page = as_role("support").get(reverse("staff:dashboard")).content.decode()
    assert "Inquiries (咨询) today" in page and "有货吗？" in page
    page = as_role("manager").get(reverse("staff:dashboard")).content.decode()
    assert "Inquiry conversion by agent" in page and "support" in page
    page = as_role("warehouse").get(reverse("staff:dashboard")).content.decode()
    assert "Inquiry" not in page


def test_the_demo_inquiries_are_believable_and_some_turn_into_orders(shops, days):
    agents = [User.objects.create(username=f"kefu{n}") for n in range(3)]
    skus = [SKUFactory() for _n in range(5)]
    for n in range(30):
        customer = Customer.objects.create(code=f"D{n}", name=f"顾客{n}")
        order(shops, skus[n % 5], customer=customer, placed_at=NOW - dt.timedelta(days=n + 3))
    counts = seed_inquiries(agents=agents, seed=7, now=NOW)
    assert counts["inquiries"] == PER_DAY * WEEKS * 7
    assert counts["inquiries linked to orders"] >= 30  # each order had an inquiry before it
    linked = Inquiry.objects.filter(order__isnull=False).select_related("order")
    assert all(i.customer_id == i.order.customer_id for i in linked)
    assert all(i.order.placed_at - i.asked_at <= dt.timedelta(days=days) for i in linked)
    assert Inquiry.objects.filter(outcome=InquiryOutcome.FOLLOW_UP).exists()
    assert Inquiry.objects.exclude(visitor="").exists()
    assert {i.agent_id for i in Inquiry.objects.all()} == {a.pk for a in agents}
    assert seed_inquiries(agents=agents, seed=7, now=NOW) == {}  # once only
