"""Demo orders: the olist history inventory shipped becomes sales orders without posting
its demand twice, plus open orders in every state."""

from decimal import Decimal
from io import StringIO

import pytest
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone, translation

from catalog.demo import seed_catalog
from inventory import selectors
from inventory.demo import ORDER_REFERENCE, seed_stock
from inventory.enums import MoveKind
from inventory.models import Reservation, StockMove, WarehouseStock
from orders.demo import seed_orders
from orders.enums import ListingStatus, OrderStatus, PriceType
from orders.models import (
    ChannelListing,
    LineReservation,
    Promotion,
    Return,
    SalesOrder,
    SalesOrderLine,
)
from orders.pricing import price_for


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
        translation.override("en"),
    ):
        seed_catalog(scale="tiny")
        seed_stock(scale="tiny", seed=42)
        ships_before = StockMove.objects.filter(
            kind=MoveKind.SHIP, reference_type=ORDER_REFERENCE
        ).count()
        out = StringIO()
        counts = seed_orders(scale="tiny", seed=42, stdout=out)
        yield counts, ships_before, out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.usefixtures("db")
class TestDemoOrders:
    def test_every_shipped_olist_line_is_an_order_line_once(self, demo):
        _counts, ships_before, _out = demo
        held = Reservation.objects.filter(reference_type=ORDER_REFERENCE)
        assert held.count() > 20
        assert LineReservation.objects.filter(reservation__in=held).count() == held.count()
        shipped = held.aggregate(n=Sum("shipped"))["n"]
        history = SalesOrderLine.objects.filter(order__number__in=held.values("reference_id"))
        assert history.aggregate(n=Sum("shipped_quantity"))["n"] == shipped
        # No second shipment of the same demand was posted.
        assert (
            StockMove.objects.filter(kind=MoveKind.SHIP, reference_type=ORDER_REFERENCE).count()
            == ships_before
        )

    def test_history_cogs_is_the_cost_the_ledger_consumed(self, demo):
        ledger = StockMove.objects.filter(
            kind=MoveKind.SHIP, reference_type=ORDER_REFERENCE
        ).aggregate(cost=Sum(F("quantity") * F("unit_cost")))["cost"]
        lines = SalesOrderLine.objects.filter(
            order__number__in=Reservation.objects.filter(reference_type=ORDER_REFERENCE).values(
                "reference_id"
            )
        ).aggregate(cost=Sum("cost_of_goods"))["cost"]
        assert lines == ledger and lines > Decimal("0")

    def test_orders_keep_real_olist_prices_and_dates_across_channels(self, demo):
        orders = SalesOrder.objects.filter(status=OrderStatus.COMPLETED)
        assert orders.values("shop__channel").distinct().count() >= 4
        assert all(o.placed_at <= o.paid_at <= o.shipped_at for o in orders)
        assert SalesOrderLine.objects.filter(unit_price__gt=0).count() > 20

    def test_open_orders_in_every_state_for_the_pages(self, demo):
        statuses = set(SalesOrder.objects.values_list("status", flat=True))
        assert statuses >= {
            OrderStatus.PENDING_PAYMENT,
            OrderStatus.PAID,
            OrderStatus.ALLOCATED,
            OrderStatus.PICKING,
            OrderStatus.PACKED,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
        }
        assert Return.objects.exists()
        assert ChannelListing.objects.filter(status=ListingStatus.UNMATCHED).exists()

    def test_backorders_agree_with_the_stock_column_and_the_ledger(self, demo):
        waiting = dict(
            SalesOrderLine.objects.filter(backordered__gt=0, order__status=OrderStatus.PAID)
            .values("sku")
            .annotate(n=Sum("backordered"))
            .values_list("sku", "n")
        )
        column = dict(
            WarehouseStock.objects.filter(backordered__gt=0).values_list("sku", "backordered")
        )
        assert waiting == column and waiting
        assert selectors.stock_integrity_mismatches() == []

    def test_history_lines_sold_in_a_campaign_carry_it_at_the_price_in_effect(self, demo):
        today = timezone.localdate()
        campaigns = Promotion.objects.annotate(n=Count("items"))
        assert campaigns.filter(starts_on__lte=today, ends_on__gte=today, n__gt=0).exists()
        assert campaigns.filter(ends_on__lt=today, n__gt=0).exists()
        assert max(campaign.n for campaign in campaigns) <= 300
        promoted = SalesOrderLine.objects.filter(promotion__isnull=False).select_related(
            "promotion", "order__shop", "order__customer", "sku"
        )
        assert promoted.exists()
        for line in promoted.order_by("pk")[:40]:
            day = timezone.localtime(line.order.placed_at).date()
            assert line.promotion.starts_on <= day <= line.promotion.ends_on
            quote = price_for(line.sku, line.order.customer, shop=line.order.shop, on=day)
            assert (quote.unit_price, quote.promotion) == (line.unit_price, line.promotion)
            assert line.price_type == PriceType.PROMOTION
