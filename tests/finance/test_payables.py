"""Payables: supplier bills, the three-way match PO ↔ receipts ↔ bill, approval, payments and
the payables ageing. Every figure is computed by hand in the comments."""

import datetime as dt
from decimal import Decimal

import pytest

from finance import services
from finance.enums import AgeingBucket, BillStatus, DifferenceKind
from finance.exceptions import ApprovalRefused, BillRefused, InvalidFinanceInput
from finance.matching import match_lines, orders_to_bill, three_way_match
from finance.models import SupplierBill, SupplierPayment
from finance.selectors import payables as selectors
from tests.finance import payables_support
from tests.finance.payables_support import order_line, received_order, supplier
from tests.purchasing import conftest as purchasing_fixtures

site = purchasing_fixtures.site  # the warehouse with its receiving slot
users = payables_support.users  # one user per role

D = Decimal
JAN_1 = dt.date(2026, 1, 1)


@pytest.fixture
def order(site):
    """PO of SUP-A (30 days' terms): A 10 @ 12.50, 8 accepted (10 received, 2 rejected);
    B 4 @ 3.3333, all 4 accepted; C 5 @ 20.00, nothing received."""
    return received_order(
        site,
        supplier("SUP-A", terms=30),
        [("A", 10, "12.50", 10, 2), ("B", 4, "3.3333", 4, 0), ("C", 5, "20.00", 0, 0)],
    )


def bill(order, number, lines, billed_on=JAN_1):
    return services.bill_create(
        purchase_order=order,
        number=number,
        billed_on=billed_on,
        lines=[
            services.BillLineInput(order_line(order, code), quantity, D(cost))
            for code, quantity, cost in lines
        ],
    )


# --- The three-way match ------------------------------------------------------------------


def test_a_bill_drafted_from_the_receipts_bills_the_accepted_units_at_the_order_cost(order, users):
    draft = services.bill_draft_from_receipts(purchase_order=order, user=users["finance"])

    lines = {line.order_line.sku.code: line for line in draft.lines.select_related("order_line")}
    # A: 8 accepted × 12.50 = 100.00; B: 4 × 3.3333 = 13.3332 → 13.33; C: nothing received.
    assert {code: (line.quantity, line.amount) for code, line in lines.items()} == {
        "SUP-A-A": (8, D("100.00")),
        "SUP-A-B": (4, D("13.33")),
    }
    assert draft.amount == D("113.33")  # the sum of the rounded lines, not round(113.3332)
    assert draft.number == f"{order.code}-1"
    assert draft.status == BillStatus.DRAFT
    assert draft.due_on == draft.billed_on + dt.timedelta(days=30)
    assert three_way_match(draft) == []


def test_billing_more_units_at_a_higher_cost_lists_a_quantity_and_a_price_difference(order):
    # A billed 10 @ 12.80 where 8 were accepted at 12.50.
    mismatch = bill(order, "INV-1", [("A", 10, "12.80")])

    quantity, price = three_way_match(mismatch)
    assert mismatch.amount == D("128.00")  # 10 × 12.80
    assert (quantity.kind, quantity.expected, quantity.billed) == (DifferenceKind.QUANTITY, 8, 10)
    assert quantity.amount == D("25.00")  # 2 units too many × 12.50 on the order
    assert (price.kind, price.expected, price.billed) == (
        DifferenceKind.PRICE,
        D("12.5000"),
        D("12.8000"),
    )
    assert price.amount == D("3.00")  # 10 billed × (12.80 − 12.50)
    # At stake in all: 128.00 billed − 100.00 expected (8 × 12.50) = 25.00 + 3.00.
    row = next(row for row in match_lines(mismatch) if row.bill_line)
    assert row.expected_amount == D("100.00")
    assert mismatch.amount - row.expected_amount == quantity.amount + price.amount


def test_a_cheaper_price_is_a_difference_with_a_negative_amount_at_stake(order):
    cheaper = bill(order, "INV-2", [("B", 4, "3.30")])

    (price,) = three_way_match(cheaper)
    assert price.kind == DifferenceKind.PRICE
    assert price.amount == D("-0.13")  # 4 × (3.30 − 3.3333) = −0.1332 → −0.13


def test_a_line_billed_with_nothing_received_is_a_missing_receipt(order):
    missing = bill(order, "INV-3", [("A", 8, "12.50"), ("C", 5, "20.00")])

    (difference,) = three_way_match(missing)
    assert difference.kind == DifferenceKind.MISSING_RECEIPT
    assert difference.order_line.sku.code == "SUP-A-C"
    assert (difference.expected, difference.billed) == (0, 5)
    assert difference.amount == D("100.00")  # 5 × 20.00 billed for goods never received


def test_billing_part_of_what_was_accepted_is_no_difference(order):
    assert three_way_match(bill(order, "INV-4", [("A", 5, "12.50")])) == []


def test_units_billed_on_an_approved_bill_cannot_be_billed_again(order, users):
    first = bill(order, "INV-5", [("A", 6, "12.50")])
    second = bill(order, "INV-6", [("A", 6, "12.50")])
    # Two drafts: neither is billed yet, both look clean.
    assert three_way_match(second) == []

    services.bill_approve(bill=first, user=users["finance"])

    (quantity,) = three_way_match(second)
    # 8 accepted − 6 on the approved bill = 2 open; 6 billed: 4 too many × 12.50 = 50.00.
    assert (quantity.expected, quantity.billed, quantity.amount) == (2, 6, D("50.00"))
    with pytest.raises(ApprovalRefused):
        services.bill_approve(bill=second, user=users["finance"])


# --- Approval -----------------------------------------------------------------------------


def test_a_clean_bill_is_approved_without_a_note(order, users):
    clean = bill(order, "INV-7", [("A", 8, "12.50"), ("B", 4, "3.3333")])

    services.bill_approve(bill=clean, user=users["finance"])

    clean.refresh_from_db()
    assert clean.status == BillStatus.APPROVED
    assert clean.approved_by == users["finance"] and clean.approved_at is not None
    assert clean.approval_note == ""


def test_a_mismatched_bill_is_refused_without_a_note_and_approved_with_one(order, users):
    mismatch = bill(order, "INV-8", [("A", 10, "12.80")])

    with pytest.raises(ApprovalRefused) as refused:
        services.bill_approve(bill=mismatch, user=users["finance"], note="   ")
    assert len(refused.value.differences) == 2
    assert "INV-8" in refused.value.message
    assert "SUP-A-A: Billed more than accepted (expected 8, billed 10, 25.00 at stake)" in (
        refused.value.message
    )
    assert "(expected 12.50, billed 12.80, 3.00 at stake)" in refused.value.message
    mismatch.refresh_from_db()
    assert mismatch.status == BillStatus.DRAFT

    note = "Two more units arrive next week; the supplier's new price list applies."
    services.bill_approve(bill=mismatch, user=users["finance"], note=note)
    mismatch.refresh_from_db()
    assert (mismatch.status, mismatch.approval_note) == (BillStatus.APPROVED, note)


@pytest.mark.parametrize("role", ["purchaser", "manager", "warehouse"])
def test_only_finance_approves_a_bill(order, users, role):
    clean = bill(order, "INV-9", [("A", 8, "12.50")])

    with pytest.raises(ApprovalRefused, match="Only finance approves supplier bills"):
        services.bill_approve(bill=clean, user=users[role])
    clean.refresh_from_db()
    assert clean.status == BillStatus.DRAFT


def test_an_approved_or_cancelled_bill_is_not_approved_again(order, users):
    clean = bill(order, "INV-10", [("A", 8, "12.50")])
    services.bill_approve(bill=clean, user=users["finance"])
    with pytest.raises(BillRefused, match="only a draft can be approved"):
        services.bill_approve(bill=clean, user=users["finance"])
    other = bill(order, "INV-11", [("B", 4, "3.3333")])
    services.bill_cancel(bill=other)
    with pytest.raises(BillRefused, match="is Cancelled: only a draft"):
        services.bill_approve(bill=other, user=users["finance"])


# --- Entering bills -----------------------------------------------------------------------


def test_bad_bill_input_is_refused_whole_naming_every_problem(order, site):
    other = received_order(site, supplier("SUP-B"), [("X", 1, "1.00", 1, 0)])
    with pytest.raises(InvalidFinanceInput) as refused:
        services.bill_create(
            purchase_order=order,
            number=" ",
            billed_on=JAN_1,
            lines=[
                services.BillLineInput(order_line(order, "A"), 0, D("12.50")),
                services.BillLineInput(order_line(order, "B"), 1, D("-1")),
                services.BillLineInput(order_line(order, "B"), 1, 3.3333),
                services.BillLineInput(order_line(other, "X"), 1, D("1.00")),
            ],
        )
    assert refused.value.problems == [
        "Give the supplier's invoice number.",
        "SUP-A-A: the billed quantity must be a whole number above zero.",
        "SUP-A-B: the unit cost must be zero or more.",
        "SUP-A-B is billed twice in one bill.",
        "SUP-A-B: the unit cost must be a Decimal, not float.",
        f"SUP-B-X: the line is not on {order.code}.",
    ]
    assert not SupplierBill.objects.exists()


def test_a_supplier_invoice_number_is_entered_once(order):
    bill(order, "INV-12", [("A", 1, "12.50")])
    with pytest.raises(InvalidFinanceInput, match="SUP-A's invoice INV-12 is entered already"):
        bill(order, "INV-12", [("B", 1, "3.3333")])
    assert SupplierBill.objects.count() == 1


def test_nothing_left_to_bill_is_refused(order, users):
    services.bill_draft_from_receipts(purchase_order=order, user=users["finance"])
    with pytest.raises(InvalidFinanceInput, match="has nothing accepted left to bill"):
        services.bill_draft_from_receipts(purchase_order=order, user=users["finance"])


def test_orders_to_bill_shows_accepted_units_on_no_bill(order, site):
    # Nothing billed: A 8 × 12.50 = 100.00 and B 4 × 3.3333 = 13.33, 12 units, 113.33.
    (entry,) = orders_to_bill()
    assert (entry.order, entry.lines, entry.unbilled_quantity, entry.unbilled_amount) == (
        order,
        2,
        12,
        D("113.33"),
    )
    part = bill(order, "INV-13", [("A", 5, "12.50")])
    # A: 3 left × 12.50 = 37.50, B 13.33: 50.83 for 7 units.
    (entry,) = orders_to_bill()
    assert (entry.unbilled_quantity, entry.unbilled_amount) == (7, D("50.83"))
    services.bill_cancel(bill=part)
    assert orders_to_bill()[0].unbilled_quantity == 12  # a cancelled bill bills nothing


# --- Payments -----------------------------------------------------------------------------


@pytest.fixture
def approved(order, users):
    clean = bill(order, "INV-20", [("A", 8, "12.50"), ("B", 4, "3.3333")])  # 113.33
    return services.bill_approve(bill=clean, user=users["finance"])


def test_a_bill_is_paid_in_parts_and_never_beyond_what_is_outstanding(approved, users):
    pay = services.supplier_payment_record
    pay(bill=approved, amount=D("100.00"), paid_on=dt.date(2026, 1, 20), user=users["finance"])
    # 113.33 − 100.00 = 13.33 outstanding: 13.34 is refused, nothing recorded.
    with pytest.raises(InvalidFinanceInput, match=r"13\.34 is more than bill INV-20 has outst"):
        pay(bill=approved, amount=D("13.34"), paid_on=dt.date(2026, 1, 21))
    assert SupplierPayment.objects.count() == 1
    pay(bill=approved, amount=D("13.33"), paid_on=dt.date(2026, 1, 21), reference="ICBC 42")

    (row,) = selectors.bills_with_figures().filter(pk=approved.pk)
    assert (row.paid, row.outstanding) == (D("113.33"), D("0.00"))


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("0"), "The amount paid must be above zero."),
        (D("-5.00"), "The amount paid must be above zero."),
        (D("1.005"), "at most two decimals"),
        (1.5, "The amount must be a Decimal."),
    ],
)
def test_a_payment_of_no_amount_or_a_bad_one_is_refused(approved, amount, message):
    with pytest.raises(InvalidFinanceInput, match=message):
        services.supplier_payment_record(bill=approved, amount=amount, paid_on=JAN_1)
    assert not SupplierPayment.objects.exists()


def test_a_draft_or_cancelled_bill_is_not_paid(order):
    draft = bill(order, "INV-21", [("A", 8, "12.50")])
    with pytest.raises(BillRefused, match="is Draft: only an approved bill is paid"):
        services.supplier_payment_record(bill=draft, amount=D("1.00"), paid_on=JAN_1)
    services.bill_cancel(bill=draft)
    with pytest.raises(BillRefused, match="is Cancelled"):
        services.supplier_payment_record(bill=draft, amount=D("1.00"), paid_on=JAN_1)


def test_a_payment_before_the_bill_date_is_refused(approved):
    with pytest.raises(InvalidFinanceInput, match="before the bill date 2026-01-01"):
        services.supplier_payment_record(
            bill=approved, amount=D("1.00"), paid_on=dt.date(2025, 12, 31)
        )


def test_a_paid_bill_cannot_be_cancelled(approved):
    services.supplier_payment_record(bill=approved, amount=D("1.00"), paid_on=JAN_1)
    with pytest.raises(BillRefused, match="has payments: it cannot be cancelled"):
        services.bill_cancel(bill=approved)


# --- Payables ageing ----------------------------------------------------------------------


def test_payables_ageing_on_fixed_dates(site, users):
    """SUP-A (30 days): bill 1 of 100.00 dated 1 Jan, due 31 Jan, 40.00 paid on 10 Feb;
    bill 2 of 50.00 dated 1 Mar, due 31 Mar. SUP-B (60 days): bill 3 of 200.00 dated
    1 Nov 2025, due 31 Dec 2025. A draft of 999.00 is not owed yet."""
    finance = users["finance"]
    sup_a, sup_b = supplier("SUP-A", terms=30), supplier("SUP-B", terms=60)
    first = received_order(site, sup_a, [("A", 10, "10.00", 10, 0)])
    second = received_order(site, sup_a, [("B", 5, "10.00", 5, 0)])
    third = received_order(site, sup_b, [("C", 20, "10.00", 20, 0)])
    drafted = received_order(site, sup_b, [("D", 999, "1.00", 999, 0)])
    bills = [
        bill(first, "A-1", [("A", 10, "10.00")], billed_on=dt.date(2026, 1, 1)),
        bill(second, "A-2", [("B", 5, "10.00")], billed_on=dt.date(2026, 3, 1)),
        bill(third, "B-1", [("C", 20, "10.00")], billed_on=dt.date(2025, 11, 1)),
    ]
    for each in bills:
        services.bill_approve(bill=each, user=finance)
    bill(drafted, "B-2", [("D", 999, "1.00")], billed_on=dt.date(2026, 1, 1))
    services.supplier_payment_record(bill=bills[0], amount=D("40.00"), paid_on=dt.date(2026, 2, 10))

    def figures(on):
        ageing = selectors.payables_ageing(on=on)
        rows = {r.supplier.code: {k: v for k, v in r.buckets.items() if v} for r in ageing.rows}
        return rows, ageing.totals.total

    # 5 Feb: A-1 is 5 days past 31 Jan, nothing paid yet (100.00); A-2 not billed yet;
    # B-1 is 36 days past 31 Dec (200.00).
    assert figures(dt.date(2026, 2, 5)) == (
        {
            "SUP-A": {AgeingBucket.DAYS_1_30: D("100.00")},
            "SUP-B": {AgeingBucket.DAYS_31_60: D("200.00")},
        },
        D("300.00"),
    )
    # 15 Mar: A-1 is 43 days past due, 100.00 − 40.00 = 60.00 open; A-2 due 31 Mar, current
    # (50.00); B-1 is 74 days past due.
    assert figures(dt.date(2026, 3, 15)) == (
        {
            "SUP-A": {AgeingBucket.DAYS_31_60: D("60.00"), AgeingBucket.CURRENT: D("50.00")},
            "SUP-B": {AgeingBucket.DAYS_61_90: D("200.00")},
        },
        D("310.00"),
    )
    # 31 Mar: A-1 is 59 days past 31 Jan (28 in Feb, 31 in Mar), still 31–60.
    assert figures(dt.date(2026, 3, 31))[0]["SUP-A"] == {
        AgeingBucket.DAYS_31_60: D("60.00"),
        AgeingBucket.CURRENT: D("50.00"),
    }
    # 2 Apr: A-1 61 days → 61–90; A-2 2 days; B-1 92 days (31 + 28 + 31 + 2) → over 90.
    assert figures(dt.date(2026, 4, 2)) == (
        {
            "SUP-A": {AgeingBucket.DAYS_61_90: D("60.00"), AgeingBucket.DAYS_1_30: D("50.00")},
            "SUP-B": {AgeingBucket.OVER_90: D("200.00")},
        },
        D("310.00"),
    )
    assert selectors.payables_outstanding(on=dt.date(2026, 4, 2)) == D("310.00")
    assert selectors.payables_outstanding(on=dt.date(2025, 12, 31)) == D("200.00")
    assert [b.number for b in selectors.bills_awaiting_approval()] == ["B-2"]


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-3, AgeingBucket.CURRENT),
        (0, AgeingBucket.CURRENT),
        (1, AgeingBucket.DAYS_1_30),
        (30, AgeingBucket.DAYS_1_30),
        (31, AgeingBucket.DAYS_31_60),
        (60, AgeingBucket.DAYS_31_60),
        (61, AgeingBucket.DAYS_61_90),
        (90, AgeingBucket.DAYS_61_90),
        (91, AgeingBucket.OVER_90),
    ],
)
def test_ageing_buckets_edges(days, bucket):
    assert selectors.ageing_bucket(days) == bucket
