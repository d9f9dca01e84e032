"""The hand-made storefront of the shelf plan's tests: two 大类, products of every kind and
fate (in stock or not, listed or not, sold, new, pinned, excluded, a bundle)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from catalog import services as catalog_services
from catalog.enums import ProductRole, ProductStatus
from catalog.models import Product
from inventory import services as inventory_services
from orders.enums import ChannelKind, OrderSource, OrderStatus
from orders.models import Channel, SalesOrder, SalesOrderLine, Shop
from staff import services
from staff.enums import ShelfPinKind, ShelfSlot
from tests.factories import CategoryFactory, ProductFactory, SKUFactory, SlotFactory


class Storefront:
    """The hand-made storefront: two 大类, products of every kind and fate."""

    def __init__(self):
        now = timezone.now()
        self.warehouse_slot = SlotFactory()
        channel = Channel.objects.create(code="SHELF", name="货架渠道", kind=ChannelKind.TMALL)
        self.shop = Shop.objects.create(
            channel=channel, code="S1", name="货架店", warehouse=self.warehouse_slot.warehouse
        )
        # Created second but sorted first: floors follow the tree's sort order.
        self.food = CategoryFactory(name="食品", code="FOOD", sort_order=2)
        self.home = CategoryFactory(name="家电", code="HOME", sort_order=1)
        self.kitchen = CategoryFactory(name="厨房电器", code="KITCHEN", parent=self.home)
        self.cleaning = CategoryFactory(name="清洁电器", code="CLEAN", parent=self.home)
        self.snacks = CategoryFactory(name="休闲零食", code="SNACKS", parent=self.food)
        rice = CategoryFactory(name="电饭煲", code="RICE", parent=self.kitchen)
        vacuum = CategoryFactory(name="吸尘器", code="VACUUM", parent=self.cleaning)
        nuts = CategoryFactory(name="坚果", code="NUTS", parent=self.snacks)

        self.flagship = self.product("P-FLAG", "旗舰电饭煲", rice, ProductRole.IMAGE)
        self.traffic_hot = self.product("P-HOT", "爆款电饭煲", rice, ProductRole.TRAFFIC, sold=5)
        self.traffic_cold = self.product("P-COLD", "引流吸尘器", vacuum, ProductRole.TRAFFIC)
        self.traffic_empty = self.product(
            "P-EMPTY", "缺货电饭煲", rice, ProductRole.TRAFFIC, stock=0
        )
        self.traffic_delisted = self.product(
            "P-DELIST", "下架电饭煲", rice, ProductRole.TRAFFIC, status=ProductStatus.DELISTED
        )
        self.traffic_excluded = self.product(
            "P-EXCL", "排除电饭煲", rice, ProductRole.TRAFFIC, sold=9
        )
        self.best = self.product("P-BEST", "热销电饭煲", rice, ProductRole.REGULAR, sold=3)
        self.new = self.product("P-NEW", "新款电饭煲", rice, ProductRole.REGULAR, is_new=True)
        self.plain = self.product("P-PLAIN", "普通吸尘器", vacuum, ProductRole.REGULAR)
        self.pinned = self.product("P-PIN", "钉选吸尘器", vacuum, ProductRole.REGULAR)
        self.nuts_traffic = self.product("P-NUTS", "特价坚果", nuts, ProductRole.TRAFFIC)
        self.nuts_sold_new = self.product(
            "P-MIX", "每日坚果", nuts, ProductRole.REGULAR, sold=2, is_new=True
        )
        self.nuts_pinned_empty = self.product(
            "P-GIFT", "坚果礼盒", nuts, ProductRole.REGULAR, stock=0
        )
        # A bundle of two bags of the traffic nuts: its stock is what the bags make up.
        self.nuts_bundle = self.product(
            "P-DUO", "坚果双拼", nuts, ProductRole.REGULAR, stock=0, created_days_ago=3
        )
        bundle = SKUFactory(product=self.nuts_bundle, retail_price=Decimal("30.00"))
        catalog_services.bundle_set_components(
            bundle=bundle, components=[(self.nuts_traffic.skus.get(), 2)]
        )
        self.pin_featured = services.shelf_pin_set(
            product=self.pinned, kind=ShelfPinKind.PIN, slot=ShelfSlot.FEATURED
        )
        self.pin_empty = services.shelf_pin_set(
            product=self.nuts_pinned_empty, kind=ShelfPinKind.PIN, slot=ShelfSlot.BANNER
        )
        services.shelf_pin_set(product=self.traffic_excluded, kind=ShelfPinKind.EXCLUDE)
        self.now = now

    def product(
        self,
        code,
        name,
        category,
        role,
        *,
        status=ProductStatus.LISTED,
        stock=10,
        sold=0,
        is_new=False,
        created_days_ago=90,
    ) -> Product:
        product = ProductFactory(
            code=code, name=name, category=category, role=role, status=status, is_new=is_new
        )
        Product.objects.filter(pk=product.pk).update(
            created_at=timezone.now() - dt.timedelta(days=created_days_ago)
        )
        sku = SKUFactory(product=product, retail_price=Decimal("100.00"))
        if stock:
            line = inventory_services.ReceiptLine(sku=sku, quantity=stock, unit_cost=Decimal(50))
            inventory_services.stock_receive(slot=self.warehouse_slot, lines=[line])
        if sold:
            self.sell(sku, sold)
        product.refresh_from_db()
        return product

    def sell(self, sku, quantity, *, days_ago=2, status=OrderStatus.PAID):
        order = SalesOrder.objects.create(
            shop=self.shop,
            number=f"SHELF-{SalesOrder.objects.count() + 1}",
            source=OrderSource.CHANNEL,
            warehouse=self.warehouse_slot.warehouse,
            status=status,
            placed_at=timezone.now() - dt.timedelta(days=days_ago),
        )
        SalesOrderLine.objects.create(
            order=order, line_no=1, sku=sku, quantity=quantity, unit_price=Decimal("100.00")
        )
