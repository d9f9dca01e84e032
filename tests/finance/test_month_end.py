"""Month end (月结): a closed month keeps the P&L, stock value and what was owed on its last
day, hand-computed on orders shipped through the real services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from finance.exceptions import FinanceError
from finance.models import CreditNote, CustomerPayment, Invoice, MonthEnd
from finance.month_end import month_end_close, months_to_close
from finance.reports import month_end
from finance.selectors.receivables import receivables_outstanding
from tests.factories import SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line
from tests.orders.test_lifecycle import fulfil

D = Decimal
site, shops, as_role = inventory_fixtures.site, order_fixtures.shops, order_fixtures.as_role


@pytest.fixture
def month(shops):
    """This month: 3 teas at 80 sold (240), FIFO cost 2 × 20 + 1 × 25 = 65; 4 + 1 left."""
    tea = SKUFactory(code="TEA-1", retail_price=D("80.00"))
    receive(tea, shops.site.pick_a, 2, unit_cost="20.00")
    receive(tea, shops.site.pick_a, 3, unit_cost="25.00")
    order = channel_order(shops.tmall, line(tea, 3))
    fulfil(order)
    return timezone.localdate().replace(day=1), order


def shops_customer(order):
    from orders.models import Customer

    return order.customer or Customer.objects.get(code="C001")


def next_month(first: date) -> date:
    return month_end(first) + timedelta(days=1)


def test_closing_keeps_the_months_pnl_stock_and_receivables(month):
    first, order = month
    last = month_end(first)
    invoice = Invoice.objects.create(
        order=order,
        customer=shops_customer(order),
        number="INV-T-1",
        issued_on=first,
        due_on=last,
        amount=D("240.00"),
    )
    # 100 received inside the month, 40 credited inside it, 50 received after it.
    CustomerPayment.objects.create(invoice=invoice, received_on=first, amount=D("100.00"))
    CreditNote.objects.create(invoice=invoice, number="CN-T-1", issued_on=last, amount=D("40"))
    CustomerPayment.objects.create(
        invoice=invoice, received_on=last + timedelta(days=1), amount=D("50.00")
    )
    # 240 − 100 − 40 = 100 owed on the last day; 50 on the next.
    assert receivables_outstanding(on=last) == D("100.00")
    assert receivables_outstanding(on=last + timedelta(days=1)) == D("50.00")

    closed = month_end_close(first, today=next_month(first))
    assert closed.month == first
    assert closed.revenue == D("240.00") and closed.cogs == D("65.00")
    assert closed.stock_value == D("50.00")  # 2 left of the 25.00 lot
    assert closed.receivables == D("100.00")
    assert closed.payables == D("0.00")  # no bill was approved


def test_a_month_is_closed_once_and_only_after_it_ended(month):
    first, _order = month
    with pytest.raises(FinanceError, match="not ended"):
        month_end_close(first, today=month_end(first))
    month_end_close(first, today=next_month(first))
    with pytest.raises(FinanceError, match="closed already"):
        month_end_close(first, today=next_month(first))
    assert MonthEnd.objects.count() == 1
    assert months_to_close(today=next_month(first)) == []
    # The month after this one is offered once it has ended.
    second = next_month(first)
    assert months_to_close(today=next_month(second)) == [second]


def test_the_page_closes_a_month_for_finance_and_shows_it_to_the_manager(month, as_role):
    first, _order = month
    finance, manager = as_role("finance"), as_role("manager")
    # This month has not ended: nothing to close, and a forged post is refused with a message.
    response = finance.post("/finance/month-ends/close/", {"month": f"{first:%Y-%m}"}, follow=True)
    assert response.status_code == 200
    assert MonthEnd.objects.count() == 0
    month_end_close(first, today=next_month(first))
    page = manager.get("/finance/month-ends/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "240.00" in text and "65.00" in text and "72.9 %" in text  # 175 ÷ 240
    assert 'action="/finance/month-ends/close/"' not in text  # the manager closes nothing
    assert manager.post("/finance/month-ends/close/", {"month": "2026-01"}).status_code == 403
    assert as_role("warehouse").get("/finance/month-ends/").status_code == 403


def test_the_page_keeps_its_query_count(month, as_role, django_assert_max_num_queries):
    first, _order = month
    for back in range(6):
        day = (first - timedelta(days=31 * back + 1)).replace(day=1)
        MonthEnd.objects.create(
            month=day,
            revenue=D("100.00"),
            cogs=D("60.00"),
            stock_value=D("1.00"),
            receivables=D("0"),
            payables=D("0"),
        )
    client = as_role("finance")
    with django_assert_max_num_queries(12):
        assert client.get("/finance/month-ends/").status_code == 200
