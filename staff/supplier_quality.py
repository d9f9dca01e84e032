"""The quality signal of the supplier scorecard: the average review score (点评) of the SKUs a
supplier offers.

Purchasing keeps the scorecard (delivery, fill and acceptance rates) and must not read
orders, where the reviews are; this module sits above both and joins them: the suppliers'
SKUs from purchasing's offers, their review figures from orders. A review counts once for
each supplier offering its SKU (who made that unit is not recorded per sale).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from orders import reviews as review_selectors
from purchasing import selectors as purchasing_selectors
from purchasing.models import Supplier


@dataclass
class SupplierQuality:
    supplier: Supplier
    count: int = 0
    total: int = 0
    flagged_products: set[int] = field(default_factory=set)

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


def supplier_review_quality(supplier_ids: list[int] | None = None) -> list[SupplierQuality]:
    """Return the suppliers whose SKUs have reviews, lowest average first, each with its
    average score, review count and flagged products; three queries whatever the size."""
    pairs = purchasing_selectors.offered_skus(supplier_ids)
    stats = review_selectors.sku_review_stats({sku_id for _s, sku_id, _p in pairs})
    products_of: dict[int, set[int]] = defaultdict(set)
    cards: dict[int, SupplierQuality] = {}
    for supplier_id, sku_id, product_id in pairs:
        figures = stats.get(sku_id)
        if figures is None:
            continue
        card = cards.setdefault(supplier_id, SupplierQuality(supplier=None))
        card.count += figures.count
        card.total += figures.total
        products_of[supplier_id].add(product_id)
    if not cards:
        return []
    flagged = {row["product_id"] for row in review_selectors.flagged_products()}
    for supplier in Supplier.objects.filter(pk__in=cards):
        cards[supplier.pk].supplier = supplier
        cards[supplier.pk].flagged_products = products_of[supplier.pk] & flagged
    return sorted(cards.values(), key=lambda card: (card.average, card.supplier.code))
