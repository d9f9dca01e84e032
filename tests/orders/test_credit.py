"""Credit terms: a credit customer's orders go out unpaid up to its credit limit; the order
that would pass it waits on credit hold with its figures until finance releases it."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import selectors, services
from orders.enums import OrderSource, OrderStatus
from orders.exceptions import InvalidOrderInput, InvalidTransition
from orders.models import Customer
from tests.factories import SKUFactory
from tests.inventory.support import columns, receive
from tests.orders.support import line, staff_order


@pytest.fixture
def distributor(db) -> Customer:
    return Customer.objects.create(
        code="D-TEST", name="测试分销商", credit_limit=Decimal("1000.00"), payment_days=30
    )


@pytest.fixture
def tea(shops):
    sku = SKUFactory(code="TEA-CR", retail_price=Decimal("300.00"))
    receive(sku, shops.site.pick_a, 20)
    return sku


def test_an_order_within_the_limit_goes_out_on_credit_and_the_next_one_is_held(
    shops, distributor, tea
):
    # First order: 2 × 300.00 = 600.00; owed before 0.00, 600.00 ≤ 1000.00: released.
    first = staff_order(shops.desk, line(tea, 2), customer=distributor)
    assert first.on_credit and first.status == OrderStatus.ALLOCATED and first.paid_at
    assert columns(tea, shops.site.warehouse)["reserved"] == 2

    # Second: 600.00 + 600.00 = 1200.00 > 1000.00: held, nothing reserved, not paid.
    second = staff_order(shops.desk, line(tea, 2), customer=distributor)
    second.refresh_from_db()
    assert second.on_credit and second.status == OrderStatus.CREDIT_HOLD
    assert second.paid_at is None
    assert columns(tea, shops.site.warehouse)["reserved"] == 2

    hold = selectors.credit_hold(second)
    assert (hold.credit_limit, hold.exposure, hold.amount) == (
        Decimal("1000.00"),
        Decimal("600.00"),
        Decimal("600.00"),
    )
    assert hold.over_by == Decimal("200.00")  # 600.00 + 600.00 − 1000.00

    # Exactly at the limit passes: 600.00 + 400.00 = 1000.00 (the held order does not count).
    third = staff_order(
        shops.desk, line(tea, 1, unit_price=Decimal("400.00")), customer=distributor
    )
    assert third.status == OrderStatus.ALLOCATED
    assert selectors.credit_exposure(distributor) == Decimal("1000.00")
    assert selectors.credit_hold(second).over_by == Decimal("600.00")  # 1000 + 600 − 1000

    # Finance settles the first order (received 600.00): the held one now fits.
    services.order_credit_settle(order=first, amount=Decimal("600.00"))
    assert selectors.credit_exposure(distributor) == Decimal("400.00")
    assert selectors.credit_hold(second).over_by == Decimal("0.00")  # 400 + 600 − 1000

    services.order_credit_release(order=second)
    second.refresh_from_db()
    assert second.status == OrderStatus.ALLOCATED and second.paid_at is not None
    assert columns(tea, shops.site.warehouse)["reserved"] == 5  # 2 + 1 + 2
    assert selectors.credit_holds() == []
    with pytest.raises(InvalidTransition):
        services.order_credit_release(order=second)


def test_a_released_order_that_is_short_waits_as_a_backorder(shops, distributor):
    sku = SKUFactory(retail_price=Decimal("900.00"))
    receive(sku, shops.site.pick_a, 1)
    held = staff_order(shops.desk, line(sku, 2), customer=distributor)  # 1800.00 > 1000.00
    assert held.status == OrderStatus.CREDIT_HOLD
    services.order_credit_release(order=held)
    held.refresh_from_db()
    assert held.status == OrderStatus.PAID
    assert held.lines.get().backordered == 2


def test_a_platform_order_of_a_credit_customer_comes_paid_and_is_not_on_credit(
    shops, distributor, tea
):
    order = services.order_place(
        shop=shops.tmall,
        number="TB-CREDIT-1",
        source=OrderSource.CHANNEL,
        customer=distributor,
        paid_at=timezone.now(),
        lines=[line(tea, 5)],  # 1500.00, past the limit, but paid on the platform
    )
    assert not order.on_credit and order.status == OrderStatus.ALLOCATED
    assert selectors.credit_exposure(distributor) == Decimal("0.00")


def test_a_customer_without_credit_terms_orders_as_before(shops, tea):
    order = services.order_place(shop=shops.desk, customer=shops.customer, lines=[line(tea)])
    assert not order.on_credit and order.status == OrderStatus.PENDING_PAYMENT


def test_settling_more_than_the_order_or_a_negative_amount_is_refused(shops, distributor, tea):
    order = staff_order(shops.desk, line(tea, 1), customer=distributor)
    with pytest.raises(InvalidOrderInput, match=r"between 0 and 300\.00"):
        services.order_credit_settle(order=order, amount=Decimal("300.01"))
    with pytest.raises(InvalidOrderInput, match=r"between 0 and 300\.00"):
        services.order_credit_settle(order=order, amount=Decimal("-1"))
    order.refresh_from_db()
    assert order.credit_settled == Decimal("0.00")


def test_finance_releases_or_cancels_a_held_order_from_its_page(shops, distributor, tea, as_role):
    held = staff_order(shops.desk, line(tea, 4), customer=distributor)  # 1200.00 > 1000.00
    other = staff_order(shops.desk, line(tea, 4), customer=distributor)
    finance, warehouse = as_role("finance"), as_role("warehouse")

    page = finance.get(reverse("orders:order_detail", args=[held.pk]))
    body = page.content.decode()
    assert "Over the limit by" in body and "200.00" in body and "1000.00" in body
    assert "Release from credit hold" in body and "Cancel the order" in body
    support_page = as_role("support").get(reverse("orders:order_detail", args=[held.pk]))
    assert "Over the limit by" not in support_page.content.decode()

    release = reverse("orders:order_action", args=[held.pk, "release"])
    assert warehouse.post(release).status_code == 403
    finance.post(release)
    held.refresh_from_db()
    assert held.status == OrderStatus.ALLOCATED

    # Finance may refuse a held order (cancel it), not cancel a released one.
    assert finance.post(reverse("orders:order_action", args=[held.pk, "cancel"])).status_code == 403
    finance.post(reverse("orders:order_action", args=[other.pk, "cancel"]))
    other.refresh_from_db()
    assert other.status == OrderStatus.CANCELLED
