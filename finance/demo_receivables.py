"""Receivables of the demo (``finance.demo`` part): the distributors' orders were sold on
credit; each shipped one is invoiced the day it shipped, most are paid around their due date,
some partly or late, a few not at all — so the ageing page has figures in every bucket —, a
distributor's return is credited, and one new order waits on credit hold.

Deterministic for a seed: the payment dates and fates come from ``random.Random(seed)``.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from finance.enums import AgeingBucket
from finance.models import CreditNote, CustomerPayment, Invoice
from finance.selectors.receivables import ageing_bucket
from finance.services import receivables
from orders import services as order_services
from orders.enums import (
    CustomerKind,
    OrderSource,
    OrderStatus,
    ReturnDisposition,
    ReturnReason,
)
from orders.models import Customer, SalesOrder, Shop
from orders.selectors import credit_exposure

# Terms for a demo distributor that has none.
DEFAULT_LIMIT, DEFAULT_DAYS = Decimal("100000.00"), 30
CENT = Decimal("0.01")


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _distributors() -> list[Customer]:
    distributors = list(Customer.objects.filter(kind=CustomerKind.DISTRIBUTOR).order_by("code"))
    for customer in distributors:
        if customer.credit_limit is None or customer.payment_days is None:
            customer.credit_limit = customer.credit_limit or DEFAULT_LIMIT
            customer.payment_days = customer.payment_days or DEFAULT_DAYS
            customer.save(update_fields=["credit_limit", "payment_days"])
    return distributors


def _credit_note(invoices: list[Invoice], today: dt.date) -> int:
    """A damaged unit of a distributor's recent invoiced order comes back and is credited."""
    for invoice in sorted(invoices, key=lambda i: (-i.issued_on.toordinal(), i.pk)):
        order = invoice.order
        line = order.lines.filter(shipped_quantity__gt=0).order_by("line_no").first()
        returnable = order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        if line is None or not returnable or order.returns.exists():
            continue
        rma = order_services.return_create(
            order=order,
            lines=[
                order_services.ReturnLineInput(
                    order_line=line,
                    quantity=1,
                    reason=ReturnReason.DAMAGED,
                    disposition=ReturnDisposition.SCRAP,
                    refund_amount=line.unit_price,
                )
            ],
            note=_("Damaged in transit"),
        )
        receivables.credit_note_from_return(rma=rma, issued_on=today)
        return 1
    return 0


def _plan(invoices: list[Invoice], today: dt.date, rng: random.Random) -> dict[int, str]:
    """Decide each invoice's fate: ``paid``, ``partial`` or ``open``; then make sure every
    overdue bucket keeps something outstanding."""
    fates: dict[int, str] = {}
    for invoice in invoices:
        late = (today - invoice.due_on).days
        draw = rng.random()
        if late <= 0:
            fates[invoice.pk] = "partial" if draw < 0.25 else "open"
        elif late > 120:
            fates[invoice.pk] = "paid" if draw < 0.9 else ("partial" if draw < 0.95 else "open")
        else:
            fates[invoice.pk] = "paid" if draw < 0.65 else ("partial" if draw < 0.85 else "open")
    for bucket in list(AgeingBucket)[1:]:
        inside = [i for i in invoices if ageing_bucket(i.due_on, today) == bucket]
        if inside and all(fates[i.pk] == "paid" for i in inside):
            fates[inside[-1].pk] = "partial" if bucket != AgeingBucket.OVER_90 else "open"
    return fates


def _pay(invoices: list[Invoice], fates, today: dt.date, rng: random.Random, user) -> int:
    payments = 0
    for invoice in invoices:
        fate = fates[invoice.pk]
        if fate == "open":
            continue
        paid, credited = receivables.invoice_settled(invoice)
        outstanding = invoice.amount - paid - credited
        amount = outstanding if fate == "paid" else (outstanding / 2).quantize(CENT)
        if amount <= 0:
            continue
        if fate == "paid":
            received = invoice.due_on + dt.timedelta(days=rng.randint(-12, 8))
        else:
            received = invoice.issued_on + dt.timedelta(days=rng.randint(3, 20))
        received = min(max(received, invoice.issued_on), today)
        receivables.payment_record(
            invoice=invoice,
            amount=amount,
            received_on=received,
            reference=f"BK{received:%Y%m%d}{invoice.pk:05d}",
            user=user,
        )
        payments += 1
    return payments


def _credit_hold(distributors: list[Customer]) -> int:
    """An order of the distributor closest to its limit that takes it past the limit."""
    with_limit = [c for c in distributors if c.credit_limit is not None]
    shop = Shop.objects.filter(channel__kind="distributor").order_by("code").first()
    if not with_limit or shop is None:
        return 0
    customer = min(with_limit, key=lambda c: (c.credit_limit - credit_exposure(c), c.code))
    headroom = max(customer.credit_limit - credit_exposure(customer), Decimal("0.00"))
    # A dozen or so units of the dearest SKU that fits a tenth of the headroom.
    sku = (
        SKU.objects.filter(
            is_active=True,
            is_bundle=False,
            distribution_price__gt=0,
            distribution_price__lte=max(headroom / 10, Decimal("1.00")),
        )
        .order_by("-distribution_price", "code")
        .first()
    )
    if sku is None:
        return 0
    quantity = int(headroom // sku.distribution_price) + 1
    order = order_services.order_place(
        shop=shop,
        customer=customer,
        source=OrderSource.STAFF,
        lines=[
            order_services.OrderLineInput(
                quantity=quantity, sku=sku, unit_price=sku.distribution_price
            )
        ],
        note=_("Restock before the holiday season"),
    )
    return int(order.status == OrderStatus.CREDIT_HOLD)


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    if Invoice.objects.exists():
        _say(stdout, _("Invoices exist already: demo receivables skipped."))
        return {}
    distributors = _distributors()
    if not distributors:
        return {}
    today = timezone.localdate()
    rng = random.Random(seed)
    user = None
    with transaction.atomic():
        # The distributors' orders went out on credit (released, not paid up front).
        SalesOrder.objects.filter(customer__in=distributors, paid_at__isnull=False).exclude(
            status__in=[OrderStatus.CANCELLED, OrderStatus.CREDIT_HOLD]
        ).update(on_credit=True)
        invoices = receivables.invoices_issue(on=today)
        invoices = list(
            Invoice.objects.filter(pk__in=[i.pk for i in invoices])
            .select_related("order")
            .order_by("issued_on", "pk")
        )
        notes = _credit_note(invoices, today)
        payments = _pay(invoices, _plan(invoices, today, rng), today, rng, user)
        holds = _credit_hold(distributors)
    return {
        "invoices": len(invoices),
        "customer payments": payments,
        "credit notes": notes,
        "orders on credit hold": holds,
    }


def demo_reset() -> None:
    for model in (CreditNote, CustomerPayment, Invoice):
        model.objects.all().delete()
