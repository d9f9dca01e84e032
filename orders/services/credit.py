"""Credit terms (赊销): a credit customer's orders go out before they are paid, up to its
credit limit; an order that would pass the limit waits on credit hold for finance.

A customer buys on credit when it has a credit limit or payment terms. Its staff orders,
and its channel orders that come unpaid, are placed ``on_credit``: released for fulfilment
at once (``paid_at`` is the release time) unless the customer's exposure — Σ (total −
``credit_settled``) over its released credit orders that are not cancelled, plus this order —
would exceed its credit limit; then the order is written as ``CREDIT_HOLD`` and reserves
nothing until finance releases it (``order_credit_release``) or it is cancelled. Finance
records what it received or credited against an order through ``order_credit_settle``:
orders never read finance.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import money
from orders.enums import OrderSource, OrderStatus
from orders.exceptions import InvalidOrderInput
from orders.models import Customer, SalesOrder, SalesOrderLine
from orders.selectors import credit_exposure
from orders.services.allocation import _allocate, _settle_status
from orders.services.shared import User, _locked, _transition


def buys_on_credit(customer: Customer | None) -> bool:
    """Whether ``customer`` has credit terms (a credit limit or payment days)."""
    return customer is not None and (
        customer.credit_limit is not None or customer.payment_days is not None
    )


@dataclass(frozen=True)
class CreditDecision:
    """How an order is placed: ``on_credit``, ``held`` past the limit, and its paid time."""

    on_credit: bool
    held: bool
    paid_at: datetime | None


def _credit_decide(
    *,
    customer: Customer | None,
    lines: list[SalesOrderLine],
    paid_at: datetime | None,
    source: str,
) -> CreditDecision:
    """Decide how an order of ``lines`` is placed; called inside the placing transaction.

    A credit customer's staff order is always on credit (a "paid" tick cannot bypass the
    limit); a channel order is on credit only when it comes unpaid (a platform collects
    the money of the orders it sells).

    The customer's row is locked first, so two orders of one customer placed at once are
    decided one after the other: both cannot slip under the limit together.
    """
    if not buys_on_credit(customer) or (source != OrderSource.STAFF and paid_at is not None):
        return CreditDecision(on_credit=False, held=False, paid_at=paid_at)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.credit_limit is not None:
        amount = sum((line.amount for line in lines), Decimal("0.00"))
        if credit_exposure(locked) + amount > locked.credit_limit:
            return CreditDecision(on_credit=True, held=True, paid_at=None)
    return CreditDecision(on_credit=True, held=False, paid_at=timezone.now())


def order_credit_release(*, order: SalesOrder, user: User = None) -> SalesOrder:
    """Release an order on credit hold past the customer's limit (finance's decision): it is
    then paid on credit and reserves its stock; short lines wait as backorders."""
    with transaction.atomic():
        order = _transition(order, [OrderStatus.CREDIT_HOLD], _("released from credit hold"))
        order.status, order.paid_at = OrderStatus.PAID, timezone.now()
        order.save(update_fields=["status", "paid_at"])
        lines = list(order.lines.select_related("sku"))
        _allocate(order, lines, refuse=False, user=user)
        _settle_status(order, lines)
    return order


def order_credit_settle(*, order: SalesOrder, amount: Decimal) -> SalesOrder:
    """Record that ``amount`` in all has been received or credited against a credit order
    (finance: its invoice's payments and credit notes). Between zero and the order's total."""
    with transaction.atomic():
        order = _locked(order)
        total = money(sum((line.amount for line in order.lines.all()), Decimal("0")))
        if not order.on_credit:
            raise InvalidOrderInput(
                [_("Order %(number)s is not on credit.") % {"number": order.number}]
            )
        if not isinstance(amount, Decimal) or amount < 0 or amount > total:
            raise InvalidOrderInput(
                [
                    _("Order %(number)s: settled %(amount)s must be between 0 and %(total)s.")
                    % {"number": order.number, "amount": amount, "total": total}
                ]
            )
        order.credit_settled = money(amount)
        order.save(update_fields=["credit_settled"])
    return order
