"""Posting to the ledger: lock the stock rows, write ``StockMove`` rows and bring
``StockLevel`` and ``WarehouseStock`` up to date in the same transaction.

The private helpers here are shared by every service module that moves stock."""

import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import reduce

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F, Q
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory import selectors
from inventory.enums import SlotType
from inventory.exceptions import (
    Overcommitment,
    SlotCapacityExceeded,
    SlotShortfall,
    StockCommitted,
)
from inventory.models import (
    Lot,
    Slot,
    StockLevel,
    StockMove,
    Warehouse,
    WarehouseStock,
)

User = AbstractBaseUser | None


Pair = tuple[int, int]  # (warehouse id, SKU id): the key of a WarehouseStock row


def _pairs_q(pairs: Iterable[Pair]) -> Q:
    return reduce(operator.or_, (Q(warehouse_id=w, sku_id=s) for w, s in pairs))


def _lock_stock(pairs: Iterable[Pair]) -> dict[Pair, WarehouseStock]:
    """Create missing stock rows and lock them all, in (warehouse, SKU) order."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    WarehouseStock.objects.bulk_create(
        [WarehouseStock(warehouse_id=w, sku_id=s) for w, s in pairs], ignore_conflicts=True
    )
    rows = (
        WarehouseStock.objects.filter(_pairs_q(pairs))
        .select_related("sku", "warehouse")
        .order_by("warehouse_id", "sku_id")
        .select_for_update(of=("self",))
    )
    return {(row.warehouse_id, row.sku_id): row for row in rows}


def stock_rows_lock(*, warehouse: Warehouse, sku_ids: Iterable[int]) -> None:
    """Lock the stock rows of ``sku_ids`` in ``warehouse`` until the caller's transaction
    ends, creating missing ones, in SKU order: the order every stock service locks them in.

    For a caller that changes the stock of several SKUs in steps (orders reserving some lines
    and backordering others, or a batch of orders): taking every lock first means no later
    step takes one out of order, so two such callers never deadlock. Call it inside a
    transaction (``transaction.atomic``); outside one the locks would end at once.
    """
    sku_ids = sorted(set(sku_ids))
    if not sku_ids:
        return
    WarehouseStock.objects.bulk_create(
        [WarehouseStock(warehouse=warehouse, sku_id=sku_id) for sku_id in sku_ids],
        ignore_conflicts=True,
    )
    list(
        WarehouseStock.objects.filter(warehouse=warehouse, sku_id__in=sku_ids)
        .order_by("sku_id")
        .select_for_update()
        .values_list("pk", flat=True)
    )


def _relock_holds(model, holds: Sequence) -> tuple[dict[Pair, WarehouseStock], list]:
    ids = [hold.pk for hold in holds]
    pairs = model.objects.filter(pk__in=ids).values_list("warehouse_id", "sku_id")
    stock = _lock_stock(pairs)
    return stock, list(model.objects.filter(pk__in=ids).order_by("pk"))


def _lock_capacity(incoming: dict[Slot, list[tuple[SKU, int]]]) -> None:
    """Refuse moves that would overfill a slot with a capacity (units or volume)."""
    limited = [
        slot
        for slot in incoming
        if slot.capacity_units is not None or slot.capacity_volume_mm3 is not None
    ]
    if not limited:
        return
    list(Slot.objects.filter(pk__in=[s.pk for s in limited]).order_by("pk").select_for_update())
    usage = selectors.slot_usage(slots=limited)
    problems = []
    for slot in limited:
        used_units, used_volume = usage[slot.pk]
        units = sum(quantity for _sku, quantity in incoming[slot])
        volume = sum(quantity * (sku.volume_mm3 or 0) for sku, quantity in incoming[slot])
        if slot.capacity_units is not None and used_units + units > slot.capacity_units:
            problems.append(
                _(
                    "slot %(slot)s takes %(capacity)d units and holds %(used)d, so %(adding)d "
                    "more do not fit"
                )
                % {
                    "slot": slot.label,
                    "capacity": slot.capacity_units,
                    "used": used_units,
                    "adding": units,
                }
            )
        if slot.capacity_volume_mm3 is not None and used_volume + volume > slot.capacity_volume_mm3:
            problems.append(
                _(
                    "slot %(slot)s takes %(capacity)d mm³ and holds %(used)d mm³, so %(adding)d "
                    "mm³ more do not fit"
                )
                % {
                    "slot": slot.label,
                    "capacity": slot.capacity_volume_mm3,
                    "used": used_volume,
                    "adding": volume,
                }
            )
    if problems:
        raise SlotCapacityExceeded(problems)


def _take_from_slot(
    *, slot: Slot, sku: SKU, quantity: int, lot: Lot | None = None
) -> tuple[list[tuple[Lot, int]], SlotShortfall | None]:
    """Return the lots to take ``quantity`` units from, oldest first, or the shortfall."""
    levels = (
        StockLevel.objects.filter(slot=slot, sku=sku, on_hand__gt=0)
        .select_related("lot")
        .order_by("lot__received_at", "lot_id")
    )
    if lot is not None:
        levels = levels.filter(lot=lot)
    taken, remaining, on_hand = [], quantity, 0
    for level in levels:
        on_hand += level.on_hand
        take = min(level.on_hand, remaining)
        if take:
            taken.append((level.lot, take))
            remaining -= take
    if remaining:
        return [], SlotShortfall(slot=slot, sku=sku, wanted=quantity, on_hand=on_hand)
    return taken, None


def _lot_for_found_stock(
    *, sku: SKU, slot: Slot, unit_cost: Decimal | None, source: str, now: datetime
) -> Lot:
    """Return the lot that units found (count, adjustment, return) are booked into.

    A given unit cost opens a new lot; otherwise the newest lot already in the slot, else
    the SKU's newest lot, else a new lot at the SKU's cost price.
    """
    if unit_cost is None:
        newest = sku.lots.order_by("-received_at", "-id")
        lot = newest.filter(stock_levels__slot=slot).first() or newest.first()
        if lot is not None:
            return lot
        unit_cost = sku.cost_price or Decimal("0")
    return Lot.objects.create(
        sku=sku,
        warehouse=slot.warehouse,
        received_at=now,
        unit_cost=unit_cost,
        currency=sku.currency,
        source_reference=source,
    )


def _move(kind: str, *, lot: Lot, quantity: int, now: datetime, user: User, **fields) -> StockMove:
    return StockMove(
        kind=kind,
        sku_id=lot.sku_id,
        lot=lot,
        quantity=quantity,
        unit_cost=lot.unit_cost,
        user=user,
        created_at=now,
        **fields,
    )


def _post(
    moves: list[StockMove],
    stock: dict[Pair, WarehouseStock],
    commitments: dict[Pair, dict[str, int]] | None = None,
) -> list[StockMove]:
    """Write ``moves`` and bring the levels up to date; the stock rows must be locked.

    ``commitments`` adds changes of reserved / locked made in the same step (a shipment
    consumes its reservation) so that each stock row is written once and its CHECK
    constraints hold on the final values.
    """
    level_delta: dict[tuple[int, int, int], int] = defaultdict(int)
    stock_delta: dict[Pair, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pair, changes in (commitments or {}).items():
        for name, change in changes.items():
            stock_delta[pair][name] += change
    for move in moves:
        for slot, sign in ((move.from_slot, -1), (move.to_slot, 1)):
            if slot is None:
                continue
            level_delta[move.sku_id, slot.pk, move.lot_id] += sign * move.quantity
            pair = (slot.warehouse_id, move.sku_id)
            stock_delta[pair]["on_hand"] += sign * move.quantity
            if slot.slot_type == SlotType.QUARANTINE:
                stock_delta[pair]["defective"] += sign * move.quantity

    overcommitted = []
    for pair, delta in sorted(stock_delta.items()):
        row = stock[pair]
        sellable = row.on_hand + delta["on_hand"] - row.defective - delta["defective"]
        reserved, locked = row.reserved + delta["reserved"], row.locked + delta["locked"]
        if sellable < reserved + locked:
            overcommitted.append(Overcommitment(row.sku, row.warehouse, sellable, reserved, locked))
    if overcommitted:
        raise StockCommitted(overcommitted)

    changed = {key: delta for key, delta in level_delta.items() if delta}
    if changed:
        existing = {
            (level.sku_id, level.slot_id, level.lot_id): level.pk
            for level in StockLevel.objects.filter(
                reduce(
                    operator.or_,
                    (Q(sku_id=k[0], slot_id=k[1], lot_id=k[2]) for k in changed),
                )
            ).only("pk", "sku_id", "slot_id", "lot_id")
        }
        new_levels = []
        for key, delta in sorted(changed.items()):
            if key in existing:
                StockLevel.objects.filter(pk=existing[key]).update(on_hand=F("on_hand") + delta)
            else:
                new_levels.append(
                    StockLevel(sku_id=key[0], slot_id=key[1], lot_id=key[2], on_hand=delta)
                )
        StockLevel.objects.bulk_create(new_levels)
    StockMove.objects.bulk_create(moves)
    for pair, delta in sorted(stock_delta.items()):
        updates = {name: F(name) + change for name, change in delta.items() if change}
        if updates:
            WarehouseStock.objects.filter(pk=stock[pair].pk).update(**updates)
    return moves
