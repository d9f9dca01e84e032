"""Demo reviews (点评): the real olist reviews of the orders the demo history came from.

Each olist review scores a whole order; the demo gives its score to every line of the
sales order built from that order (``orders.demo``), dated as the review was, shifted as the
history was. Only orders the buyer has received are reviewed. The scores are the real ones,
so their distribution is the data's. The real comments are Portuguese: a review that had one
gets a typical Chinese comment of its score instead (chosen by the review id, so it is stable);
one that had none stays without text, as most reviews are.
"""

import csv
import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from orders.enums import OrderStatus, ReviewSource
from orders.models import Review, SalesOrder, SalesOrderLine

OLIST_REVIEWS = Path("olist-sample") / "olist_order_reviews_dataset.csv"
RECEIVED = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)

COMMENTS = {
    5: (
        "物流很快，质量不错，好评！",
        "东西收到了，和描述的一样，很满意。",
        "包装完好，做工精细，下次还会回购。",
        "性价比很高，客服态度也好。",
        "比预期的还要好，推荐购买。",
        "第二次购买了，一如既往的好。",
    ),
    4: (
        "整体不错，就是物流稍微慢了一点。",
        "质量还可以，价格实惠。",
        "挺好的，包装可以再结实一些。",
        "和图片基本一致，满意。",
    ),
    3: (
        "一般般，对得起这个价格。",
        "东西还行，发货有点慢。",
        "中规中矩，没有想象中好。",
        "收到的颜色和图片有点差别。",
    ),
    2: (
        "质量一般，用了几天就有问题了。",
        "等了很久才到货，有点失望。",
        "做工比较粗糙，不太满意。",
    ),
    1: (
        "质量差，和描述不符。",
        "到现在还没收到货，联系客服也没回复。",
        "收到就是坏的，要求退货。",
        "发错货了，非常失望。",
        "买了两件只到了一件，差评。",
    ),
}


def _comment(review_id: str, score: int) -> str:
    choices = COMMENTS[score]
    return choices[
        int(hashlib.sha1(review_id.encode(), usedforsecurity=False).hexdigest()[:8], 16)
        % len(choices)
    ]


def seed_reviews(*, olist_of: dict[str, dict], orders: dict[str, SalesOrder], shift) -> int:
    """Create the reviews of the demo history; ``olist_of`` maps our order numbers to their
    olist order rows, ``orders`` our order numbers to the saved orders, ``shift`` is the time
    the history was moved by. Return the number of reviews created."""
    number_of = {row["order_id"]: number for number, row in olist_of.items()}
    received = {number: order for number, order in orders.items() if order.status in RECEIVED}
    lines_of: dict[int, list[SalesOrderLine]] = {}
    for line in SalesOrderLine.objects.filter(
        order_id__in=[order.pk for order in received.values()]
    ).order_by("order_id", "line_no"):
        lines_of.setdefault(line.order_id, []).append(line)
    now = timezone.now()
    reviews, seen = [], set()
    path = Path(settings.DATA_DIR) / OLIST_REVIEWS
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            order = received.get(number_of.get(row["order_id"], ""))
            if order is None or order.pk in seen or not row["review_creation_date"]:
                continue
            seen.add(order.pk)  # olist holds a few second reviews of an order: keep the first
            score = int(row["review_score"])
            written = dt.datetime.fromisoformat(row["review_creation_date"]) + shift
            written = timezone.make_aware(written) + dt.timedelta(hours=20)
            # A review follows the delivery and is never in the future.
            written = min(max(written, order.delivered_at), now)
            text = _comment(row["review_id"], score) if row["review_comment_message"] else ""
            reviews += [
                Review(
                    line=line,
                    score=score,
                    text=text,
                    reviewed_at=written,
                    source=ReviewSource.IMPORT,
                )
                for line in lines_of.get(order.pk, [])
            ]
    Review.objects.bulk_create(reviews, batch_size=2000)
    return len(reviews)
