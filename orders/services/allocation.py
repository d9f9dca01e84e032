"""Allocation: reserving the stock of paid orders, backorders (缺货) and the runs that
serve them in paid-time order."""

from collections import defaultdict
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import Q

from catalog.models import SKU, BundleComponent
from inventory import services as stock
from inventory.exceptions import InsufficientStock
from inventory.models import Warehouse, WarehouseStock
from orders.enums import (
    OrderStatus,
)
from orders.exceptions import OrderRefused, ShortLine
from orders.models import (
    LineReservation,
    SalesOrder,
    SalesOrderLine,
)
from orders.services.shared import RESERVATION_REFERENCE, User, _insert, _locked

# Serialises backorder allocation runs (the beat task and returns) on PostgreSQL.
BACKORDER_LOCK = 0x4A58_0006


def _components(skus: Sequence[SKU]) -> dict[int, list[tuple[SKU, int]]]:
    """Return the stocked SKUs each SKU stands for: itself, or a bundle's components."""
    result: dict[int, list[tuple[SKU, int]]] = {}
    bundle_ids = {sku.pk for sku in skus if sku.is_bundle}
    by_bundle: dict[int, list[tuple[SKU, int]]] = defaultdict(list)
    if bundle_ids:
        for component in (
            BundleComponent.objects.filter(bundle_id__in=bundle_ids)
            .select_related("component")
            .order_by("component_id")
        ):
            by_bundle[component.bundle_id].append((component.component, component.quantity))
    for sku in skus:
        result[sku.pk] = by_bundle[sku.pk] if sku.is_bundle else [(sku, 1)]
    return result


def _reserve(
    order: SalesOrder,
    lines: Sequence[SalesOrderLine],
    components,
    user,
    ahead: dict[int, int] | None = None,
) -> None:
    """Reserve ``lines`` all or nothing and link each reservation to its line.

    ``ahead``: the backordered units per SKU id owed to lines paid before ``order`` (see
    ``_backorders_ahead``); None leaves every backordered unit to the waiting lines, which
    is exact for an order paid after all of them.
    """
    reservations = stock.stock_reserve(
        warehouse=order.warehouse,
        lines=[
            stock.StockLine(line.sku, line.quantity, RESERVATION_REFERENCE, order.number)
            for line in lines
        ],
        backorders_ahead=ahead,
        user=user if user is not None and user.is_authenticated else None,
    )
    links, position = [], 0
    for line in lines:
        for _part in components[line.sku_id]:
            links.append(LineReservation(line=line, reservation=reservations[position]))
            position += 1
    _insert(links)


def _short_line(line: SalesOrderLine, error: InsufficientStock, components) -> ShortLine:
    per_unit = {sku.pk: quantity for sku, quantity in components[line.sku_id]}
    available = min(
        (s.available // per_unit.get(s.sku.pk, 1) for s in error.shortfalls),
        default=0,
    )
    promised = max((s.promised for s in error.shortfalls), default=0)
    return ShortLine(line.line_no, line.sku.code, line.quantity, max(0, available), promised)


def _backorders_ahead(order: SalesOrder, sku_ids: set[int]) -> dict[int, int]:
    """Return, per stocked SKU id, the backordered units of waiting lines paid before
    ``order`` in its warehouse: what ``order`` must leave for them.

    Waiting lines are served in (paid time, order id) order, the order of
    ``backorders_allocate``. Read it with the stock rows locked: every change of a line's
    backorder happens under its SKU's row lock, so the answer holds until commit.
    """
    per_bundle: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle_id, component_id, quantity in BundleComponent.objects.filter(
        component_id__in=sku_ids
    ).values_list("bundle_id", "component_id", "quantity"):
        per_bundle[bundle_id].append((component_id, quantity))
    paid_before = Q(order__paid_at__lt=order.paid_at) | Q(
        order__paid_at=order.paid_at, order_id__lt=order.pk
    )
    waiting = SalesOrderLine.objects.filter(
        Q(sku_id__in=sku_ids) | Q(sku_id__in=list(per_bundle)),
        paid_before,
        backordered__gt=0,
        order__status=OrderStatus.PAID,
        order__warehouse_id=order.warehouse_id,
    ).values_list("sku_id", "backordered")
    ahead: dict[int, int] = dict.fromkeys(sku_ids, 0)
    for sku_id, units in waiting:
        for component_id, quantity in per_bundle.get(sku_id, [(sku_id, 1)]):
            if component_id in ahead:
                ahead[component_id] += units * quantity
    return ahead


def _backorder(order: SalesOrder, line: SalesOrderLine, components, change: int) -> None:
    for sku, quantity in components[line.sku_id]:
        stock.stock_backorder_change(warehouse=order.warehouse, sku=sku, change=change * quantity)


def _allocate(
    order: SalesOrder, lines: Sequence[SalesOrderLine], *, refuse: bool, user: User
) -> None:
    """Reserve the matched lines of a paid order; backorder the short ones, or refuse.

    ``stock_reserve`` holds nothing when it raises (its own savepoint), so a short line
    leaves the transaction usable.
    """
    wanted = [line for line in lines if line.sku_id is not None and line.backordered == 0]
    short: list[tuple[SalesOrderLine, InsufficientStock]] = []
    if wanted:
        components = _components([line.sku for line in wanted])
        try:
            # Behind every waiting line first: exact for the usual order, paid just now,
            # and never looser than the exact rule below, so it can only refuse too much.
            _reserve(order, wanted, components, user)
        except InsufficientStock:
            # Something is short: line by line, to know which lines wait (or are refused).
            # Lock every stock row involved first, in SKU order: reserving a line and
            # backordering another then takes no new lock out of order (no deadlock).
            sku_ids = {sku.pk for each in wanted for sku, _q in components[each.sku_id]}
            stock.stock_rows_lock(warehouse=order.warehouse, sku_ids=sku_ids)
            # Only lines paid before this order come first (an order imported late, a
            # listing resolved for an old order).
            ahead = _backorders_ahead(order, sku_ids)

            def first_sku(line: SalesOrderLine) -> tuple[int, int]:
                return min(sku.pk for sku, _q in components[line.sku_id]), line.line_no

            for line in sorted(wanted, key=first_sku):
                try:
                    _reserve(order, [line], components, user, ahead)
                except InsufficientStock as error:
                    short.append((line, error))
    short.sort(key=lambda item: item[0].line_no)
    if short and refuse:
        raise OrderRefused([_short_line(line, error, components) for line, error in short])
    for line, _error in short:
        line.backordered = line.quantity
        SalesOrderLine.objects.filter(pk=line.pk).update(backordered=line.quantity)
        _backorder(order, line, components, line.quantity)


def _settle_status(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> None:
    """Make a paid order allocated once every line is matched and reserved, and an
    allocated one paid again while a line waits."""
    if order.status not in (OrderStatus.PAID, OrderStatus.ALLOCATED):
        return
    if lines is None:
        waiting = order.lines.filter(Q(sku__isnull=True) | Q(backordered__gt=0)).exists()
    else:
        waiting = any(line.sku_id is None or line.backordered for line in lines)
    status = OrderStatus.PAID if waiting else OrderStatus.ALLOCATED
    if status != order.status:
        order.status = status
        SalesOrder.objects.filter(pk=order.pk).update(status=status)


def _serialise_allocation() -> None:
    """Take the transaction's lock on backorder allocation (PostgreSQL advisory lock).

    Allocation locks the waiting orders, then their stock rows; resolving a listing and
    receiving a return lock orders and stock too, in another order, so they take this lock
    first and never deadlock with an allocation run.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BACKORDER_LOCK])


def backorders_allocate(
    *, warehouse: Warehouse | None = None, skus: Sequence[SKU] | None = None, user: User = None
) -> int:
    """Serve backordered lines of paid orders from stock that has come in; return the lines.

    Lines are served in paid-time order; once a line of a SKU cannot be served, later lines
    needing that SKU wait too, so a small late order never overtakes an early one.
    """
    with transaction.atomic():
        _serialise_allocation()
        rows = WarehouseStock.objects.annotate_available().filter(
            backordered__gt=0, available__gt=0
        )
        if warehouse is not None:
            rows = rows.filter(warehouse=warehouse)
        if skus is not None:
            rows = rows.filter(sku__in=[sku.pk for sku in skus])
        pairs = set(rows.values_list("warehouse_id", "sku_id"))
        if not pairs:
            return 0
        sku_ids = {sku_id for _w, sku_id in pairs}
        bundle_ids = set(
            BundleComponent.objects.filter(component_id__in=sku_ids).values_list(
                "bundle_id", flat=True
            )
        )
        candidates = list(
            SalesOrderLine.objects.filter(
                Q(sku_id__in=sku_ids) | Q(sku_id__in=bundle_ids),
                backordered__gt=0,
                order__status=OrderStatus.PAID,
                order__warehouse_id__in={w for w, _s in pairs},
            )
            .select_related("sku", "order")
            .order_by("order__paid_at", "order_id", "line_no")
        )
        components = _components([line.sku for line in candidates])
        # Lines are served in paid-time order, not SKU order: lock their orders (by id), then
        # the stock rows they may take (in SKU order, as order placement does), first.
        list(
            SalesOrder.objects.filter(pk__in={line.order_id for line in candidates})
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        for warehouse_id in sorted({w for w, _s in pairs}):
            needed = {
                sku.pk
                for line in candidates
                if line.order.warehouse_id == warehouse_id
                for sku, _q in components[line.sku_id]
            }
            stock.stock_rows_lock(warehouse=Warehouse(pk=warehouse_id), sku_ids=needed)
        blocked: set[tuple[int, int]] = set()
        served = 0
        for candidate in candidates:
            warehouse_id = candidate.order.warehouse_id
            needs = {(warehouse_id, sku.pk) for sku, _q in components[candidate.sku_id]}
            if needs & blocked or not needs & pairs:
                continue
            order = _locked(candidate.order)
            line = order.lines.select_related("sku").get(pk=candidate.pk)
            if order.status != OrderStatus.PAID or not line.backordered:
                continue
            # The line's own units are in the backordered column; only lines paid before it
            # come first (one that arrived after the candidates were read included).
            ahead = _backorders_ahead(order, {sku.pk for sku, _q in components[line.sku_id]})
            try:
                _reserve(order, [line], components, user, ahead)
            except InsufficientStock:
                blocked |= needs
                continue
            SalesOrderLine.objects.filter(pk=line.pk).update(backordered=0)
            _backorder(order, line, components, -line.backordered)
            _settle_status(order)
            served += 1
    return served
