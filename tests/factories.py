"""Factories for tests. Categories go through the tree service so the tree stays valid."""

import factory
from factory.django import DjangoModelFactory

from catalog import services
from catalog.models import SKU, Attribute, Brand, Category, Product
from catalog.validators import ean13_check_digit


def ean13(n: int) -> str:
    """Return a valid EAN-13 built from the number ``n``."""
    first = f"69{n:010d}"[:12]
    return first + str(ean13_check_digit(first))


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类目{n}")
    code = factory.Sequence(lambda n: f"C{n:05d}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.category_create(**kwargs)


def leaf_category(**kwargs) -> Category:
    """Return a new 小类 under a new 中类 under a new 大类."""
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    return CategoryFactory(parent=middle, **kwargs)


class BrandFactory(DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"品牌{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"商品{n}")
    category = factory.LazyFunction(leaf_category)
    brand = factory.SubFactory(BrandFactory)


class SKUFactory(DjangoModelFactory):
    class Meta:
        model = SKU

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"S{n:07d}")
    name = factory.LazyAttribute(lambda o: f"{o.product.name} 规格")
    barcode = factory.Sequence(ean13)
    retail_price = factory.Faker("pydecimal", left_digits=3, right_digits=2, min_value=10)
    distribution_price = None
    cost_price = None
    weight_g = 500
    length_mm = 200
    width_mm = 100
    height_mm = 50


class AttributeFactory(DjangoModelFactory):
    class Meta:
        model = Attribute

    code = factory.Sequence(lambda n: f"attr_{n}")
    name = factory.Sequence(lambda n: f"属性{n}")
    value_type = "text"


# --- Inventory ------------------------------------------------------------------------------

from inventory.enums import SlotType  # noqa: E402
from inventory.models import Slot, Warehouse  # noqa: E402


class WarehouseFactory(DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.Sequence(lambda n: f"仓库{n}")


class SlotFactory(DjangoModelFactory):
    """A pick slot; pass ``slot_type`` for the others. Codes follow zone-aisle-shelf-level."""

    class Meta:
        model = Slot

    warehouse = factory.SubFactory(WarehouseFactory)
    zone = "A"
    code = factory.Sequence(lambda n: f"A-{n // 100 % 100:02d}-{n % 100:02d}-1")
    slot_type = SlotType.PICK
    pick_sequence = factory.Sequence(lambda n: n * 10)
