"""Demo visitors (访客数) per shop and day, over the demo's orders of the last 400 days.

Each platform shop gets a daily visitor count that its own orders could have come from: the
day's orders over a conversion rate typical of its channel (1–2.5 %, a little noise, a
little higher at weekends), smoothed towards the shop's usual day so that a day without an
order still has visitors. The visitors follow the demo's order volume (a few hundred a day
across the shops at the small scale), so that the conversion stays believable. The
distributors' desk has no storefront and so no visitors: the KPI page shows its GMV from
orders. Deterministic for a seed.
"""

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import SalesOrder, Shop, ShopTraffic

DAYS = 400
# Typical order conversion of a shop's visitors, by channel code; the desk has no visitors.
CONVERSION = {"TMALL": 0.018, "JD": 0.022, "PDD": 0.025, "DOUYIN": 0.013, "WEB": 0.014}


def seed_traffic(*, seed: int = 42, today: dt.date | None = None) -> dict[str, int]:
    """Write the demo shops' visitors unless some exist; return the rows created."""
    if ShopTraffic.objects.exists():
        return {}
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=DAYS - 1)
    tz = timezone.get_current_timezone()
    shops = [s for s in Shop.objects.select_related("channel") if s.channel.code in CONVERSION]
    if not shops:
        return {}
    since = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    orders: dict[tuple[int, dt.date], int] = defaultdict(int)
    for shop_id, day, count in (
        SalesOrder.objects.filter(shop__in=shops, paid_at__gte=since)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("shop_id", "day")
        .annotate(n=Count("pk"))
        .values_list("shop_id", "day", "n")
    ):
        orders[shop_id, day] = count
    if not orders:
        return {}
    # From the history's first day: a shop has no visitors before it sells.
    start = min(day for _shop, day in orders)
    days = (today - start).days + 1
    rng = random.Random(seed)
    rows = []
    for shop in shops:
        usual = max(sum(n for (s, _d), n in orders.items() if s == shop.pk) / days, 0.2)
        base = CONVERSION[shop.channel.code]
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            weekend = 1.15 if day.weekday() >= 5 else 1.0
            conversion = base * weekend * rng.uniform(0.85, 1.15)
            expected = 0.6 * orders.get((shop.pk, day), 0) + 0.4 * usual
            rows.append(
                ShopTraffic(shop=shop, day=day, visitors=max(15, round(expected / conversion)))
            )
    with transaction.atomic():
        ShopTraffic.objects.bulk_create(rows, batch_size=2000)
    return {"shop traffic days": len(rows)}
