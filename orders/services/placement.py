"""Placing orders and recording their payment."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory.models import Warehouse
from orders.enums import (
    OrderSource,
    OrderStatus,
    PriceType,
)
from orders.models import (
    Customer,
    SalesOrder,
    SalesOrderLine,
    Shop,
)
from orders.services.allocation import _allocate, _settle_status
from orders.services.listings import _resolve_codes
from orders.services.shared import (
    ZERO,
    User,
    _insert,
    _money,
    _raise,
    _transition,
    _whole,
)

DEADLOCK_DETECTED = "40P01"


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
