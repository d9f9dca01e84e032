"""Receivables on fixed dates: invoices for shipped credit orders, payments (partial too),
a credit note from a return, and the ageing they add up to — every figure computed by hand.

Two distributors on 30-day terms, seven orders of one line each, shipped in 2025:

    invoice  customer  shipped     due         amount   settled (date)
    inv6     B         2025-02-01  2025-03-03   600.00  paid 600.00 (03-01)
    inv4     B         2025-03-01  2025-03-31   400.00  —
    inv5     B         2025-03-20  2025-04-19   250.00  paid 50.00 (07-05)
    inv3     A         2025-04-10  2025-05-10   800.00  credit note 200.00 (05-01)
    inv2     A         2025-05-20  2025-06-19   500.00  —
    inv7     B         2025-05-01  2025-05-31   100.00  —
    inv1     A         2025-06-15  2025-07-15  1000.00  paid 300.00 (06-20)
"""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from finance.enums import AgeingBucket
from finance.exceptions import FinanceError
from finance.models import CreditNote, CustomerPayment, Invoice
from finance.selectors import receivables as selectors
from finance.services import receivables
from orders import services as order_services
from orders.enums import ReturnDisposition, ReturnReason
from orders.models import Customer, SalesOrder
from tests.factories import SKUFactory
from tests.inventory.conftest import site  # noqa: F401
from tests.inventory.support import receive
from tests.orders.conftest import as_role, shops  # noqa: F401
from tests.orders.support import line

D = Decimal
TZ = dt.timezone(dt.timedelta(hours=8))


def ship(order: SalesOrder, day: dt.date) -> SalesOrder:
    """Pick, pack and ship ``order``, then date its shipment ``day`` (noon, Shanghai)."""
    order_services.wave_pick(warehouse=order.warehouse, orders=[order])
    barcodes = [
        each.sku.barcode
        for each in order.lines.select_related("sku")
        for _n in range(each.quantity)
    ]
    assert order_services.packing_check(order=order, barcodes=barcodes).passed
    order_services.order_ship(order=order, carrier="顺丰", tracking_number=f"SF{order.pk}")
    SalesOrder.objects.filter(pk=order.pk).update(
        shipped_at=dt.datetime.combine(day, dt.time(12), tzinfo=TZ)
    )
    order.refresh_from_db()
    return order


def credit_order(shops, customer, sku, amount: str, shipped: dt.date) -> SalesOrder:  # noqa: F811
    order = order_services.order_place(
        shop=shops.desk,
        customer=customer,
        lines=[line(sku, 1, unit_price=D(amount))],
    )
    assert order.on_credit
    return ship(order, shipped)


@pytest.fixture
def book(shops, settings):  # noqa: F811
    settings.TIME_ZONE = "Asia/Shanghai"
    a = Customer.objects.create(code="D-A", name="甲分销", payment_days=30)
    b = Customer.objects.create(code="D-B", name="乙分销", payment_days=30)
    sku = SKUFactory(code="AR-1", retail_price=D("100.00"))
    receive(sku, shops.site.pick_a, 10)
    orders = {
        "inv6": credit_order(shops, b, sku, "600.00", dt.date(2025, 2, 1)),
        "inv4": credit_order(shops, b, sku, "400.00", dt.date(2025, 3, 1)),
        "inv5": credit_order(shops, b, sku, "250.00", dt.date(2025, 3, 20)),
        "inv3": credit_order(shops, a, sku, "800.00", dt.date(2025, 4, 10)),
        "inv7": credit_order(shops, b, sku, "100.00", dt.date(2025, 5, 1)),
        "inv2": credit_order(shops, a, sku, "500.00", dt.date(2025, 5, 20)),
        "inv1": credit_order(shops, a, sku, "1000.00", dt.date(2025, 6, 15)),
    }
    return orders


def settle(orders):
    """Issue the invoices and record the payments and the credit note of the table."""
    receivables.invoices_issue(on=dt.date(2025, 6, 30))
    invoices = {key: Invoice.objects.get(order=order) for key, order in orders.items()}
    receivables.payment_record(
        invoice=invoices["inv6"], amount=D("600.00"), received_on=dt.date(2025, 3, 1)
    )
    receivables.payment_record(
        invoice=invoices["inv5"], amount=D("50.00"), received_on=dt.date(2025, 7, 5)
    )
    receivables.payment_record(
        invoice=invoices["inv1"], amount=D("300.00"), received_on=dt.date(2025, 6, 20)
    )
    order = orders["inv3"]
    rma = order_services.return_create(
        order=order,
        lines=[
            order_services.ReturnLineInput(
                order_line=order.lines.get(),
                quantity=1,
                reason=ReturnReason.DAMAGED,
                disposition=ReturnDisposition.SCRAP,
                refund_amount=D("200.00"),
            )
        ],
    )
    receivables.credit_note_from_return(rma=rma, issued_on=dt.date(2025, 5, 1))
    return invoices


def test_invoices_are_issued_once_per_shipped_credit_order_dated_the_day_it_shipped(book):
    orders = book
    # By 2025-03-15 two orders had shipped: inv6 (02-01) and inv4 (03-01).
    first = receivables.invoices_issue(on=dt.date(2025, 3, 15))
    assert [(i.number, i.issued_on, i.due_on, i.amount) for i in first] == [
        ("INV-2025-000001", dt.date(2025, 2, 1), dt.date(2025, 3, 3), D("600.00")),
        ("INV-2025-000002", dt.date(2025, 3, 1), dt.date(2025, 3, 31), D("400.00")),
    ]
    rest = receivables.invoices_issue(on=dt.date(2025, 6, 30))
    assert [i.number for i in rest] == [f"INV-2025-{n:06d}" for n in range(3, 8)]
    assert receivables.invoices_issue(on=dt.date(2025, 6, 30)) == []  # twice: nothing new
    assert Invoice.objects.count() == 7
    inv1 = Invoice.objects.get(order=orders["inv1"])
    assert (inv1.customer.code, inv1.amount, inv1.due_on) == (
        "D-A",
        D("1000.00"),
        dt.date(2025, 7, 15),
    )


def test_the_ageing_on_fixed_dates_splits_what_is_owed_by_days_overdue(book):
    orders = book
    settle(orders)
    ageing = selectors.receivables_ageing(on=dt.date(2025, 6, 30))
    by_code = {row.customer.code: row.amounts for row in ageing.rows}
    # A: inv1 1000 − 300 = 700 not yet due; inv2 500 due 06-19 (11 days); inv3 800 − 200
    # = 600 due 05-10 (51 days).
    assert by_code["D-A"] == {
        AgeingBucket.CURRENT: D("700.00"),
        AgeingBucket.DAYS_1_30: D("500.00"),
        AgeingBucket.DAYS_31_60: D("600.00"),
        AgeingBucket.DAYS_61_90: D("0.00"),
        AgeingBucket.OVER_90: D("0.00"),
    }
    # B: inv7 100 due 05-31 (30 days: still 1–30); inv5 250 due 04-19 (72 days; its 50.00
    # came on 07-05, after the day); inv4 400 due 03-31 (91 days); inv6 paid in full.
    assert by_code["D-B"] == {
        AgeingBucket.CURRENT: D("0.00"),
        AgeingBucket.DAYS_1_30: D("100.00"),
        AgeingBucket.DAYS_31_60: D("0.00"),
        AgeingBucket.DAYS_61_90: D("250.00"),
        AgeingBucket.OVER_90: D("400.00"),
    }
    assert [row.customer.code for row in ageing.rows] == ["D-A", "D-B"]  # 1800 before 750
    totals = ageing.totals
    assert totals.columns == [D("700.00"), D("600.00"), D("600.00"), D("250.00"), D("400.00")]
    assert totals.total == D("2550.00") == sum(row.total for row in ageing.rows)
    assert totals.invoices == 6

    # Ten days later: inv5's 50.00 is in, everything has aged ten days.
    later = selectors.receivables_ageing(on=dt.date(2025, 7, 10)).totals
    # current: inv1 700; 1–30: inv2 (21 days) 500; 31–60: inv7 (40) 100;
    # 61–90: inv3 (61) 600 + inv5 (82) 200; > 90: inv4 (101) 400.
    assert later.columns == [D("700.00"), D("500.00"), D("100.00"), D("800.00"), D("400.00")]
    assert later.total == D("2500.00")

    # Before the credit note: 2025-04-30 knows inv6 (paid), inv4, inv5 and inv3 at 800.
    early = selectors.receivables_ageing(on=dt.date(2025, 4, 30)).totals
    # current: inv3 (due 05-10) 800; 1–30: inv5 (11 days) 250 + inv4 (30 days) 400.
    assert early.columns == [D("800.00"), D("650.00"), D("0.00"), D("0.00"), D("0.00")]


def test_customers_overdue_and_the_settled_amounts_written_back_to_the_orders(book):
    orders = book
    settle(orders)
    overdue = selectors.customers_overdue(on=dt.date(2025, 6, 30))
    assert [
        (c.customer.code, c.overdue, c.invoices, c.oldest_due_on, c.days_overdue) for c in overdue
    ] == [
        ("D-A", D("1100.00"), 2, dt.date(2025, 5, 10), 51),  # inv2 500 + inv3 600
        ("D-B", D("750.00"), 3, dt.date(2025, 3, 31), 91),  # inv4 400 + inv5 250 + inv7 100
    ]
    settled = {key: SalesOrder.objects.get(pk=o.pk).credit_settled for key, o in orders.items()}
    assert settled["inv6"] == D("600.00")
    assert settled["inv1"] == D("300.00")
    assert settled["inv3"] == D("200.00")  # the credit note
    assert settled["inv2"] == D("0.00")
    states = {
        invoice.number: selectors.invoice_state(invoice, on=dt.date(2025, 6, 30))
        for invoice in selectors.invoices_with_outstanding()
    }
    assert sorted(states.values()).count("paid") == 1


def test_an_overpayment_a_zero_or_negative_payment_are_refused_and_nothing_is_saved(book):
    orders = book
    settle(orders)
    inv2 = Invoice.objects.get(order=orders["inv2"])  # 500.00 outstanding
    day = dt.date(2025, 6, 25)
    cases = [
        (D("500.01"), "500.00 outstanding: a payment of 500.01 would overpay it"),
        (D("0"), "must be more than zero"),
        (D("-5.00"), "must be more than zero"),
        (0.5, "as a Decimal"),
        (D("1.005"), "more than two decimals"),
    ]
    for amount, reason in cases:
        with pytest.raises(FinanceError, match=reason):
            receivables.payment_record(invoice=inv2, amount=amount, received_on=day)
    with pytest.raises(FinanceError, match="cannot be received on 2025-05-01"):
        receivables.payment_record(invoice=inv2, amount=D("1"), received_on=dt.date(2025, 5, 1))
    with pytest.raises(FinanceError, match="in the future"):
        receivables.payment_record(
            invoice=inv2, amount=D("1"), received_on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert not CustomerPayment.objects.filter(invoice=inv2).exists()
    # Two partial payments settle it exactly.
    receivables.payment_record(invoice=inv2, amount=D("200.00"), received_on=day)
    receivables.payment_record(invoice=inv2, amount=D("300.00"), received_on=day)
    assert SalesOrder.objects.get(pk=orders["inv2"].pk).credit_settled == D("500.00")
    with pytest.raises(FinanceError, match=r"0\.00 outstanding"):
        receivables.payment_record(invoice=inv2, amount=D("0.01"), received_on=day)


def test_a_return_is_credited_once_and_never_past_what_is_outstanding(book):
    orders = book
    settle(orders)
    rma = orders["inv3"].returns.get()
    with pytest.raises(FinanceError, match="credited already by CN-2025-000001"):
        receivables.credit_note_from_return(rma=rma)
    # inv6 is paid in full: its refund cannot be credited against it.
    order = orders["inv6"]
    paid_back = order_services.return_create(
        order=order,
        lines=[
            order_services.ReturnLineInput(
                order_line=order.lines.get(),
                quantity=1,
                reason=ReturnReason.QUALITY,
                disposition=ReturnDisposition.SCRAP,
                refund_amount=D("600.00"),
            )
        ],
    )
    with pytest.raises(FinanceError, match=r"only 0\.00 outstanding"):
        receivables.credit_note_from_return(rma=paid_back)
    notes, problems = receivables.credit_notes_issue()
    assert notes == [] and len(problems) == 1
    assert CreditNote.objects.count() == 1


def test_the_daily_task_issues_invoices_and_credit_notes_once(book, settings):
    from finance.tasks import invoices_issue

    assert (
        settings.CELERY_BEAT_SCHEDULE["finance.invoices_issue"]["task"] == "finance.invoices_issue"
    )
    first = invoices_issue.apply().get()
    assert first == {"invoices": 7, "credit notes": 0, "left": 0}
    assert invoices_issue.apply().get() == {"invoices": 0, "credit notes": 0, "left": 0}


def test_the_receivables_pages_for_finance_manager_and_warehouse(
    book,
    as_role,  # noqa: F811
    django_assert_max_num_queries,
):
    orders = book
    invoices = settle(orders)
    finance, manager, warehouse = as_role("finance"), as_role("manager"), as_role("warehouse")
    ageing = reverse("finance:receivables_ageing") + "?on=2025-06-30"
    with django_assert_max_num_queries(12):
        page = finance.get(ageing)
    body = page.content.decode()
    assert page.status_code == 200
    for figure in ("700.00", "600.00", "250.00", "400.00", "2550.00", "1800.00", "1100.00"):
        assert figure in body, figure
    assert not re.search(r"\bnan\b", body, re.IGNORECASE)

    xlsx = finance.get(ageing + "&download=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[1][:2] == ["D-A", "甲分销"]
    assert rows[1][3:] == [700.0, 500.0, 600.0, 0.0, 0.0, 1800.0]
    assert rows[-1][3:] == [700.0, 600.0, 600.0, 250.0, 400.0, 2550.0]

    with django_assert_max_num_queries(12):
        listing = finance.get(reverse("finance:invoice_list") + "?state=overdue")
    assert listing.status_code == 200
    assert invoices["inv2"].number in listing.content.decode()
    assert invoices["inv6"].number not in listing.content.decode()  # paid

    detail = reverse("finance:invoice_detail", args=[invoices["inv2"].pk])
    with django_assert_max_num_queries(14):
        shown = finance.get(detail)
    assert "Record the payment" in shown.content.decode()
    refused = finance.post(detail, {"amount": "600.00", "received_on": "2025-06-25"}, follow=True)
    assert "would overpay it" in refused.content.decode()
    finance.post(detail, {"amount": "120.50", "received_on": "2025-06-25", "reference": "BK-1"})
    assert CustomerPayment.objects.get(invoice=invoices["inv2"]).amount == D("120.50")

    assert manager.get(ageing).status_code == 200
    assert "Record the payment" not in manager.get(detail).content.decode()
    assert manager.post(detail, {"amount": "1.00", "received_on": "2025-06-25"}).status_code == 403
    for url in (ageing, reverse("finance:invoice_list"), detail, reverse("finance:credit_holds")):
        assert warehouse.get(url).status_code == 403


def test_the_credit_holds_page_shows_the_figures_and_releases(
    shops,  # noqa: F811
    as_role,  # noqa: F811
    django_assert_max_num_queries,
):
    customer = Customer.objects.create(
        code="D-H", name="丙分销", credit_limit=D("1000.00"), payment_days=15
    )
    sku = SKUFactory(retail_price=D("700.00"))
    receive(sku, shops.site.pick_a, 5)
    first = order_services.order_place(shop=shops.desk, customer=customer, lines=[line(sku, 1)])
    held = order_services.order_place(shop=shops.desk, customer=customer, lines=[line(sku, 1)])
    assert first.status == "allocated" and held.status == "credit_hold"
    finance = as_role("finance")
    with django_assert_max_num_queries(10):
        page = finance.get(reverse("finance:credit_holds"))
    body = page.content.decode()
    # limit 1000.00, owed 700.00, this order 700.00, over by 400.00
    for figure in ("1000.00", "700.00", "400.00", held.number):
        assert figure in body
    assert as_role("manager").get(reverse("finance:credit_holds")).status_code == 200
    release = reverse("finance:credit_hold_release", args=[held.pk])
    assert as_role("support").post(release).status_code == 403
    finance.post(release)
    held.refresh_from_db()
    assert held.status == "allocated"
