"""Reads of reviews (点评): average score, count and distribution per product and SKU, the
products flagged for a low average, and the latest texts. Each is one grouped query.

A product is flagged when its average score is below ``ORDERS_REVIEW_FLAG_SCORE`` over at
least ``ORDERS_REVIEW_FLAG_MIN_COUNT`` reviews: a low average from one or two buyers says
little, so it waits for more.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Cast

from orders.models import Review

SCORES = (1, 2, 3, 4, 5)


@dataclass
class ReviewStats:
    """The reviews of one product or SKU."""

    count: int = 0
    total: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def flagged(self) -> bool:
        return is_flagged(self.average, self.count)

    @property
    def bars(self) -> list[tuple[int, int, float]]:
        """(score, count, share of the reviews) from 5 down to 1, for the distribution bars."""
        return (
            [
                (score, self.distribution[score], self.distribution[score] / self.count)
                for score in reversed(SCORES)
            ]
            if self.count
            else []
        )


def is_flagged(average: float | None, count: int) -> bool:
    """Return whether a product with this average over ``count`` reviews is flagged."""
    return (
        average is not None
        and count >= settings.ORDERS_REVIEW_FLAG_MIN_COUNT
        and average < settings.ORDERS_REVIEW_FLAG_SCORE
    )


def _distribution_columns() -> dict:
    return {f"s{score}": Count("pk", filter=Q(score=score)) for score in SCORES}


def _stats_by(key: str, ids: Iterable[int]) -> dict[int, ReviewStats]:
    rows = (
        Review.objects.filter(**{f"{key}__in": list(ids)})
        .values(key)
        .annotate(count=Count("pk"), total=Sum("score"), **_distribution_columns())
        .order_by()
    )
    return {
        row[key]: ReviewStats(
            count=row["count"],
            total=row["total"],
            distribution={score: row[f"s{score}"] for score in SCORES},
        )
        for row in rows
    }


def product_review_stats(product_ids: Iterable[int]) -> dict[int, ReviewStats]:
    """Return the review figures of each product that has reviews; one query."""
    return _stats_by("line__sku__product_id", product_ids)


def sku_review_stats(sku_ids: Iterable[int]) -> dict[int, ReviewStats]:
    """Return the review figures of each SKU that has reviews; one query."""
    return _stats_by("line__sku_id", sku_ids)


def latest_reviews(product_id: int, *, limit: int = 5) -> list[Review]:
    """Return the product's latest reviews that have a text, newest first; one query."""
    return list(
        Review.objects.filter(line__sku__product_id=product_id)
        .exclude(text="")
        .select_related("line__sku", "line__order")
        .order_by("-reviewed_at", "-pk")[:limit]
    )


def product_reviews(*, query: str = "", flagged_only: bool = False):
    """Return one row per reviewed product (id, code, name, count, average, flagged), the
    flagged ones first, then by average (lowest first) and code: a grouped query."""
    threshold = settings.ORDERS_REVIEW_FLAG_SCORE
    minimum = settings.ORDERS_REVIEW_FLAG_MIN_COUNT
    rows = Review.objects.filter(line__sku__isnull=False)
    if query:
        rows = rows.filter(
            Q(line__sku__product__code__icontains=query)
            | Q(line__sku__product__name__icontains=query)
        )
    rows = (
        rows.values(
            product_id=F("line__sku__product_id"),
            code=F("line__sku__product__code"),
            name=F("line__sku__product__name"),
        )
        .annotate(
            count=Count("pk"),
            average=Avg(Cast("score", FloatField())),
            **_distribution_columns(),
        )
        .annotate(
            flagged=Case(
                When(Q(count__gte=minimum) & Q(average__lt=threshold), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-flagged", "average", "code")
    )
    if flagged_only:
        rows = rows.filter(flagged=1)
    return rows


def flagged_products():
    """Return the flagged products (see ``product_reviews``), lowest average first."""
    return product_reviews(flagged_only=True)
