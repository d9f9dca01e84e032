"""Receivables reads: invoices with what is outstanding, ageing, overdue customers."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.money import money
from finance.enums import AgeingBucket, InvoiceState
from finance.models import CreditNote, CustomerPayment, Invoice

# Receivables ---------------------------------------------------------------------------------

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
BUCKETS = list(AgeingBucket)


def _received(model, day_field: str, until: dt.date | None) -> Coalesce:
    """Σ amount of ``model`` rows of the invoice (dated by ``until`` when given)."""
    rows = model.objects.filter(invoice=OuterRef("pk"))
    if until is not None:
        rows = rows.filter(**{f"{day_field}__lte": until})
    total = rows.order_by().values("invoice").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def invoices_with_outstanding(*, on: dt.date | None = None) -> QuerySet[Invoice]:
    """Invoices annotated with ``paid``, ``credited`` and ``outstanding``: everything
    recorded, or, ``on`` a date, as they stood at its end (issued, received and credited
    by then)."""
    invoices = Invoice.objects.all()
    if on is not None:
        invoices = invoices.filter(issued_on__lte=on)
    return invoices.annotate(
        paid=_received(CustomerPayment, "received_on", on),
        credited=_received(CreditNote, "issued_on", on),
    ).annotate(outstanding=F("amount") - F("paid") - F("credited"))


def receivables_outstanding(*, on: dt.date | None = None) -> Decimal:
    """What customers owed at the end of ``on`` (today): invoices issued by then, less what
    was received and credited by then."""
    on = on or timezone.localdate()
    total = invoices_with_outstanding(on=on).aggregate(total=Sum("outstanding"))["total"]
    return money(total or ZERO)


def ageing_bucket(due_on: dt.date, on: dt.date) -> AgeingBucket:
    """The bucket of an invoice due ``due_on``, ``on`` a day: by days past its due date."""
    late = (on - due_on).days
    if late <= 0:
        return AgeingBucket.CURRENT
    if late <= 30:
        return AgeingBucket.DAYS_1_30
    if late <= 60:
        return AgeingBucket.DAYS_31_60
    if late <= 90:
        return AgeingBucket.DAYS_61_90
    return AgeingBucket.OVER_90


@dataclass
class AgeingRow:
    """A customer's outstanding receivables split by ageing bucket."""

    customer: object
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    invoices: int = 0

    @property
    def columns(self) -> list[Decimal]:
        return [self.amounts[bucket] for bucket in BUCKETS]

    @property
    def total(self) -> Decimal:
        return sum(self.columns, ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts[AgeingBucket.CURRENT]


@dataclass
class Ageing:
    """应收账龄 on a day: one row per customer, and the totals (the sums of the rows)."""

    on: dt.date
    rows: list[AgeingRow]

    @property
    def totals(self) -> AgeingRow:
        totals = AgeingRow(customer=None)
        for row in self.rows:
            for bucket in BUCKETS:
                totals.amounts[bucket] += row.amounts[bucket]
            totals.invoices += row.invoices
        return totals


def receivables_ageing(*, on: dt.date | None = None) -> Ageing:
    """What each customer owed at the end of ``on`` (default today), by days overdue; one
    query. Customers by what they owe, most first."""
    on = on or timezone.localdate()
    rows: dict[int, AgeingRow] = {}
    for invoice in (
        invoices_with_outstanding(on=on)
        .filter(outstanding__gt=0)
        .select_related("customer")
        .order_by("customer__code", "due_on", "pk")
    ):
        row = rows.get(invoice.customer_id)
        if row is None:
            row = rows[invoice.customer_id] = AgeingRow(customer=invoice.customer)
        row.amounts[ageing_bucket(invoice.due_on, on)] += money(invoice.outstanding)
        row.invoices += 1
    ordered = sorted(rows.values(), key=lambda row: (-row.total, row.customer.code))
    return Ageing(on=on, rows=ordered)


@dataclass(frozen=True)
class OverdueCustomer:
    customer: object
    overdue: Decimal
    invoices: int
    oldest_due_on: dt.date
    days_overdue: int


def customers_overdue(*, on: dt.date | None = None) -> list[OverdueCustomer]:
    """Customers with invoices past due at the end of ``on`` (default today): what is
    overdue, on how many invoices, and since when; most overdue first. One query."""
    on = on or timezone.localdate()
    found: dict[int, list] = defaultdict(lambda: [None, ZERO, 0, None])
    for invoice in (
        invoices_with_outstanding(on=on)
        .filter(outstanding__gt=0, due_on__lt=on)
        .select_related("customer")
        .order_by("due_on", "pk")
    ):
        entry = found[invoice.customer_id]
        entry[0] = invoice.customer
        entry[1] += money(invoice.outstanding)
        entry[2] += 1
        entry[3] = entry[3] or invoice.due_on
    result = [
        OverdueCustomer(customer, amount, count, oldest, (on - oldest).days)
        for customer, amount, count, oldest in found.values()
    ]
    return sorted(result, key=lambda c: (-c.overdue, c.customer.code))


def invoice_search(
    *, customer=None, state: str = "", query: str = "", on: dt.date | None = None
) -> QuerySet[Invoice]:
    """Invoices with what is outstanding now, newest first, filtered by customer, state
    (open, overdue ``on`` a day — default today —, paid) or an invoice / order number."""
    on = on or timezone.localdate()
    invoices = invoices_with_outstanding().select_related("customer", "order")
    if customer is not None:
        invoices = invoices.filter(customer=customer)
    if state == InvoiceState.OPEN:
        invoices = invoices.filter(outstanding__gt=0)
    elif state == InvoiceState.OVERDUE:
        invoices = invoices.filter(outstanding__gt=0, due_on__lt=on)
    elif state == InvoiceState.PAID:
        invoices = invoices.filter(outstanding__lte=0)
    if query:
        invoices = invoices.filter(Q(number__icontains=query) | Q(order__number__icontains=query))
    return invoices.order_by("-issued_on", "-pk")


def invoice_state(invoice: Invoice, on: dt.date | None = None) -> InvoiceState:
    """Paid, overdue or open, for an invoice annotated with ``outstanding``."""
    on = on or timezone.localdate()
    if invoice.outstanding <= 0:
        return InvoiceState.PAID
    return InvoiceState.OVERDUE if invoice.due_on < on else InvoiceState.OPEN
