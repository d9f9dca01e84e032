"""Writes to inventory. Every function is keyword-only, atomic and raises inventory errors.

Every change of stock posts immutable ``StockMove`` rows and updates ``StockLevel`` and
``WarehouseStock`` with ``F()`` expressions in the same transaction.

Locking: a service that changes the stock of SKUs in a warehouse first locks their
``WarehouseStock`` rows ordered by (warehouse, SKU), then any slots whose capacity it checks
ordered by id. Stock levels, reservations and picks of a SKU in a warehouse are read and
written only under that row lock, so checks made after taking it hold until commit, and the
fixed order rules out deadlocks. Reserving and locking, the hot paths, take the same row lock
through one conditional ``UPDATE`` per SKU instead of a ``SELECT … FOR UPDATE``. CHECK
constraints back all of it: on hand ≥ 0 and reserved + locked ≤ on hand − defective.
"""

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, reduce

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, BundleComponent
from inventory import selectors
from inventory.enums import MoveKind, ReturnDisposition, SlotType
from inventory.exceptions import (
    InsufficientStock,
    InvalidStockInput,
    NoSlotAvailable,
    Overcommitment,
    PickShortage,
    Shortfall,
    SlotCapacityExceeded,
    SlotShortfall,
    SlotStockShortage,
    StockCommitted,
)
from inventory.models import (
    Lot,
    Reservation,
    ReservationPick,
    Slot,
    StockLevel,
    StockLock,
    StockMove,
    Warehouse,
    WarehouseStock,
)
from inventory.selectors import PickList

User = AbstractBaseUser | None
Pair = tuple[int, int]  # (warehouse id, SKU id): the key of a WarehouseStock row


# --- Inputs and results -------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    sku: SKU
    quantity: int
    unit_cost: Decimal


@dataclass(frozen=True)
class StockLine:
    """A quantity of a SKU (or bundle) to reserve or lock, and the document line it is for."""

    sku: SKU
    quantity: int
    reference_type: str = ""
    reference_id: str = ""


@dataclass(frozen=True)
class CountLine:
    slot: Slot
    sku: SKU
    counted: int


@dataclass(frozen=True)
class ConsumedLot:
    """Units of one lot shipped for one reservation, at the lot's unit cost (FIFO COGS)."""

    reservation: Reservation
    lot: Lot
    quantity: int
    unit_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.unit_cost


@dataclass
class Shipment:
    moves: list[StockMove]
    lines: list[ConsumedLot]

    @property
    def total_cost(self) -> Decimal:
        return sum((line.cost for line in self.lines), Decimal("0"))

    def cost_by_lot(self) -> dict[Lot, Decimal]:
        costs: dict[Lot, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            costs[line.lot] += line.cost
        return dict(costs)

    def cost_by_reservation(self) -> dict[Reservation, Decimal]:
        costs: dict[Reservation, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            costs[line.reservation] += line.cost
        return dict(costs)


@dataclass(frozen=True)
class CountVariance:
    slot: Slot
    sku: SKU
    system: int
    counted: int
    value: Decimal

    @property
    def variance(self) -> int:
        return self.counted - self.system


@dataclass
class VarianceReport:
    """Counted against system stock per slot × SKU; the variance was posted as count moves."""

    lines: list[CountVariance]
    moves: list[StockMove] = field(default_factory=list)

    @property
    def total_value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal("0"))

    @property
    def variances(self) -> list[CountVariance]:
        return [line for line in self.lines if line.variance]


# --- Shared checks --------------------------------------------------------------------------


def _check_quantity(problems: list[str], quantity, subject: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        problems.append(
            _("%(subject)s: the quantity must be a whole number above zero, not %(quantity)s.")
            % {"subject": subject, "quantity": quantity}
        )


def _check_money(problems: list[str], amount, subject: str) -> Decimal | None:
    if amount is None:
        return None
    if isinstance(amount, float | bool):
        problems.append(
            _("%(subject)s: give the unit cost as a Decimal, not %(amount)r.")
            % {"subject": subject, "amount": amount}
        )
        return None
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        problems.append(
            _("%(subject)s: %(amount)s is not an amount.") % {"subject": subject, "amount": amount}
        )
        return None
    if not amount.is_finite() or amount < 0:
        problems.append(_("%(subject)s: the unit cost cannot be negative.") % {"subject": subject})
        return None
    return amount


def _check_stockable(problems: list[str], sku: SKU) -> None:
    if sku.is_bundle:
        problems.append(
            _("%(sku)s is a bundle (组合装) and holds no stock; move its components.")
            % {"sku": sku.code}
        )


def _check_slot(
    problems: list[str],
    slot: Slot,
    *,
    refused: Iterable[str] = (SlotType.PACKING,),
    must_be_active: bool = True,
) -> None:
    if must_be_active and not slot.is_active:
        problems.append(_("Slot %(slot)s is not active.") % {"slot": slot.label})
    if slot.slot_type in refused:
        problems.append(
            _("Slot %(slot)s is a %(type)s slot and cannot be used here.")
            % {"slot": slot.label, "type": slot.get_slot_type_display()}
        )


def _check_reason(problems: list[str], reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        problems.append(_("Give a reason."))
    return reason


def _check_lot(problems: list[str], lot: Lot | None, sku: SKU) -> None:
    if lot is not None and lot.sku_id != sku.pk:
        problems.append(
            _("Lot %(lot)s is not a lot of %(sku)s.") % {"lot": lot.pk, "sku": sku.code}
        )


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidStockInput(problems)


# --- Posting moves --------------------------------------------------------------------------


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


# --- Receiving and moving -------------------------------------------------------------------


def stock_receive(
    *,
    slot: Slot,
    lines: Sequence[ReceiptLine],
    received_at: datetime | None = None,
    source_reference: str = "",
    reference_type: str = "",
    reference_id: str = "",
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
    now = timezone.now()
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
    now = timezone.now()
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
        user=user,
        same_warehouse=False,
    )


def stock_adjust(
    *,
    sku: SKU,
    slot: Slot,
    quantity: int,
    reason: str,
    lot: Lot | None = None,
    unit_cost: Decimal | None = None,
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
    now = timezone.now()
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
    now = timezone.now()
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


# --- Reservations and locks -----------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One stocked SKU's share of a requested line (the line itself, or a bundle component)."""

    line: StockLine
    sku: SKU
    quantity: int
    bundle: SKU | None


def _expand(lines: Sequence[StockLine], problems: list[str]) -> list[_Part]:
    bundle_ids = {line.sku.pk for line in lines if line.sku.is_bundle}
    components: dict[int, list[BundleComponent]] = defaultdict(list)
    if bundle_ids:
        for component in (
            BundleComponent.objects.filter(bundle_id__in=bundle_ids)
            .select_related("component")
            .order_by("component_id")
        ):
            components[component.bundle_id].append(component)
    if not lines:
        problems.append(_("Give at least one line."))
    parts = []
    for line in lines:
        _check_quantity(problems, line.quantity, line.sku.code)
        if not line.sku.is_bundle:
            parts.append(_Part(line, line.sku, line.quantity, None))
        elif not components[line.sku.pk]:
            problems.append(_("%(sku)s is a bundle without components.") % {"sku": line.sku.code})
        else:
            parts.extend(
                _Part(line, c.component, line.quantity * c.quantity, line.sku)
                for c in components[line.sku.pk]
            )
    return parts


# Adds to reserved or locked only while what is left stays available: the statement that
# makes oversell impossible. It takes the row lock and, when another transaction changed the
# row meanwhile, re-checks the condition on the newest version. The units owed to waiting
# backorders ahead of the hold (a parameter; NULL: the whole backordered column) are not
# available to it, so a new order never takes stock that earlier-paid orders wait for.
_TAKE_AVAILABLE = (
    "UPDATE {table} SET {column} = {column} + %s "
    "WHERE warehouse_id = %s AND sku_id = %s "
    "AND on_hand - reserved - locked - defective - COALESCE(%s, backordered) >= %s"
)


def _take_available_sql(column: str) -> str:
    table = connection.ops.quote_name(WarehouseStock._meta.db_table)
    return _TAKE_AVAILABLE.format(table=table, column=column)


def _hold_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _hold_values(holds: Sequence) -> list:
    fields = _hold_fields(type(holds[0]))
    return [f.get_db_prep_save(getattr(h, f.attname), connection) for h in holds for f in fields]


def _set_ids(holds: Sequence, rows: list[tuple]) -> None:
    for hold, (pk,) in zip(holds, rows, strict=True):
        hold.pk = pk
        hold._state.adding = False
        hold._state.db = connection.alias


def _relaxed_commit(standalone: bool) -> str:
    """Return the statement that lets a hold of its own skip the wait for the WAL flush.

    Only when the hold is its own transaction (``INVENTORY_RESERVE_ASYNC_COMMIT``): a
    caller's transaction keeps its own durability.
    """
    relax = standalone and settings.INVENTORY_RESERVE_ASYNC_COMMIT
    return "SET LOCAL synchronous_commit TO OFF; " if relax else ""


@lru_cache(maxsize=64)
def _one_statement_sql(model, column: str, rows: int, prefix: str) -> str:
    fields = _hold_fields(model)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # Typed placeholders: the rows pass through a sub-select, where NULL and text would
    # otherwise not take the columns' types.
    row = "SELECT " + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
    return (
        prefix + f"WITH taken AS ({_take_available_sql(column)} RETURNING 1) "
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT * FROM ({' UNION ALL '.join([row] * rows)}) AS hold "
        f"WHERE EXISTS (SELECT 1 FROM taken) RETURNING {quote(model._meta.pk.column)}"
    )


def _hold_in_one_statement(
    *, column: str, warehouse: Warehouse, units: int, owed: int | None, holds, standalone: bool
) -> bool:
    """Take ``units`` of one SKU and insert the hold rows in one statement.

    PostgreSQL only, for a hold of one SKU. When the hold is its own transaction (the shape
    of a flash sale) the hot stock row is locked only while the server runs the statement
    and commits, never across a round trip to a client that may be waiting for a CPU. Inside
    a caller's transaction the single statement needs no savepoint: it writes all or
    nothing. Return False, having written nothing, when the SKU is short.
    """
    sql = _one_statement_sql(type(holds[0]), column, len(holds), _relaxed_commit(standalone))
    params = [units, warehouse.pk, holds[0].sku_id, owed, units, *_hold_values(holds)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return False
    _set_ids(holds, rows)
    return True


def _hold_in_transaction(
    *,
    column: str,
    warehouse: Warehouse,
    wanted: dict[int, int],
    owed: Callable[[int], int | None],
    holds,
    standalone: bool,
) -> list[int]:
    """Insert the hold rows, then take each SKU's units; return the SKUs that are short.

    One conditional UPDATE per SKU, in SKU order, so concurrent multi-line holds never
    deadlock; inserting first keeps each stock row locked only from its UPDATE to the
    commit. Plain SQL: the ORM's Python work costs more than the database's here.
    """
    model = type(holds[0])
    fields = _hold_fields(model)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    insert = (
        (_relaxed_commit(standalone) if connection.vendor == "postgresql" else "")
        + f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(holds))} RETURNING {quote(model._meta.pk.column)}"
    )
    take = _take_available_sql(column)
    short = []
    with connection.cursor() as cursor:
        cursor.execute(insert, _hold_values(holds))
        _set_ids(holds, cursor.fetchall())
        for sku_id in sorted(wanted):
            units = wanted[sku_id]
            cursor.execute(take, [units, warehouse.pk, sku_id, owed(sku_id), units])
            if cursor.rowcount != 1:
                short.append(sku_id)
    return short


def _hold(
    *,
    column: str,
    warehouse: Warehouse,
    parts: Sequence[_Part],
    holds: Sequence,
    backorders_ahead: Mapping[int, int] | None,
) -> None:
    """Write the hold rows (reservations or locks) and add their units to ``column``.

    ``backorders_ahead`` gives, per SKU id, the backordered units (缺货) owed to demand that
    comes before this hold, which it must leave available; None: all of the SKU's
    backordered column. All or nothing: when any SKU is short, nothing is held and one
    ``InsufficientStock`` lists every short SKU with what was wanted and what is available.
    """
    wanted: dict[int, int] = defaultdict(int)
    skus: dict[int, SKU] = {}
    bundles: dict[int, set[str]] = defaultdict(set)
    for part in parts:
        wanted[part.sku.pk] += part.quantity
        skus[part.sku.pk] = part.sku
        if part.bundle is not None:
            bundles[part.sku.pk].add(part.bundle.code)

    def owed(sku_id: int) -> int | None:
        return None if backorders_ahead is None else backorders_ahead.get(sku_id, 0)

    standalone = not connection.in_atomic_block
    if connection.vendor == "postgresql" and len(wanted) == 1:
        [(sku_id, units)] = wanted.items()
        done = _hold_in_one_statement(
            column=column,
            warehouse=warehouse,
            units=units,
            owed=owed(sku_id),
            holds=holds,
            standalone=standalone,
        )
        short = [] if done else [sku_id]
    else:
        with transaction.atomic():
            short = _hold_in_transaction(
                column=column,
                warehouse=warehouse,
                wanted=wanted,
                owed=owed,
                holds=holds,
                standalone=standalone,
            )
            if short:
                transaction.set_rollback(True)
    if short:
        rows = {
            sku_id: (available, backordered)
            for sku_id, available, backordered in WarehouseStock.objects.annotate_available()
            .filter(warehouse=warehouse, sku_id__in=short)
            .values_list("sku_id", "available", "backordered")
        }
        for hold in holds:
            hold.pk = None
            hold._state.adding = True
        shortfalls = []
        for sku_id in short:
            available, backordered = rows.get(sku_id, (0, 0))
            ahead = backordered if owed(sku_id) is None else min(owed(sku_id), backordered)
            promised = max(0, min(available, ahead))
            shortfalls.append(
                Shortfall(
                    sku=skus[sku_id],
                    warehouse=warehouse,
                    wanted=wanted[sku_id],
                    available=max(0, available - promised),
                    bundles=tuple(sorted(bundles[sku_id])),
                    promised=promised,
                )
            )
        raise InsufficientStock(shortfalls)


def stock_reserve(
    *,
    warehouse: Warehouse,
    lines: Sequence[StockLine],
    backorders_ahead: Mapping[int, int] | None = None,
    user: User = None,
) -> list[Reservation]:
    """Reserve (占有) stock for order lines, all or nothing.

    Bundle lines reserve their components. Stock that waiting backorders (缺货) are owed is
    not available to a new reservation: by default it queues behind every backordered unit
    of its SKUs (the ``backordered`` column); a caller that knows its demand comes earlier
    passes ``backorders_ahead``, the backordered units per SKU id that come before it (an
    order paid before some waiting lines; serving the waiting lines themselves). When any
    SKU is short, nothing is reserved and one ``InsufficientStock`` lists every short SKU
    with what was wanted, what is available and what of it is promised to backorders.
    """
    problems: list[str] = []
    parts = _expand(lines, problems)
    _raise(problems)
    reservations = _new_holds(Reservation, warehouse=warehouse, parts=parts, user=user)
    _hold(
        column="reserved",
        warehouse=warehouse,
        parts=parts,
        holds=reservations,
        backorders_ahead=backorders_ahead,
    )
    return reservations


def _new_holds(model, *, warehouse: Warehouse, parts: Sequence[_Part], user, **fields) -> list:
    """Return unsaved holds (reservations or locks) of ``model``, one per expanded part."""
    now = timezone.now()
    return [
        model(
            warehouse=warehouse,
            sku=part.sku,
            bundle=part.bundle,
            quantity=part.quantity,
            reference_type=part.line.reference_type,
            reference_id=part.line.reference_id,
            user=user,
            created_at=now,
            **fields,
        )
        for part in parts
    ]


def _relock_holds(model, holds: Sequence) -> tuple[dict[Pair, WarehouseStock], list]:
    ids = [hold.pk for hold in holds]
    pairs = model.objects.filter(pk__in=ids).values_list("warehouse_id", "sku_id")
    stock = _lock_stock(pairs)
    return stock, list(model.objects.filter(pk__in=ids).order_by("pk"))


def stock_release(*, reservations: Sequence[Reservation], user: User = None) -> int:
    """Give the unpicked part of reservations back to available stock; return the units.

    Picked units stay reserved until they are shipped.
    """
    with transaction.atomic():
        stock, fresh = _relock_holds(Reservation, reservations)
        released: dict[Pair, int] = defaultdict(int)
        for reservation in fresh:
            units = reservation.unpicked
            if units > 0:
                Reservation.objects.filter(pk=reservation.pk).update(released=F("released") + units)
                released[reservation.warehouse_id, reservation.sku_id] += units
        for pair, units in sorted(released.items()):
            WarehouseStock.objects.filter(pk=stock[pair].pk).update(reserved=F("reserved") - units)
    return sum(released.values())


def stock_lock(
    *, warehouse: Warehouse, lines: Sequence[StockLine], reason: str, user: User = None
) -> list[StockLock]:
    """Hold stock back from sale (库存锁定), for example for a promotion, all or nothing."""
    problems: list[str] = []
    parts = _expand(lines, problems)
    reason = _check_reason(problems, reason)
    _raise(problems)
    locks = _new_holds(StockLock, warehouse=warehouse, parts=parts, user=user, reason=reason)
    # A lock is staff holding stock back on purpose (a promotion), not a sale queueing for
    # stock: it takes from 可发 as it is; the 缺货 column stays in view on the stock pages.
    _hold(column="locked", warehouse=warehouse, parts=parts, holds=locks, backorders_ahead={})
    return locks


def stock_unlock(*, locks: Sequence[StockLock], user: User = None) -> int:
    """Release locks back to available stock; return the units unlocked."""
    with transaction.atomic():
        stock, fresh = _relock_holds(StockLock, locks)
        unlocked: dict[Pair, int] = defaultdict(int)
        for lock in fresh:
            if lock.open_quantity > 0:
                StockLock.objects.filter(pk=lock.pk).update(released=F("quantity"))
                unlocked[lock.warehouse_id, lock.sku_id] += lock.open_quantity
        for pair, units in sorted(unlocked.items()):
            WarehouseStock.objects.filter(pk=stock[pair].pk).update(locked=F("locked") - units)
    return sum(unlocked.values())


def stock_backorder_change(*, warehouse: Warehouse, sku: SKU, change: int) -> int:
    """Add to (or, negative, take from) the backordered quantity (缺货); return the new total.

    Orders call this as their short lines wait for stock and as they are filled.
    """
    with transaction.atomic():
        row = _lock_stock([(warehouse.pk, sku.pk)])[warehouse.pk, sku.pk]
        if row.backordered + change < 0:
            raise InvalidStockInput(
                [
                    _("%(sku)s in %(warehouse)s has %(backordered)d backordered, not %(less)d.")
                    % {
                        "sku": sku.code,
                        "warehouse": warehouse.code,
                        "backordered": row.backordered,
                        "less": -change,
                    }
                ]
            )
        WarehouseStock.objects.filter(pk=row.pk).update(backordered=F("backordered") + change)
    return row.backordered + change


# --- Picking and shipping -------------------------------------------------------------------


def stock_pick(
    *, reservations: Sequence[Reservation], to_slot: Slot | None = None, user: User = None
) -> PickList:
    """Pick a wave of reservations into a packing slot; return the walking list.

    Oldest lots first, then slots in pick-sequence order (``selectors.pick_plan``). All or
    nothing: when pickable slots hold too little, ``PickShortage`` lists every short SKU.
    """
    now = timezone.now()
    with transaction.atomic():
        stock, fresh = _relock_holds(Reservation, reservations)
        problems: list[str] = []
        warehouses = {reservation.warehouse_id for reservation in fresh}
        if len(warehouses) != 1:
            problems.append(_("A wave picks reservations of exactly one warehouse."))
            _raise(problems)
        fresh = list(
            Reservation.objects.filter(pk__in=[r.pk for r in fresh])
            .select_related("sku", "warehouse")
            .order_by("pk")
        )
        warehouse = fresh[0].warehouse
        if to_slot is None:
            to_slot = (
                Slot.objects.filter(warehouse=warehouse, slot_type=SlotType.PACKING, is_active=True)
                .order_by("pick_sequence", "code")
                .first()
            )
            if to_slot is None:
                problems.append(
                    _("%(warehouse)s has no active packing slot to pick into.")
                    % {"warehouse": warehouse.code}
                )
        elif (
            to_slot.slot_type != SlotType.PACKING
            or not to_slot.is_active
            or to_slot.warehouse_id != warehouse.pk
        ):
            problems.append(
                _("Pick into an active packing slot of %(warehouse)s, not %(slot)s.")
                % {"warehouse": warehouse.code, "slot": to_slot.label}
            )
        demands = [(r, r.unpicked) for r in fresh if r.unpicked > 0]
        if not demands:
            problems.append(_("These reservations have nothing left to pick."))
        _raise(problems)
        plan = selectors.pick_plan(warehouse=warehouse, demands=demands)
        if plan.shortages:
            raise PickShortage(plan.shortages)
        moves = [
            _move(
                MoveKind.PICK,
                lot=a.lot,
                quantity=a.quantity,
                now=now,
                user=user,
                from_slot=a.slot,
                to_slot=to_slot,
                reference_type=a.reservation.reference_type,
                reference_id=a.reservation.reference_id,
            )
            for a in plan.allocations
        ]
        _post(moves, stock)
        ReservationPick.objects.bulk_create(
            ReservationPick(
                reservation=a.reservation,
                lot=a.lot,
                from_slot=a.slot,
                to_slot=to_slot,
                quantity=a.quantity,
            )
            for a in plan.allocations
        )
        for reservation, units in demands:
            Reservation.objects.filter(pk=reservation.pk).update(picked=F("picked") + units)
    return plan.pick_list


def stock_unpick(
    *, reservations: Sequence[Reservation], reason: str = "", user: User = None
) -> int:
    """Put picked, unshipped units back into the slots they were picked from and release
    them (an order cancelled after picking); return the units put back."""
    now = timezone.now()
    with transaction.atomic():
        stock, fresh = _relock_holds(Reservation, reservations)
        picks = list(
            ReservationPick.objects.filter(reservation__in=fresh, shipped__lt=F("quantity"))
            .select_related("lot", "from_slot", "to_slot", "reservation")
            .order_by("pk")
        )
        moves = []
        released: dict[Pair, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        per_reservation: dict[int, int] = defaultdict(int)
        for pick in picks:
            units = pick.quantity - pick.shipped
            reservation = pick.reservation
            moves.append(
                _move(
                    MoveKind.TRANSFER,
                    lot=pick.lot,
                    quantity=units,
                    now=now,
                    user=user,
                    from_slot=pick.to_slot,
                    to_slot=pick.from_slot,
                    reason=reason or _("put back after picking"),
                    reference_type=reservation.reference_type,
                    reference_id=reservation.reference_id,
                )
            )
            released[reservation.warehouse_id, reservation.sku_id]["reserved"] -= units
            per_reservation[reservation.pk] += units
        if not moves:
            return 0
        _post(moves, stock, released)
        for pick in picks:
            if pick.shipped:
                ReservationPick.objects.filter(pk=pick.pk).update(quantity=F("shipped"))
            else:
                ReservationPick.objects.filter(pk=pick.pk).delete()
        for reservation_id, units in per_reservation.items():
            Reservation.objects.filter(pk=reservation_id).update(
                picked=F("picked") - units, released=F("released") + units
            )
    return sum(per_reservation.values())


def stock_ship(*, reservations: Sequence[Reservation], user: User = None) -> Shipment:
    """Ship everything picked for the reservations; return the cost consumed per lot (COGS).

    The picked lots were chosen oldest first, so the shipment's cost is FIFO cost.
    """
    now = timezone.now()
    with transaction.atomic():
        stock, fresh = _relock_holds(Reservation, reservations)
        picks = list(
            ReservationPick.objects.filter(reservation__in=fresh, shipped__lt=F("quantity"))
            .select_related("lot", "to_slot__warehouse", "reservation__sku")
            .order_by("reservation_id", "lot__received_at", "lot_id", "pk")
        )
        if not fresh:
            raise InvalidStockInput([_("Give at least one reservation to ship.")])
        with_picks = {pick.reservation_id for pick in picks}
        missing = [r for r in fresh if r.pk not in with_picks]
        if missing:
            raise InvalidStockInput(
                [
                    _("Reservation %(id)s (%(sku)s) has nothing picked to ship.")
                    % {"id": r.pk, "sku": r.sku.code}
                    for r in missing
                ]
            )
        shipped: dict[int, int] = defaultdict(int)
        reserved_change: dict[Pair, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        moves, lines = [], []
        for pick in picks:
            units = pick.quantity - pick.shipped
            reservation = pick.reservation
            moves.append(
                _move(
                    MoveKind.SHIP,
                    lot=pick.lot,
                    quantity=units,
                    now=now,
                    user=user,
                    from_slot=pick.to_slot,
                    reference_type=reservation.reference_type,
                    reference_id=reservation.reference_id,
                )
            )
            lines.append(ConsumedLot(reservation, pick.lot, units, pick.lot.unit_cost))
            shipped[reservation.pk] += units
            reserved_change[reservation.warehouse_id, reservation.sku_id]["reserved"] -= units
        _post(moves, stock, reserved_change)
        ReservationPick.objects.filter(pk__in=[pick.pk for pick in picks]).update(
            shipped=F("quantity")
        )
        for reservation_id, units in shipped.items():
            Reservation.objects.filter(pk=reservation_id).update(shipped=F("shipped") + units)
    return Shipment(moves=moves, lines=lines)


# --- Returns and counts ---------------------------------------------------------------------


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
    now = timezone.now()
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


def stock_count(
    *, lines: Sequence[CountLine], reason: str = "", user: User = None
) -> VarianceReport:
    """Post a cycle count: counted against system stock per slot × SKU.

    A counted slot is counted completely: a SKU in it that no line names was counted as
    zero. Each difference is posted as a ``count`` move (shortages from the oldest lots,
    surpluses into the newest lot in the slot) and the variance report is returned.
    """
    problems: list[str] = []
    seen = set()
    for line in lines:
        _check_stockable(problems, line.sku)
        _check_slot(problems, line.slot, must_be_active=False)
        if isinstance(line.counted, bool) or not isinstance(line.counted, int) or line.counted < 0:
            problems.append(
                _("%(slot)s, %(sku)s: the count must be a whole number, zero or more.")
                % {"slot": line.slot.label, "sku": line.sku.code}
            )
        if (line.slot.pk, line.sku.pk) in seen:
            problems.append(
                _("%(slot)s, %(sku)s is counted twice.")
                % {"slot": line.slot.label, "sku": line.sku.code}
            )
        seen.add((line.slot.pk, line.sku.pk))
    if not lines:
        problems.append(_("A count needs at least one line."))
    _raise(problems)
    slots = {line.slot.pk: line.slot for line in lines}
    counted = {(line.slot.pk, line.sku.pk): line.counted for line in lines}
    skus = {line.sku.pk: line.sku for line in lines}
    now = timezone.now()
    reason = reason or _("cycle count")
    with transaction.atomic():
        pairs = {(line.slot.warehouse_id, line.sku.pk) for line in lines}
        stock: dict[Pair, WarehouseStock] = {}
        # Lock the listed SKUs and every SKU found in the counted slots; repeat if a SKU
        # moved into a slot before its row was locked.
        while True:
            stock = _lock_stock(pairs)
            levels = list(
                StockLevel.objects.filter(slot_id__in=slots)
                .select_related("sku", "lot")
                .order_by("lot__received_at", "lot_id")
            )
            found = {(slots[level.slot_id].warehouse_id, level.sku_id) for level in levels}
            if found <= pairs:
                break
            pairs |= found
        system: dict[tuple[int, int], int] = defaultdict(int)
        for level in levels:
            system[level.slot_id, level.sku_id] += level.on_hand
            skus.setdefault(level.sku_id, level.sku)
        keys = sorted(
            set(counted) | {key for key, units in system.items() if units},
            key=lambda k: (slots[k[0]].pick_sequence, slots[k[0]].code, skus[k[1]].code),
        )
        report = VarianceReport(lines=[])
        for slot_id, sku_id in keys:
            slot, sku = slots[slot_id], skus[sku_id]
            units_counted = counted.get((slot_id, sku_id), 0)
            variance = units_counted - system[slot_id, sku_id]
            moves: list[StockMove] = []
            if variance < 0:
                taken, _shortfall = _take_from_slot(slot=slot, sku=sku, quantity=-variance)
                moves = [
                    _move(MoveKind.COUNT, lot=t, quantity=n, now=now, user=user, from_slot=slot)
                    for t, n in taken
                ]
            elif variance > 0:
                found_lot = _lot_for_found_stock(
                    sku=sku, slot=slot, unit_cost=None, source=_("cycle count"), now=now
                )
                moves = [
                    _move(
                        MoveKind.COUNT,
                        lot=found_lot,
                        quantity=variance,
                        now=now,
                        user=user,
                        to_slot=slot,
                    )
                ]
            value = sum(
                ((1 if m.to_slot else -1) * m.quantity * m.unit_cost for m in moves),
                Decimal("0"),
            )
            for move in moves:
                move.reason = reason
            report.moves.extend(moves)
            report.lines.append(
                CountVariance(slot, sku, system[slot_id, sku_id], units_counted, value)
            )
        if report.moves:
            _post(report.moves, stock)
    return report
