"""Payables pages: finance works the bills, the purchaser and the manager read them, the
warehouse does not open them; the bill page shows the three-way match with each difference
marked; pages cost a constant number of queries."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from finance import services
from finance.enums import BillStatus
from finance.models import SupplierBill, SupplierPayment
from tests.finance import payables_support
from tests.finance.payables_support import order_line, received_order, supplier
from tests.orders import conftest as order_fixtures
from tests.purchasing import conftest as purchasing_fixtures

site = purchasing_fixtures.site
as_role = order_fixtures.as_role
users = payables_support.users
D = Decimal


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def order(site):
    """A 10 @ 12.50 with 8 accepted; B 4 @ 3.3333 all accepted (see test_payables)."""
    return received_order(
        site, supplier("SUP-A", terms=30), [("A", 10, "12.50", 10, 2), ("B", 4, "3.3333", 4, 0)]
    )


@pytest.fixture
def mismatch(order):
    """A billed 10 @ 12.80: 2 units too many (25.00) and 0.30 too dear on 10 (3.00)."""
    return services.bill_create(
        purchase_order=order,
        number="INV-MISMATCH",
        billed_on=dt.date(2026, 1, 1),
        lines=[services.BillLineInput(order_line(order, "A"), 10, D("12.80"))],
    )


def test_finance_sees_the_mismatch_marked_on_the_bill_page(as_role, mismatch):
    page = as_role("finance").get(reverse("finance:bill_detail", args=[mismatch.pk]))

    assert page.status_code == 200
    body = text(page)
    assert "2 differences, 28.00 at stake." in body  # 25.00 + 3.00
    assert "Billed more than accepted 8 10 25.00" in body
    assert "Billed unit cost differs from the order 12.50 12.80 3.00" in body
    html = page.content.decode()
    assert '<td class="num bad">12.80</td>' in html and '<td class="num bad">10</td>' in html
    assert reverse("finance:bill_approve", args=[mismatch.pk]) in html
    assert reverse("finance:bill_cancel", args=[mismatch.pk]) in html


def test_approving_a_mismatch_on_the_page_needs_a_note(as_role, mismatch):
    client = as_role("finance")
    url = reverse("finance:bill_approve", args=[mismatch.pk])

    refused = client.post(url, {"note": ""}, follow=True)
    assert "Approve it with a note explaining the differences" in text(refused)
    mismatch.refresh_from_db()
    assert mismatch.status == BillStatus.DRAFT

    client.post(url, {"note": "Supplier's new price list; 2 units follow."})
    mismatch.refresh_from_db()
    assert mismatch.status == BillStatus.APPROVED
    assert mismatch.approval_note == "Supplier's new price list; 2 units follow."


@pytest.mark.parametrize("role", ["purchaser", "manager"])
def test_purchaser_and_manager_read_bills_but_do_not_approve_or_pay(as_role, mismatch, role):
    client = as_role(role)
    for name in ("finance:bill_list", "finance:payables_ageing", "finance:orders_to_bill"):
        assert client.get(reverse(name)).status_code == 200, name
    page = client.get(reverse("finance:bill_detail", args=[mismatch.pk]))
    assert page.status_code == 200
    assert "Billed more than accepted" in text(page)
    assert reverse("finance:bill_approve", args=[mismatch.pk]) not in page.content.decode()
    for step in ("finance:bill_approve", "finance:bill_cancel", "finance:bill_pay"):
        url = reverse(step, args=[mismatch.pk])
        assert client.post(url, {"note": "ok", "amount": "1.00"}).status_code == 403, step
    new_bill = reverse("finance:bill_new", args=[mismatch.purchase_order_id])
    assert client.get(new_bill).status_code == 403
    mismatch.refresh_from_db()
    assert mismatch.status == BillStatus.DRAFT


@pytest.mark.parametrize("role", ["warehouse", "support", "marketer", "merchandiser"])
def test_roles_without_bills_are_refused_the_payables_pages(as_role, mismatch, role):
    client = as_role(role)
    urls = [
        reverse("finance:bill_list"),
        reverse("finance:bill_detail", args=[mismatch.pk]),
        reverse("finance:orders_to_bill"),
        reverse("finance:payables_ageing"),
        reverse("finance:payables_ageing_xlsx"),
        reverse("finance:bill_new", args=[mismatch.purchase_order_id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_a_bill_is_entered_from_the_orders_receipts(as_role, order):
    client = as_role("finance")
    assert order.code in text(client.get(reverse("finance:orders_to_bill")))
    url = reverse("finance:bill_new", args=[order.pk])
    page = client.get(url)
    html = page.content.decode()
    a, b = order_line(order, "A"), order_line(order, "B")
    # The quantities start from what was accepted: 8 of A, 4 of B, at the PO unit cost.
    assert f'name="line-{a.pk}-quantity" value="8"' in html
    assert f'name="line-{b.pk}-unit_cost" value="3.3333"' in html

    data = {
        "number": "FP-2026-001",
        "billed_on": "2026-01-05",
        f"line-{a.pk}-quantity": "8",
        f"line-{a.pk}-unit_cost": "12.50",
        f"line-{b.pk}-quantity": "4",
        f"line-{b.pk}-unit_cost": "3.3333",
    }
    response = client.post(url, data)
    bill = SupplierBill.objects.get(number="FP-2026-001")
    assert response.url == reverse("finance:bill_detail", args=[bill.pk])
    assert bill.amount == D("113.33")  # 100.00 + 13.33
    assert bill.due_on == dt.date(2026, 2, 4)  # 5 Jan + 30 days
    detail = text(client.get(response.url))
    assert "Clean match" in detail


def test_bad_bill_input_keeps_what_was_typed_and_saves_nothing(as_role, order):
    client = as_role("finance")
    a = order_line(order, "A")
    data = {
        "number": "FP-BAD",
        "billed_on": "2026-01-05",
        f"line-{a.pk}-quantity": "8",
        f"line-{a.pk}-unit_cost": "-1",
    }
    page = client.post(reverse("finance:bill_new", args=[order.pk]), data)
    assert page.status_code == 200
    assert 'value="FP-BAD"' in page.content.decode()
    assert not SupplierBill.objects.exists()


def test_payments_on_the_page_refuse_overpayment_and_record_a_part(as_role, order, users):
    bill = services.bill_draft_from_receipts(purchase_order=order, number="FP-9")  # 113.33
    services.bill_approve(bill=bill, user=users["finance"])
    client = as_role("finance")
    url = reverse("finance:bill_pay", args=[bill.pk])
    paid_on = bill.billed_on.isoformat()

    over = client.post(url, {"amount": "113.34", "paid_on": paid_on}, follow=True)
    assert "113.34 is more than bill FP-9 has outstanding (113.33 CNY)" in text(over)
    negative = client.post(url, {"amount": "-1", "paid_on": paid_on}, follow=True)
    assert "Ensure this value is greater than or equal to 0.01" in text(negative)
    assert not SupplierPayment.objects.exists()

    client.post(url, {"amount": "100.00", "paid_on": paid_on, "reference": "ICBC-1"})
    page = text(client.get(reverse("finance:bill_detail", args=[bill.pk])))
    assert "Outstanding 13.33" in page
    assert "ICBC-1" in page


def test_payables_ageing_page_and_its_workbook(as_role, order, users):
    bill = services.bill_draft_from_receipts(
        purchase_order=order, number="FP-OLD", billed_on=dt.date(2026, 1, 1)
    )  # 113.33, due 31 Jan
    services.bill_approve(bill=bill, user=users["finance"])
    client = as_role("finance")

    page = text(client.get(reverse("finance:payables_ageing"), {"on": "2026-03-15"}))
    # 15 Mar is 43 days past 31 Jan: 31–60 days overdue.
    assert "SUP-A 供应商 SUP-A 1 0.00 0.00 113.33 0.00 0.00 113.33" in page

    download = client.get(reverse("finance:payables_ageing_xlsx"), {"on": "2026-03-15"})
    assert download["Content-Disposition"] == (
        'attachment; filename="payables-ageing-2026-03-15.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Supplier code", "Supplier", "Open bills")
    assert rows[1] == ("SUP-A", "供应商 SUP-A", 1, 0, 0, 113.33, 0, 0, 113.33)
    assert rows[2][1:] == ("Total", 1, 0, 0, 113.33, 0, 0, 113.33)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_payables_pages_cost_the_same_queries_for_more_bills_and_lines(as_role, site, users):
    client = as_role("finance")

    def bills(count: int, start: int) -> SupplierBill:
        last = None
        for n in range(start, start + count):
            lines = [(f"L{k}", 5, "2.00", 5, 0) for k in range(1 + n % 3)]
            order = received_order(site, supplier(f"SUP-{n}"), lines)
            last = services.bill_draft_from_receipts(purchase_order=order, number=f"Q-{n}")
            if n % 2:
                services.bill_approve(bill=last, user=users["finance"])
                services.supplier_payment_record(
                    bill=last, amount=D("1.00"), paid_on=last.billed_on
                )
        return last

    small = bills(2, 0)
    urls = [
        reverse("finance:bill_list"),
        reverse("finance:payables_ageing"),
        reverse("finance:orders_to_bill"),
        reverse("finance:bill_detail", args=[small.pk]),
    ]
    _queries(client, urls[0])  # the session and content types are not rows
    few = [_queries(client, url) for url in urls]
    large = bills(7, 2)  # the last, Q-8, has 3 lines
    urls[3] = reverse("finance:bill_detail", args=[large.pk])  # 3 lines rather than 2
    many = [_queries(client, url) for url in urls]
    assert many == few


def test_the_admin_approves_clean_bills_for_finance_and_offers_the_action_to_no_one_else(
    as_role, order, mismatch
):
    clean = services.bill_create(
        purchase_order=order,
        number="INV-CLEAN",
        billed_on=dt.date(2026, 1, 1),
        lines=[services.BillLineInput(order_line(order, "B"), 4, D("3.3333"))],
    )
    url = reverse("admin:finance_supplierbill_changelist")
    purchaser_page = as_role("purchaser").get(url)
    assert purchaser_page.status_code == 200
    assert 'value="approve"' not in purchaser_page.content.decode()

    finance = as_role("finance")
    assert 'value="approve"' in finance.get(url).content.decode()
    response = finance.post(
        url,
        {"action": "approve", "_selected_action": [clean.pk, mismatch.pk]},
        follow=True,
    )
    body = text(response)
    assert "1 bill approved." in body
    assert "Approve it with a note explaining the differences" in body  # the mismatch stays
    clean.refresh_from_db()
    mismatch.refresh_from_db()
    assert (clean.status, mismatch.status) == (BillStatus.APPROVED, BillStatus.DRAFT)
