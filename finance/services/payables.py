"""Payables (应付): supplier bills, their approval after the three-way match, and payments.

A bill is entered from the supplier's invoice (``bill_create``) or drafted from what was
accepted and not billed yet (``bill_draft_from_receipts``); it is approved for payment by
finance alone (``finance.approve_supplierbill``), and only when the three-way match is clean
or a note explains every difference it lists (``bill_approve``); approved bills are paid in
one or more payments, never beyond what is outstanding (``supplier_payment_record``).

A bill's amount is the sum of its rounded lines (``catalog.money``); its due date is the bill
date plus the supplier's payment terms.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import line_amount, money, money_text, money_total, unit_price_text
from finance.access import APPROVE_BILL
from finance.enums import BillStatus, DifferenceKind
from finance.exceptions import ApprovalRefused, BillRefused, InvalidFinanceInput
from finance.matching import Difference, three_way_match, unbilled_lines
from finance.models import SupplierBill, SupplierBillLine, SupplierPayment
from purchasing.enums import PurchaseOrderStatus
from purchasing.models import PurchaseOrder, PurchaseOrderLine

User = AbstractBaseUser | None
MAX_COUNT = 2_147_483_647  # the largest quantity a PositiveIntegerField holds
MAX_AMOUNT = Decimal("999999999999.99")  # 14 digits, 2 decimals
MAX_UNIT_COST = Decimal("9999999999.9999")  # 14 digits, 4 decimals
NOTE_LENGTH = SupplierBill._meta.get_field("approval_note").max_length
NUMBER_LENGTH = SupplierBill._meta.get_field("number").max_length
REFERENCE_LENGTH = SupplierPayment._meta.get_field("reference").max_length
# Orders whose goods can be billed: placed, and not cancelled.
BILLABLE_ORDER_STATUSES = (
    PurchaseOrderStatus.ORDERED,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
    PurchaseOrderStatus.RECEIVED,
    PurchaseOrderStatus.CLOSED,
)


@dataclass(frozen=True)
class BillLineInput:
    order_line: PurchaseOrderLine
    quantity: int
    unit_cost: Decimal


def _is_count(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= MAX_COUNT


def _decimal_places(value: Decimal) -> int:
    return max(-value.as_tuple().exponent, 0)


def _unit_cost_problem(unit_cost) -> str | None:
    if isinstance(unit_cost, float | bool) or not isinstance(unit_cost, Decimal | int):
        return _("the unit cost must be a Decimal, not %(type)s") % {
            "type": type(unit_cost).__name__
        }
    unit_cost = Decimal(unit_cost)
    if not unit_cost.is_finite() or unit_cost < 0:
        return _("the unit cost must be zero or more")
    if _decimal_places(unit_cost) > 4 or unit_cost > MAX_UNIT_COST:
        return _("the unit cost has at most four decimals and ten digits before the point")
    return None


def _lock_order(purchase_order: PurchaseOrder) -> PurchaseOrder:
    """Lock the order's row: bills of one order are created and approved one at a time, so
    two of them never both see the same units as not billed yet."""
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .get(pk=purchase_order.pk)
    )


def bill_create(
    *,
    purchase_order: PurchaseOrder,
    number: str,
    billed_on: dt.date,
    lines: Sequence[BillLineInput],
    user: User = None,
) -> SupplierBill:
    """Enter a supplier's invoice for ``purchase_order`` as a draft bill, line by line.

    Every line must be a line of the order, once, with a whole quantity above zero and a
    unit cost of zero or more; refused whole, naming every problem. The lines are not
    matched here: the bill page and ``bill_approve`` show and judge the differences.
    """
    number = (number or "").strip()
    problems: list[str] = []
    if purchase_order.status not in BILLABLE_ORDER_STATUSES:
        problems.append(
            _("%(order)s is %(status)s: it cannot be billed.")
            % {"order": purchase_order.code, "status": purchase_order.get_status_display()}
        )
    if not number:
        problems.append(_("Give the supplier's invoice number."))
    elif len(number) > NUMBER_LENGTH:
        problems.append(
            _("The invoice number has at most %(n)d characters.") % {"n": NUMBER_LENGTH}
        )
    if not isinstance(billed_on, dt.date):
        problems.append(_("Give the bill date."))
    if not lines:
        problems.append(_("A bill needs at least one line."))
    seen: set[int] = set()
    rows = []
    for line in lines:
        sku = line.order_line.sku.code
        if line.order_line.order_id != purchase_order.pk:
            problems.append(
                _("%(sku)s: the line is not on %(order)s.")
                % {"sku": sku, "order": purchase_order.code}
            )
        if line.order_line.pk in seen:
            problems.append(_("%(sku)s is billed twice in one bill.") % {"sku": sku})
        seen.add(line.order_line.pk)
        if not _is_count(line.quantity):
            problems.append(
                _("%(sku)s: the billed quantity must be a whole number above zero.") % {"sku": sku}
            )
        cost_problem = _unit_cost_problem(line.unit_cost)
        if cost_problem:
            problems.append(f"{sku}: {cost_problem}.")
        if not problems:
            unit_cost = Decimal(line.unit_cost)
            rows.append(
                SupplierBillLine(
                    order_line=line.order_line,
                    quantity=line.quantity,
                    unit_cost=unit_cost,
                    amount=line_amount(line.quantity, unit_cost),
                )
            )
    amount = money_total(row.amount for row in rows)
    if not problems and amount > MAX_AMOUNT:
        problems.append(_("The bill's amount is too large."))
    if problems:
        raise InvalidFinanceInput(problems)
    with transaction.atomic():
        order = _lock_order(purchase_order)
        supplier = order.supplier
        if SupplierBill.objects.filter(supplier=supplier, number=number).exists():
            raise InvalidFinanceInput([_duplicate_number(supplier, number)])
        try:
            with transaction.atomic():
                bill = SupplierBill.objects.create(
                    supplier=supplier,
                    purchase_order=order,
                    number=number,
                    billed_on=billed_on,
                    due_on=billed_on + dt.timedelta(days=supplier.payment_terms_days),
                    amount=amount,
                    currency=order.currency,
                )
        except IntegrityError:  # entered by a colleague since the check above
            raise InvalidFinanceInput([_duplicate_number(supplier, number)]) from None
        for row in rows:
            row.bill = bill
        SupplierBillLine.objects.bulk_create(rows)
    return bill


def _duplicate_number(supplier, number: str) -> str:
    return _("%(supplier)s's invoice %(number)s is entered already.") % {
        "supplier": supplier.code,
        "number": number,
    }


def bill_draft_from_receipts(
    *,
    purchase_order: PurchaseOrder,
    user: User = None,
    number: str = "",
    billed_on: dt.date | None = None,
) -> SupplierBill:
    """Draft the bill the order's receipts call for: per line the units accepted and on no
    bill yet (drafts included), at the PO unit cost. ``number`` defaults to the order's
    code and the bill's rank on it (PO-000042-1)."""
    with transaction.atomic():
        order = _lock_order(purchase_order)
        lines = [
            BillLineInput(line, line.accepted - line.billed, line.unit_cost)
            for line in unbilled_lines(order)
            if line.accepted > line.billed
        ]
        if not lines:
            raise InvalidFinanceInput(
                [_("%(order)s has nothing accepted left to bill.") % {"order": order.code}]
            )
        if not number:
            number = f"{order.code}-{SupplierBill.objects.filter(purchase_order=order).count() + 1}"
        return bill_create(
            purchase_order=order,
            number=number,
            billed_on=billed_on or timezone.localdate(),
            lines=lines,
            user=user,
        )


def difference_text(difference: Difference) -> str:
    """Return one difference as a reason reads it: what, expected, billed, at stake."""
    if difference.kind == DifferenceKind.PRICE:
        expected = unit_price_text(difference.expected)
        billed = unit_price_text(difference.billed)
    else:
        expected, billed = difference.expected, difference.billed
    text = _("%(sku)s: %(kind)s (expected %(expected)s, billed %(billed)s, %(amount)s at stake)")
    return text % {
        "sku": difference.order_line.sku.code,
        "kind": difference.label,
        "expected": expected,
        "billed": billed,
        "amount": money_text(difference.amount),
    }


def _lock_bill(bill: SupplierBill) -> SupplierBill:
    return (
        SupplierBill.objects.select_for_update(of=("self",))
        .select_related("supplier", "purchase_order")
        .get(pk=bill.pk)
    )


def bill_approve(*, bill: SupplierBill, user, note: str = "") -> SupplierBill:
    """Approve a draft bill for payment.

    Only a holder of ``finance.approve_supplierbill`` may. A bill whose three-way match is
    clean is approved as it is; one with differences only with a note that explains them,
    kept as its ``approval_note``. The match is read under the order's lock, so a bill
    approved meanwhile on the same receipts counts.
    """
    if user is None or not user.has_perm(APPROVE_BILL):
        raise ApprovalRefused(
            _("Only finance approves supplier bills; %(user)s may not.")
            % {"user": getattr(user, "username", "") or _("this user")}
        )
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise ApprovalRefused(
            _("The approval note has at most %(n)d characters.") % {"n": NOTE_LENGTH}
        )
    with transaction.atomic():
        _lock_order(bill.purchase_order)
        locked = _lock_bill(bill)
        if locked.status != BillStatus.DRAFT:
            raise BillRefused(
                _("Bill %(bill)s is %(status)s: only a draft can be approved.")
                % {"bill": locked.number, "status": locked.get_status_display()}
            )
        differences = three_way_match(locked)
        if differences and not note:
            raise ApprovalRefused(
                _(
                    "Bill %(bill)s differs from its order and receipts: %(differences)s. "
                    "Approve it with a note explaining the differences, or cancel it."
                )
                % {
                    "bill": locked.number,
                    "differences": "; ".join(difference_text(d) for d in differences),
                },
                differences,
            )
        locked.status = BillStatus.APPROVED
        locked.approved_at = timezone.now()
        locked.approved_by = user
        locked.approval_note = note
        locked.save(update_fields=["status", "approved_at", "approved_by", "approval_note"])
    bill.refresh_from_db()
    return locked


def bill_cancel(*, bill: SupplierBill, user: User = None) -> SupplierBill:
    """Cancel a bill entered in error: a draft, or an approved bill nothing was paid on."""
    with transaction.atomic():
        locked = _lock_bill(bill)
        if locked.status == BillStatus.CANCELLED:
            raise BillRefused(_("Bill %(bill)s is cancelled already.") % {"bill": locked.number})
        if locked.payments.exists():
            raise BillRefused(
                _("Bill %(bill)s has payments: it cannot be cancelled.") % {"bill": locked.number}
            )
        locked.status = BillStatus.CANCELLED
        locked.save(update_fields=["status"])
    bill.refresh_from_db()
    return locked


def bill_paid(bill: SupplierBill) -> Decimal:
    """Return what was paid on ``bill`` so far."""
    paid = bill.payments.aggregate(total=Sum("amount"))["total"]
    return paid or Decimal("0.00")


def supplier_payment_record(
    *,
    bill: SupplierBill,
    amount: Decimal,
    paid_on: dt.date,
    reference: str = "",
    user: User = None,
) -> SupplierPayment:
    """Record a payment of an approved bill, in full or in part, never beyond what is
    outstanding (amount − paid)."""
    reference = (reference or "").strip()
    problems = []
    if isinstance(amount, float | bool) or not isinstance(amount, Decimal | int):
        problems.append(_("The amount must be a Decimal."))
    elif not Decimal(amount).is_finite() or Decimal(amount) <= 0:
        problems.append(_("The amount paid must be above zero."))
    elif money(amount) != amount:
        problems.append(_("The amount paid is in yuan and fen: at most two decimals."))
    if not isinstance(paid_on, dt.date):
        problems.append(_("Give the payment date."))
    if len(reference) > REFERENCE_LENGTH:
        problems.append(
            _("The bank reference has at most %(n)d characters.") % {"n": REFERENCE_LENGTH}
        )
    if problems:
        raise InvalidFinanceInput(problems)
    amount = money(amount)
    with transaction.atomic():
        locked = _lock_bill(bill)
        if locked.status != BillStatus.APPROVED:
            raise BillRefused(
                _("Bill %(bill)s is %(status)s: only an approved bill is paid.")
                % {"bill": locked.number, "status": locked.get_status_display()}
            )
        if paid_on < locked.billed_on:
            raise InvalidFinanceInput(
                [
                    _("The payment date %(paid_on)s is before the bill date %(billed_on)s.")
                    % {"paid_on": paid_on.isoformat(), "billed_on": locked.billed_on.isoformat()}
                ]
            )
        outstanding = locked.amount - bill_paid(locked)
        if amount > outstanding:
            raise InvalidFinanceInput(
                [
                    _(
                        "%(amount)s is more than bill %(bill)s has outstanding "
                        "(%(outstanding)s %(currency)s): nothing was recorded."
                    )
                    % {
                        "amount": money_text(amount),
                        "bill": locked.number,
                        "outstanding": money_text(outstanding),
                        "currency": locked.currency,
                    }
                ]
            )
        return SupplierPayment.objects.create(
            bill=locked, paid_on=paid_on, amount=amount, reference=reference, user=user
        )
