"""Demo orders (``seed_demo`` hook): the olist order history that inventory's demo shipped,
as sales orders across channels, plus open orders in every state for the pages.

Inventory's demo already shipped the olist order lines as stock moves (a year of
shipments, reserved under ``sales_order`` / the olist order id). To count that demand once,
this demo does not post it again: it builds one completed sales order per olist order from
those reservations, links each line to its reservations and fills its COGS from the ship
moves already in the ledger, with the olist purchase time, quantities and prices. Today's
reserved-but-unpicked demo orders become allocated orders, and the demo backorders get the
channel orders that wait for them. Then a few fresh orders go through the services: pending
payment, waiting for a listing, picking, packed, a failed packing check, cancelled and
returned. Deterministic for a seed.

The history is re-labelled for a Chinese shop (``catalog.demo_identities``): each olist
customer becomes a Chinese buyer in the province of the same rank, each order keeps the
platform order number inventory reserved it under (the number's format names the channel),
and a line sells at the price in effect on the day it was placed (``orders.pricing``): the
campaigns of ``promotion_calendar`` and a few of the shop's own (a Douyin live-stream special,
a new-product price) are real ``Promotion`` rows, each on the best sellers of its period in
its channel or shop (at most ``CAMPAIGN_ITEMS`` SKUs) at a campaign price never within 8 % of
the cost, so no history line loses money; a line sold at a campaign price names it.

Last, the platform shops get a daily visitor count (访客数) that their orders could have come
from (``orders.demo_traffic``), for the KPI page's GMV = visitors × conversion × order value.
"""

import csv
import datetime as dt
import hashlib
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.demo import charm_price_cents
from catalog.demo_identities import (
    CHANNEL_SHARES,
    ORDER_NUMBER_PATTERNS,
    channel_of_order,
    channel_order_number,
    mobile_masked,
    person_name,
    province_of_state,
    street_address,
)
from catalog.models import SKU
from inventory.demo import (
    OLIST_ITEMS,
    OLIST_ORDERS,
    ORDER_REFERENCE,
    promotion_calendar,
)
from inventory.enums import MoveKind
from inventory.models import Reservation, StockLock, StockMove, Warehouse, WarehouseStock
from inventory.selectors import PROMOTION_REFERENCE
from orders import services
from orders.demo_reviews import seed_reviews
from orders.demo_traffic import seed_traffic
from orders.enums import (
    ChannelKind,
    CustomerKind,
    OrderSource,
    OrderStatus,
    PriceType,
    ReturnDisposition,
    ReturnReason,
    ScanResult,
    SpendKind,
)
from orders.models import (
    Channel,
    ChannelListing,
    Customer,
    Inquiry,
    LineReservation,
    PackingCheck,
    PackingScan,
    Promotion,
    PromotionItem,
    PromotionSpend,
    Return,
    ReturnLine,
    Review,
    SalesOrder,
    SalesOrderLine,
    Shop,
    ShopTraffic,
)
from orders.pricing import PriceBook

OLIST_CUSTOMERS = Path("olist-sample") / "olist_customers_dataset.csv"
# code, name, kind, shop code, shop name; the shares of the orders are CHANNEL_SHARES.
CHANNELS = (
    ("TMALL", "天猫", ChannelKind.TMALL, "TM-FLAG", "精细旗舰店（天猫）"),
    ("JD", "京东", ChannelKind.JD, "JD-SELF", "精细京东自营旗舰店"),
    ("PDD", "拼多多", ChannelKind.PINDUODUO, "PDD-FLAG", "精细官方旗舰店（拼多多）"),
    ("DOUYIN", "抖音", ChannelKind.DOUYIN, "DY-SHOP", "精细抖音小店"),
    ("WEB", "官网商城", ChannelKind.OWN_WEB, "WEB", "精细官方商城"),
    ("DIST", "分销", ChannelKind.DISTRIBUTOR, "DIST-DESK", "精细分销订货台"),
)
# code, name, credit limit, payment days, contact, phone, address
DISTRIBUTORS = (
    (
        "D-HZ01", "杭州优品商贸有限公司", Decimal("200000.00"), 30, "王经理", "0571-86902318",
        "浙江省杭州市拱墅区莫干山路 972 号北部软件园 3 号楼 502 室",
    ),
    (
        "D-CD02", "成都锦程供应链有限公司", Decimal("120000.00"), 45, "李经理", "028-85547120",
        "四川省成都市武侯区武科西二路 8 号锦程物流园 B 区",
    ),
    (
        "D-WH03", "武汉九通百货批发部", Decimal("50000.00"), 15, "陈老板", "027-83651907",
        "湖北省武汉市硚口区汉正街 127 号九通商城 2 楼",
    ),
)  # fmt: skip
# A campaign price still earns this much over the SKU's cost (the lots' cost is within 3 %).
PROMOTION_FLOOR_OVER_COST = Decimal("1.08")
# Where each campaign of the calendar runs (channel code, shop code); not named: everywhere.
CAMPAIGN_SCOPES = {
    "38女王节": ("TMALL", None),
    "618大促": ("JD", None),
    "99划算节": ("TMALL", None),
    "双12年终盛典": ("TMALL", "TM-FLAG"),
}
# What a campaign's ads are called where it runs (直通车 on Tmall, 千川 on Douyin …).
ADS_BY_CHANNEL = {
    "TMALL": "天猫直通车 + 引力魔方",
    "JD": "京东快车 + 京准通",
    "DOUYIN": "巨量千川投放",
}
# A campaign's items: its best sellers, at most this many SKUs.
CAMPAIGN_ITEMS = 300
# An upcoming campaign takes the best sellers of this many days before today.
BEST_SELLER_DAYS = 30


def campaign_spend(promotion, campaign: "Campaign", skus: int) -> list:
    """A campaign's spend, in round yuan: ads by the SKU promoted (80 元 each, at least
    2,000 元), a shop coupon for a big calendar campaign and the shop's share of the
    platform's cross-shop discount (跨店满减) for 双十一."""
    ads = max(Decimal(2000), Decimal(80) * skus).quantize(Decimal(100))
    rows = [
        PromotionSpend(
            promotion=promotion,
            kind=SpendKind.ADS,
            amount=ads,
            note=ADS_BY_CHANNEL.get(campaign.channel or "", "站外种草（小红书、抖音达人）"),
        )
    ]
    if not campaign.percent and skus >= 50:
        rows.append(
            PromotionSpend(
                promotion=promotion,
                kind=SpendKind.COUPONS,
                amount=(ads * Decimal("0.6")).quantize(Decimal(100)),
                note="店铺满199减20优惠券",
            )
        )
    if "双十一" in campaign.name or "双11" in campaign.name:
        rows.append(
            PromotionSpend(
                promotion=promotion,
                kind=SpendKind.DISCOUNT,
                amount=(ads * Decimal("0.5")).quantize(Decimal(100)),
                note="跨店满减商家分摊",
            )
        )
    return rows


@dataclass(frozen=True)
class Campaign:
    """A demo promotion: its days, scope and discount off retail; ``percent``: its items
    are a percentage off (else a fixed, charm-rounded price)."""

    name: str
    start: dt.date
    end: dt.date
    discount: Decimal
    channel: str | None = None
    shop: str | None = None
    percent: bool = False
    items: int = CAMPAIGN_ITEMS
    note: str = ""


def demo_campaigns(today: dt.date) -> list[Campaign]:
    """Return the calendar's campaigns with their scopes, plus the shop's own: a past Douyin
    live-stream special and a new-product price running today."""
    campaigns = [
        Campaign(p.name, p.start, p.end, p.discount, *CAMPAIGN_SCOPES.get(p.name, (None, None)))
        for p in promotion_calendar(today)
    ]
    campaigns.append(
        Campaign(
            "抖音直播专场",
            today - dt.timedelta(days=24),
            today - dt.timedelta(days=22),
            Decimal("0.15"),
            channel="DOUYIN",
            items=60,
            note="主播专享价，直播间下单",
        )
    )
    campaigns.append(
        Campaign(
            "新品尝鲜价",
            today - dt.timedelta(days=10),
            today + dt.timedelta(days=20),
            Decimal("0.10"),
            percent=True,
            items=80,
            note="新品上市九折",
        )
    )
    return campaigns


# Carriers and the shape of their waybill numbers (prefix, digits).
CARRIERS = {
    "顺丰": ("SF", 13),
    "中通": ("75", 12),
    "圆通": ("YT", 13),
    "京东物流": ("JDVA", 11),
    "韵达": ("43", 13),
}
# Share of shipped orders whose packing check caught a wrong parcel first; higher in the
# busiest week, as after a big promotion.
CATCH_RATE, PEAK_CATCH_RATE = 0.01, 0.05
ZERO = Decimal("0")


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode(), usedforsecurity=False).digest()[:8], "big")


class OrderLoader:
    def __init__(self, *, seed: int, stdout):
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.counts: dict[str, int] = defaultdict(int)
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.buyers: dict[str, Customer] = {}

    # --- Reference data -------------------------------------------------------------------

    def build_channels(self, warehouse: Warehouse) -> None:
        channels = Channel.objects.bulk_create(
            [Channel(code=c, name=n, kind=k) for c, n, k, *_rest in CHANNELS]
        )
        self.shops = Shop.objects.bulk_create(
            [
                Shop(channel=channel, code=row[3], name=row[4], warehouse=warehouse)
                for channel, row in zip(channels, CHANNELS, strict=True)
            ]
        )
        self.shop_of_channel = {
            row[0]: shop for row, shop in zip(CHANNELS, self.shops, strict=True)
        }
        self.distributors = Customer.objects.bulk_create(
            [
                Customer(
                    code=code,
                    name=name,
                    kind=CustomerKind.DISTRIBUTOR,
                    price_tier=PriceType.DISTRIBUTION,
                    credit_limit=limit,
                    payment_days=days,
                    contact_name=contact,
                    phone=phone,
                    address=address,
                )
                for code, name, limit, days, contact, phone, address in DISTRIBUTORS
            ]
        )
        self.counts["channels"] += len(channels)

    def shop_for(self, number: str) -> Shop:
        """Return the shop of a platform order number, which its format names."""
        for code, pattern in ORDER_NUMBER_PATTERNS.items():
            if re.match(pattern, number):
                return self.shop_of_channel[code]
        return self.shop_of_channel[CHANNEL_SHARES[0][0]]

    def number_for(self, key: str, *, channel: str) -> str:
        """Return a platform order number for a demo order placed today."""
        return channel_order_number(key, channel=channel, placed=timezone.localdate())

    # --- The olist data -------------------------------------------------------------------

    def read_olist(self) -> None:
        """Index the olist orders by the platform number inventory's demo reserved them under."""
        data = Path(settings.DATA_DIR)
        with (data / OLIST_ORDERS).open(encoding="utf-8", newline="") as handle:
            orders = [row for row in csv.DictReader(handle) if row["order_purchase_timestamp"]]
        with (data / OLIST_CUSTOMERS).open(encoding="utf-8", newline="") as handle:
            self.customer_of = {
                row["customer_id"]: (
                    row["customer_unique_id"],
                    row["customer_city"],
                    row["customer_state"],
                )
                for row in csv.DictReader(handle)
            }
        self.customer_states = sorted(state for _u, _c, state in self.customer_of.values())
        with (data / OLIST_ITEMS).open(encoding="utf-8", newline="") as handle:
            with_items = {row["order_id"] for row in csv.DictReader(handle)}
        placed = {
            row["order_id"]: dt.datetime.fromisoformat(row["order_purchase_timestamp"])
            for row in orders
        }
        # The same shift inventory's demo applied: the latest sale ends yesterday.
        sold = [
            placed[row["order_id"]]
            for row in orders
            if row["order_status"] != "canceled" and row["order_id"] in with_items
        ]
        latest = max(sold) if sold else dt.datetime(2018, 1, 1)
        today = timezone.localdate()
        self.shift = dt.datetime.combine(today - dt.timedelta(days=1), latest.time()) - latest
        self.orders = {}
        for row in orders:
            day = (placed[row["order_id"]] + self.shift).date()
            channel = channel_of_order(row["order_id"])
            number = channel_order_number(row["order_id"], channel=channel, placed=day)
            self.orders[number] = row
        self.campaigns = demo_campaigns(today)

    def placed_at(self, order_id: str, fallback: dt.datetime) -> dt.datetime:
        row = self.orders.get(order_id)
        if row is None or not row["order_purchase_timestamp"]:
            return fallback
        moment = dt.datetime.fromisoformat(row["order_purchase_timestamp"]) + self.shift
        return min(moment.replace(tzinfo=self.tz), fallback)

    def customer_for(self, order_id: str, shop: Shop, cache: dict[str, Customer]):
        if shop.channel.kind == ChannelKind.DISTRIBUTOR:
            return self.distributors[_stable(order_id) % len(self.distributors)]
        row = self.orders.get(order_id)
        known = self.customer_of.get(row["customer_id"]) if row else None
        if known is None:  # today's orders: a buyer of the olist customers' mix of states
            states = self.customer_states
            known = (order_id, "", states[_stable(order_id) % len(states)] if states else "SP")
        unique, city, state = known
        # Buyer ids as the platforms hand them over: a number per buyer, stable per person.
        code = f"KH{_stable(unique) % 10**10:010d}"
        if code not in cache:
            cache[code] = Customer(
                code=code,
                name=person_name(unique),
                kind=CustomerKind.RETAIL,
                phone=mobile_masked(unique),
                address=street_address(
                    unique, province=province_of_state(state), city_key=f"{state}:{city}"
                ),
            )
        return cache[code]

    def buyer(self, key: str) -> Customer:
        """Return the saved retail buyer of a demo order placed today (created on first use)."""
        customer = self.customer_for(key, self.shops[0], self.buyers)
        if customer.pk is None:
            customer.save()
            self.counts["customers"] += 1
        return customer

    # --- History from inventory's reservations ---------------------------------------------

    def build_history(self) -> None:
        """One sales order per olist order that inventory reserved (and mostly shipped)."""
        reservations = list(
            Reservation.objects.filter(reference_type=ORDER_REFERENCE)
            .select_related("sku")
            .order_by("reference_id", "pk")
        )
        cost = defaultdict(Decimal)
        shipped_at: dict[str, dt.datetime] = {}
        for reference, sku_id, quantity, unit_cost, created in StockMove.objects.filter(
            kind=MoveKind.SHIP, reference_type=ORDER_REFERENCE
        ).values_list("reference_id", "sku_id", "quantity", "unit_cost", "created_at"):
            cost[reference, sku_id] += quantity * unit_cost
            shipped_at[reference] = created
        by_order: dict[str, list[Reservation]] = defaultdict(list)
        for reservation in reservations:
            by_order[reservation.reference_id].append(reservation)

        customers: dict[str, Customer] = {}
        orders, lines_of, holds_of = [], {}, {}
        peak = self.busiest_week(shipped_at)
        placed_of = {
            reference: self.placed_at(reference, held[0].created_at)
            for reference, held in by_order.items()
        }
        book = self.build_promotions(by_order, placed_of)
        for reference, held in by_order.items():
            shop = self.shop_for(reference)
            placed = placed_of[reference]
            shipped = shipped_at.get(reference)
            status = OrderStatus.ALLOCATED
            delivered = completed = None
            if shipped is not None:
                age = (self.now - shipped).days
                delivered = shipped + dt.timedelta(days=2 + _stable(reference) % 4)
                completed = delivered + dt.timedelta(days=7)
                if age < 2:
                    status, delivered, completed = OrderStatus.SHIPPED, None, None
                elif age < 9:
                    status, completed = OrderStatus.DELIVERED, None
                else:
                    status = OrderStatus.COMPLETED
            customer = self.customer_for(reference, shop, customers)
            carrier = list(CARRIERS)[_stable(reference) % len(CARRIERS)]
            prefix, digits = CARRIERS[carrier]
            waybill = f"{prefix}{_stable(reference + carrier) % 10**digits:0{digits}d}"
            order = SalesOrder(
                shop=shop,
                number=reference,
                source=OrderSource.CHANNEL,
                customer=customer,
                warehouse_id=held[0].warehouse_id,
                status=status,
                placed_at=placed,
                paid_at=placed + dt.timedelta(minutes=1 + _stable(reference) % 30),
                shipped_at=shipped,
                delivered_at=delivered,
                completed_at=completed,
                carrier=carrier if shipped else "",
                tracking_number=waybill if shipped else "",
            )
            day = timezone.localtime(placed).date()
            per_sku: dict[int, list[Reservation]] = defaultdict(list)
            for reservation in held:
                per_sku[reservation.sku_id].append(reservation)
            lines = []
            for number, (sku_id, group) in enumerate(sorted(per_sku.items()), start=1):
                units = sum(r.quantity for r in group)
                quote = book.quote(sku_id, on=day, customer=customer, shop=shop)
                if quote is not None and quote.promotion is not None:
                    order.note = quote.promotion.name
                lines.append(
                    SalesOrderLine(
                        line_no=number,
                        sku_id=sku_id,
                        platform_code=group[0].sku.code,
                        quantity=units,
                        price_type=quote.price_type if quote else PriceType.RETAIL,
                        unit_price=quote.unit_price if quote else ZERO,
                        promotion=quote.promotion if quote else None,
                        shipped_quantity=units if shipped else 0,
                        cost_of_goods=cost.get((reference, sku_id)) if shipped else None,
                    )
                )
            orders.append(order)
            lines_of[reference] = lines
            holds_of[reference] = per_sku
            if shipped is not None:
                rate = PEAK_CATCH_RATE if peak and shipped.date() in peak else CATCH_RATE
                if self.rng.random() < rate:
                    self.catches.append((reference, shipped - dt.timedelta(hours=1)))

        Customer.objects.bulk_create(list(customers.values()), batch_size=1000)
        for order in orders:
            if order.customer is not None and order.customer.pk is None:
                order.customer = customers[order.customer.code]
        SalesOrder.objects.bulk_create(orders, batch_size=1000)
        self.history = {order.number: order for order in orders}
        all_lines, links = [], []
        for order in orders:
            for line in lines_of[order.number]:
                line.order = order
                all_lines.append(line)
        SalesOrderLine.objects.bulk_create(all_lines, batch_size=2000)
        for order in orders:
            for line in lines_of[order.number]:
                links += [
                    LineReservation(line=line, reservation=r)
                    for r in holds_of[order.number][line.sku_id]
                ]
        LineReservation.objects.bulk_create(links, batch_size=2000)
        self.counts["sales orders"] += len(orders)
        self.counts["order lines"] += len(all_lines)
        self.counts["customers"] += len(customers) + len(self.distributors)

    def build_promotions(
        self, by_order: dict[str, list[Reservation]], placed_of: dict[str, dt.datetime]
    ) -> PriceBook:
        """Create the demo campaigns as promotions on the best sellers of their period and
        scope; return the prices in effect of every SKU the history sold, over its days."""
        skus = {r.sku_id: r.sku for held in by_order.values() for r in held}
        sales: list[tuple[dt.date, Shop, int, int]] = [
            (
                timezone.localtime(placed_of[reference]).date(),
                self.shop_for(reference),
                r.sku_id,
                r.quantity,
            )
            for reference, held in by_order.items()
            for r in held
        ]
        today = timezone.localdate()
        channels = {shop.channel.code: shop.channel for shop in self.shops}
        shops = {shop.code: shop for shop in self.shops}
        newest = sorted(
            (s for s in skus.values() if s.retail_price and s.cost_price),
            key=lambda s: (s.created_at, s.pk),
            reverse=True,
        )
        items, spend = [], []
        for campaign in self.campaigns:
            channel = channels.get(campaign.channel) if campaign.channel else None
            shop = shops.get(campaign.shop) if campaign.shop else None
            if campaign.percent:
                # New products, where ten per cent off still clears the floor over cost.
                chosen = [
                    s
                    for s in newest
                    if s.retail_price * (1 - campaign.discount)
                    >= s.cost_price * PROMOTION_FLOOR_OVER_COST
                ][: campaign.items]
            else:
                first, last = campaign.start, campaign.end
                if first > today:  # upcoming: what sells now
                    first, last = today - dt.timedelta(days=BEST_SELLER_DAYS), today
                units = Counter()
                for day, sold_by, sku_id, quantity in sales:
                    in_scope = (shop is None or sold_by == shop) and (
                        channel is None or sold_by.channel_id == channel.pk
                    )
                    if first <= day <= last and in_scope:
                        units[sku_id] += quantity
                ranked = sorted(units, key=lambda sku_id: (-units[sku_id], sku_id))
                chosen = [skus[sku_id] for sku_id in ranked][: campaign.items]
            row = Promotion.objects.create(
                name=campaign.name,
                channel=channel or (shop.channel if shop else None),
                shop=shop,
                starts_on=campaign.start,
                ends_on=campaign.end,
                note=campaign.note,
            )
            for sku in chosen:
                if campaign.percent:
                    items.append(
                        PromotionItem(promotion=row, sku=sku, percent_off=campaign.discount * 100)
                    )
                    continue
                price = campaign_price(sku, campaign.discount)
                if sku.retail_price and price < sku.retail_price:
                    items.append(PromotionItem(promotion=row, sku=sku, price=price))
            self.counts["promotions"] += 1
            spend.extend(campaign_spend(row, campaign, len(chosen)))
            # Inventory's demo locked stock under the campaign's name and year: the locks
            # are the promotion's now (released with it, shown on its page).
            self.counts["promotion stock locks"] += StockLock.objects.filter(
                reference_type=PROMOTION_REFERENCE,
                reference_id=f"{campaign.name}-{campaign.start:%Y}",
            ).update(reference_id=str(row.pk))
        PromotionItem.objects.bulk_create(items, batch_size=2000)
        PromotionSpend.objects.bulk_create(spend)
        self.counts["promotion items"] += len(items)
        self.counts["promotion spend"] += len(spend)
        days = [day for day, *_rest in sales] or [today]
        return PriceBook(skus.values(), first_day=min(days), last_day=max(days))

    @staticmethod
    def busiest_week(shipped_at: dict[str, dt.datetime]) -> set[dt.date]:
        days: dict[dt.date, int] = defaultdict(int)
        for moment in shipped_at.values():
            days[timezone.localtime(moment).date()] += 1
        if not days:
            return set()
        top = max(days, key=lambda day: (days[day], day))
        return {top + dt.timedelta(days=n) for n in range(-3, 4)}

    def record_catches(self) -> None:
        """Packing checks that caught a wrong parcel before it shipped, on the ship day."""
        checks = [
            PackingCheck(
                order=self.history[reference],
                passed=False,
                problems=_("%(code)s is not in this order") % {"code": "6900000000000"},
                checked_at=when,
            )
            for reference, when in self.catches
        ]
        PackingCheck.objects.bulk_create(checks)
        PackingScan.objects.bulk_create(
            PackingScan(packing_check=check, barcode="6900000000000", result=ScanResult.WRONG_ITEM)
            for check in checks
        )
        self.counts["packing catches"] += len(checks)

    def backorders(self) -> None:
        """Channel orders for the backordered quantities inventory's demo recorded."""
        rows = (
            WarehouseStock.objects.filter(backordered__gt=0)
            .select_related("sku", "warehouse")
            .order_by("warehouse__code", "sku__code")
        )
        for number, row in enumerate(rows, start=1):
            shop = self.shops[number % (len(self.shops) - 1)]
            paid = self.now - dt.timedelta(hours=number * 5)
            channel = next(row[0] for row in CHANNELS if row[3] == shop.code)
            order = SalesOrder.objects.create(
                shop=shop,
                customer=self.buyer(f"backorder-{number}"),
                number=self.number_for(f"backorder-{number}", channel=channel),
                source=OrderSource.CHANNEL,
                warehouse=row.warehouse,
                status=OrderStatus.PAID,
                placed_at=paid,
                paid_at=paid,
            )
            SalesOrderLine.objects.create(
                order=order,
                line_no=1,
                sku=row.sku,
                platform_code=row.sku.code,
                quantity=row.backordered,
                unit_price=row.sku.retail_price or ZERO,
                backordered=row.backordered,  # already counted in the stock column
            )
            self.counts["backordered orders"] += 1

    # --- Open orders through the services ---------------------------------------------------

    def open_orders(self) -> None:
        """Fresh orders in every state, placed through the services."""
        allocated = list(SalesOrder.objects.filter(status=OrderStatus.ALLOCATED).order_by("number"))
        if not allocated:
            return
        warehouse = allocated[0].warehouse
        in_stock = list(
            WarehouseStock.objects.annotate_available()
            .filter(warehouse=warehouse, available__gte=5, sku__is_bundle=False)
            .select_related("sku")
            .order_by("sku__code")[:6]
        )
        tmall = self.shops[0]
        # A wave of three allocated orders being picked: one packed, one caught wrong.
        wave = allocated[:3]
        services.wave_pick(warehouse=warehouse, orders=wave)
        if wave:
            expected = services.expected_items(wave[0])
            skus = SKU.objects.in_bulk(list(expected))
            barcodes = [
                skus[sku_id].barcode or skus[sku_id].code
                for sku_id, units in sorted(expected.items())
                for _n in range(units)
            ]
            services.packing_check(order=wave[0], barcodes=barcodes)
        if len(wave) > 1:
            services.packing_check(order=wave[1], barcodes=["6900000000000"])
        # Pending payment, a staff order for a distributor, one cancelled.
        if in_stock:
            first = in_stock[0].sku
            services.order_place(
                shop=tmall,
                number=self.number_for("pending-1", channel="TMALL"),
                customer=self.buyer("pending-1"),
                source=OrderSource.CHANNEL,
                lines=[services.OrderLineInput(quantity=1, sku=first)],
            )
            # Past customers' orders still unpaid a day or more on: support's follow-ups.
            returning = (
                SalesOrder.objects.filter(
                    status=OrderStatus.COMPLETED, customer__kind=CustomerKind.RETAIL
                )
                .order_by("-placed_at", "number")
                .values_list("customer", flat=True)[:2]
            )
            for n, (customer_id, hours) in enumerate(zip(returning, (30, 74), strict=False)):
                services.order_place(
                    shop=tmall,
                    number=self.number_for(f"unpaid-{n}", channel="TMALL"),
                    customer=Customer.objects.get(pk=customer_id),
                    source=OrderSource.CHANNEL,
                    placed_at=self.now - dt.timedelta(hours=hours),
                    lines=[
                        services.OrderLineInput(
                            quantity=1 + n, sku=in_stock[(n + 1) % len(in_stock)].sku
                        )
                    ],
                )
            services.order_place(
                shop=self.shops[-1],
                customer=self.distributors[0],
                source=OrderSource.STAFF,
                paid_at=self.now,
                lines=[services.OrderLineInput(quantity=2, sku=first)],
                note=_("Weekly replenishment"),
            )
            cancelled = services.order_place(
                shop=tmall,
                number=self.number_for("cancel-1", channel="TMALL"),
                customer=self.buyer("cancel-1"),
                source=OrderSource.CHANNEL,
                paid_at=self.now,
                lines=[services.OrderLineInput(quantity=1, sku=in_stock[-1].sku)],
            )
            services.order_cancel(order=cancelled, reason=_("Buyer cancelled"))
        # A channel order naming a code no listing answers to: it waits in the queue.
        services.order_place(
            shop=tmall,
            number=self.number_for("unmatched-1", channel="TMALL"),
            customer=self.buyer("unmatched-1"),
            source=OrderSource.CHANNEL,
            paid_at=self.now,
            lines=[
                services.OrderLineInput(
                    quantity=1, platform_code="5566778899", unit_price=Decimal("129.00")
                )
            ],
        )
        ChannelListing.objects.filter(platform_sku_code="5566778899").update(
            title="精细 新款保温杯 500ml 星空蓝"
        )
        # Returns of two completed orders: one wrong item restocked, one damaged scrapped.
        completed = list(
            SalesOrder.objects.filter(status=OrderStatus.COMPLETED, warehouse=warehouse).order_by(
                "-shipped_at", "number"
            )[:2]
        )
        for order, reason, disposition in zip(
            completed,
            (ReturnReason.WRONG_ITEM, ReturnReason.DAMAGED),
            (ReturnDisposition.RESTOCK, ReturnDisposition.SCRAP),
            strict=False,
        ):
            line = order.lines.first()
            services.return_create(
                order=order,
                lines=[
                    services.ReturnLineInput(
                        order_line=line,
                        quantity=1,
                        reason=reason,
                        disposition=disposition,
                        refund_amount=line.unit_price,
                    )
                ],
            )
            self.counts["returns"] += 1


def campaign_price(sku: SKU, discount: Decimal) -> Decimal:
    """Return a campaign's fixed price for ``sku``: retail less ``discount``, charm-rounded as
    shops price, but never within 8 % of the cost nor above retail."""
    retail = sku.retail_price or ZERO
    if sku.cost_price is None:
        return retail
    discounted = Decimal(charm_price_cents(float(retail * (1 - discount)))) / 100
    floor = (sku.cost_price * PROMOTION_FLOOR_OVER_COST).quantize(Decimal("0.01"))
    return min(retail, max(discounted, floor))


def seed_orders(*, scale: str, seed: int = 42, stdout=None) -> dict[str, int]:
    """Load the demo orders unless orders exist; return the rows created per kind."""
    if SalesOrder.objects.exists() or Channel.objects.exists():
        _say(stdout, _("Orders exist already: demo orders skipped."))
        return {}
    warehouse = Warehouse.objects.order_by("code").filter(code="SH1").first()
    warehouse = warehouse or Warehouse.objects.order_by("code").first()
    if warehouse is None:
        _say(stdout, _("No warehouse: demo orders skipped."))
        return {}
    started = time.monotonic()
    loader = OrderLoader(seed=seed, stdout=stdout)
    loader.catches = []
    with transaction.atomic():
        loader.build_channels(warehouse)
        loader.read_olist()
        loader.build_history()
        loader.counts["reviews"] += seed_reviews(
            olist_of=loader.orders, orders=loader.history, shift=loader.shift
        )
        loader.record_catches()
        loader.backorders()
        loader.open_orders()
    shipped = SalesOrderLine.objects.filter(shipped_quantity__gt=0).aggregate(
        units=Sum("shipped_quantity"), amount=Sum(F("unit_price") * F("quantity"))
    )
    _say(
        stdout,
        "  "
        + _("%(orders)d orders, %(units)d units shipped (%(seconds).1f s)")
        % {
            "orders": loader.counts["sales orders"],
            "units": shipped["units"] or 0,
            "seconds": time.monotonic() - started,
        },
    )
    return dict(loader.counts)


# The orders tables, children first.
ORDER_MODELS = (
    Review,
    Inquiry.skus.through,
    Inquiry,
    ShopTraffic,
    ReturnLine,
    Return,
    PromotionSpend,
    PackingScan,
    PackingCheck,
    LineReservation,
    SalesOrderLine,
    SalesOrder,
    PromotionItem,
    Promotion,
    ChannelListing,
    Customer,
    Shop,
    Channel,
)


def orders_reset() -> None:
    """Delete all orders data (the stock it held is inventory's to reset)."""
    with transaction.atomic():
        for model in ORDER_MODELS:
            queryset = model.objects.all()
            queryset._raw_delete(queryset.db)


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    counts = seed_orders(scale=scale, seed=seed, stdout=stdout)
    # Visitors only for a history this demo wrote (none when orders existed already).
    if counts:
        counts |= seed_traffic(seed=seed)
    return counts


def demo_reset() -> None:
    orders_reset()
