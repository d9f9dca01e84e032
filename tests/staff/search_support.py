"""The small catalogue the search tests count facets on by hand."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from catalog import services as catalog_services
from catalog.enums import AttributeType, ProductRole, ProductStatus
from catalog.models import Attribute, AttributeValue, Category, CategoryAttribute, Product
from inventory import services as inventory_services
from orders.enums import ChannelKind, OrderSource, OrderStatus
from orders.models import Channel, SalesOrder, SalesOrderLine, Shop
from staff.search_facts import search_facts_refresh
from tests.factories import (
    AttributeFactory,
    BrandFactory,
    ProductFactory,
    SKUFactory,
    SlotFactory,
    WarehouseFactory,
)


@dataclass
class Shop4:
    """Four products over two 大类 (hand-counted facets in the tests below)."""

    top_a: Category
    middle_a: Category
    leaf_a1: Category
    leaf_a2: Category
    top_b: Category
    products: dict[str, Product]
    attributes: dict[str, Attribute]


def _category(name, code, parent=None):
    return catalog_services.category_create(name=name, code=code, parent=parent)


def _sell(sku, shop, quantity, *, days_ago=2, status=OrderStatus.PAID):
    order = SalesOrder.objects.create(
        shop=shop,
        number=f"S-{SalesOrder.objects.count() + 1}",
        source=OrderSource.CHANNEL,
        warehouse=shop.warehouse,
        status=status,
        placed_at=timezone.now() - dt.timedelta(days=days_ago),
    )
    SalesOrderLine.objects.create(
        order=order, line_no=1, sku=sku, quantity=quantity, unit_price=Decimal("10.00")
    )


def _receive(slot, sku, quantity):
    line = inventory_services.ReceiptLine(sku=sku, quantity=quantity, unit_cost=Decimal("1.00"))
    inventory_services.stock_receive(slot=slot, lines=[line])


def build_shop4() -> Shop4:
    """p1 甲 traffic listed 新 ¥30 stock 25 (in) sold 5 · p2 乙 regular listed ¥80 stock 3 ≤ 5
    (low) sold 10 · p3 甲 image draft 名 ¥150 no stock (out) · p4 丙 regular listed ¥60 + ¥600
    stock 10 + 10 (in) sold 1. p1, p2 under 大类 A / 中类 A1 / 小类 A1a, p3 under A1b, p4 under
    大类 B. Colours (SKU level; p3 on the product), audiences and a B-only yes/no attribute."""
    top_a = _category("食品", "A")
    middle_a = _category("零食", "A1", top_a)
    leaf_a1 = _category("饼干", "A1a", middle_a)
    leaf_a2 = _category("糖果", "A1b", middle_a)
    top_b = _category("家电", "B")
    leaf_b = _category("电饭煲", "B1a", _category("厨电", "B1", top_b))
    jia, yi, bing = (BrandFactory(name=n) for n in ("甲牌", "乙牌", "丙牌"))
    p1 = ProductFactory(
        code="P1",
        name="奶香饼干",
        category=leaf_a1,
        brand=jia,
        role=ProductRole.TRAFFIC,
        status=ProductStatus.LISTED,
        is_new=True,
    )
    p2 = ProductFactory(
        code="P2", name="苏打饼干", category=leaf_a1, brand=yi, status=ProductStatus.LISTED
    )
    p3 = ProductFactory(
        code="P3",
        name="礼盒糖果",
        category=leaf_a2,
        brand=jia,
        role=ProductRole.IMAGE,
        status=ProductStatus.DRAFT,
        is_famous=True,
    )
    p4 = ProductFactory(
        code="P4", name="智能电饭煲", category=leaf_b, brand=bing, status=ProductStatus.LISTED
    )
    s1 = SKUFactory(product=p1, retail_price="30.00", cost_price="20.00", warning_level=5)
    s2 = SKUFactory(product=p2, retail_price="80.00", cost_price="40.00", warning_level=5)
    SKUFactory(product=p3, retail_price="150.00", cost_price=None)
    s4a = SKUFactory(product=p4, retail_price="60.00", cost_price="54.00")
    s4b = SKUFactory(product=p4, retail_price="600.00", cost_price="300.00", barcode=None)
    SKUFactory(product=p4, retail_price="9999.00", is_active=False)  # inactive: not counted
    slot = SlotFactory(warehouse=WarehouseFactory())
    for sku, quantity in ((s1, 25), (s2, 3), (s4a, 10), (s4b, 10)):
        _receive(slot, sku, quantity)
    channel = Channel.objects.create(code="T", name="天猫", kind=ChannelKind.TMALL)
    shop = Shop.objects.create(channel=channel, code="T1", name="旗舰店", warehouse=slot.warehouse)
    _sell(s1, shop, 5)
    _sell(s2, shop, 10)
    _sell(s4a, shop, 1)
    _sell(s4a, shop, 7, days_ago=40)  # too old
    _sell(s2, shop, 9, status=OrderStatus.CANCELLED)  # cancelled

    colour = AttributeFactory(
        code="colour",
        name="颜色",
        value_type=AttributeType.CHOICE,
        options=["红", "蓝"],
        use_web_filter=True,
        use_variant=True,
    )
    audience = AttributeFactory(
        code="audience",
        name="适用人群",
        value_type=AttributeType.MULTI_CHOICE,
        options=["男士", "儿童"],
        use_web_filter=True,
        use_marketing=True,
    )
    origin = AttributeFactory(
        code="origin", name="产地", value_type=AttributeType.CHOICE, options=["江苏"]
    )
    smart = AttributeFactory(
        code="smart", name="智能", value_type=AttributeType.BOOLEAN, use_web_filter=True
    )
    for attribute in (colour, audience, origin):
        CategoryAttribute.objects.create(category=top_a, attribute=attribute)
    CategoryAttribute.objects.create(category=top_b, attribute=smart)
    AttributeValue.objects.create(attribute=colour, sku=s1, value_text="红")
    AttributeValue.objects.create(attribute=colour, sku=s2, value_text="蓝")
    AttributeValue.objects.create(attribute=colour, product=p3, value_text="红")
    AttributeValue.objects.create(attribute=audience, product=p1, value_list=["男士", "儿童"])
    AttributeValue.objects.create(attribute=audience, product=p2, value_list=["儿童"])
    AttributeValue.objects.create(attribute=origin, product=p1, value_text="江苏")
    AttributeValue.objects.create(attribute=smart, product=p4, value_boolean=True)
    search_facts_refresh()
    return Shop4(
        top_a,
        middle_a,
        leaf_a1,
        leaf_a2,
        top_b,
        {"p1": p1, "p2": p2, "p3": p3, "p4": p4},
        {"colour": colour, "audience": audience},
    )
