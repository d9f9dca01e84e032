"""Finance's payables demo: supplier bills for the demo's receipts, approved and paid in full
or in part, a few drafts awaiting approval, some overdue for the ageing, a few orders left
to bill, and exactly one three-way mismatch (a draft billing two units more than were
accepted, 5 % above the PO unit cost), so the bill page has a difference to show.

Bills go through ``finance.services``; dates follow the receipts (bill a few days after the
goods came, pay within the supplier's terms or not yet). Deterministic for a seed.
"""

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import money
from finance import services
from finance.matching import unbilled_lines
from finance.models import SupplierBill, SupplierBillLine, SupplierPayment
from purchasing.models import PurchaseOrder

# The finance clerk of the demo approves and pays; the staff demo makes the same user
# (``staff.services.demo_users_create``) and keeps it.
APPROVER = "finance"
# Every seventh order with receipts is left unbilled: "orders to bill" has rows.
UNBILLED_EVERY = 7
MISMATCH_EXTRA_UNITS = 2
MISMATCH_PRICE = Decimal("1.05")


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _approver() -> User:
    user, created = User.objects.get_or_create(
        username=APPROVER, defaults={"is_staff": True, "email": f"{APPROVER}@jingxi.local"}
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    group = Group.objects.filter(name=APPROVER).first()  # made by migrate (staff roles)
    if group is not None:
        user.groups.add(group)
    return User.objects.get(pk=user.pk)  # fresh: no permission cache from before the group


def _mismatch(order: PurchaseOrder, number: str, billed_on: dt.date) -> SupplierBill | None:
    """Bill the first unbilled line 2 units above what was accepted, 5 % dear; the other
    lines as received."""
    lines = [line for line in unbilled_lines(order) if line.accepted > line.billed]
    if not lines:
        return None
    first, *rest = lines
    bill_lines = [
        services.BillLineInput(
            first,
            first.accepted - first.billed + MISMATCH_EXTRA_UNITS,
            money(first.unit_cost * MISMATCH_PRICE),
        ),
        *(
            services.BillLineInput(line, line.accepted - line.billed, line.unit_cost)
            for line in rest
        ),
    ]
    return services.bill_create(
        purchase_order=order, number=number, billed_on=billed_on, lines=bill_lines
    )


def seed_payables(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    """Bill the demo's receipts unless a bill exists."""
    if SupplierBill.objects.exists():
        _say(stdout, _("Supplier bills exist already: demo payables skipped."))
        return {}
    orders = list(
        PurchaseOrder.objects.filter(receipts__isnull=False)
        .annotate(last_received=Max("receipts__received_at"))
        .select_related("supplier")
        .order_by("pk")
        .distinct()
    )
    if not orders:
        return {}
    rng = random.Random(seed)
    today = timezone.localdate()
    counts: Counter = Counter()
    with transaction.atomic():
        approver = _approver()
        mismatch_made = False
        for index, order in enumerate(orders):
            if index % UNBILLED_EVERY == UNBILLED_EVERY - 1:
                counts["orders left to bill"] += 1
                continue
            received_on = timezone.localtime(order.last_received).date()
            billed_on = min(received_on + dt.timedelta(days=rng.randint(0, 4)), today)
            number = f"FP{billed_on:%Y%m%d}{order.pk:05d}"
            if not mismatch_made:
                mismatch_made = _mismatch(order, number, billed_on) is not None
                counts["three-way mismatches"] += int(mismatch_made)
                continue
            bill = services.bill_draft_from_receipts(
                purchase_order=order, number=number, billed_on=billed_on
            )
            counts["supplier bills"] += 1
            fate = counts["supplier bills"] % 5
            if fate == 2:  # waits for finance
                counts["bills awaiting approval"] += 1
                continue
            services.bill_approve(bill=bill, user=approver)
            terms = order.supplier.payment_terms_days
            paid_on = min(billed_on + dt.timedelta(days=rng.randint(3, terms)), today)
            if fate in (0, 3):
                amount = bill.amount
            elif fate == 1:
                amount = money(bill.amount * Decimal(rng.randint(30, 70)) / 100)
            else:
                amount = Decimal(0)
            if amount > 0:
                services.supplier_payment_record(
                    bill=bill, amount=amount, paid_on=paid_on, reference=f"BANK-{bill.pk:06d}",
                    user=approver,
                )  # fmt: skip
                counts["supplier payments"] += 1
            if amount < bill.amount and bill.due_on < today:
                counts["overdue bills"] += 1
    counts["supplier bills"] += counts["three-way mismatches"]
    _say(stdout, _("  Supplier bills and payments"))
    return dict(counts)


def payables_reset() -> None:
    with transaction.atomic():
        SupplierPayment.objects.all().delete()
        SupplierBillLine.objects.all().delete()
        SupplierBill.objects.all().delete()


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    return seed_payables(scale=scale, seed=seed, stdout=stdout)


def demo_reset() -> None:
    payables_reset()
