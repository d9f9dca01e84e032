"""Writes to orders. Every function is keyword-only, atomic and raises orders errors.

Stock is held and moved only through ``inventory.services``: an order line reserves its SKU
(a bundle line its components) with ``stock_reserve``; a line that cannot be reserved waits
as a backorder (缺货), counted in inventory's ``backordered`` column through
``stock_backorder_change``; ``backorders_allocate`` serves waiting lines in paid-time order
when stock comes in. Inventory never calls orders: receipts and adjustments are noticed by
the periodic ``orders.tasks.backorders_allocate`` task, returns by the return service.

An order row is locked (``SELECT … FOR UPDATE``) by every transition, so two transitions of
one order never interleave; stock rows are then locked by inventory in its fixed order.
"""

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, BundleComponent
from inventory import services as stock
from inventory.enums import ReturnDisposition as StockDisposition
from inventory.exceptions import InsufficientStock, InventoryError
from inventory.models import Reservation, ReservationPick, Warehouse, WarehouseStock
from inventory.selectors import PickList
from orders.enums import (
    CANCELLABLE,
    RETURNABLE,
    ListingStatus,
    OrderSource,
    OrderStatus,
    PriceType,
    ReturnDisposition,
    ReturnReason,
    ScanResult,
)
from orders.exceptions import InvalidOrderInput, InvalidTransition, OrderRefused, ShortLine
from orders.models import (
    ChannelListing,
    Customer,
    LineReservation,
    PackingCheck,
    PackingScan,
    Return,
    ReturnLine,
    SalesOrder,
    SalesOrderLine,
    Shop,
)

User = AbstractBaseUser | None
RESERVATION_REFERENCE = "sales_order"
RETURN_REFERENCE = "sales_return"
ZERO = Decimal("0")
# Serialises backorder allocation runs (the beat task and returns) on PostgreSQL.
BACKORDER_LOCK = 0x4A58_0006
DEADLOCK_DETECTED = "40P01"

DISPOSITIONS = {
    ReturnDisposition.RESTOCK: StockDisposition.RESTOCK,
    ReturnDisposition.SCRAP: StockDisposition.SCRAP,
    # Goods for the supplier wait as defective stock (次品) until they are sent back.
    ReturnDisposition.RETURN_TO_SUPPLIER: StockDisposition.QUARANTINE,
}


# --- Inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineInput:
    """A line to order: our SKU, or the channel's code (resolved through its listings)."""

    quantity: int
    sku: SKU | None = None
    platform_code: str = ""
    unit_price: Decimal | None = None
    price_type: str | None = None
    discount: Decimal = ZERO


@dataclass(frozen=True)
class ReturnLineInput:
    order_line: SalesOrderLine
    quantity: int
    reason: str
    disposition: str
    refund_amount: Decimal = ZERO


# --- Helpers ------------------------------------------------------------------------------


def _money(problems: list[str], value, subject: str, label: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float | bool):
        problems.append(
            _("%(subject)s: give the %(label)s as a Decimal, not %(value)r.")
            % {"subject": subject, "label": label, "value": value}
        )
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        problems.append(
            _("%(subject)s: the %(label)s must be an amount of zero or more, not %(value)s.")
            % {"subject": subject, "label": label, "value": value}
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _whole(problems: list[str], value, subject: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.append(
            _("%(subject)s: the quantity must be a whole number above zero, not %(value)s.")
            % {"subject": subject, "value": value}
        )
        return False
    return True


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidOrderInput(problems)


def _locked(order: SalesOrder) -> SalesOrder:
    return (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=order.pk)
    )


@lru_cache(maxsize=32)
def _insert_sql(model, rows: int) -> tuple[str, tuple]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([row] * rows)} "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def _insert(objs: Sequence) -> None:
    """INSERT new rows of one model in one statement and give the objects their ids.

    Placing an order is the hot path, and there the ORM's Python work for its three INSERTs
    costs more than the database's (``bench/bench_orders.py``); plain SQL on PostgreSQL, as
    inventory does for reservations. Model defaults were applied when the objects were
    built; these models have no ``auto_now`` fields or save() overrides.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    sql, fields = _insert_sql(model, len(objs))
    params = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


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


def _transition(order: SalesOrder, allowed: Sequence[str], action: str) -> SalesOrder:
    order = _locked(order)
    if order.status not in allowed:
        raise InvalidTransition(order, action)
    return order


# --- Listings -----------------------------------------------------------------------------


def listing_upsert(
    *,
    shop: Shop,
    platform_sku_code: str,
    merchant_code: str = "",
    platform_item_code: str = "",
    title: str = "",
) -> ChannelListing:
    """Create or update a shop's listing; match it on the merchant code (商家编码) when it
    names one of our SKU codes. A listing matched already keeps its SKU."""
    code = (platform_sku_code or "").strip()
    if not code:
        raise InvalidOrderInput([_("Give the platform SKU code of the listing.")])
    with transaction.atomic():
        listing, _created = ChannelListing.objects.select_for_update().get_or_create(
            shop=shop, platform_sku_code=code
        )
        listing.merchant_code = merchant_code.strip() or listing.merchant_code
        listing.platform_item_code = platform_item_code.strip() or listing.platform_item_code
        listing.title = title.strip() or listing.title
        if listing.sku_id is None and listing.merchant_code:
            sku = SKU.objects.filter(code=listing.merchant_code).first()
            if sku is not None:
                listing.sku, listing.status = sku, ListingStatus.MATCHED
        listing.save()
        if listing.sku_id is not None:
            _lines_waiting_for(listing)
    return listing


def listing_resolve(*, listing: ChannelListing, sku: SKU, user: User = None) -> int:
    """Map an unmatched listing to ``sku``; the order lines waiting for it take the SKU and
    are reserved (or backordered). Return the order lines that were waiting."""
    with transaction.atomic():
        listing = ChannelListing.objects.select_for_update().get(pk=listing.pk)
        if listing.sku_id is not None and listing.sku_id != sku.pk:
            raise InvalidOrderInput(
                [
                    _("Listing %(code)s is matched to %(sku)s already.")
                    % {"code": listing.platform_sku_code, "sku": listing.sku.code}
                ]
            )
        listing.sku, listing.status = sku, ListingStatus.MATCHED
        listing.save(update_fields=["sku", "status"])
        return _lines_waiting_for(listing, user=user)


def _lines_waiting_for(listing: ChannelListing, *, user: User = None) -> int:
    _serialise_allocation()
    waiting = list(
        SalesOrderLine.objects.filter(
            order__shop_id=listing.shop_id,
            platform_code=listing.platform_sku_code,
            sku__isnull=True,
        ).values_list("order_id", flat=True)
    )
    for order_id in sorted(set(waiting)):
        order = _locked(SalesOrder(pk=order_id))
        lines = list(order.lines.filter(platform_code=listing.platform_sku_code, sku__isnull=True))
        for line in lines:
            line.sku = listing.sku
            line.save(update_fields=["sku"])
        if order.status == OrderStatus.PAID:
            _allocate(order, lines, refuse=False, user=user)
            _settle_status(order)
    return len(waiting)


def _resolve_codes(shop: Shop, codes: set[str]) -> dict[str, SKU | None]:
    """Return the SKU each channel code stands for (None: waiting for its listing).

    A code without a listing gets one: matched when it is one of our SKU codes (the merchant
    code the shop filled in), else unmatched, queued for staff to resolve.
    """
    listings = {
        listing.platform_sku_code: listing
        for listing in ChannelListing.objects.filter(
            shop=shop, platform_sku_code__in=codes
        ).select_related("sku")
    }
    missing = codes - set(listings)
    if missing:
        skus = {sku.code: sku for sku in SKU.objects.filter(code__in=missing)}
        ChannelListing.objects.bulk_create(
            [
                ChannelListing(
                    shop=shop,
                    platform_sku_code=code,
                    merchant_code=code if code in skus else "",
                    sku=skus.get(code),
                    status=ListingStatus.MATCHED if code in skus else ListingStatus.UNMATCHED,
                )
                for code in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        listings |= {
            listing.platform_sku_code: listing
            for listing in ChannelListing.objects.filter(
                shop=shop, platform_sku_code__in=missing
            ).select_related("sku")
        }
    return {code: listings[code].sku for code in codes}


# --- Placing and allocating ---------------------------------------------------------------


def _price_of(sku: SKU, price_type: str) -> Decimal | None:
    if price_type == PriceType.DISTRIBUTION:
        return sku.distribution_price or sku.retail_price
    if price_type == PriceType.RETAIL:
        return sku.retail_price
    return None


def _build_lines(
    *, shop: Shop, customer: Customer | None, inputs: Sequence[OrderLineInput]
) -> list[SalesOrderLine]:
    problems: list[str] = []
    if not inputs:
        problems.append(_("An order needs at least one line."))
    codes = {
        line.platform_code.strip()
        for line in inputs
        if line.sku is None and (line.platform_code or "").strip()
    }
    resolved = _resolve_codes(shop, codes) if codes else {}
    tier = customer.price_tier if customer is not None else PriceType.RETAIL
    lines = []
    for number, given in enumerate(inputs, start=1):
        subject = _("Line %(line)d") % {"line": number}
        code = (given.platform_code or "").strip()
        sku = given.sku if given.sku is not None else resolved.get(code)
        if given.sku is None and not code:
            problems.append(_("%(subject)s: name a SKU or a channel code.") % {"subject": subject})
            continue
        _whole(problems, given.quantity, subject)
        price_type = given.price_type or tier
        if price_type not in PriceType.values:
            problems.append(
                _("%(subject)s: %(value)s is not a price type.")
                % {"subject": subject, "value": price_type}
            )
            continue
        unit_price = _money(problems, given.unit_price, subject, _("unit price"))
        if unit_price is None and given.unit_price is None:
            unit_price = _price_of(sku, price_type) if sku is not None else None
            if unit_price is None:
                problems.append(
                    _("%(subject)s: give the unit price (%(sku)s has no %(type)s price).")
                    % {
                        "subject": subject,
                        "sku": sku.code if sku else code,
                        "type": PriceType(price_type).label,
                    }
                )
        discount = _money(problems, given.discount or ZERO, subject, _("discount"))
        if (
            unit_price is not None
            and discount is not None
            and isinstance(given.quantity, int)
            and discount > unit_price * given.quantity
        ):
            problems.append(
                _("%(subject)s: the discount is larger than the line.") % {"subject": subject}
            )
        if sku is not None and not sku.is_active:
            problems.append(
                _("%(subject)s: %(sku)s is not active.") % {"subject": subject, "sku": sku.code}
            )
        lines.append(
            SalesOrderLine(
                line_no=number,
                sku=sku,
                platform_code=code,
                quantity=given.quantity,
                price_type=price_type,
                unit_price=unit_price or ZERO,
                discount=discount or ZERO,
            )
        )
    _raise(problems)
    return lines


DEADLOCK_RETRIES = 3


def order_place(
    *,
    shop: Shop,
    lines: Sequence[OrderLineInput],
    source: str = OrderSource.STAFF,
    number: str = "",
    customer: Customer | None = None,
    warehouse: Warehouse | None = None,
    placed_at: datetime | None = None,
    paid_at: datetime | None = None,
    backorder: bool = False,
    note: str = "",
    user: User = None,
) -> SalesOrder:
    """Place an order; when it is paid (``paid_at``), reserve its stock.

    A channel order is always accepted: lines that cannot be reserved wait as backorders and
    lines whose channel code has no matched listing wait for it. A staff order that cannot be
    served whole is refused (``OrderRefused`` names every short line; nothing is saved)
    unless ``backorder`` is chosen.

    Reservations lock stock rows in SKU order, but a short line's backorder locks its row
    after others are held, so two orders short of each other's SKUs can deadlock;
    PostgreSQL then aborts one, and an order placed in its own transaction is tried again.
    """
    kwargs = {
        "shop": shop,
        "lines": lines,
        "source": source,
        "number": number,
        "customer": customer,
        "warehouse": warehouse,
        "placed_at": placed_at,
        "paid_at": paid_at,
        "backorder": backorder,
        "note": note,
        "user": user,
    }
    for attempt in range(DEADLOCK_RETRIES):
        standalone = not connection.in_atomic_block
        try:
            return _order_place(**kwargs)
        except OperationalError as error:
            deadlock = getattr(error.__cause__, "pgcode", None) == DEADLOCK_DETECTED
            if not (standalone and deadlock) or attempt == DEADLOCK_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _order_place(
    *,
    shop: Shop,
    lines: Sequence[OrderLineInput],
    source: str = OrderSource.STAFF,
    number: str = "",
    customer: Customer | None = None,
    warehouse: Warehouse | None = None,
    placed_at: datetime | None = None,
    paid_at: datetime | None = None,
    backorder: bool = False,
    note: str = "",
    user: User = None,
) -> SalesOrder:
    problems: list[str] = []
    if source not in OrderSource.values:
        problems.append(_("%(value)s is not an order source.") % {"value": source})
    number = (number or "").strip()
    if source == OrderSource.CHANNEL and not number:
        problems.append(_("A channel order needs the channel's order number."))
    _raise(problems)
    relax = settings.ORDERS_PLACE_ASYNC_COMMIT and connection.vendor == "postgresql"
    relax = relax and not connection.in_atomic_block
    with transaction.atomic():
        if relax:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        built = _build_lines(shop=shop, customer=customer, inputs=lines)
        now = timezone.now()
        # Written as allocated when it will be, so the usual order needs no second UPDATE;
        # ``_allocate`` sets it back to paid when a line has to wait.
        matched = all(line.sku_id is not None for line in built)
        status = OrderStatus.PENDING_PAYMENT
        if paid_at:
            status = OrderStatus.ALLOCATED if matched else OrderStatus.PAID
        order = SalesOrder(
            shop=shop,
            number=number or f"~{uuid.uuid4().hex}",
            source=source,
            customer=customer,
            warehouse=warehouse or shop.warehouse,
            status=status,
            placed_at=placed_at or now,
            paid_at=paid_at,
            note=note,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        _insert([order])
        if not number:
            order.number = f"SO{order.pk:08d}"
            SalesOrder.objects.filter(pk=order.pk).update(number=order.number)
        for line in built:
            line.order = order
        _insert(built)
        if paid_at:
            refuse = source == OrderSource.STAFF and not backorder
            _allocate(order, built, refuse=refuse, user=user)
            _settle_status(order, built)
    return order


def order_pay(
    *, order: SalesOrder, paid_at: datetime | None = None, backorder: bool = False, user=None
) -> SalesOrder:
    """Record the payment of a pending order and reserve its stock (see ``order_place``)."""
    with transaction.atomic():
        order = _transition(order, [OrderStatus.PENDING_PAYMENT], _("paid"))
        order.status, order.paid_at = OrderStatus.PAID, paid_at or timezone.now()
        order.save(update_fields=["status", "paid_at"])
        lines = list(order.lines.select_related("sku"))
        refuse = order.source == OrderSource.STAFF and not backorder
        _allocate(order, lines, refuse=refuse, user=user)
        _settle_status(order, lines)
    return order


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


def _lock_rows(warehouse: Warehouse, sku_ids: set[int]) -> None:
    """Lock the stock rows of ``sku_ids`` in ``warehouse`` in SKU order (creating missing
    ones), the order inventory's services lock them in."""
    WarehouseStock.objects.bulk_create(
        [WarehouseStock(warehouse=warehouse, sku_id=sku_id) for sku_id in sorted(sku_ids)],
        ignore_conflicts=True,
    )
    list(
        WarehouseStock.objects.filter(warehouse=warehouse, sku_id__in=sku_ids)
        .order_by("sku_id")
        .select_for_update()
        .values_list("pk", flat=True)
    )


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
            _lock_rows(order.warehouse, sku_ids)
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
            _lock_rows(Warehouse(pk=warehouse_id), needed)
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


# --- Fulfilment ---------------------------------------------------------------------------


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
        _lock_rows(
            order.warehouse,
            {r.sku_id for r in reservations}
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


# --- Returns ------------------------------------------------------------------------------


def _returned(lines: Sequence[SalesOrderLine]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for line_id, quantity in ReturnLine.objects.filter(order_line__in=lines).values_list(
        "order_line_id", "quantity"
    ):
        counts[line_id] += quantity
    return counts


def return_create(
    *,
    order: SalesOrder,
    lines: Sequence[ReturnLineInput],
    note: str = "",
    user: User = None,
) -> Return:
    """Receive returned goods (RMA) per order line: restock, scrap or hold them for the
    supplier through inventory; restocked goods serve waiting backorders."""
    with transaction.atomic():
        _serialise_allocation()
        order = _transition(order, RETURNABLE, _("returned"))
        problems: list[str] = []
        if not lines:
            problems.append(_("A return needs at least one line."))
        order_lines = {line.pk: line for line in order.lines.select_related("sku")}
        already = _returned(list(order_lines.values()))
        wanted: dict[int, int] = defaultdict(int)
        for given in lines:
            line = order_lines.get(given.order_line.pk)
            if line is None:
                problems.append(_("A return line must be a line of this order."))
                continue
            subject = _("Line %(line)d") % {"line": line.line_no}
            if _whole(problems, given.quantity, subject):
                wanted[line.pk] += given.quantity
            if given.reason not in ReturnReason.values:
                problems.append(_("%(subject)s: choose a reason.") % {"subject": subject})
            if given.disposition not in ReturnDisposition.values:
                problems.append(
                    _("%(subject)s: choose what happens to the goods.") % {"subject": subject}
                )
            refund = _money(problems, given.refund_amount, subject, _("refund"))
            if refund is not None and refund > line.amount:
                problems.append(
                    _("%(subject)s: the refund is more than the line's %(amount)s.")
                    % {"subject": subject, "amount": line.amount}
                )
        for line_id, units in wanted.items():
            line = order_lines[line_id]
            left = line.shipped_quantity - already[line_id]
            if units > left:
                problems.append(
                    _(
                        "Line %(line)d: %(units)d returned, but only %(left)d shipped and "
                        "not returned."
                    )
                    % {"line": line.line_no, "units": units, "left": left}
                )
        _raise(problems)
        rma = Return.objects.create(
            order=order,
            note=note,
            user=user if user is not None and user.is_authenticated else None,
        )
        ReturnLine.objects.bulk_create(
            ReturnLine(
                rma=rma,
                order_line=order_lines[given.order_line.pk],
                quantity=given.quantity,
                reason=given.reason,
                disposition=given.disposition,
                refund_amount=Decimal(given.refund_amount).quantize(Decimal("0.01")),
            )
            for given in lines
        )
        components = _components([line.sku for line in order_lines.values()])
        _lock_rows(
            order.warehouse,
            {sku.pk for line in order_lines.values() for sku, _q in components[line.sku_id]},
        )
        lots = _shipped_lots(order)
        restocked: set[SKU] = set()
        try:
            for given in lines:
                line = order_lines[given.order_line.pk]
                for sku, per_unit in components[line.sku_id]:
                    stock.stock_return(
                        sku=sku,
                        warehouse=order.warehouse,
                        quantity=given.quantity * per_unit,
                        disposition=DISPOSITIONS[given.disposition],
                        lot=lots.get((line.pk, sku.pk)),
                        reason=ReturnReason(given.reason).label,
                        reference_type=RETURN_REFERENCE,
                        reference_id=f"RMA-{rma.pk}",
                        user=user if user is not None and user.is_authenticated else None,
                    )
                    if given.disposition == ReturnDisposition.RESTOCK:
                        restocked.add(sku)
        except InventoryError as error:
            raise InvalidOrderInput([str(error)]) from error
        if restocked:
            backorders_allocate(warehouse=order.warehouse, skus=sorted(restocked, key=str))
    return rma


def _shipped_lots(order: SalesOrder) -> dict[tuple[int, int], object]:
    """Return the newest lot each (line, SKU) shipped from: returns go back into it, so
    their cost reverses at what was consumed."""
    holds = dict(
        LineReservation.objects.filter(line__order=order).values_list("reservation_id", "line_id")
    )
    lots = {}
    for pick in (
        ReservationPick.objects.filter(reservation_id__in=holds)
        .select_related("lot", "reservation")
        .order_by("lot__received_at", "pk")
    ):
        lots[holds[pick.reservation_id], pick.reservation.sku_id] = pick.lot
    return lots
