"""Holding stock for a purpose: reservations (订单占有), locks (库存锁定) and the
backordered column (缺货) that orders keep up to date."""

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, BundleComponent
from inventory.exceptions import (
    InsufficientStock,
    InvalidStockInput,
    Shortfall,
)
from inventory.models import (
    Reservation,
    StockLock,
    Warehouse,
    WarehouseStock,
)
from inventory.services.checks import _check_quantity, _check_reason, _raise
from inventory.services.ledger import Pair, User, _lock_stock, _relock_holds, stock_rows_lock


@dataclass(frozen=True)
class StockLine:
    """A quantity of a SKU (or bundle) to reserve or lock, and the document line it is for."""

    sku: SKU
    quantity: int
    reference_type: str = ""
    reference_id: str = ""


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
    """In a transaction of its own: insert the hold rows, then take each SKU's units;
    return the SKUs that are short.

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


def _hold_in_callers_transaction(
    *,
    column: str,
    warehouse: Warehouse,
    wanted: dict[int, int],
    owed: Callable[[int], int | None],
    holds,
) -> list[int]:
    """Take each SKU's units, then insert the hold rows; return the SKUs that are short.

    Inside a caller's transaction (an order, a batch of orders), without a savepoint: a
    savepoint per hold would give every order of a batch a subtransaction of its own. The
    conditional UPDATEs come first, in SKU order; when one is short, the units the others
    took are given back under the row locks those UPDATEs took, and nothing is inserted, so
    the caller's transaction is left as it was (bar the locks, which it keeps to its end).
    """
    take = _take_available_sql(column)
    table = connection.ops.quote_name(WarehouseStock._meta.db_table)
    give_back = (
        f"UPDATE {table} SET {column} = {column} - %s WHERE warehouse_id = %s AND sku_id = %s"
    )
    taken, short = [], []
    with connection.cursor() as cursor:
        for sku_id in sorted(wanted):
            units = wanted[sku_id]
            cursor.execute(take, [units, warehouse.pk, sku_id, owed(sku_id), units])
            (taken if cursor.rowcount == 1 else short).append(sku_id)
        if short:
            for sku_id in taken:
                cursor.execute(give_back, [wanted[sku_id], warehouse.pk, sku_id])
            return short
    model = type(holds[0])
    fields = _hold_fields(model)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(holds))} RETURNING {quote(model._meta.pk.column)}",
            _hold_values(holds),
        )
        _set_ids(holds, cursor.fetchall())
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
    elif not standalone:
        short = _hold_in_callers_transaction(
            column=column, warehouse=warehouse, wanted=wanted, owed=owed, holds=holds
        )
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
    at: datetime | None = None,
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
    reservations = _new_holds(Reservation, warehouse=warehouse, parts=parts, at=at, user=user)
    _hold(
        column="reserved",
        warehouse=warehouse,
        parts=parts,
        holds=reservations,
        backorders_ahead=backorders_ahead,
    )
    return reservations


@dataclass
class ReservedPrefix:
    """What ``stock_reserve_many`` reserved: one list of reservations per request served,
    in the order given, and ``short``: the index of the request that stopped it (nothing of
    it or after it reserved), None when every request was served."""

    reservations: list[list[Reservation]]
    short: int | None


ROWS_PER_STATEMENT = 1000


# What a new reservation may take from each stock row under the default rule: 可发 less
# every backordered unit (the condition of ``_TAKE_AVAILABLE`` with NULL for the owed units).
_FREE_SQL = (
    "SELECT sku_id, on_hand - reserved - locked - defective - backordered FROM {table} "
    "WHERE warehouse_id = %s AND sku_id = ANY(%s)"
)


def _stock_table() -> str:
    return connection.ops.quote_name(WarehouseStock._meta.db_table)


@lru_cache(maxsize=64)
def _add_reserved_sql(rows: int) -> str:
    """Return the UPDATE that raises the reserved column of ``rows`` SKUs of a warehouse,
    parameters: (SKU id, units) per row, then the warehouse id."""
    values = ", ".join(["(%s::bigint, %s::integer)"] * rows)
    return (
        f"UPDATE {_stock_table()} AS stock SET reserved = stock.reserved + taken.units "
        f"FROM (VALUES {values}) AS taken (sku_id, units) "
        "WHERE stock.warehouse_id = %s AND stock.sku_id = taken.sku_id"
    )


def stock_reserve_many(
    *,
    warehouse: Warehouse,
    requests: Sequence[Sequence[StockLine]],
    at: datetime | None = None,
    user: User = None,
) -> ReservedPrefix:
    """Reserve stock for many requests (the orders of a batch) in the order given, each all
    or nothing as ``stock_reserve`` does with its default rule (behind every backordered
    unit), and stop at the first request that is short.

    The caller decides what a short request means (orders backorders it line by line) and
    calls again with the rest, so the requests are served exactly as one ``stock_reserve``
    after another would serve them. The stock rows of the requests are locked first, in SKU
    order; then, in a handful of statements whatever the number of requests, the
    reservations are inserted and each SKU's reserved column is raised once. Call it inside
    a transaction: the batch commits as one.
    """
    problems: list[str] = []
    expanded = [_expand(lines, problems) for lines in requests]
    _raise(problems)
    if connection.vendor != "postgresql":
        return _reserve_one_by_one(warehouse=warehouse, requests=requests, at=at, user=user)
    sku_ids = sorted({part.sku.pk for parts in expanded for part in parts})
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        stock_rows_lock(warehouse=warehouse, sku_ids=sku_ids)
        cursor.execute(_FREE_SQL.format(table=_stock_table()), [warehouse.pk, sku_ids])
        free = dict(cursor.fetchall())
        served: list[list[_Part]] = []
        short = None
        for index, parts in enumerate(expanded):
            wanted: dict[int, int] = defaultdict(int)
            for part in parts:
                wanted[part.sku.pk] += part.quantity
            if any(free[sku_id] < units for sku_id, units in wanted.items()):
                short = index
                break
            for sku_id, units in wanted.items():
                free[sku_id] -= units
            served.append(parts)
        holds = [
            _new_holds(Reservation, warehouse=warehouse, parts=parts, at=at, user=user)
            for parts in served
        ]
        flat = [hold for request in holds for hold in request]
        fields = _hold_fields(Reservation)
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(flat), ROWS_PER_STATEMENT):
            chunk = flat[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {quote(Reservation._meta.db_table)} "
                f"({', '.join(quote(f.column) for f in fields)}) "
                f"VALUES {', '.join([row] * len(chunk))} "
                f"RETURNING {quote(Reservation._meta.pk.column)}",
                _hold_values(chunk),
            )
            _set_ids(chunk, cursor.fetchall())
        taken: dict[int, int] = defaultdict(int)
        for hold in flat:
            taken[hold.sku_id] += hold.quantity
        if taken:
            cursor.execute(
                _add_reserved_sql(len(taken)),
                [v for sku_id in sorted(taken) for v in (sku_id, taken[sku_id])] + [warehouse.pk],
            )
            if cursor.rowcount != len(taken):
                raise AssertionError("a locked stock row went missing")
    return ReservedPrefix(reservations=holds, short=short)


def _reserve_one_by_one(
    *, warehouse: Warehouse, requests: Sequence[Sequence[StockLine]], at, user
) -> ReservedPrefix:
    """``stock_reserve_many`` where a statement cannot do it all (SQLite, one writer)."""
    result = ReservedPrefix(reservations=[], short=None)
    for index, lines in enumerate(requests):
        try:
            result.reservations.append(
                stock_reserve(warehouse=warehouse, lines=lines, at=at, user=user)
            )
        except InsufficientStock:
            result.short = index
            break
    return result


def _new_holds(
    model, *, warehouse: Warehouse, parts: Sequence[_Part], at: datetime | None, user, **fields
) -> list:
    """Return unsaved holds (reservations or locks) of ``model``, one per expanded part."""
    now = at or timezone.now()
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
    *,
    warehouse: Warehouse,
    lines: Sequence[StockLine],
    reason: str,
    at: datetime | None = None,
    user: User = None,
) -> list[StockLock]:
    """Hold stock back from sale (库存锁定), for example for a promotion, all or nothing."""
    problems: list[str] = []
    parts = _expand(lines, problems)
    reason = _check_reason(problems, reason)
    _raise(problems)
    locks = _new_holds(StockLock, warehouse=warehouse, parts=parts, at=at, user=user, reason=reason)
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
