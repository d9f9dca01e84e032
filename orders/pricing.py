"""The price in effect: what a customer pays for a SKU on a day, in a channel or shop.

The rule is promotion > distributor tier > retail:

- A **promotion** applies on its days (``starts_on`` ≤ day ≤ ``ends_on``, both included)
  where its scope covers the sale: no channel = every channel; a channel and no shop = every
  shop of that channel; a shop = orders through that shop only. Its price for a SKU is the
  item's fixed price, or retail less ``percent_off`` rounded by the money rule
  (``catalog.money``). When several promotions cover the sale, the lowest price wins (ties:
  the narrower scope, then the older promotion).
- A **distributor** (``price_tier`` distribution) pays the SKU's distribution price when it
  has one; a promotion still wins when it is at or below that price, never when it is above
  it: a distributor never pays more than its tier.
- Everyone else pays **retail**; a promotion wins when it is at or below retail (a promotion
  price left above a retail price that was cut since is not applied).

So the customer always pays the lowest of the prices open to it, and a tie goes to the
promotion, whose line then names it (``SalesOrderLine.promotion``).

``PriceBook`` quotes many SKUs in a constant number of queries (one for the promotions of
its SKUs and days, one for the SKUs when only ids are given); ``price_for`` and
``prices_for`` are its one-day shortcuts. Quotes never query: order placement builds one
book per order or per batch of channel orders.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from catalog.models import SKU
from catalog.money import money
from orders.enums import PriceType
from orders.models import Channel, Customer, Promotion, PromotionItem, Shop

HUNDRED = Decimal(100)
# SKU ids per query of the promotion items (SQLite's bound-parameter limit is far above).
IDS_PER_QUERY = 2000


@dataclass(frozen=True)
class PriceQuote:
    """A SKU's price in effect: the unit price, which price it is, and the promotion."""

    unit_price: Decimal
    price_type: str
    promotion: Promotion | None = None


def promotion_item_price(item: PromotionItem, retail: Decimal | None) -> Decimal | None:
    """Return the price of a promotion item: its fixed price, or retail less its percentage
    rounded half-up to the cent; ``None`` for a percentage of a SKU without retail price."""
    if item.price is not None:
        return item.price
    if retail is None:
        return None
    return money(retail * (HUNDRED - item.percent_off) / HUNDRED)


def _id(value) -> int | None:
    return value if value is None or isinstance(value, int) else value.pk


class PriceBook:
    """The prices in effect of some SKUs between two days, loaded once and quoted from memory.

    ``skus``: SKU objects (their prices are read from them) or ids (loaded in one query).
    """

    def __init__(
        self,
        skus: Iterable[SKU | int],
        *,
        first_day: dt.date,
        last_day: dt.date | None = None,
    ):
        given = list(skus)
        ids = [s for s in given if isinstance(s, int)]
        self.skus: dict[int, SKU] = {s.pk: s for s in given if not isinstance(s, int)}
        if ids:
            self.skus |= SKU.objects.in_bulk([i for i in ids if i not in self.skus])
        self.first_day, self.last_day = first_day, last_day or first_day
        self.items: dict[int, list[PromotionItem]] = defaultdict(list)
        sku_ids = sorted(self.skus)
        for start in range(0, len(sku_ids), IDS_PER_QUERY):
            for item in PromotionItem.objects.filter(
                sku_id__in=sku_ids[start : start + IDS_PER_QUERY],
                promotion__starts_on__lte=self.last_day,
                promotion__ends_on__gte=self.first_day,
            ).select_related("promotion"):
                self.items[item.sku_id].append(item)

    def promotion_price(
        self,
        sku: SKU | int,
        *,
        on: dt.date,
        channel: Channel | int | None = None,
        shop: Shop | int | None = None,
    ) -> tuple[Decimal, Promotion] | None:
        """Return the lowest promotion price of ``sku`` on ``on`` for a sale through
        ``shop`` (or, without a shop, in ``channel``) and its promotion; ``None`` if none."""
        self._check_day(on)
        sku_id = _id(sku)
        retail = self.skus[sku_id].retail_price if sku_id in self.skus else None
        shop_id = _id(shop)
        channel_id = _id(channel)
        if channel_id is None and isinstance(shop, Shop):
            channel_id = shop.channel_id
        best, best_key = None, None
        for item in self.items.get(sku_id, ()):
            promotion = item.promotion
            if not promotion.starts_on <= on <= promotion.ends_on:
                continue
            if promotion.shop_id is not None and promotion.shop_id != shop_id:
                continue
            if promotion.channel_id is not None and promotion.channel_id != channel_id:
                continue
            price = promotion_item_price(item, retail)
            if price is None:
                continue
            breadth = (promotion.shop_id is None) + (promotion.channel_id is None)
            key = (price, breadth, promotion.starts_on, promotion.pk)
            if best_key is None or key < best_key:
                best, best_key = (price, promotion), key
        return best

    def quote(
        self,
        sku: SKU | int,
        *,
        on: dt.date,
        customer: Customer | None = None,
        channel: Channel | int | None = None,
        shop: Shop | int | None = None,
    ) -> PriceQuote | None:
        """Return the price in effect of ``sku`` (see the module); ``None`` when it has none:
        no retail price (nor distribution price for a distributor) and no promotion."""
        sku_object = self.skus[_id(sku)]
        tier = customer.price_tier if customer is not None else PriceType.RETAIL
        base = None
        if tier == PriceType.DISTRIBUTION and sku_object.distribution_price is not None:
            base = PriceQuote(sku_object.distribution_price, PriceType.DISTRIBUTION)
        elif sku_object.retail_price is not None:
            base = PriceQuote(sku_object.retail_price, PriceType.RETAIL)
        promoted = self.promotion_price(sku_object, on=on, channel=channel, shop=shop)
        if promoted is not None and (base is None or promoted[0] <= base.unit_price):
            return PriceQuote(promoted[0], PriceType.PROMOTION, promoted[1])
        return base

    def _check_day(self, on: dt.date) -> None:
        if not self.first_day <= on <= self.last_day:
            raise ValueError(f"{on} is outside the price book's days")


def prices_for(
    skus: Iterable[SKU | int],
    customer: Customer | None = None,
    channel: Channel | int | None = None,
    on: dt.date | None = None,
    *,
    shop: Shop | int | None = None,
) -> dict[int, PriceQuote | None]:
    """Return the price in effect of each of ``skus`` by SKU id (``None``: no price), in a
    constant number of queries. ``on`` defaults to today."""
    on = on or timezone.localdate()
    book = PriceBook(skus, first_day=on)
    return {
        sku_id: book.quote(sku_id, on=on, customer=customer, channel=channel, shop=shop)
        for sku_id in book.skus
    }


def price_for(
    sku: SKU,
    customer: Customer | None = None,
    channel: Channel | int | None = None,
    on: dt.date | None = None,
    *,
    shop: Shop | int | None = None,
) -> PriceQuote | None:
    """Return the price in effect of ``sku`` for ``customer`` in ``channel`` (or through
    ``shop``) on ``on`` (today by default); ``None`` when it has no price."""
    return prices_for([sku], customer, channel, on, shop=shop)[_id(sku)]
