"""The demo's visitors (orders.demo_traffic): a believable conversion for the shops' orders."""

from django.db.models import Sum

from orders.demo_traffic import seed_traffic
from orders.models import ShopTraffic
from tests.factories import SKUFactory
from tests.inventory import conftest as inventory_fixtures
from tests.inventory.support import receive
from tests.orders import conftest as order_fixtures
from tests.orders.support import channel_order, line, staff_order

site, shops = inventory_fixtures.site, order_fixtures.shops


def test_platform_shops_get_visitors_their_orders_convert_at_one_to_four_percent(shops):
    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 50)
    for _n in range(20):
        channel_order(shops.tmall, line(sku, 1))
    staff_order(shops.desk, line(sku, 1))

    assert seed_traffic(seed=7) == {"shop traffic days": 1}
    assert seed_traffic(seed=7) == {}  # once

    visitors = ShopTraffic.objects.aggregate(n=Sum("visitors"))["n"]
    assert 0.01 <= 20 / visitors <= 0.04
    # The staff desk has no storefront: no visitors.
    assert not ShopTraffic.objects.filter(shop=shops.desk).exists()
