"""Fulfilment: picking reservations into a packing slot, putting picks back, shipping
(FIFO cost of goods sold)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors
from inventory.enums import MoveKind, SlotType
from inventory.exceptions import (
    InvalidStockInput,
    PickShortage,
)
from inventory.models import (
    Lot,
    Reservation,
    ReservationPick,
    Slot,
    StockMove,
)
from inventory.selectors import PickList
from inventory.services.checks import _raise
from inventory.services.ledger import Pair, User, _move, _post, _relock_holds


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


def stock_pick(
    *,
    reservations: Sequence[Reservation],
    to_slot: Slot | None = None,
    at: datetime | None = None,
    user: User = None,
) -> PickList:
    """Pick a wave of reservations into a packing slot; return the walking list.

    Oldest lots first, then slots in pick-sequence order (``selectors.pick_plan``). All or
    nothing: when pickable slots hold too little, ``PickShortage`` lists every short SKU.
    """
    now = at or timezone.now()
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
    *,
    reservations: Sequence[Reservation],
    reason: str = "",
    at: datetime | None = None,
    user: User = None,
) -> int:
    """Put picked, unshipped units back into the slots they were picked from and release
    them (an order cancelled after picking); return the units put back."""
    now = at or timezone.now()
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


def stock_ship(
    *, reservations: Sequence[Reservation], at: datetime | None = None, user: User = None
) -> Shipment:
    """Ship everything picked for the reservations; return the cost consumed per lot (COGS).

    The picked lots were chosen oldest first, so the shipment's cost is FIFO cost.
    """
    now = at or timezone.now()
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
