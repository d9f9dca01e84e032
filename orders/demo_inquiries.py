"""Demo inquiries (咨询) over the last six weeks, answered by the demo support agents.

About a third of them come from a buyer a few hours to two days before an order of the SKU
asked about: ``services.inquiries_link_orders`` links those to their orders, as it would
live. The rest are questions that did not turn into an order within the window (answered,
not ordered), anonymous visitors (a platform nickname instead of a customer), and recent
ones still waiting for follow-up (待跟进), some due today. Deterministic for a seed.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from orders import services
from orders.enums import ChannelKind, CustomerKind, InquiryOutcome, OrderStatus
from orders.models import Customer, Inquiry, SalesOrder, SalesOrderLine, Shop

WEEKS = 6
PER_DAY = 18  # inquiries a day across the shops (the small demo; more orders, more asked)

QUESTIONS = [
    "这款有现货吗？今天下单什么时候发货？",
    "尺码偏大还是偏小？平时穿 L 码选哪个？",
    "可以开增值税专用发票吗？",
    "和上一代比有什么区别？值得升级吗？",
    "现在有优惠券或者满减活动吗？",
    "保修多久？坏了是寄回还是上门？",
    "实物颜色和图片有色差吗？",
    "发顺丰吗？到上海大概几天？",
    "买两件能便宜一点吗？",
    "能不能备注送礼，不放发票和价格单？",
    "这个材质会不会起球、掉色？",
    "充电器是原装的吗？支持快充吗？",
    "新疆能发货吗？要加运费吗？",
    "七天无理由退货吗？拆封了还能退吗？",
    "有没有更大容量的版本？",
]
NOTES = ["", "", "", "已发店铺优惠券", "客户在比价", "到货后通知客户", "已推荐同款其他颜色"]
VISITORS = [
    "tb_小鱼儿88",
    "jd_用户7712",
    "抖音用户_晴天",
    "拼多多买家_阿杰",
    "tb_星星点灯",
    "jd_云朵朵",
    "抖音_夏天的风",
    "官网访客_0931",
]


def seed_inquiries(*, agents: list, seed: int = 42, now: dt.datetime | None = None) -> dict:
    """Write the demo inquiries unless some exist; return the rows created and linked."""
    if Inquiry.objects.exists() or not agents:
        return {}
    now = now or timezone.now()
    since = now - dt.timedelta(weeks=WEEKS)
    rng = random.Random(seed)
    orders = list(
        SalesOrder.objects.filter(
            placed_at__gte=since + dt.timedelta(days=2), customer__isnull=False
        )
        .exclude(status=OrderStatus.CANCELLED)
        .exclude(shop__channel__kind=ChannelKind.DISTRIBUTOR)
        .order_by("pk")
        .values_list("pk", "shop_id", "customer_id", "placed_at")
    )
    lines: dict[int, list[int]] = {}
    for order_id, sku_id in SalesOrderLine.objects.filter(
        order_id__in=[o[0] for o in orders], sku__isnull=False
    ).values_list("order_id", "sku_id"):
        lines.setdefault(order_id, []).append(sku_id)
    orders = [o for o in orders if o[0] in lines]
    shops = list(
        Shop.objects.exclude(channel__kind=ChannelKind.DISTRIBUTOR).values_list("pk", flat=True)
    )
    customers = list(
        Customer.objects.filter(kind=CustomerKind.RETAIL).values_list("pk", flat=True)[:2000]
    )
    sku_ids = sorted({sku for skus in lines.values() for sku in skus})
    if not (orders and shops and sku_ids):
        return {}
    total = PER_DAY * WEEKS * 7
    converting = rng.sample(orders, min(len(orders), total // 3))
    weights = [5, 3, 2][: len(agents)] + [1] * max(0, len(agents) - 3)
    rows: list[tuple[Inquiry, list[int]]] = []

    def agent():
        return rng.choices(agents, weights=weights)[0]

    for _order_id, shop_id, customer_id, placed_at in converting:
        asked_at = placed_at - dt.timedelta(minutes=rng.randint(20, 60 * 48))
        skus = [rng.choice(lines[_order_id])]
        rows.append(
            (
                Inquiry(
                    shop_id=shop_id,
                    customer_id=customer_id,
                    asked_at=asked_at,
                    agent=agent(),
                    question=rng.choice(QUESTIONS),
                    outcome=InquiryOutcome.ANSWERED,
                    note=rng.choice(NOTES),
                ),
                skus,
            )
        )
    today = timezone.localdate(now)
    for _n in range(total - len(converting)):
        asked_at = since + dt.timedelta(seconds=rng.randint(0, WEEKS * 7 * 86400))
        age = (now - asked_at).days
        visitor = rng.random() < 0.3 or not customers
        if age <= 3 and rng.random() < 0.6:
            outcome = InquiryOutcome.FOLLOW_UP
        else:
            outcome = rng.choice([InquiryOutcome.ANSWERED, InquiryOutcome.NOT_ORDERED])
        follow_up_on = None
        if outcome == InquiryOutcome.FOLLOW_UP:
            follow_up_on = min(
                today + dt.timedelta(days=2),
                timezone.localdate(asked_at) + dt.timedelta(days=rng.randint(1, 3)),
            )
        rows.append(
            (
                Inquiry(
                    shop_id=rng.choice(shops),
                    customer_id=None if visitor else rng.choice(customers),
                    visitor=rng.choice(VISITORS) if visitor else "",
                    asked_at=asked_at,
                    agent=agent(),
                    question=rng.choice(QUESTIONS),
                    outcome=outcome,
                    follow_up_on=follow_up_on,
                    note=rng.choice(NOTES),
                ),
                rng.sample(sku_ids, k=min(len(sku_ids), rng.choice([1, 1, 1, 2]))),
            )
        )
    with transaction.atomic():
        created = Inquiry.objects.bulk_create([inquiry for inquiry, _skus in rows], batch_size=1000)
        through = Inquiry.skus.through
        through.objects.bulk_create(
            [
                through(inquiry_id=inquiry.pk, sku_id=sku_id)
                for inquiry, (_i, skus) in zip(created, rows, strict=True)
                for sku_id in skus
            ],
            batch_size=2000,
        )
        linked = services.inquiries_link_orders()
    return {"inquiries": len(created), "inquiries linked to orders": linked}
