"""The three-way match of a supplier bill: purchase order ↔ receipts ↔ bill.

For every line of the bill's purchase order the match puts side by side what was ordered
(quantity, PO unit cost), what was accepted into stock (received − rejected, summed over the
order's receipts), what other approved bills of the line already charged, and what this
bill charges. What may still be billed on a line is accepted − billed on approved bills;
its expected amount is that quantity × the PO unit cost (``catalog.money``).

A bill line is a difference (``DifferenceKind``) when it bills

- **missing receipt**: a line nothing was accepted of;
- **quantity**: more than may still be billed (accepted − already billed), at stake the
  extra units × the PO unit cost;
- **price**: a unit cost other than the PO's, at stake billed quantity × (billed − PO
  unit cost); negative when the supplier charges less.

Billing less than was accepted is no difference: suppliers bill deliveries in parts. Draft
bills of the same line are not counted as billed: the first approved wins, and the match is
read again when a bill is approved.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.money import line_amount, money, money_total
from finance.enums import BillStatus, DifferenceKind
from finance.models import SupplierBill, SupplierBillLine
from purchasing.models import PurchaseOrder, PurchaseOrderLine, ReceiptLine


@dataclass(frozen=True)
class Difference:
    """One difference of the match: ``expected`` and ``billed`` are quantities (quantity,
    missing receipt) or unit costs (price); ``amount`` is the money at stake."""

    kind: str
    order_line: PurchaseOrderLine
    expected: Decimal | int
    billed: Decimal | int
    amount: Decimal

    @property
    def label(self) -> str:
        return DifferenceKind(self.kind).label

    @property
    def is_price(self) -> bool:
        return self.kind == DifferenceKind.PRICE


@dataclass
class MatchLine:
    """A line of the purchase order as the match sees it, with the bill's line on it."""

    order_line: PurchaseOrderLine
    accepted: int
    billed_before: int  # on other approved bills
    bill_line: SupplierBillLine | None = None
    differences: list[Difference] = field(default_factory=list)

    @property
    def open_to_bill(self) -> int:
        return max(self.accepted - self.billed_before, 0)

    @property
    def expected_quantity(self) -> int:
        """What this bill may charge of the line: its billed units, up to what is open."""
        billed = self.bill_line.quantity if self.bill_line else 0
        return min(billed, self.open_to_bill)

    @property
    def expected_amount(self) -> Decimal:
        return line_amount(self.expected_quantity, self.order_line.unit_cost)

    def difference(self, kind: str) -> Difference | None:
        return next((d for d in self.differences if d.kind == kind), None)

    @property
    def quantity_difference(self) -> Difference | None:
        return self.difference(DifferenceKind.QUANTITY) or self.difference(
            DifferenceKind.MISSING_RECEIPT
        )

    @property
    def price_difference(self) -> Difference | None:
        return self.difference(DifferenceKind.PRICE)


def accepted_sum() -> Subquery:
    """Units of the outer order line accepted into stock over all its receipts."""
    return Coalesce(
        Subquery(
            ReceiptLine.objects.filter(order_line=OuterRef("pk"))
            .values("order_line")
            .annotate(n=Sum("received_quantity") - Sum("rejected_quantity"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def billed_sum(*, statuses, exclude_bill: SupplierBill | None = None) -> Subquery:
    """Units of the outer order line charged by bills in ``statuses`` (but ``exclude_bill``)."""
    lines = SupplierBillLine.objects.filter(order_line=OuterRef("pk"), bill__status__in=statuses)
    if exclude_bill is not None:
        lines = lines.exclude(bill_id=exclude_bill.pk)
    return Coalesce(
        Subquery(
            lines.values("order_line").annotate(n=Sum("quantity")).values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def match_lines(bill: SupplierBill) -> list[MatchLine]:
    """Return the match of ``bill`` line by line of its purchase order (two queries)."""
    order_lines = (
        PurchaseOrderLine.objects.filter(order_id=bill.purchase_order_id)
        .select_related("sku")
        .annotate(
            accepted=accepted_sum(),
            billed_before=billed_sum(statuses=[BillStatus.APPROVED], exclude_bill=bill),
        )
        .order_by("pk")
    )
    rows = {
        line.pk: MatchLine(line, accepted=line.accepted, billed_before=line.billed_before)
        for line in order_lines
    }
    for bill_line in bill.lines.all():
        row = rows.get(bill_line.order_line_id)
        if row is None:  # refused by bill_create; never matched against another order
            continue
        row.bill_line = bill_line
        row.differences = _differences(row)
    return list(rows.values())


def _differences(row: MatchLine) -> list[Difference]:
    bill_line, order_line = row.bill_line, row.order_line
    differences = []
    extra = bill_line.quantity - row.open_to_bill
    if row.accepted == 0:
        differences.append(
            Difference(
                DifferenceKind.MISSING_RECEIPT,
                order_line,
                expected=0,
                billed=bill_line.quantity,
                amount=line_amount(bill_line.quantity, order_line.unit_cost),
            )
        )
    elif extra > 0:
        differences.append(
            Difference(
                DifferenceKind.QUANTITY,
                order_line,
                expected=row.open_to_bill,
                billed=bill_line.quantity,
                amount=line_amount(extra, order_line.unit_cost),
            )
        )
    if bill_line.unit_cost != order_line.unit_cost:
        differences.append(
            Difference(
                DifferenceKind.PRICE,
                order_line,
                expected=order_line.unit_cost,
                billed=bill_line.unit_cost,
                amount=money(bill_line.quantity * (bill_line.unit_cost - order_line.unit_cost)),
            )
        )
    return differences


def three_way_match(bill: SupplierBill) -> list[Difference]:
    """Return every difference between ``bill``, its purchase order and its receipts, in
    the order's line order; an empty list is a clean match."""
    return [d for row in match_lines(bill) for d in row.differences]


def unbilled_lines(order: PurchaseOrder) -> QuerySet[PurchaseOrderLine]:
    """Return the order's lines annotated with ``accepted``, ``billed`` (on bills not
    cancelled, drafts included) and ``unbilled`` (accepted − billed, at least zero)."""
    return (
        order.lines.select_related("sku")
        .annotate(
            accepted=accepted_sum(),
            billed=billed_sum(statuses=[BillStatus.DRAFT, BillStatus.APPROVED]),
        )
        .order_by("pk")
    )


@dataclass
class OrderToBill:
    order: PurchaseOrder
    lines: int = 0
    unbilled_quantity: int = 0
    amounts: list[Decimal] = field(default_factory=list)

    @property
    def unbilled_amount(self) -> Decimal:
        """The sum of the unbilled lines' rounded amounts (``catalog.money``)."""
        return money_total(self.amounts)


def orders_to_bill(*, supplier=None) -> list[OrderToBill]:
    """Return purchase orders with units accepted but on no bill yet (drafts count as
    billed), oldest order first, with the unbilled units and their amount (one query)."""
    lines = (
        PurchaseOrderLine.objects.annotate(
            accepted=accepted_sum(),
            billed=billed_sum(statuses=[BillStatus.DRAFT, BillStatus.APPROVED]),
        )
        .filter(accepted__gt=F("billed"))
        .select_related("order__supplier", "order__warehouse")
        .order_by("order_id", "pk")
    )
    if supplier is not None:
        lines = lines.filter(order__supplier=supplier)
    orders: dict[int, OrderToBill] = {}
    for line in lines:
        unbilled = line.accepted - line.billed
        entry = orders.get(line.order_id)
        if entry is None:
            entry = orders[line.order_id] = OrderToBill(line.order)
        entry.lines += 1
        entry.unbilled_quantity += unbilled
        entry.amounts.append(line_amount(unbilled, line.unit_cost))
    return list(orders.values())
