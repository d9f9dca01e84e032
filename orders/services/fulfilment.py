"""Fulfilment: picking waves, the packing check (扫描验货), shipping, delivery, completion
and cancellation."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory import services as stock
from inventory.exceptions import InventoryError
from inventory.models import Reservation, Warehouse
from inventory.selectors import PickList
from orders.enums import (
    CANCELLABLE,
    OrderStatus,
    ScanResult,
)
from orders.exceptions import InvalidOrderInput
from orders.models import (
    LineReservation,
    PackingCheck,
    PackingScan,
    SalesOrder,
)
from orders.services.allocation import _backorder, _components
from orders.services.shared import ZERO, User, _raise, _transition


def _open_reservations(orders: Sequence[SalesOrder]) -> list[Reservation]:
    ids = LineReservation.objects.filter(line__order__in=orders).values_list(
        "reservation_id", flat=True
    )
    return list(Reservation.objects.filter(pk__in=ids).order_by("pk"))


def wave_pick(
    *,
    warehouse: Warehouse,
    orders: Sequence[SalesOrder] | None = None,
    limit: int | None = None,
    user: User = None,
) -> tuple[PickList, list[SalesOrder]]:
    """Pick a wave of allocated orders of a warehouse (oldest paid first); return the pick
    list in slot order and the orders, now being picked."""
    with transaction.atomic():
        queryset = SalesOrder.objects.filter(warehouse=warehouse, status=OrderStatus.ALLOCATED)
        if orders is not None:
            queryset = queryset.filter(pk__in=[order.pk for order in orders])
        queryset = queryset.order_by("paid_at", "pk").select_for_update(skip_locked=True)
        wave = list(queryset[:limit] if limit else queryset)
        if not wave:
            raise InvalidOrderInput([_("No allocated orders to pick in this warehouse.")])
        try:
            pick_list = stock.stock_pick(reservations=_open_reservations(wave), user=user)
        except InventoryError as error:
            raise InvalidOrderInput([str(error)]) from error
        SalesOrder.objects.filter(pk__in=[order.pk for order in wave]).update(
            status=OrderStatus.PICKING
        )
        for order in wave:
            order.status = OrderStatus.PICKING
    return pick_list, wave


def expected_items(order: SalesOrder) -> Counter:
    """Return the stocked SKUs (by id) and units a parcel of ``order`` must hold."""
    expected: Counter = Counter()
    for reservation in _open_reservations([order]):
        expected[reservation.sku_id] += reservation.open_quantity
    return expected


def packing_check(*, order: SalesOrder, barcodes: Sequence[str], user: User = None) -> PackingCheck:
    """Check the scanned barcodes against the order (扫描验货) and record the check.

    A wrong item, an extra unit or a missing one fails the check: the order stays in picking
    and cannot ship. A check that passes packs the order.
    """
    with transaction.atomic():
        order = _transition(order, [OrderStatus.PICKING], _("packed"))
        scanned = [code.strip() for code in barcodes if code and code.strip()]
        if not scanned:
            raise InvalidOrderInput([_("Scan at least one item.")])
        expected = expected_items(order)
        by_code: dict[str, SKU] = {}
        for sku in SKU.objects.filter(Q(barcode__in=scanned) | Q(code__in=scanned)):
            by_code.setdefault(sku.barcode, sku)
            by_code[sku.code] = sku
        seen: Counter = Counter()
        scans, problems = [], []
        for code in scanned:
            sku = by_code.get(code)
            if sku is None:
                result = ScanResult.UNKNOWN
                problems.append(_("%(code)s is not a barcode of ours") % {"code": code})
            elif sku.pk not in expected:
                result = ScanResult.WRONG_ITEM
                problems.append(
                    _("%(sku)s (%(code)s) is not in this order") % {"sku": sku.code, "code": code}
                )
            else:
                seen[sku.pk] += 1
                if seen[sku.pk] > expected[sku.pk]:
                    result = ScanResult.TOO_MANY
                    problems.append(
                        _("%(sku)s: more than the %(units)d ordered")
                        % {"sku": sku.code, "units": expected[sku.pk]}
                    )
                else:
                    result = ScanResult.OK
            scans.append(PackingScan(barcode=code[:64], sku=sku, result=result))
        missing = {sku_id: units - seen[sku_id] for sku_id, units in expected.items()}
        if any(units > 0 for units in missing.values()):
            codes = dict(SKU.objects.filter(pk__in=missing).values_list("pk", "code"))
            for sku_id, units in sorted(missing.items()):
                if units > 0:
                    problems.append(
                        _("%(sku)s: %(units)d missing") % {"sku": codes[sku_id], "units": units}
                    )
        check = PackingCheck.objects.create(
            order=order,
            passed=not problems,
            problems="\n".join(problems),
            user=user if user is not None and user.is_authenticated else None,
        )
        for scan in scans:
            scan.packing_check = check
        PackingScan.objects.bulk_create(scans)
        if check.passed:
            order.status = OrderStatus.PACKED
            order.save(update_fields=["status"])
    return check


def order_ship(
    *, order: SalesOrder, carrier: str, tracking_number: str, user: User = None
) -> SalesOrder:
    """Ship a packed order: post the ship moves and fill each line's COGS from the FIFO lots
    inventory consumed."""
    problems = []
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier:
        problems.append(_("Give the carrier."))
    if not tracking_number:
        problems.append(_("Give the tracking number."))
    _raise(problems)
    with transaction.atomic():
        order = _transition(order, [OrderStatus.PACKED], _("shipped"))
        holds = list(
            LineReservation.objects.filter(line__order=order).select_related("reservation")
        )
        shipment = stock.stock_ship(
            reservations=[hold.reservation for hold in holds],
            user=user if user is not None and user.is_authenticated else None,
        )
        costs = {r.pk: cost for r, cost in shipment.cost_by_reservation().items()}
        by_line: dict[int, Decimal] = defaultdict(Decimal)
        for hold in holds:
            by_line[hold.line_id] += costs.get(hold.reservation_id, ZERO)
        for line in order.lines.all():
            line.cost_of_goods = by_line.get(line.pk, ZERO)
            line.shipped_quantity = line.quantity
            line.save(update_fields=["cost_of_goods", "shipped_quantity"])
        order.status = OrderStatus.SHIPPED
        order.shipped_at = timezone.now()
        order.carrier, order.tracking_number = carrier, tracking_number
        order.save(update_fields=["status", "shipped_at", "carrier", "tracking_number"])
    return order


def order_deliver(*, order: SalesOrder, user: User = None) -> SalesOrder:
    with transaction.atomic():
        order = _transition(order, [OrderStatus.SHIPPED], _("delivered"))
        order.status, order.delivered_at = OrderStatus.DELIVERED, timezone.now()
        order.save(update_fields=["status", "delivered_at"])
    return order


def order_complete(*, order: SalesOrder, user: User = None) -> SalesOrder:
    with transaction.atomic():
        order = _transition(order, [OrderStatus.DELIVERED], _("completed"))
        order.status, order.completed_at = OrderStatus.COMPLETED, timezone.now()
        order.save(update_fields=["status", "completed_at"])
    return order


def order_cancel(*, order: SalesOrder, reason: str = "", user: User = None) -> SalesOrder:
    """Cancel an order that has not shipped: picked goods go back to their slots, reserved
    stock is released and backordered lines stop waiting."""
    with transaction.atomic():
        order = _transition(order, CANCELLABLE, _("cancelled"))
        reservations = _open_reservations([order])
        waiting = list(order.lines.filter(backordered__gt=0).select_related("sku"))
        components = _components([line.sku for line in waiting])
        stock.stock_rows_lock(
            warehouse=order.warehouse,
            sku_ids={r.sku_id for r in reservations}
            | {sku.pk for line in waiting for sku, _q in components[line.sku_id]},
        )
        actor = user if user is not None and user.is_authenticated else None
        if reservations:
            stock.stock_unpick(
                reservations=reservations,
                reason=_("order %(number)s cancelled") % {"number": order.number},
                user=actor,
            )
            stock.stock_release(reservations=reservations, user=actor)
        if waiting:
            for line in waiting:
                _backorder(order, line, components, -line.backordered)
            order.lines.filter(backordered__gt=0).update(backordered=0)
        order.status, order.cancelled_at = OrderStatus.CANCELLED, timezone.now()
        if reason:
            order.note = reason[:200]
        order.save(update_fields=["status", "cancelled_at", "note"])
    return order
