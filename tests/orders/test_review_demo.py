"""Demo reviews: the real olist scores of the demo orders that came from olist orders, with
Chinese comments instead of the Portuguese ones."""

import csv
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from orders.demo import OrderLoader
from orders.demo_reviews import COMMENTS, OLIST_REVIEWS, RECEIVED
from orders.models import Review
from tests.orders.test_demo import demo  # noqa: F401 - a class-scoped fixture


@pytest.mark.usefixtures("db")
class TestDemoReviews:
    def test_each_received_olist_order_keeps_its_real_score_in_chinese(self, demo):  # noqa: F811
        counts, _ships, _out = demo
        with (Path(settings.DATA_DIR) / OLIST_REVIEWS).open(encoding="utf-8") as handle:
            first = {}
            for row in csv.DictReader(handle):
                first.setdefault(row["order_id"], row)
        reviews = list(Review.objects.select_related("line__order"))
        assert counts["reviews"] == len(reviews) > 10
        chinese = {text for texts in COMMENTS.values() for text in texts}
        now = timezone.now()
        loader = OrderLoader(seed=42, stdout=None)
        loader.read_olist()
        for review in reviews:
            olist = first[loader.orders[review.line.order.number]["order_id"]]
            assert review.score == int(olist["review_score"])
            assert review.text in chinese | {""}
            assert bool(review.text) == bool(olist["review_comment_message"])
            assert review.line.order.status in RECEIVED
            assert review.line.order.delivered_at <= review.reviewed_at <= now
