"""Payables reads: bills with their paid and outstanding figures, the approval queue, ageing."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from finance.enums import AgeingBucket, BillStatus
from finance.models import SupplierBill, SupplierPayment

ZERO = Decimal("0.00")
AMOUNT = DecimalField(max_digits=14, decimal_places=2)

# --- Payables -------------------------------------------------------------------------------


def _paid_sum(on: dt.date | None = None) -> Coalesce:
    payments = SupplierPayment.objects.filter(bill=OuterRef("pk"))
    if on is not None:
        payments = payments.filter(paid_on__lte=on)
    return Coalesce(
        Subquery(
            payments.values("bill").annotate(total=Sum("amount")).values("total"),
            output_field=AMOUNT,
        ),
        Value(ZERO, output_field=AMOUNT),
    )


def bills_with_figures(
    queryset: QuerySet[SupplierBill] | None = None, *, on: dt.date | None = None
) -> QuerySet[SupplierBill]:
    """Annotate bills with ``paid`` (payments up to ``on``, all if None) and
    ``outstanding`` (amount − paid; zero for a cancelled bill)."""
    queryset = SupplierBill.objects.all() if queryset is None else queryset
    return queryset.annotate(paid=_paid_sum(on)).annotate(outstanding=F("amount") - F("paid"))


def bill_search(*, supplier=None, status: str = "") -> QuerySet[SupplierBill]:
    """Bills for the bill list, newest first, with their figures."""
    bills = SupplierBill.objects.select_related("supplier", "purchase_order")
    if supplier is not None:
        bills = bills.filter(supplier=supplier)
    if status:
        bills = bills.filter(status=status)
    return bills_with_figures(bills).order_by("-billed_on", "-pk")


def bills_awaiting_approval() -> QuerySet[SupplierBill]:
    """Draft bills, the oldest bill date first: what finance has to match and approve."""
    return bills_with_figures(
        SupplierBill.objects.filter(status=BillStatus.DRAFT).select_related(
            "supplier", "purchase_order"
        )
    ).order_by("billed_on", "pk")


def _open_bills(on: dt.date) -> QuerySet[SupplierBill]:
    """Approved bills dated up to ``on`` with something outstanding on that day."""
    return (
        bills_with_figures(
            SupplierBill.objects.filter(status=BillStatus.APPROVED, billed_on__lte=on), on=on
        )
        .filter(outstanding__gt=0)
        .select_related("supplier")
    )


def payables_outstanding(*, on: dt.date | None = None) -> Decimal:
    """Return what is owed to suppliers on ``on`` (today): approved bills dated by then,
    less what was paid by then."""
    on = on or timezone.localdate()
    total = _open_bills(on).aggregate(total=Sum("outstanding"))["total"]
    return total or ZERO


def ageing_bucket(days_overdue: int) -> AgeingBucket:
    """Return the ageing bucket of an open amount ``days_overdue`` days past its due date."""
    if days_overdue <= 0:
        return AgeingBucket.CURRENT
    if days_overdue <= 30:
        return AgeingBucket.DAYS_1_30
    if days_overdue <= 60:
        return AgeingBucket.DAYS_31_60
    if days_overdue <= 90:
        return AgeingBucket.DAYS_61_90
    return AgeingBucket.OVER_90


def _empty_buckets() -> dict[str, Decimal]:
    return dict.fromkeys(AgeingBucket.values, ZERO)


@dataclass
class AgeingRow:
    supplier: object  # purchasing.Supplier
    buckets: dict[str, Decimal] = field(default_factory=_empty_buckets)
    bills: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets[AgeingBucket.CURRENT]

    @property
    def amounts(self) -> list[Decimal]:
        """The buckets' amounts in the order of ``AgeingBucket``."""
        return [self.buckets[bucket] for bucket in AgeingBucket.values]


@dataclass
class Ageing:
    on: dt.date
    rows: list[AgeingRow]

    @property
    def totals(self) -> AgeingRow:
        """The column totals: each the sum of the suppliers' figures above it."""
        totals = AgeingRow(supplier=None, bills=sum(row.bills for row in self.rows))
        for row in self.rows:
            for bucket, amount in row.buckets.items():
                totals.buckets[bucket] += amount
        return totals


def payables_ageing(*, on: dt.date | None = None) -> Ageing:
    """Return what is owed to each supplier on ``on`` (today) by days past due (账龄).

    A bill counts once approved and dated by ``on``, for its amount less the payments made
    by ``on``; it is overdue from the day after its due date (bill date + the supplier's
    payment terms). Drafts are not owed yet: they wait for approval (``bills_awaiting_
    approval``). One query; suppliers by code.
    """
    on = on or timezone.localdate()
    rows: dict[int, AgeingRow] = {}
    for bill in _open_bills(on).order_by("supplier__code", "due_on", "pk"):
        row = rows.get(bill.supplier_id)
        if row is None:
            row = rows[bill.supplier_id] = AgeingRow(bill.supplier)
        row.buckets[ageing_bucket((on - bill.due_on).days)] += bill.outstanding
        row.bills += 1
    return Ageing(on=on, rows=list(rows.values()))
