"""Finance's demo of price history (调价记录): a few SKUs whose retail, distribution and cost
prices changed over the demo's year, saved the way an edit in the admin saves them (one SKU
history record per change, with its date and reason), so the price-change page has real rows.

The catalog demo writes each SKU once, with the prices it has now. Here a SKU's launch record
is moved back to its launch day with the prices it launched at, then each change is saved on
its day, the last one landing on today's prices: the SKU ends as it was. A retail or
distribution change is dated before the SKU's first sale, so no demo order line contradicts
the history; cost changes (a supplier's new price) may fall on any day.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.demo import charm_price_cents
from catalog.models import SKU
from catalog.money import money
from orders.models import SalesOrderLine

SKUS_BY_SCALE = {"tiny": 8, "small": 30, "medium": 60, "large": 100}
HISTORY_DAYS = 330
# field, reason, who (a demo user's name), the old price as a factor of the new one.
CHANGES = (
    ("retail_price", "促销结束恢复原价", "merchandiser", (0.85, 0.92)),
    ("retail_price", "竞品跟价下调", "merchandiser", (1.06, 1.15)),
    ("distribution_price", "分销价年度调整", "merchandiser", (0.95, 0.98)),
    ("cost_price", "供应商年度涨价", "purchaser", (0.93, 0.97)),
    ("cost_price", "采购降本（换供应商）", "purchaser", (1.04, 1.10)),
)
REASONS = {reason for _f, reason, _w, _r in CHANGES}


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _old_price(field: str, new: Decimal, factor: float) -> Decimal:
    if field == "retail_price":  # shelf prices are charm prices: ¥39.90, ¥129
        return Decimal(charm_price_cents(float(new) * factor)) / 100
    return money(new * Decimal(str(round(factor, 4))))


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    history = SKU.history.model
    if history.objects.filter(history_change_reason__in=REASONS).exists():
        _say(stdout, _("Price changes exist already: demo price history skipped."))
        return {}
    rng = random.Random(seed)
    now = timezone.now()
    first_sale = dict(
        SalesOrderLine.objects.filter(sku__isnull=False)
        .values("sku")
        .annotate(first=Min("order__placed_at"))
        .values_list("sku", "first")
    )
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["merchandiser", "purchaser"])
    }
    candidates = list(
        SKU.objects.filter(
            is_active=True,
            is_bundle=False,
            retail_price__gt=0,
            distribution_price__gt=0,
            cost_price__gt=0,
        ).order_by("code")
    )
    chosen = rng.sample(candidates, min(SKUS_BY_SCALE.get(scale, 30), len(candidates)))
    changes = 0
    for sku in sorted(chosen, key=lambda s: s.code):
        launched = max(sku.created_at, now - dt.timedelta(days=HISTORY_DAYS))
        sold = first_sale.get(sku.pk, now)
        events = []
        for _n in range(rng.randint(1, 3)):
            field, reason, who, (low, high) = rng.choice(CHANGES)
            latest = now if field == "cost_price" else min(sold, now)
            span = (latest - launched).total_seconds() - 86400 * 2
            if span <= 0:
                continue
            when = launched + dt.timedelta(days=1, seconds=rng.uniform(0, span))
            events.append((when, field, reason, who, rng.uniform(low, high)))
        if not events:
            continue
        events.sort(key=lambda event: event[0])
        # Walk back from today's prices: each change's old price is the state before it.
        states = [
            {f: getattr(sku, f) for f in ("retail_price", "distribution_price", "cost_price")}
        ]
        for _when, field, _reason, _who, factor in reversed(events):
            before = dict(states[0])
            before[field] = _old_price(field, before[field], factor)
            states.insert(0, before)
        launch = history.objects.filter(id=sku.pk, history_type="+")
        if not launch.update(history_date=launched, **states[0]):
            for field, value in states[0].items():
                setattr(sku, field, value)
            sku._history_date, sku._change_reason = launched, "上市定价"
            sku.save()
        for (when, _field, reason, who, _factor), state in zip(events, states[1:], strict=True):
            for field, value in state.items():
                setattr(sku, field, value)
            sku._history_date = when
            sku._history_user = users.get(who)
            sku._change_reason = reason
            sku.save()
            changes += 1
    _say(stdout, "  " + _("%(count)d price changes in the history") % {"count": changes})
    return {"price changes": changes}


def demo_reset() -> None:
    """Nothing of its own: the price history goes with the catalog's reset."""
