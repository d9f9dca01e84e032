"""Cycle counts (盘点): counted against system stock, the variance posted as count moves."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory.enums import MoveKind
from inventory.models import (
    Slot,
    StockLevel,
    StockMove,
    WarehouseStock,
)
from inventory.services.checks import _check_slot, _check_stockable, _raise
from inventory.services.ledger import (
    Pair,
    User,
    _lock_stock,
    _lot_for_found_stock,
    _move,
    _post,
    _take_from_slot,
)


@dataclass(frozen=True)
class CountLine:
    slot: Slot
    sku: SKU
    counted: int


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


def stock_count(
    *,
    lines: Sequence[CountLine],
    reason: str = "",
    at: datetime | None = None,
    user: User = None,
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
    now = at or timezone.now()
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
