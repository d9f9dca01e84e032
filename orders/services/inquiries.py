"""Inquiries (咨询): recording one, and linking inquiries to the orders they turned into.

An inquiry is converted when the same customer places an order within
``ORDERS_INQUIRY_CONVERSION_DAYS`` after asking (the asking moment included) that holds at
least one of the SKUs asked about; the first such order (by placed time, then id) is
linked and the outcome set to ordered (已下单). Cancelled orders do not count. Linking is
one set-based UPDATE, called after orders are placed (``order_place``,
``channel_orders_place``) and by the periodic ``orders.inquiries_link_orders`` task for data
that comes in late (an inquiry typed in after the order, an order imported days later);
running it twice changes nothing. A linked inquiry stays linked (also when its order is
cancelled later); an anonymous visitor's inquiry is never linked.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from orders.enums import InquiryOutcome, OrderStatus
from orders.exceptions import InvalidOrderInput
from orders.models import Customer, Inquiry, SalesOrder, SalesOrderLine, Shop
from orders.services.shared import User


def _conversion_window() -> dt.timedelta:
    return dt.timedelta(days=settings.ORDERS_INQUIRY_CONVERSION_DAYS)


def _first_order():
    """The first order of the outer inquiry's customer within the window holding one of its
    SKUs: a correlated subquery (ids only)."""
    asked = Inquiry.skus.through.objects.filter(inquiry_id=OuterRef(OuterRef(OuterRef("pk"))))
    holds_sku = SalesOrderLine.objects.filter(
        order_id=OuterRef("pk"), sku_id__in=asked.values("sku_id")
    )
    return (
        SalesOrder.objects.filter(
            Exists(holds_sku),
            customer_id=OuterRef("customer_id"),
            placed_at__gte=OuterRef("asked_at"),
            placed_at__lte=OuterRef("asked_at") + _conversion_window(),
        )
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("placed_at", "pk")
        .values("pk")[:1]
    )


def inquiries_link_orders(
    *,
    order_ids: Iterable[int] | None = None,
    inquiry_ids: Iterable[int] | None = None,
) -> int:
    """Link every unlinked inquiry of a known customer to the first order it turned into and
    mark it ordered; return the inquiries linked. One UPDATE.

    ``order_ids`` limits the run to the customers of these orders (a placement's call),
    ``inquiry_ids`` to these inquiries (one just recorded); neither: every unlinked inquiry
    (the periodic run).
    """
    inquiries = Inquiry.objects.filter(order__isnull=True, customer__isnull=False)
    if order_ids is not None:
        order_ids = list(order_ids)
        if not order_ids:
            return 0
        inquiries = inquiries.filter(
            customer_id__in=SalesOrder.objects.filter(
                pk__in=order_ids, customer__isnull=False
            ).values("customer_id")
        )
    if inquiry_ids is not None:
        inquiries = inquiries.filter(pk__in=list(inquiry_ids))
    first = _first_order()
    return inquiries.filter(Exists(first)).update(
        order_id=Subquery(first), outcome=InquiryOutcome.ORDERED
    )


def inquiry_record(
    *,
    shop: Shop,
    question: str,
    customer: Customer | None = None,
    visitor: str = "",
    skus: Sequence[SKU] = (),
    outcome: str = InquiryOutcome.FOLLOW_UP,
    follow_up_on: dt.date | None = None,
    note: str = "",
    asked_at: dt.datetime | None = None,
    agent: User = None,
) -> Inquiry:
    """Record an inquiry answered by ``agent``; link it at once to an order its customer
    placed already within the window (an inquiry typed in late)."""
    problems = []
    visitor = (visitor or "").strip()
    question = (question or "").strip()
    if customer is None and not visitor:
        problems.append(_("Name the customer or the visitor's handle."))
    if not question:
        problems.append(_("Say what the customer asked."))
    if outcome not in InquiryOutcome.values:
        problems.append(_("%(value)s is not an inquiry outcome.") % {"value": outcome})
    elif outcome == InquiryOutcome.FOLLOW_UP and follow_up_on is None:
        follow_up_on = timezone.localdate() + dt.timedelta(days=1)
    now = timezone.now()
    if asked_at is not None and asked_at > now + dt.timedelta(minutes=5):
        problems.append(_("The inquiry cannot be asked in the future."))
    if problems:
        raise InvalidOrderInput(problems)
    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            shop=shop,
            customer=customer,
            visitor="" if customer is not None else visitor,
            question=question[:300],
            outcome=outcome,
            follow_up_on=follow_up_on if outcome == InquiryOutcome.FOLLOW_UP else None,
            note=(note or "").strip()[:300],
            asked_at=asked_at or now,
            agent=agent if agent is not None and agent.is_authenticated else None,
        )
        if skus:
            inquiry.skus.set(skus)
            if customer is not None:
                inquiries_link_orders(inquiry_ids=[inquiry.pk])
                inquiry.refresh_from_db(fields=["order", "outcome"])
    return inquiry
