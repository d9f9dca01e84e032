"""Helpers for order tests: shops on the inventory test site and short ways to order."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from catalog.models import SKU
from orders import services
from orders.enums import OrderSource
from orders.models import Customer, SalesOrder, Shop
from tests.inventory.support import Site

_numbers = iter(range(1, 10**9))


@dataclass
class Shops:
    site: Site
    tmall: Shop
    desk: Shop
    customer: Customer


def line(sku: SKU | None = None, quantity: int = 1, **kwargs) -> services.OrderLineInput:
    return services.OrderLineInput(quantity=quantity, sku=sku, **kwargs)


def channel_order(shop: Shop, *lines, number: str | None = None, paid_minutes_ago: int = 0, **kw):
    """Place a paid channel order (a platform sale: short lines wait as backorders)."""
    return services.order_place(
        shop=shop,
        lines=list(lines),
        source=OrderSource.CHANNEL,
        number=number or f"TB{next(_numbers):010d}",
        paid_at=timezone.now() - dt.timedelta(minutes=paid_minutes_ago),
        **kw,
    )


def staff_order(shop: Shop, *lines, **kw) -> SalesOrder:
    """Place a paid staff order (refused whole when short unless ``backorder=True``)."""
    return services.order_place(
        shop=shop, lines=list(lines), source=OrderSource.STAFF, paid_at=timezone.now(), **kw
    )


def money(value: str) -> Decimal:
    return Decimal(value)
