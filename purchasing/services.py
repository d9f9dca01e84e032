"""Writes of purchasing: orders through their lifecycle, and receipts into stock.

Receiving locks the purchase order row first, so two receipts of one order are serialised
and the over-receipt check holds until commit; the goods enter stock through
``inventory.services.stock_receive`` (one lot per line at the order line's unit cost) in the
same transaction. Rejected units never reach the ledger.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from catalog.models import SKU
from inventory import services as inventory_services
from inventory.enums import SlotType
from inventory.models import Slot, Warehouse
from purchasing import selectors
from purchasing.enums import OPEN_STATUSES, PurchaseOrderStatus
from purchasing.exceptions import (
    InvalidOrderTransition,
    InvalidPurchaseInput,
    OverReceipt,
    ReceiptAlreadyRecorded,
    SuggestionsAlreadyOrdered,
)
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierOffer,
)

User = AbstractBaseUser | None
RECEIPT_REFERENCE = "purchase_receipt"
# Advisory lock key ("JXRD") serialising drafts made from restock suggestions, so that two
# clicks on the restock page cannot both see "not ordered yet".
DRAFTS_LOCK = 0x4A58_5244
# Slots goods may be received into: never packing, returns or quarantine.
RECEIVABLE_SLOT_TYPES = (SlotType.RECEIVING, SlotType.PICK, SlotType.RESERVE)


@dataclass(frozen=True)
class OrderLineInput:
    sku: SKU
    quantity: int
    unit_cost: Decimal | None = None  # None: the supplier's offer in effect
    expected_date: dt.date | None = None  # None: today + the offer's lead time


@dataclass(frozen=True)
class ReceiveLine:
    order_line: PurchaseOrderLine
    received: int
    rejected: int = 0
    slot: Slot | None = None


# The largest count a quantity column (PositiveIntegerField) holds.
MAX_COUNT = 2_147_483_647


def _is_count(value, *, minimum: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and minimum <= value <= MAX_COUNT


def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence[OrderLineInput],
    note: str = "",
    user: User = None,
) -> PurchaseOrder:
    """Create a draft order; a line without a unit cost takes the supplier's offer in effect."""
    today = timezone.localdate()
    problems: list[str] = []
    if not supplier.is_active:
        problems.append(_("%(supplier)s is inactive.") % {"supplier": supplier})
    if not lines:
        problems.append(_("A purchase order needs at least one line."))
    seen: set[int] = set()
    rows = []
    for line in lines:
        if line.sku.pk in seen:
            problems.append(_("%(sku)s is on the order twice.") % {"sku": line.sku.code})
        seen.add(line.sku.pk)
        if line.sku.is_bundle:
            problems.append(
                _("%(sku)s is a bundle (组合装); order its components.") % {"sku": line.sku.code}
            )
        if not _is_count(line.quantity, minimum=1):
            problems.append(
                _("%(sku)s: the quantity must be a whole number above zero.")
                % {"sku": line.sku.code}
            )
        offer = selectors.offer_in_effect(supplier=supplier, sku=line.sku, on=today)
        unit_cost = line.unit_cost
        if unit_cost is None:
            if offer is None:
                problems.append(
                    _("%(sku)s: %(supplier)s has no offer in effect; give the unit cost.")
                    % {"sku": line.sku.code, "supplier": supplier.code}
                )
                continue
            unit_cost = offer.unit_cost
        elif isinstance(unit_cost, float) or Decimal(unit_cost) < 0:
            problems.append(
                _("%(sku)s: the unit cost must be a Decimal of zero or more.")
                % {"sku": line.sku.code}
            )
            continue
        lead = offer.lead_time_days if offer else 0
        rows.append(
            PurchaseOrderLine(
                sku=line.sku,
                offer=offer,
                quantity=line.quantity,
                unit_cost=Decimal(unit_cost),
                offer_unit_cost=offer.unit_cost if offer else None,
                expected_date=line.expected_date or today + dt.timedelta(days=lead),
            )
        )
    if problems:
        raise InvalidPurchaseInput(problems)
    with transaction.atomic():
        order = PurchaseOrder.objects.create(
            supplier=supplier,
            warehouse=warehouse,
            currency=supplier.currency,
            note=note,
            created_by=user,
        )
        for row in rows:
            row.order = order
            row.save()
    return order


def _transition(order: PurchaseOrder, allowed: Sequence[str], target: str) -> PurchaseOrder:
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status not in allowed:
        raise InvalidOrderTransition(
            locked,
            locked.get_status_display(),
            str(PurchaseOrderStatus(target).label),
        )
    return locked


def purchase_order_place(
    *, order: PurchaseOrder, user: User = None, at: dt.datetime | None = None
) -> PurchaseOrder:
    """Send a draft to the supplier: draft → ordered."""
    with transaction.atomic():
        locked = _transition(order, [PurchaseOrderStatus.DRAFT], PurchaseOrderStatus.ORDERED)
        if not locked.lines.exists():
            raise InvalidPurchaseInput([_("A purchase order needs at least one line.")])
        locked.status = PurchaseOrderStatus.ORDERED
        locked.ordered_at = at or timezone.now()
        locked.save(update_fields=["status", "ordered_at"])
    return locked


def purchase_order_cancel(*, order: PurchaseOrder, user: User = None) -> PurchaseOrder:
    """Cancel an order nothing has been received on."""
    with transaction.atomic():
        locked = _transition(
            order, [PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.ORDERED], "cancelled"
        )
        if Receipt.objects.filter(order=locked).exists():
            raise InvalidOrderTransition(
                locked, locked.get_status_display(), str(PurchaseOrderStatus.CANCELLED.label)
            )
        locked.status = PurchaseOrderStatus.CANCELLED
        locked.save(update_fields=["status"])
    return locked


def purchase_order_close(*, order: PurchaseOrder, user: User = None) -> PurchaseOrder:
    """Close a received order, or one partially received whose rest will not come."""
    with transaction.atomic():
        locked = _transition(
            order,
            [PurchaseOrderStatus.PARTIALLY_RECEIVED, PurchaseOrderStatus.RECEIVED],
            PurchaseOrderStatus.CLOSED,
        )
        locked.status = PurchaseOrderStatus.CLOSED
        locked.save(update_fields=["status"])
    return locked


def purchase_order_line_set_cost(
    *, line: PurchaseOrderLine, unit_cost: Decimal, user: User = None
) -> PurchaseOrderLine:
    """Change a line's unit cost (kept in its history) while nothing of it was received."""
    if isinstance(unit_cost, float) or Decimal(unit_cost) < 0:
        raise InvalidPurchaseInput([_("The unit cost must be a Decimal of zero or more.")])
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=line.order_id)
        if order.status not in (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.ORDERED):
            raise InvalidPurchaseInput(
                [
                    _("%(order)s is %(status)s: its costs can no longer change.")
                    % {"order": order.code, "status": order.get_status_display()}
                ]
            )
        line.unit_cost = Decimal(unit_cost)
        line.save(update_fields=["unit_cost"])
    return line


def purchase_order_receive(
    *,
    order: PurchaseOrder,
    lines: Sequence[ReceiveLine],
    user: User = None,
    received_at: dt.datetime | None = None,
    note: str = "",
    submission: uuid.UUID | None = None,
) -> Receipt:
    """Record a delivery: per line the units received and rejected, accepted units into stock.

    ``submission`` is the key of the page that sent it: sent again, nothing is recorded and
    ``ReceiptAlreadyRecorded`` names the receipt of the first sending.

    Accepted (received − rejected) units enter ``slot`` as a new lot at the order line's unit
    cost; rejected units go back to the supplier and never become stock. Accepted units
    beyond what is still open on a line are refused (``OverReceipt``), and so is the whole
    receipt: nothing is half-applied. The order becomes partially received, or received
    once every line has all its units.
    """
    problems: list[str] = []
    if not lines:
        problems.append(_("A receipt needs at least one line."))
    seen: set[int] = set()
    for line in lines:
        sku = line.order_line.sku.code
        if line.order_line.order_id != order.pk:
            problems.append(
                _("%(sku)s: the line is not on %(order)s.") % {"sku": sku, "order": order.code}
            )
        if line.order_line.pk in seen:
            problems.append(_("%(sku)s is received twice in one receipt.") % {"sku": sku})
        seen.add(line.order_line.pk)
        if not _is_count(line.received, minimum=1):
            problems.append(
                _("%(sku)s: the received quantity must be a whole number above zero.")
                % {"sku": sku}
            )
            continue
        if not _is_count(line.rejected, minimum=0) or line.rejected > line.received:
            problems.append(
                _(
                    "%(sku)s: rejected units must be a whole number from 0 to the %(received)d "
                    "received."
                )
                % {"sku": sku, "received": line.received}
            )
            continue
        if line.received > line.rejected:
            if line.slot is None:
                problems.append(_("%(sku)s: choose the slot the goods go into.") % {"sku": sku})
            elif line.slot.warehouse_id != order.warehouse_id:
                problems.append(
                    _(
                        "%(sku)s: slot %(slot)s is not in %(warehouse)s, where the order is "
                        "delivered."
                    )
                    % {"sku": sku, "slot": line.slot.label, "warehouse": order.warehouse.code}
                )
            elif line.slot.slot_type not in RECEIVABLE_SLOT_TYPES:
                problems.append(
                    _("%(sku)s: goods cannot be received into %(slot)s, a %(type)s slot.")
                    % {
                        "sku": sku,
                        "slot": line.slot.label,
                        "type": line.slot.get_slot_type_display(),
                    }
                )
    if problems:
        raise InvalidPurchaseInput(problems)
    received_at = received_at or timezone.now()
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        recorded = submission and Receipt.objects.filter(submission=submission).first()
        if recorded:  # the order's lock made a twin sending wait for the first to commit
            raise ReceiptAlreadyRecorded(recorded)
        if locked.status not in OPEN_STATUSES:
            raise InvalidPurchaseInput(
                [
                    _("%(order)s is %(status)s: only ordered goods can be received.")
                    % {"order": locked.code, "status": locked.get_status_display()}
                ]
            )
        accepted_before = dict(
            ReceiptLine.objects.filter(order_line__order=locked)
            .values("order_line")
            .annotate(n=Sum(selectors.ACCEPTED))
            .values_list("order_line", "n")
        )
        over = []
        for line in lines:
            accepted = line.received - line.rejected
            already = accepted_before.get(line.order_line.pk, 0)
            if already + accepted > line.order_line.quantity:
                over.append(
                    _(
                        "%(sku)s: ordered %(ordered)d, %(already)d accepted before, %(now)d "
                        "more would make %(total)d"
                    )
                    % {
                        "sku": line.order_line.sku.code,
                        "ordered": line.order_line.quantity,
                        "already": already,
                        "now": accepted,
                        "total": already + accepted,
                    }
                )
        if over:
            raise OverReceipt(over)
        receipt = Receipt.objects.create(
            order=locked, received_at=received_at, note=note, user=user, submission=submission
        )
        rows = [
            ReceiptLine(
                receipt=receipt,
                order_line=line.order_line,
                received_quantity=line.received,
                rejected_quantity=line.rejected,
                slot=line.slot if line.received > line.rejected else None,
            )
            for line in lines
        ]
        by_slot: dict[int, list[ReceiptLine]] = defaultdict(list)
        slots = {}
        for row in rows:
            if row.slot is not None:
                by_slot[row.slot.pk].append(row)
                slots[row.slot.pk] = row.slot
        for slot_id, slot_rows in sorted(by_slot.items()):
            moves = inventory_services.stock_receive(
                slot=slots[slot_id],
                lines=[
                    inventory_services.ReceiptLine(
                        sku=row.order_line.sku,
                        quantity=row.accepted_quantity,
                        unit_cost=row.order_line.unit_cost,
                    )
                    for row in slot_rows
                ],
                received_at=received_at,
                at=received_at,
                source_reference=locked.code,
                reference_type=RECEIPT_REFERENCE,
                reference_id=str(receipt.pk),
                user=user,
            )
            for row, move in zip(slot_rows, moves, strict=True):
                row.lot = move.lot
        ReceiptLine.objects.bulk_create(rows)
        accepted_now = dict(accepted_before)
        for line in lines:
            accepted_now[line.order_line.pk] = (
                accepted_now.get(line.order_line.pk, 0) + line.received - line.rejected
            )
        complete = all(
            accepted_now.get(pk, 0) >= quantity
            for pk, quantity in locked.lines.values_list("pk", "quantity")
        )
        locked.status = (
            PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTIALLY_RECEIVED
        )
        locked.save(update_fields=["status"])
    order.status = locked.status
    return receipt


@dataclass(frozen=True)
class Suggestion:
    """A restock suggestion to order: SKU, warehouse, quantity, and the chosen offer."""

    sku_id: int
    warehouse_id: int
    quantity: int
    offer_id: int


def purchase_orders_from_suggestions(
    *, suggestions: Sequence[Suggestion], user: User = None, orders_seen: int | None = None
) -> list[PurchaseOrder]:
    """Turn restock suggestions into draft orders: one per supplier and warehouse, a line per
    SKU at the chosen offer's unit cost and lead time.

    ``orders_seen`` is the newest order line id when the suggestions were computed
    (``selectors.latest_order_line_id``): if a draft or open order for a selected SKU and
    warehouse was made since, the suggestion is stale and nothing is created
    (``SuggestionsAlreadyOrdered``); a second click therefore changes nothing."""
    if not suggestions:
        raise InvalidPurchaseInput([_("Select at least one suggestion.")])
    offers = SupplierOffer.objects.select_related("supplier", "sku").in_bulk(
        {s.offer_id for s in suggestions}
    )
    warehouses = Warehouse.objects.in_bulk({s.warehouse_id for s in suggestions})
    problems = []
    groups: dict[tuple[int, int], list[tuple[SupplierOffer, int]]] = defaultdict(list)
    for s in suggestions:
        offer = offers.get(s.offer_id)
        if offer is None or offer.sku_id != s.sku_id or s.warehouse_id not in warehouses:
            problems.append(_("A selected suggestion no longer matches an offer; reload the page."))
            continue
        if not _is_count(s.quantity, minimum=1):
            problems.append(
                _("%(sku)s: the quantity must be a whole number above zero.")
                % {"sku": offer.sku.code}
            )
            continue
        groups[offer.supplier_id, s.warehouse_id].append((offer, s.quantity))
    for items in groups.values():
        skus = [offer.sku_id for offer, _q in items]
        if len(skus) != len(set(skus)):
            problems.append(_("A SKU is selected twice for one supplier and warehouse."))
    if problems:
        raise InvalidPurchaseInput(sorted(set(problems)))
    today = timezone.localdate()
    orders = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAFTS_LOCK])
        if orders_seen is not None:
            pairs = [
                (offer.sku_id, warehouse_id)
                for (_supplier_id, warehouse_id), items in groups.items()
                for offer, _quantity in items
            ]
            _refuse_ordered_since(orders_seen, pairs)
        for (_supplier_id, warehouse_id), items in sorted(groups.items()):
            supplier = items[0][0].supplier
            order = PurchaseOrder.objects.create(
                supplier=supplier,
                warehouse=warehouses[warehouse_id],
                currency=supplier.currency,
                note=_("From the restock report"),
                created_by=user,
            )
            bulk_create_with_history(
                [
                    PurchaseOrderLine(
                        order=order,
                        sku=offer.sku,
                        offer=offer,
                        quantity=quantity,
                        unit_cost=offer.unit_cost,
                        offer_unit_cost=offer.unit_cost,
                        expected_date=today + dt.timedelta(days=offer.lead_time_days),
                    )
                    for offer, quantity in sorted(items, key=lambda item: item[0].sku.code)
                ],
                PurchaseOrderLine,
                default_user=user,
            )
            orders.append(order)
    return orders


def _refuse_ordered_since(orders_seen: int, pairs: list[tuple[int, int]]) -> None:
    """Raise ``SuggestionsAlreadyOrdered`` if a draft or open order line for one of the
    SKU × warehouse ``pairs`` is newer than ``orders_seen``."""
    wanted = set(pairs)
    newer = (
        PurchaseOrderLine.objects.filter(
            pk__gt=orders_seen,
            sku_id__in={sku_id for sku_id, _wh in wanted},
            order__warehouse_id__in={wh for _sku, wh in wanted},
            order__status__in=(PurchaseOrderStatus.DRAFT, *OPEN_STATUSES),
        )
        .values_list("sku__code", "sku_id", "order__warehouse_id", "order_id")
        .order_by("sku__code", "order_id")
    )
    hits = [(code, order_id) for code, sku_id, wh, order_id in newer if (sku_id, wh) in wanted]
    if hits:
        raise SuggestionsAlreadyOrdered(
            sorted({code for code, _o in hits}),
            [PurchaseOrder.code_for(pk) for pk in sorted({o for _c, o in hits})],
        )
