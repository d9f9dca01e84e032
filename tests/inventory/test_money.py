"""Stock values follow the money rule (``catalog.money``): each lot's value is rounded to the
cent half-up, and a SKU's value, its age buckets' values and a category's value are sums of
those rounded values, so the figures of the slow-mover report add up."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inventory import reports
from tests.factories import SKUFactory
from tests.inventory.support import receive


def test_a_skus_stock_value_is_the_sum_of_its_lots_rounded_values(site):
    sku = SKUFactory(code="HALF-CENT")
    now = timezone.now()
    # Two lots of one unit at 1.0050: each is worth 1.01; unrounded they make 2.0100.
    receive(sku, site.receiving, 1, "1.0050", received_at=now - dt.timedelta(days=10))
    receive(sku, site.receiving, 1, "1.0050", received_at=now - dt.timedelta(days=100))
    df = reports.slow_movers(as_of=timezone.localdate())
    row = df.set_index("sku").loc["HALF-CENT"]
    assert row["age_0_30_value"] == Decimal("1.01")
    assert row["age_91_180_value"] == Decimal("1.01")
    assert row["stock_value"] == Decimal("2.02")
    buckets = [row[f"age_{key}_value"] for key, *_r in reports.AGE_BUCKETS]
    assert sum(buckets) == row["stock_value"]
    categories = reports.slow_movers_by_category(df)
    assert categories["stock_value"].sum() == 2 * Decimal("2.02")  # 大类 and 中类 rows
