"""Receivables (应收): invoices for shipped credit orders, customer payments and credit notes.

- ``invoices_issue``: one invoice per shipped credit order that has none, dated the day it
  shipped, due ``payment_days`` later, for the order's total; safe to run twice.
- ``payment_record``: money received against an invoice, partly or whole, never more than
  is outstanding.
- ``credit_note_from_return``: a return's refund credited against the order's invoice;
  ``credit_notes_issue`` does it for every refunded return not credited yet.

Outstanding = amount − payments − credit notes, never below zero. After each payment or
credit note the order's ``credit_settled`` is set to what was paid and credited in all,
through orders' ``order_credit_settle``: that is how orders knows what a customer still owes
without reading finance.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import money
from finance.exceptions import FinanceError
from finance.models import CreditNote, CustomerPayment, Invoice
from orders import services as order_services
from orders.enums import RETURNABLE
from orders.models import Return, ReturnLine, SalesOrder

# Serialises the numbering of invoices and credit notes on PostgreSQL.
NUMBERING_LOCK = 0x4A58_0F01
ZERO = Decimal("0.00")


def _serialise_numbering() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NUMBERING_LOCK])


class _Numbers:
    """The next numbers of a document kind, per year: ``INV-2026-000123``."""

    def __init__(self, model, prefix: str):
        self.model, self.prefix, self.last = model, prefix, {}

    def next(self, day: dt.date) -> str:
        year = day.year
        if year not in self.last:
            head = f"{self.prefix}-{year}-"
            top = (
                self.model.objects.filter(number__startswith=head)
                .order_by("-number")
                .values_list("number", flat=True)
                .first()
            )
            self.last[year] = int(top.removeprefix(head)) if top else 0
        self.last[year] += 1
        return f"{self.prefix}-{year}-{self.last[year]:06d}"


def _amount(value, label: str) -> Decimal:
    """Return ``value`` as an amount above zero, to the cent, or raise a clear error."""
    if isinstance(value, float | bool):
        raise FinanceError(_("Give the %(label)s as a Decimal amount.") % {"label": label})
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise FinanceError(
            _("The %(label)s must be an amount, not %(value)s.") % {"label": label, "value": value}
        )
    if amount <= 0:
        raise FinanceError(
            _("The %(label)s must be more than zero, not %(value)s.")
            % {"label": label, "value": value}
        )
    if amount != money(amount):
        raise FinanceError(
            _("The %(label)s is in cents: %(value)s has more than two decimals.")
            % {"label": label, "value": value}
        )
    return money(amount)


def invoice_settled(invoice: Invoice) -> tuple[Decimal, Decimal]:
    """Return what was received and what was credited against ``invoice`` in all."""
    paid = invoice.payments.aggregate(total=Sum("amount"))["total"] or ZERO
    credited = invoice.credit_notes.aggregate(total=Sum("amount"))["total"] or ZERO
    return paid, credited


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().select_related("order").get(pk=invoice.pk)


def _settle(invoice: Invoice) -> Decimal:
    """Write back to the order what was paid and credited; return what is outstanding."""
    paid, credited = invoice_settled(invoice)
    order_services.order_credit_settle(order=invoice.order, amount=paid + credited)
    return invoice.amount - paid - credited


def invoices_issue(*, on: dt.date | None = None) -> list[Invoice]:
    """Issue one invoice per credit order shipped by the end of ``on`` (default today) that
    has none: dated the day it shipped, due after the customer's payment days, for the
    order's total. Running it again issues nothing new."""
    on = on or timezone.localdate()
    until = dt.datetime.combine(
        on + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone()
    )
    with transaction.atomic():
        _serialise_numbering()
        orders = list(
            SalesOrder.objects.filter(
                on_credit=True,
                status__in=RETURNABLE,
                shipped_at__lt=until,
                customer__isnull=False,
            )
            .exclude(Exists(Invoice.objects.filter(order=OuterRef("pk"))))
            .select_related("customer")
            .annotate(
                amount_due=Sum(F("lines__quantity") * F("lines__unit_price") - F("lines__discount"))
            )
            .order_by("shipped_at", "pk")
        )
        numbers = _Numbers(Invoice, "INV")
        invoices = []
        for order in orders:
            issued_on = timezone.localtime(order.shipped_at).date()
            invoices.append(
                Invoice(
                    order=order,
                    customer=order.customer,
                    number=numbers.next(issued_on),
                    issued_on=issued_on,
                    due_on=issued_on + dt.timedelta(days=order.customer.payment_days or 0),
                    amount=money(order.amount_due or ZERO),
                    currency=order.currency,
                )
            )
        Invoice.objects.bulk_create(invoices)
    return invoices


def payment_record(
    *,
    invoice: Invoice,
    amount,
    received_on: dt.date,
    reference: str = "",
    user=None,
) -> CustomerPayment:
    """Record money received against ``invoice``: more than zero, to the cent, and no more
    than is outstanding; received on or after the invoice date and not in the future."""
    amount = _amount(amount, _("payment"))
    with transaction.atomic():
        invoice = _locked(invoice)
        if not isinstance(received_on, dt.date):
            raise FinanceError(_("Give the date the payment was received."))
        if received_on < invoice.issued_on:
            raise FinanceError(
                _("Invoice %(number)s was issued on %(issued)s: a payment for it cannot be "
                  "received on %(day)s.")
                % {"number": invoice.number, "issued": invoice.issued_on, "day": received_on}
            )  # fmt: skip
        if received_on > timezone.localdate():
            raise FinanceError(
                _("%(day)s is in the future: record a payment once it is received.")
                % {"day": received_on}
            )
        paid, credited = invoice_settled(invoice)
        outstanding = invoice.amount - paid - credited
        if amount > outstanding:
            raise FinanceError(
                _("Invoice %(number)s has %(outstanding)s outstanding: a payment of "
                  "%(amount)s would overpay it.")
                % {"number": invoice.number, "outstanding": outstanding, "amount": amount}
            )  # fmt: skip
        payment = CustomerPayment.objects.create(
            invoice=invoice,
            amount=amount,
            received_on=received_on,
            reference=(reference or "").strip()[:100],
            user=user if user is not None and user.is_authenticated else None,
        )
        _settle(invoice)
    return payment


def return_refund(rma: Return) -> Decimal:
    return money(rma.lines.aggregate(total=Sum("refund_amount"))["total"] or ZERO)


def credit_note_from_return(
    *, rma: Return, issued_on: dt.date | None = None, user=None
) -> CreditNote:
    """Credit a return's refund against its order's invoice (红字发票): the return is
    credited once, and never for more than the invoice has outstanding."""
    issued_on = issued_on or timezone.localdate()
    with transaction.atomic():
        invoice = Invoice.objects.filter(order_id=rma.order_id).first()
        if invoice is None:
            raise FinanceError(
                _("Order %(number)s has no invoice: issue it before crediting its return.")
                % {"number": rma.order.number}
            )
        invoice = _locked(invoice)
        _serialise_numbering()
        taken = CreditNote.objects.filter(rma=rma).first()
        if taken is not None:
            raise FinanceError(
                _("%(rma)s is credited already by %(note)s.") % {"rma": rma, "note": taken}
            )
        refund = return_refund(rma)
        if refund <= 0:
            raise FinanceError(
                _("%(rma)s refunds nothing: there is nothing to credit.") % {"rma": rma}
            )
        if issued_on < invoice.issued_on:
            raise FinanceError(
                _("Invoice %(number)s was issued on %(issued)s: its credit note cannot be "
                  "dated %(day)s.")
                % {"number": invoice.number, "issued": invoice.issued_on, "day": issued_on}
            )  # fmt: skip
        paid, credited = invoice_settled(invoice)
        outstanding = invoice.amount - paid - credited
        if refund > outstanding:
            raise FinanceError(
                _("%(rma)s refunds %(refund)s but invoice %(number)s has only %(outstanding)s "
                  "outstanding: pay the difference back to the customer instead.")
                % {
                    "rma": rma,
                    "refund": refund,
                    "number": invoice.number,
                    "outstanding": outstanding,
                }
            )  # fmt: skip
        note = CreditNote.objects.create(
            invoice=invoice,
            rma=rma,
            number=_Numbers(CreditNote, "CN").next(issued_on),
            issued_on=issued_on,
            amount=refund,
            reason=str(_("Refund of %(rma)s") % {"rma": rma})[:200],
        )
        _settle(invoice)
    return note


def returns_to_credit(*, until: dt.date | None = None):
    """Returns with a refund, of invoiced orders, that no credit note credits yet."""
    returns = Return.objects.filter(
        Exists(Invoice.objects.filter(order=OuterRef("order"))),
        Exists(ReturnLine.objects.filter(rma=OuterRef("pk"), refund_amount__gt=0)),
        credit_note__isnull=True,
    )
    if until is not None:
        end = dt.datetime.combine(
            until + dt.timedelta(days=1), dt.time(), tzinfo=timezone.get_current_timezone()
        )
        returns = returns.filter(created_at__lt=end)
    return returns.select_related("order").order_by("created_at", "pk")


def credit_notes_issue(*, on: dt.date | None = None) -> tuple[list[CreditNote], list[str]]:
    """Credit every refunded return of an invoiced order received by ``on`` (default today)
    that is not credited yet, dated the day it was received; return the credit notes and
    the reasons of those that could not be credited (each is left for finance)."""
    notes, problems = [], []
    for rma in returns_to_credit(until=on or timezone.localdate()):
        try:
            notes.append(
                credit_note_from_return(
                    rma=rma,
                    issued_on=max(
                        timezone.localtime(rma.created_at).date(),
                        Invoice.objects.get(order_id=rma.order_id).issued_on,
                    ),
                )
            )
        except FinanceError as error:
            problems.append(error.message)
    return notes, problems


__all__ = [
    "credit_note_from_return",
    "credit_notes_issue",
    "invoice_settled",
    "invoices_issue",
    "payment_record",
    "returns_to_credit",
]
