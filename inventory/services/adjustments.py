"""Corrections of stock outside a document flow: adjustments and write-offs (scrap)."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory.enums import MoveKind
from inventory.exceptions import (
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
    _check_reason,
    _check_slot,
    _check_stockable,
    _raise,
)
from inventory.services.ledger import (
    User,
    _lock_stock,
    _lot_for_found_stock,
    _move,
    _post,
    _take_from_slot,
)


def stock_adjust(
    *,
    sku: SKU,
    slot: Slot,
    quantity: int,
    reason: str,
    lot: Lot | None = None,
    unit_cost: Decimal | None = None,
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Add (``quantity`` > 0) or remove (< 0) units of a SKU in a slot, with a reason.

    Removals take the oldest lots first; additions go to ``lot``, to a new lot at
    ``unit_cost``, or to the newest lot in the slot.
    """
    problems: list[str] = []
    _check_stockable(problems, sku)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        problems.append(
            _("%(sku)s: the adjustment must be a whole number of units other than zero.")
            % {"sku": sku.code}
        )
    reason = _check_reason(problems, reason)
    cost = _check_money(problems, unit_cost, sku.code)
    _check_lot(problems, lot, sku)
    _check_slot(problems, slot, must_be_active=False)
    _raise(problems)
    now = at or timezone.now()
    with transaction.atomic():
        stock = _lock_stock([(slot.warehouse_id, sku.pk)])
        if quantity < 0:
            taken, shortfall = _take_from_slot(slot=slot, sku=sku, quantity=-quantity, lot=lot)
            if shortfall:
                raise SlotStockShortage([shortfall])
            moves = [
                _move(MoveKind.ADJUST, lot=t, quantity=n, now=now, user=user, from_slot=slot)
                for t, n in taken
            ]
        else:
            found = lot or _lot_for_found_stock(
                sku=sku, slot=slot, unit_cost=cost, source=_("adjustment"), now=now
            )
            moves = [
                _move(
                    MoveKind.ADJUST, lot=found, quantity=quantity, now=now, user=user, to_slot=slot
                )
            ]
        for move in moves:
            move.reason = reason
        return _post(moves, stock)


def stock_scrap(
    *,
    sku: SKU,
    slot: Slot,
    quantity: int,
    reason: str,
    lot: Lot | None = None,
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Write off units of a SKU from a slot (damaged, expired), oldest lots first."""
    problems: list[str] = []
    _check_stockable(problems, sku)
    _check_quantity(problems, quantity, sku.code)
    reason = _check_reason(problems, reason)
    _check_lot(problems, lot, sku)
    _check_slot(problems, slot, must_be_active=False)
    _raise(problems)
    now = at or timezone.now()
    with transaction.atomic():
        stock = _lock_stock([(slot.warehouse_id, sku.pk)])
        taken, shortfall = _take_from_slot(slot=slot, sku=sku, quantity=quantity, lot=lot)
        if shortfall:
            raise SlotStockShortage([shortfall])
        moves = [
            _move(
                MoveKind.SCRAP, lot=t, quantity=n, now=now, user=user, from_slot=slot, reason=reason
            )
            for t, n in taken
        ]
        return _post(moves, stock)
