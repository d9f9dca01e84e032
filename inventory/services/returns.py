"""Customer returns: returned goods into a returns slot, then restocked, quarantined or
scrapped."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory import selectors
from inventory.enums import MoveKind, ReturnDisposition, SlotType
from inventory.exceptions import (
    NoSlotAvailable,
)
from inventory.models import (
    Lot,
    Slot,
    StockMove,
    Warehouse,
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
    _lot_for_found_stock,
    _move,
    _post,
)


def _first_slot(warehouse: Warehouse, slot_type: str) -> Slot | None:
    return (
        Slot.objects.filter(warehouse=warehouse, slot_type=slot_type, is_active=True)
        .select_related("warehouse")
        .order_by("pick_sequence", "code")
        .first()
    )


def stock_return(
    *,
    sku: SKU,
    warehouse: Warehouse,
    quantity: int,
    disposition: str,
    lot: Lot | None = None,
    unit_cost: Decimal | None = None,
    returns_slot: Slot | None = None,
    restock_slot: Slot | None = None,
    reason: str = "",
    reference_type: str = "",
    reference_id: str = "",
    at: datetime | None = None,
    user: User = None,
) -> list[StockMove]:
    """Take returned goods into a returns slot, then restock, quarantine or scrap them.

    The goods go back into ``lot`` (the lot they were shipped from, so cost reverses at what
    was consumed), or a new lot at ``unit_cost``, or the SKU's newest lot. Restocking without
    ``restock_slot`` uses the putaway suggestion.
    """
    problems: list[str] = []
    _check_stockable(problems, sku)
    _check_quantity(problems, quantity, sku.code)
    cost = _check_money(problems, unit_cost, sku.code)
    _check_lot(problems, lot, sku)
    if disposition not in ReturnDisposition.values:
        problems.append(
            _("Choose what happens to the returned goods: %(choices)s.")
            % {"choices": ", ".join(str(label) for label in ReturnDisposition.labels)}
        )
    if returns_slot is None:
        returns_slot = _first_slot(warehouse, SlotType.RETURNS)
        if returns_slot is None:
            problems.append(
                _("%(warehouse)s has no active returns slot.") % {"warehouse": warehouse.code}
            )
    elif returns_slot.slot_type != SlotType.RETURNS or returns_slot.warehouse_id != warehouse.pk:
        problems.append(
            _("%(slot)s is not a returns slot of %(warehouse)s.")
            % {"slot": returns_slot.label, "warehouse": warehouse.code}
        )
    else:
        _check_slot(problems, returns_slot)
    target = None
    if disposition == ReturnDisposition.QUARANTINE:
        target = _first_slot(warehouse, SlotType.QUARANTINE)
        if target is None:
            problems.append(
                _("%(warehouse)s has no active quarantine slot.") % {"warehouse": warehouse.code}
            )
    elif disposition == ReturnDisposition.RESTOCK and restock_slot is not None:
        target = restock_slot
        _check_slot(
            problems,
            restock_slot,
            refused=(SlotType.PACKING, SlotType.RETURNS, SlotType.QUARANTINE),
        )
        if restock_slot.warehouse_id != warehouse.pk:
            problems.append(
                _("Restock into a slot of %(warehouse)s.") % {"warehouse": warehouse.code}
            )
    _raise(problems)
    now = at or timezone.now()
    common = {
        "now": now,
        "user": user,
        "reason": reason,
        "reference_type": reference_type,
        "reference_id": reference_id,
    }
    with transaction.atomic():
        stock = _lock_stock([(warehouse.pk, sku.pk)])
        returned_lot = lot or _lot_for_found_stock(
            sku=sku, slot=returns_slot, unit_cost=cost, source=_("return"), now=now
        )
        moves = [
            _move(
                MoveKind.RETURN, lot=returned_lot, quantity=quantity, to_slot=returns_slot, **common
            )
        ]
        if disposition == ReturnDisposition.RESTOCK:
            if target is None:
                target = selectors.slot_suggest_putaway(
                    sku=sku, warehouse=warehouse, quantity=quantity
                )
                if target is None:
                    raise NoSlotAvailable(sku, warehouse, quantity)
            _lock_capacity({target: [(sku, quantity)]})
            kind = MoveKind.PUTAWAY
        elif disposition == ReturnDisposition.QUARANTINE:
            kind = MoveKind.TRANSFER
        else:
            kind = MoveKind.SCRAP
        moves.append(
            _move(
                kind,
                lot=returned_lot,
                quantity=quantity,
                from_slot=returns_slot,
                to_slot=target,
                **common,
            )
        )
        return _post(moves, stock)
