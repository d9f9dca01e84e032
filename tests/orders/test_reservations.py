"""Reservation never oversells: channel orders wait as backorders, staff orders are refused
whole, and backorders are served in paid-time order when stock comes in."""

from decimal import Decimal

import pytest

from catalog import services as catalog_services
from inventory.models import WarehouseStock
from orders import services
from orders.enums import ListingStatus, OrderStatus
from orders.exceptions import OrderRefused
from orders.models import ChannelListing, SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, receive
from tests.orders.support import channel_order, line, staff_order


def backordered(sku, site) -> int:
    return WarehouseStock.objects.get(sku=sku, warehouse=site.warehouse).backordered


def test_a_channel_order_is_accepted_and_its_short_lines_wait_as_backorders(shops):
    plenty, scarce = SKUFactory(code="PLENTY"), SKUFactory(code="SCARCE")
    receive(plenty, shops.site.pick_a, 10)
    receive(scarce, shops.site.pick_b, 1)
    order = channel_order(shops.tmall, line(plenty, 2), line(scarce, 3))
    assert order.status == OrderStatus.PAID
    first, second = order.lines.order_by("line_no")
    assert (first.backordered, second.backordered) == (0, 3)
    assert columns(plenty, shops.site.warehouse)["reserved"] == 2
    assert columns(scarce, shops.site.warehouse)["reserved"] == 0
    assert backordered(scarce, shops.site) == 3


def test_a_staff_order_that_cannot_be_served_is_refused_naming_every_short_line(shops):
    plenty = SKUFactory(code="PLENTY")
    short_a, short_b = SKUFactory(code="SHORT-A"), SKUFactory(code="SHORT-B")
    receive(plenty, shops.site.pick_a, 10)
    receive(short_a, shops.site.pick_b, 1)
    with pytest.raises(OrderRefused) as refused:
        staff_order(shops.desk, line(plenty, 2), line(short_a, 2), line(short_b, 1))
    assert [(s.line_no, s.sku_code, s.wanted, s.available) for s in refused.value.short_lines] == [
        (2, "SHORT-A", 2, 1),
        (3, "SHORT-B", 1, 0),
    ]
    assert "line 2, SHORT-A: wanted 2, available 1" in str(refused.value)
    assert not SalesOrder.objects.exists()
    assert columns(plenty, shops.site.warehouse)["reserved"] == 0  # nothing half-applied


def test_a_staff_order_with_backorder_chosen_is_accepted(shops):
    sku = SKUFactory()
    order = staff_order(shops.desk, line(sku, 2), backorder=True)
    assert order.status == OrderStatus.PAID
    assert order.lines.get().backordered == 2
    assert backordered(sku, shops.site) == 2


def test_a_staff_order_refuses_a_bundle_whose_component_is_short(shops):
    a, b = SKUFactory(code="A"), SKUFactory(code="B")
    bundle = SKUFactory(code="SET")
    catalog_services.bundle_set_components(bundle=bundle, components=[(a, 2), (b, 1)])
    bundle.refresh_from_db()
    receive(a, shops.site.pick_a, 3)
    receive(b, shops.site.pick_b, 5)
    with pytest.raises(OrderRefused) as refused:
        staff_order(shops.desk, line(bundle, 2))
    assert [(s.sku_code, s.wanted, s.available) for s in refused.value.short_lines] == [
        ("SET", 2, 1)
    ]


def test_backorders_are_allocated_in_paid_time_order_when_stock_arrives(shops):
    sku = SKUFactory()
    late = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=10)
    early = channel_order(shops.tmall, line(sku, 2), paid_minutes_ago=30)
    middle = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=20)
    assert backordered(sku, shops.site) == 4
    receive(sku, shops.site.pick_a, 3)

    assert services.backorders_allocate() == 2
    statuses = {o.pk: o.status for o in SalesOrder.objects.all()}
    assert statuses[early.pk] == statuses[middle.pk] == OrderStatus.ALLOCATED
    assert statuses[late.pk] == OrderStatus.PAID
    assert backordered(sku, shops.site) == 1
    assert columns(sku, shops.site.warehouse)["reserved"] == 3
    assert services.backorders_allocate() == 0  # safe to run again
    assert_ledger_agrees()


def test_an_early_backorder_is_not_overtaken_by_a_smaller_late_one(shops):
    sku = SKUFactory()
    early = channel_order(shops.tmall, line(sku, 3), paid_minutes_ago=30)
    late = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=10)
    receive(sku, shops.site.pick_a, 2)
    assert services.backorders_allocate() == 0
    receive(sku, shops.site.pick_a, 2)
    assert services.backorders_allocate() == 2
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.status == late.status == OrderStatus.ALLOCATED


def test_the_beat_task_allocates_backorders(shops):
    from orders.tasks import backorders_allocate

    sku = SKUFactory()
    order = channel_order(shops.tmall, line(sku, 1))
    receive(sku, shops.site.pick_a, 1)
    assert backorders_allocate() == 1  # the task body, as beat runs it
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED


def test_an_unmatched_listing_never_loses_an_order_line(shops):
    sku = SKUFactory(code="MUG")
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(
        shops.tmall,
        line(None, 2, platform_code="5012345", unit_price=Decimal("19.90")),
        line(sku, 1),
    )
    waiting = order.lines.get(line_no=1)
    assert waiting.sku is None and waiting.platform_code == "5012345"
    assert order.status == OrderStatus.PAID
    listing = ChannelListing.objects.get(shop=shops.tmall, platform_sku_code="5012345")
    assert listing.status == ListingStatus.UNMATCHED

    assert services.listing_resolve(listing=listing, sku=sku) == 1
    waiting.refresh_from_db()
    order.refresh_from_db()
    assert waiting.sku == sku
    assert order.status == OrderStatus.ALLOCATED
    assert columns(sku, shops.site.warehouse)["reserved"] == 3


def test_a_channel_code_that_is_our_sku_code_is_matched_automatically(shops):
    sku = SKUFactory(code="TEA-100")
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(None, 1, platform_code="TEA-100"))
    assert order.lines.get().sku == sku
    assert order.status == OrderStatus.ALLOCATED
    listing = ChannelListing.objects.get(platform_sku_code="TEA-100")
    assert (listing.status, listing.sku) == (ListingStatus.MATCHED, sku)


def test_a_listing_is_matched_on_its_merchant_code(shops):
    sku = SKUFactory(code="TEA-200")
    listing = services.listing_upsert(
        shop=shops.tmall, platform_sku_code="4455667788", merchant_code="TEA-200", title="好茶"
    )
    assert (listing.status, listing.sku) == (ListingStatus.MATCHED, sku)
    order = channel_order(shops.tmall, line(None, 1, platform_code="4455667788"))
    assert order.lines.get().sku == sku


def test_a_new_order_does_not_take_stock_that_arrived_for_an_earlier_paid_backorder(shops):
    sku = SKUFactory()
    t1 = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=120)
    assert t1.status == OrderStatus.PAID  # waits: nothing in stock
    receive(sku, shops.site.pick_a, 1)

    t4 = channel_order(shops.tmall, line(sku, 1))
    assert t4.status == OrderStatus.PAID  # the unit is owed to t1
    assert t4.lines.get().backordered == 1

    assert services.backorders_allocate() == 1
    t1.refresh_from_db()
    t4.refresh_from_db()
    assert (t1.status, t4.status) == (OrderStatus.ALLOCATED, OrderStatus.PAID)
    assert backordered(sku, shops.site) == 1
    assert_ledger_agrees()


def test_a_new_order_takes_only_what_is_left_beyond_the_waiting_lines(shops):
    sku = SKUFactory()
    waiting = channel_order(shops.tmall, line(sku, 2), paid_minutes_ago=120)
    receive(sku, shops.site.pick_a, 3)

    first = channel_order(shops.tmall, line(sku, 1))
    second = channel_order(shops.tmall, line(sku, 1))
    assert (first.status, second.status) == (OrderStatus.ALLOCATED, OrderStatus.PAID)

    assert services.backorders_allocate() == 1
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.ALLOCATED
    assert columns(sku, shops.site.warehouse)["reserved"] == 3


def test_stock_short_of_a_waiting_line_is_all_owed_to_it(shops):
    """A waiting line is served whole, so the units that came in short of it are its own:
    a smaller new order does not take them."""
    sku = SKUFactory()
    early = channel_order(shops.tmall, line(sku, 5), paid_minutes_ago=120)
    receive(sku, shops.site.pick_a, 2)

    late = channel_order(shops.tmall, line(sku, 1))
    assert late.status == OrderStatus.PAID
    receive(sku, shops.site.pick_a, 3)
    assert services.backorders_allocate() == 1
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, late.status) == (OrderStatus.ALLOCATED, OrderStatus.PAID)


def test_an_order_paid_before_the_waiting_lines_is_served_ahead_of_them(shops):
    """An order imported late but paid earliest comes first in the line, at once."""
    sku = SKUFactory()
    waiting = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=120)
    receive(sku, shops.site.pick_a, 1)

    earliest = channel_order(shops.tmall, line(sku, 1), paid_minutes_ago=180)
    assert earliest.status == OrderStatus.ALLOCATED
    assert services.backorders_allocate() == 0
    waiting.refresh_from_db()
    assert waiting.status == OrderStatus.PAID
    assert backordered(sku, shops.site) == 1
    assert_ledger_agrees()


def test_a_staff_order_is_told_the_units_on_the_shelf_are_promised_to_waiting_orders(shops):
    sku = SKUFactory(code="TEA-9")
    channel_order(shops.tmall, line(sku, 2), paid_minutes_ago=60)
    receive(sku, shops.site.pick_a, 3)

    with pytest.raises(OrderRefused) as refused:
        staff_order(shops.desk, line(sku, 2))
    assert [(s.sku_code, s.wanted, s.available, s.promised) for s in refused.value.short_lines] == [
        ("TEA-9", 2, 1, 2)
    ]
    assert "2 more promised to orders waiting for them" in str(refused.value)
    assert staff_order(shops.desk, line(sku, 1)).status == OrderStatus.ALLOCATED
