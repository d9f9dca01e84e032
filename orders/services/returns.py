"""Returns (RMA): returned goods back into stock through inventory, per order line."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import SKU
from catalog.money import money
from inventory import services as stock
from inventory.enums import ReturnDisposition as StockDisposition
from inventory.exceptions import InventoryError
from inventory.models import ReservationPick
from orders.enums import (
    RETURNABLE,
    ReturnDisposition,
    ReturnReason,
)
from orders.exceptions import InvalidOrderInput
from orders.models import (
    LineReservation,
    Return,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
)
from orders.services.allocation import (
    _components,
    _serialise_allocation,
    backorders_allocate,
)
from orders.services.shared import ZERO, User, _money, _raise, _transition, _whole

RETURN_REFERENCE = "sales_return"


DISPOSITIONS = {
    ReturnDisposition.RESTOCK: StockDisposition.RESTOCK,
    ReturnDisposition.SCRAP: StockDisposition.SCRAP,
    # Goods for the supplier wait as defective stock (次品) until they are sent back.
    ReturnDisposition.RETURN_TO_SUPPLIER: StockDisposition.QUARANTINE,
}


@dataclass(frozen=True)
class ReturnLineInput:
    order_line: SalesOrderLine
    quantity: int
    reason: str
    disposition: str
    refund_amount: Decimal = ZERO


def _returned(lines: Sequence[SalesOrderLine]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for line_id, quantity in ReturnLine.objects.filter(order_line__in=lines).values_list(
        "order_line_id", "quantity"
    ):
        counts[line_id] += quantity
    return counts


def return_create(
    *,
    order: SalesOrder,
    lines: Sequence[ReturnLineInput],
    note: str = "",
    user: User = None,
) -> Return:
    """Receive returned goods (RMA) per order line: restock, scrap or hold them for the
    supplier through inventory; restocked goods serve waiting backorders."""
    with transaction.atomic():
        _serialise_allocation()
        order = _transition(order, RETURNABLE, _("returned"))
        problems: list[str] = []
        if not lines:
            problems.append(_("A return needs at least one line."))
        order_lines = {line.pk: line for line in order.lines.select_related("sku")}
        already = _returned(list(order_lines.values()))
        wanted: dict[int, int] = defaultdict(int)
        for given in lines:
            line = order_lines.get(given.order_line.pk)
            if line is None:
                problems.append(_("A return line must be a line of this order."))
                continue
            subject = _("Line %(line)d") % {"line": line.line_no}
            if _whole(problems, given.quantity, subject):
                wanted[line.pk] += given.quantity
            if given.reason not in ReturnReason.values:
                problems.append(_("%(subject)s: choose a reason.") % {"subject": subject})
            if given.disposition not in ReturnDisposition.values:
                problems.append(
                    _("%(subject)s: choose what happens to the goods.") % {"subject": subject}
                )
            refund = _money(problems, given.refund_amount, subject, _("refund"))
            if refund is not None and refund > line.amount:
                problems.append(
                    _("%(subject)s: the refund is more than the line's %(amount)s.")
                    % {"subject": subject, "amount": line.amount}
                )
        for line_id, units in wanted.items():
            line = order_lines[line_id]
            left = line.shipped_quantity - already[line_id]
            if units > left:
                problems.append(
                    _(
                        "Line %(line)d: %(units)d returned, but only %(left)d shipped and "
                        "not returned."
                    )
                    % {"line": line.line_no, "units": units, "left": left}
                )
        _raise(problems)
        rma = Return.objects.create(
            order=order,
            note=note,
            user=user if user is not None and user.is_authenticated else None,
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(
                rma=rma,
                order_line=order_lines[given.order_line.pk],
                quantity=given.quantity,
                reason=given.reason,
                disposition=given.disposition,
                refund_amount=money(Decimal(given.refund_amount)),
            )
            for given in lines
        )
        components = _components([line.sku for line in order_lines.values()])
        stock.stock_rows_lock(
            warehouse=order.warehouse,
            sku_ids={
                sku.pk for line in order_lines.values() for sku, _q in components[line.sku_id]
            },
        )
        lots = _shipped_lots(order)
        restocked: set[SKU] = set()
        try:
            for given in lines:
                line = order_lines[given.order_line.pk]
                for sku, per_unit in components[line.sku_id]:
                    stock.stock_return(
                        sku=sku,
                        warehouse=order.warehouse,
                        quantity=given.quantity * per_unit,
                        disposition=DISPOSITIONS[given.disposition],
                        lot=lots.get((line.pk, sku.pk)),
                        reason=ReturnReason(given.reason).label,
                        reference_type=RETURN_REFERENCE,
                        reference_id=f"RMA-{rma.pk}",
                        user=user if user is not None and user.is_authenticated else None,
                    )
                    if given.disposition == ReturnDisposition.RESTOCK:
                        restocked.add(sku)
        except InventoryError as error:
            raise InvalidOrderInput([str(error)]) from error
        if restocked:
            backorders_allocate(warehouse=order.warehouse, skus=sorted(restocked, key=str))
    return rma


def _shipped_lots(order: SalesOrder) -> dict[tuple[int, int], object]:
    """Return the newest lot each (line, SKU) shipped from: returns go back into it, so
    their cost reverses at what was consumed."""
    holds = dict(
        LineReservation.objects.filter(line__order=order).values_list("reservation_id", "line_id")
    )
    lots = {}
    for pick in (
        ReservationPick.objects.filter(reservation_id__in=holds)
        .select_related("lot", "reservation")
        .order_by("lot__received_at", "pk")
    ):
        lots[holds[pick.reservation_id], pick.reservation.sku_id] = pick.lot
    return lots
