"""Placing orders and recording their payment."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory import services as stock
from inventory.models import Warehouse
from orders.enums import (
    OrderSource,
    OrderStatus,
    PriceType,
)
from orders.exceptions import OrderAlreadyPlaced, OrderError
from orders.models import (
    Customer,
    LineReservation,
    SalesOrder,
    SalesOrderLine,
    Shop,
)
from orders.pricing import PriceBook
from orders.services.allocation import _allocate, _components, _settle_status
from orders.services.credit import _credit_decide
from orders.services.inquiries import inquiries_link_orders
from orders.services.listings import _resolve_codes
from orders.services.shared import (
    RESERVATION_REFERENCE,
    ZERO,
    User,
    _insert,
    _insert_sql,
    _money,
    _raise,
    _transition,
    _whole,
)

DEADLOCK_DETECTED = "40P01"
ROWS_PER_STATEMENT = 1000


@dataclass(frozen=True)
class OrderLineInput:
    """A line to order: our SKU, or the channel's code (resolved through its listings)."""

    quantity: int
    sku: SKU | None = None
    platform_code: str = ""
    unit_price: Decimal | None = None
    price_type: str | None = None
    discount: Decimal = ZERO


def _price_of(sku: SKU, price_type: str) -> Decimal | None:
    if price_type == PriceType.DISTRIBUTION:
        return sku.distribution_price or sku.retail_price
    if price_type == PriceType.RETAIL:
        return sku.retail_price
    return None


def _needs_book(given: OrderLineInput) -> bool:
    """Whether a line takes its price or its promotion from the price in effect."""
    return (given.unit_price is None and given.price_type is None) or (
        given.price_type == PriceType.PROMOTION
    )


def _day_of(moment: datetime | None) -> dt.date:
    return timezone.localdate(moment) if moment is not None else timezone.localdate()


def _channel_codes(inputs: Sequence[OrderLineInput]) -> set[str]:
    return {
        line.platform_code.strip()
        for line in inputs
        if line.sku is None and (line.platform_code or "").strip()
    }


def _build_lines(
    *,
    shop: Shop,
    customer: Customer | None,
    inputs: Sequence[OrderLineInput],
    resolved: Mapping[str, SKU | None] | None = None,
    on: dt.date | None = None,
    book: PriceBook | None = None,
) -> list[SalesOrderLine]:
    """Check the inputs and return the unsaved lines; ``resolved``: the shop's channel codes
    resolved already (a batch resolves them once), else they are resolved here.

    A line priced by nobody takes the price in effect on ``on`` (``orders.pricing``): its
    unit price, price type and promotion. A chosen price type without a price takes that
    price (a promotion: the one in effect, refused when there is none); a given price is
    kept, and a promotion line names the promotion in effect, if any. ``book``: the prices
    of the batch, loaded once; else the order's prices are loaded here, in one query.
    """
    on = on or timezone.localdate()
    problems: list[str] = []
    if not inputs:
        problems.append(_("An order needs at least one line."))
    if resolved is None:
        codes = _channel_codes(inputs)
        resolved = _resolve_codes(shop, codes) if codes else {}
    tier = customer.price_tier if customer is not None else PriceType.RETAIL
    if book is None:
        priced = {
            sku.pk: sku
            for given in inputs
            if _needs_book(given)
            and (sku := given.sku or resolved.get((given.platform_code or "").strip()))
        }
        book = PriceBook(priced.values(), first_day=on) if priced else None
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
        promotion = None
        if sku is not None and book is not None and _needs_book(given):
            if given.price_type is None:
                quote = book.quote(sku, on=on, customer=customer, shop=shop)
                if quote is not None:
                    unit_price, price_type = quote.unit_price, quote.price_type
                    promotion = quote.promotion
            else:
                promoted = book.promotion_price(sku, on=on, shop=shop)
                if promoted is not None:
                    promotion = promoted[1]
                    if given.unit_price is None:
                        unit_price = promoted[0]
        if unit_price is None and given.unit_price is None:
            if price_type != PriceType.PROMOTION:
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
                promotion=promotion,
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
    submission: uuid.UUID | None = None,
) -> SalesOrder:
    """Place an order; when it is paid (``paid_at``), reserve its stock.

    ``submission`` is the key of the form that asked for it: sent again, it places nothing
    and raises ``OrderAlreadyPlaced`` naming the order its first sending placed.

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
        "submission": submission,
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
    submission: uuid.UUID | None = None,
) -> SalesOrder:
    if submission is not None:
        _refuse_placed(submission)
    problems: list[str] = []
    if source not in OrderSource.values:
        problems.append(_("%(value)s is not an order source.") % {"value": source})
    number = (number or "").strip()
    if source == OrderSource.CHANNEL and not number:
        problems.append(_("A channel order needs the channel's order number."))
    _raise(problems)
    relax = settings.ORDERS_PLACE_ASYNC_COMMIT and connection.vendor == "postgresql"
    relax = relax and not connection.in_atomic_block
    try:
        with transaction.atomic():
            if relax:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            built = _build_lines(shop=shop, customer=customer, inputs=lines, on=_day_of(placed_at))
            order = _order_write(
                shop=shop,
                number=number,
                submission=submission,
                source=source,
                customer=customer,
                warehouse=warehouse or shop.warehouse,
                placed_at=placed_at,
                paid_at=paid_at,
                note=note,
                user=user,
                built=built,
                refuse=source == OrderSource.STAFF and not backorder,
            )
            if customer is not None:
                inquiries_link_orders(order_ids=[order.pk])
    except IntegrityError:
        if submission is not None:
            _refuse_placed(submission)  # a twin sending committed first
        raise
    return order


def _refuse_placed(submission: uuid.UUID) -> None:
    """Raise ``OrderAlreadyPlaced`` when the form ``submission`` placed an order already."""
    placed = SalesOrder.objects.filter(submission=submission).first()
    if placed is not None:
        raise OrderAlreadyPlaced(placed)


def _order_write(
    *,
    shop: Shop,
    number: str,
    submission: uuid.UUID | None = None,
    source: str,
    customer: Customer | None,
    warehouse: Warehouse,
    placed_at: datetime | None,
    paid_at: datetime | None,
    note: str,
    user: User,
    built: list[SalesOrderLine],
    refuse: bool,
) -> SalesOrder:
    """Write a checked order and its lines and, when it is paid, allocate it."""
    # A credit customer's unpaid order goes out on credit, or waits on credit hold.
    credit = _credit_decide(customer=customer, lines=built, paid_at=paid_at, source=source)
    paid_at = credit.paid_at
    # Written as allocated when it will be, so the usual order needs no second UPDATE;
    # ``_allocate`` sets it back to paid when a line has to wait.
    matched = all(line.sku_id is not None for line in built)
    status = OrderStatus.PENDING_PAYMENT
    if paid_at:
        status = OrderStatus.ALLOCATED if matched else OrderStatus.PAID
    if credit.held:
        status = OrderStatus.CREDIT_HOLD
    order = SalesOrder(
        shop=shop,
        number=number or f"~{uuid.uuid4().hex}",
        submission=submission,
        source=source,
        customer=customer,
        warehouse=warehouse,
        status=status,
        placed_at=placed_at or timezone.now(),
        paid_at=paid_at,
        on_credit=credit.on_credit,
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
        _allocate(order, built, refuse=refuse, user=user)
        _settle_status(order, built)
    return order


def _insert_unless_taken_many(orders: list[SalesOrder]) -> dict[tuple[int, str], int]:
    """Insert ``orders`` unless their (shop, number) is taken; return the new ids by key.

    On PostgreSQL ``ON CONFLICT DO NOTHING`` waits for a transaction writing the same number
    and skips the row once that one commits: no error aborts the caller's transaction.
    """
    if connection.vendor != "postgresql":
        # SQLite runs one writer at a time: no twin can be in flight.
        taken = set(
            SalesOrder.objects.filter(
                shop_id__in={o.shop_id for o in orders}, number__in={o.number for o in orders}
            ).values_list("shop_id", "number")
        )
        new = [o for o in orders if (o.shop_id, o.number) not in taken]
        _insert(new)
        return {(o.shop_id, o.number): o.pk for o in new}
    sql, fields = _insert_sql(SalesOrder, len(orders), skip_conflicts=True)
    quote = connection.ops.quote_name
    sql += f", {quote('shop_id')}, {quote('number')}"
    params = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in orders for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(shop_id, number): pk for pk, shop_id, number in cursor.fetchall()}


@dataclass(frozen=True)
class ChannelOrderInput:
    """An order a channel sold, as an import gives it: the shop's order number, its lines
    and, when it is paid, the paid time."""

    shop: Shop
    number: str
    lines: Sequence[OrderLineInput]
    customer: Customer | None = None
    paid_at: datetime | None = None
    placed_at: datetime | None = None


@dataclass
class ChannelOrderOutcome:
    """What became of one order of a batch: placed (``order``), refused for its input
    (``error``), or ``taken``: another transaction placed its number while this one ran."""

    given: ChannelOrderInput
    order: SalesOrder | None = None
    error: OrderError | None = None
    taken: bool = False


def channel_orders_place(
    *, orders: Sequence[ChannelOrderInput], user: User = None
) -> list[ChannelOrderOutcome]:
    """Place a batch of channel orders in one transaction, so that all their reservations
    share one commit: durable, at the price of one flush for the batch. Return one outcome
    per order, in the order given.

    Each order is placed and allocated as ``order_place`` places a channel order, in
    paid-time order (then as given; unpaid orders last), as if placed one after another:
    short lines wait as backorders behind the lines paid before them, unmatched codes wait
    for their listing. Check first, then write, so no order needs a savepoint of its own: an
    order whose input is wrong (no number, an inactive SKU, no price…) is reported with its
    error and writes nothing; one whose number is taken (by another transaction, which the
    INSERT waits for, or earlier in the batch) is reported as ``taken`` and writes nothing.
    The writes are set-based: the orders in one INSERT, their lines in one, the reservations
    through inventory's ``stock_reserve_many`` (one INSERT, one UPDATE of the stock rows),
    the links in one — a thousand rows a statement; only an order that is short is
    allocated alone. The stock rows of the batch are locked first, per warehouse in SKU
    order (``stock_rows_lock``), so a batch never deadlocks with single orders or another
    batch; they stay locked until the batch commits.

    All or nothing with the caller's transaction: the import rolls it back when any order
    was reported; a caller that wants the good orders kept commits; one that wants smaller
    commits calls this once per chunk. Listings created for an unknown channel code stay,
    also for an order that was reported.
    """
    outcomes = [ChannelOrderOutcome(given) for given in orders]
    with transaction.atomic():
        # Resolve every code of the batch once, shop by shop: new listings are inserted in
        # (shop, code) order, so two batches never wait for each other's in a circle.
        shops = {given.shop.pk: given.shop for given in orders}
        resolved: dict[int, dict[str, SKU | None]] = {}
        for shop_id in sorted(shops):
            codes = set().union(
                *(_channel_codes(given.lines) for given in orders if given.shop.pk == shop_id)
            )
            resolved[shop_id] = _resolve_codes(shops[shop_id], codes) if codes else {}
        book = _batch_price_book(orders, resolved)
        built: dict[int, list[SalesOrderLine]] = {}
        for index, given in enumerate(orders):
            try:
                if not (given.number or "").strip():
                    _raise([_("A channel order needs the channel's order number.")])
                built[index] = _build_lines(
                    shop=given.shop,
                    customer=given.customer,
                    inputs=given.lines,
                    resolved=resolved[given.shop.pk],
                    on=_day_of(given.placed_at),
                    book=book,
                )
            except OrderError as error:
                outcomes[index].error = error
        components = _components(
            [line.sku for lines in built.values() for line in lines if line.sku is not None]
        )
        needed: dict[int, set[int]] = defaultdict(set)
        for index, lines in built.items():
            if orders[index].paid_at:
                needed[orders[index].shop.warehouse_id] |= {
                    sku.pk
                    for line in lines
                    if line.sku_id is not None
                    for sku, _q in components[line.sku_id]
                }
        for warehouse_id in sorted(needed):
            stock.stock_rows_lock(
                warehouse=Warehouse(pk=warehouse_id), sku_ids=needed[warehouse_id]
            )

        # Paid orders in paid-time order, as ``backorders_allocate`` serves waiting lines: when
        # stock runs short within the batch, the order paid first gets it.
        def paid_first(index: int) -> tuple:
            paid_at = orders[index].paid_at
            return (paid_at is None, paid_at.timestamp() if paid_at else 0, index)

        placed = _orders_write(
            [(index, orders[index], built[index]) for index in sorted(built, key=paid_first)],
            outcomes,
            user=user,
        )
        _batch_allocate(placed, components, user=user)
        inquiries_link_orders(
            order_ids=[order.pk for order, _lines in placed if order.customer_id is not None]
        )
    return outcomes


def _batch_price_book(
    orders: Sequence[ChannelOrderInput], resolved: Mapping[int, Mapping[str, SKU | None]]
) -> PriceBook | None:
    """Return the prices in effect of every line of the batch that needs one, over the days
    its orders were placed: one query for the whole batch; ``None`` when no line needs one."""
    skus: dict[int, SKU] = {}
    days: set[dt.date] = set()
    for given in orders:
        for line in given.lines:
            if not _needs_book(line):
                continue
            sku = line.sku or resolved[given.shop.pk].get((line.platform_code or "").strip())
            if sku is not None:
                skus[sku.pk] = sku
                days.add(_day_of(given.placed_at))
    if not skus:
        return None
    return PriceBook(skus.values(), first_day=min(days), last_day=max(days))


def _orders_write(
    batch: list[tuple[int, ChannelOrderInput, list[SalesOrderLine]]],
    outcomes: list[ChannelOrderOutcome],
    *,
    user: User,
) -> list[tuple[SalesOrder, list[SalesOrderLine]]]:
    """Insert the batch's orders, then their lines, a thousand rows a statement; mark the
    outcomes; return the orders written with their lines, in the batch's order.

    An order whose (shop, number) is taken — by another transaction, which the INSERT waits
    for, or earlier in the batch — is written nowhere and marked ``taken``.
    """
    created_by = user if user is not None and user.is_authenticated else None
    now = timezone.now()
    fresh, seen = [], set()
    for index, given, lines in batch:
        key = (given.shop.pk, given.number.strip())
        if key in seen:
            outcomes[index].taken = True
            continue
        seen.add(key)
        matched = all(line.sku_id is not None for line in lines)
        status = OrderStatus.PENDING_PAYMENT
        if given.paid_at:
            # Written as allocated when it will be; a line that has to wait sets it back.
            status = OrderStatus.ALLOCATED if matched else OrderStatus.PAID
        order = SalesOrder(
            shop=given.shop,
            number=key[1],
            source=OrderSource.CHANNEL,
            customer=given.customer,
            warehouse=given.shop.warehouse,
            status=status,
            placed_at=given.placed_at or now,
            paid_at=given.paid_at,
            created_by=created_by,
        )
        fresh.append((index, order, lines))
    written = []
    for start in range(0, len(fresh), ROWS_PER_STATEMENT):
        chunk = fresh[start : start + ROWS_PER_STATEMENT]
        ids = _insert_unless_taken_many([order for _i, order, _l in chunk])
        for index, order, lines in chunk:
            pk = ids.get((order.shop_id, order.number))
            if pk is None:
                outcomes[index].taken = True
                continue
            order.pk, order._state.adding, order._state.db = pk, False, connection.alias
            outcomes[index].order = order
            for line in lines:
                line.order = order
            written.append((order, lines))
    all_lines = [line for _order, lines in written for line in lines]
    for start in range(0, len(all_lines), ROWS_PER_STATEMENT):
        _insert(all_lines[start : start + ROWS_PER_STATEMENT])
    return written


def _batch_allocate(
    placed: list[tuple[SalesOrder, list[SalesOrderLine]]], components, *, user: User
) -> None:
    """Reserve the paid orders of a batch, in the order given (paid-time order).

    Inventory reserves as many orders as it can in a few statements
    (``stock_reserve_many``) and stops at the first one that is short; that order is
    allocated alone, line by line with its backorders (``_allocate``), exactly as it would
    be placed on its own, and the rest goes back to inventory. Orders placed in a batch are
    therefore served as if placed one after another, in the order given.
    """
    actor = user if user is not None and user.is_authenticated else None
    queues: dict[int, list[tuple[SalesOrder, list[SalesOrderLine], list[SalesOrderLine]]]]
    queues = defaultdict(list)
    for order, lines in placed:
        matched = [line for line in lines if line.sku_id is not None]
        if order.paid_at and matched:
            queues[order.warehouse_id].append((order, lines, matched))
    links: list[LineReservation] = []
    for warehouse_id in sorted(queues):
        queue, position = queues[warehouse_id], 0
        while position < len(queue):
            result = stock.stock_reserve_many(
                warehouse=queue[0][0].warehouse,
                requests=[
                    [
                        stock.StockLine(
                            line.sku, line.quantity, RESERVATION_REFERENCE, order.number
                        )
                        for line in matched
                    ]
                    for order, _lines, matched in queue[position:]
                ],
                user=actor,
            )
            for (_order, _lines, matched), reservations in zip(
                queue[position:], result.reservations, strict=False
            ):
                held = iter(reservations)
                links += [
                    LineReservation(line_id=line.pk, reservation_id=next(held).pk)
                    for line in matched
                    for _part in components[line.sku_id]
                ]
            if result.short is None:
                break
            order, lines, matched = queue[position + result.short]
            _allocate(order, matched, refuse=False, user=user)
            _settle_status(order, lines)
            position += result.short + 1
    for start in range(0, len(links), ROWS_PER_STATEMENT):
        _insert(links[start : start + ROWS_PER_STATEMENT])


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
