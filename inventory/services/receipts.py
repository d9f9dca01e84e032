"""Receiving goods and moving them between slots: receipt, putaway, transfer."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory import selectors
from inventory.enums import MoveKind
from inventory.exceptions import (
    NoSlotAvailable,
    SlotStockShortage,
)
from inventory.models import (
    Lot,
    Slot,
    StockMove,
)
from inventory.services.checks import (
    _check_lot,
    _check_money,
    _check_quantity,
    _check_slot,
    _check_stockable,
    _raise,
)
from inventory.services.ledger import (
    User,
    _lock_capacity,
    _lock_stock,
    _move,
    _post,
    _take_from_slot,
)


@dataclass(frozen=True)
class ReceiptLine:
    sku: SKU
    quantity: int
    unit_cost: Decimal


def stock_receive(
    *,
    slot: Slot,
    lines: Sequence[ReceiptLine],
    received_at: datetime | None = None,
    source_reference: str = "",
    reference_type: str = "",
    reference_id: str = "",
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Receive goods into a slot: one new lot per line at its unit cost, one receipt move."""
    problems: list[str] = []
    _check_slot(problems, slot)
    if not lines:
        problems.append(_("A receipt needs at least one line."))
    costs = []
    for line in lines:
        _check_stockable(problems, line.sku)
        _check_quantity(problems, line.quantity, line.sku.code)
        cost = _check_money(problems, line.unit_cost, line.sku.code)
        if cost is None and line.unit_cost is None:
            problems.append(_("%(sku)s: give the unit cost.") % {"sku": line.sku.code})
        costs.append(cost)
    _raise(problems)
    now = at or timezone.now()
    with transaction.atomic():
        stock = _lock_stock((slot.warehouse_id, line.sku.pk) for line in lines)
        incoming: dict[Slot, list[tuple[SKU, int]]] = {slot: []}
        incoming[slot] = [(line.sku, line.quantity) for line in lines]
        _lock_capacity(incoming)
        lots = Lot.objects.bulk_create(
            [
                Lot(
                    sku=line.sku,
                    warehouse=slot.warehouse,
                    received_at=received_at or now,
                    unit_cost=cost,
                    currency=line.sku.currency,
                    source_reference=source_reference,
                )
                for line, cost in zip(lines, costs, strict=True)
            ]
        )
        moves = [
            _move(
                MoveKind.RECEIPT,
                lot=lot,
                quantity=line.quantity,
                now=now,
                user=user,
                to_slot=slot,
                reference_type=reference_type,
                reference_id=reference_id,
            )
            for line, lot in zip(lines, lots, strict=True)
        ]
        return _post(moves, stock)


def _relocate(
    kind: str,
    *,
    sku: SKU,
    from_slot: Slot,
    to_slot: Slot | None,
    quantity: int,
    lot: Lot | None,
    reason: str,
    reference_type: str,
    reference_id: str,
    at: datetime | None,
    user: User,
    same_warehouse: bool,
) -> list[StockMove]:
    problems: list[str] = []
    _check_stockable(problems, sku)
    _check_quantity(problems, quantity, sku.code)
    _check_lot(problems, lot, sku)
    _check_slot(problems, from_slot, must_be_active=False)
    if to_slot is not None:
        _check_slot(problems, to_slot)
        if to_slot.pk == from_slot.pk:
            problems.append(_("Choose a slot other than the one the goods are in."))
        if same_warehouse and to_slot.warehouse_id != from_slot.warehouse_id:
            problems.append(
                _("Put goods away within their warehouse; use a transfer between warehouses.")
            )
    _raise(problems)
    now = at or timezone.now()
    with transaction.atomic():
        pairs = [(from_slot.warehouse_id, sku.pk)]
        if to_slot is not None:
            pairs.append((to_slot.warehouse_id, sku.pk))
        stock = _lock_stock(pairs)
        if to_slot is None:
            to_slot = selectors.slot_suggest_putaway(
                sku=sku, warehouse=from_slot.warehouse, quantity=quantity, exclude=[from_slot]
            )
            if to_slot is None:
                raise NoSlotAvailable(sku, from_slot.warehouse, quantity)
        taken, shortfall = _take_from_slot(slot=from_slot, sku=sku, quantity=quantity, lot=lot)
        if shortfall:
            raise SlotStockShortage([shortfall])
        _lock_capacity({to_slot: [(sku, quantity)]})
        moves = [
            _move(
                kind,
                lot=taken_lot,
                quantity=units,
                now=now,
                user=user,
                from_slot=from_slot,
                to_slot=to_slot,
                reason=reason,
                reference_type=reference_type,
                reference_id=reference_id,
            )
            for taken_lot, units in taken
        ]
        return _post(moves, stock)


def stock_putaway(
    *,
    sku: SKU,
    from_slot: Slot,
    quantity: int,
    to_slot: Slot | None = None,
    lot: Lot | None = None,
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Put goods away from a receiving or returns slot, oldest lots first.

    Without ``to_slot`` the suggested slot is used (``selectors.slot_suggest_putaway``).
    """
    return _relocate(
        MoveKind.PUTAWAY,
        sku=sku,
        from_slot=from_slot,
        to_slot=to_slot,
        quantity=quantity,
        lot=lot,
        reason="",
        reference_type="",
        reference_id="",
        at=at,
        user=user,
        same_warehouse=True,
    )


def stock_transfer(
    *,
    sku: SKU,
    from_slot: Slot,
    to_slot: Slot,
    quantity: int,
    lot: Lot | None = None,
    reason: str = "",
    reference_type: str = "",
    reference_id: str = "",
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Move goods between two slots (of one or two warehouses), oldest lots first.

    Moving into a quarantine slot makes the goods defective (次品); it is refused when it
    would leave less sellable stock than is reserved and locked.
    """
    return _relocate(
        MoveKind.TRANSFER,
        sku=sku,
        from_slot=from_slot,
        to_slot=to_slot,
        quantity=quantity,
        lot=lot,
        reason=reason,
        reference_type=reference_type,
        reference_id=reference_id,
        at=at,
        user=user,
        same_warehouse=False,
    )
