"""Product master data: the category tree, brands, products (SPU), SKUs, bundles and attributes.

Catalog sits at the bottom of the dependency graph: it imports no other Jingxi app, and every
other app points at its models.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from mptt.models import MPTTModel, TreeForeignKey
from simple_history.models import HistoricalRecords

from catalog.enums import (
    AttributeType,
    AttributeUse,
    ProductRole,
    ProductStatus,
    SelectionTag,
)
from catalog.validators import validate_ean13, validate_product_image

LEVEL_LABELS = (_("Major class (大类)"), _("Middle class (中类)"), _("Minor class (小类)"))

MONEY = {"max_digits": 12, "decimal_places": 2}


class Category(MPTTModel):
    """A node of the 大类/中类/小类 tree. Each top category is the root of its own tree.

    Tree writes go through ``catalog.services`` which serialises them; products hang on
    leaves only.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=50, unique=True)
    parent = TreeForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class MPTTMeta:
        order_insertion_by = ["sort_order", "name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="catalog_category_unique_name_per_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        """Return 大类 / 中类 / 小类 for levels 0 / 1 / 2."""
        if self.level < len(LEVEL_LABELS):
            return str(LEVEL_LABELS[self.level])
        return str(_("Level %(level)d")) % {"level": self.level}

    @property
    def path(self) -> str:
        """Return the path of names, ``大类 > 中类 > 小类`` (one query)."""
        return " > ".join(c.name for c in self.get_ancestors(include_self=True))


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=50, unique=True, blank=True, null=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A product (SPU): what customers see as one item, sold as one or more SKUs."""

    # Unique by a constraint in Meta: a unique field would also get a second index for
    # LIKE 'prefix%', which nothing here asks and every write pays for.
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="products",
        db_index=False,  # the (category, status) index leads with it
    )
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("brand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    role = models.CharField(
        _("product role"), max_length=16, choices=ProductRole.choices, default=ProductRole.REGULAR
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    is_famous = models.BooleanField(SelectionTag.FAMOUS.label, default=False)
    is_special = models.BooleanField(SelectionTag.SPECIAL.label, default=False)
    is_quality = models.BooleanField(SelectionTag.QUALITY.label, default=False)
    is_new = models.BooleanField(SelectionTag.NEW.label, default=False)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # History is read by the product's id and date; its copies of the code, brand and
    # category need no index (an import writes one history row per changed product).
    # simple-history would name the model "historical <name>", English and frozen in the
    # language of start-up: name it here so that it is translated per request.
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["code", "brand", "category"],
        verbose_name=_("product (SPU) history"),
        verbose_name_plural=_("product (SPU) history"),
    )

    class Meta:
        verbose_name = _("product (SPU)")
        verbose_name_plural = _("products (SPU)")
        ordering = ["code"]
        indexes = [models.Index(fields=["category", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="catalog_product_code_unique"),
            models.CheckConstraint(
                condition=Q(role__in=ProductRole.values), name="catalog_product_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProductStatus.values), name="catalog_product_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def selection_tags(self) -> list[str]:
        """Return the 名特优新 tags set on this product, in their canonical order."""
        return [tag for tag in SelectionTag.values if getattr(self, f"is_{tag}")]


class ProductCompleteness(models.Model):
    """A product's completeness per scope in percent, as last computed (a cache).

    ``catalog.selectors.products_completeness`` is the truth; pages that add completeness up
    over many products (the structure table, the flow board) read these rows, which
    ``catalog.services.completeness_store`` rewrites for a batch of products.
    """

    product = models.OneToOneField(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stored_completeness",
    )
    web = models.PositiveSmallIntegerField(_("web listing completeness (%)"))
    warehouse = models.PositiveSmallIntegerField(_("warehouse completeness (%)"))
    finance = models.PositiveSmallIntegerField(_("finance completeness (%)"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product completeness")
        verbose_name_plural = _("product completeness")

    def __str__(self) -> str:
        return f"{self.product_id}: {self.web} / {self.warehouse} / {self.finance}"


class SellingPoint(models.Model):
    """One selling point (卖点); a product's points are shown in ``sort_order``."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="selling_points"
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    text = models.CharField(_("text"), max_length=200)

    class Meta:
        verbose_name = _("selling point")
        verbose_name_plural = _("selling points")
        ordering = ["product", "sort_order", "id"]

    def __str__(self) -> str:
        return self.text


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    """An image of a product; the one with the lowest ``sort_order`` is the main image."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(
        _("image"), upload_to=product_image_path, validators=[validate_product_image]
    )
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=product_image_path, blank=True, editable=False
    )
    alt_text = models.CharField(_("alternative text"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["product", "sort_order", "id"]

    def __str__(self) -> str:
        return self.alt_text or self.image.name


class SKU(models.Model):
    """A stock-keeping unit: the variant that is bought, stored, sold and costed.

    A bundle (组合装) SKU is made of component SKUs and holds no stock of its own.
    """

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    # Code and barcode are unique by constraints in Meta (see Product.code).
    code = models.CharField(_("SKU code"), max_length=50)
    name = models.CharField(_("name"), max_length=200, blank=True)
    barcode = models.CharField(  # noqa: DJ001 - NULL for none: many SKUs lack one, unique
        _("barcode (EAN-13)"),
        max_length=13,
        null=True,
        blank=True,
        validators=[validate_ean13],
    )
    retail_price = models.DecimalField(
        _("retail price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Retail price cannot be negative."))],
    )
    distribution_price = models.DecimalField(
        _("distribution price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Distribution price cannot be negative."))],
    )
    cost_price = models.DecimalField(
        _("cost price"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Cost price cannot be negative."))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    length_mm = models.PositiveIntegerField(_("length (mm)"), null=True, blank=True)
    width_mm = models.PositiveIntegerField(_("width (mm)"), null=True, blank=True)
    height_mm = models.PositiveIntegerField(_("height (mm)"), null=True, blank=True)
    warning_level = models.PositiveIntegerField(
        _("warning level"),
        default=0,
        help_text=_("Available stock at or below this level raises a low-stock alert (预警值)."),
    )
    is_bundle = models.BooleanField(
        _("bundle"), default=False, help_text=_("A bundle (组合装) is made of component SKUs.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # History is read by the SKU's id and date (price history); its copies of the code,
    # barcode and product need no index (an import writes one history row per changed SKU).
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["code", "barcode", "product"],
        verbose_name=_("SKU history"),
        verbose_name_plural=_("SKU history"),
    )

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        # Field-level permissions (catalog.access): the role matrix grants them.
        permissions = [
            ("view_cost", _("Can see cost prices, costs and COGS")),
            ("view_margin", _("Can see margins")),
        ]
        ordering = ["code"]
        indexes = [
            # Active SKUs counted per product (the structure table) by an index-only scan.
            models.Index(
                fields=["product"], condition=Q(is_active=True), name="catalog_sku_active_product"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="catalog_sku_code_unique"),
            models.UniqueConstraint(fields=["barcode"], name="catalog_sku_barcode_unique"),
            models.CheckConstraint(
                condition=Q(retail_price__gte=0) | Q(retail_price__isnull=True),
                name="catalog_sku_retail_price_non_negative",
                violation_error_message=_("Retail price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(distribution_price__gte=0) | Q(distribution_price__isnull=True),
                name="catalog_sku_distribution_price_non_negative",
                violation_error_message=_("Distribution price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0) | Q(cost_price__isnull=True),
                name="catalog_sku_cost_price_non_negative",
                violation_error_message=_("Cost price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def volume_mm3(self) -> int | None:
        if self.length_mm and self.width_mm and self.height_mm:
            return self.length_mm * self.width_mm * self.height_mm
        return None


class BundleComponent(models.Model):
    """``quantity`` units of ``component`` go into one unit of ``bundle``."""

    bundle = models.ForeignKey(
        SKU, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(
        SKU, verbose_name=_("component"), on_delete=models.PROTECT, related_name="used_in_bundles"
    )
    quantity = models.PositiveIntegerField(
        _("quantity"),
        default=1,
        validators=[MinValueValidator(1, message=_("Component quantity must be at least 1."))],
    )

    class Meta:
        verbose_name = _("bundle component")
        verbose_name_plural = _("bundle components")
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "component"], name="catalog_bundle_component_unique"
            ),
            models.CheckConstraint(
                condition=~Q(bundle=models.F("component")),
                name="catalog_bundle_not_own_component",
                violation_error_message=_("A bundle cannot contain itself."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="catalog_bundle_component_quantity_positive",
                violation_error_message=_("Component quantity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component.code}"


# Attribute uses are stored as one boolean column each so they filter in SQL on every backend.
USE_FIELDS: dict[str, str] = {use: f"use_{use}" for use in AttributeUse.values}


class Attribute(models.Model):
    """A typed product or SKU property and the staff uses it serves."""

    code = models.SlugField(_("code"), max_length=50, unique=True, allow_unicode=False)
    name = models.CharField(_("name"), max_length=100)
    value_type = models.CharField(
        _("type"), max_length=16, choices=AttributeType.choices, default=AttributeType.TEXT
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    options = models.JSONField(
        _("allowed options"),
        default=list,
        blank=True,
        help_text=_("For choice and multiple choice attributes: the allowed values."),
    )
    use_web_filter = models.BooleanField(AttributeUse.WEB_FILTER.label, default=False)
    use_web_display = models.BooleanField(AttributeUse.WEB_DISPLAY.label, default=False)
    display_priority = models.PositiveIntegerField(
        _("display priority"), default=100, help_text=_("Lower numbers are shown first.")
    )
    use_variant = models.BooleanField(AttributeUse.VARIANT.label, default=False)
    use_warehouse = models.BooleanField(AttributeUse.WAREHOUSE.label, default=False)
    use_logistics = models.BooleanField(AttributeUse.LOGISTICS.label, default=False)
    use_customer_service = models.BooleanField(AttributeUse.CUSTOMER_SERVICE.label, default=False)
    use_marketing = models.BooleanField(AttributeUse.MARKETING.label, default=False)
    use_finance = models.BooleanField(AttributeUse.FINANCE.label, default=False)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        # Which attribute values a user sees follows the uses the attribute serves.
        permissions = [
            (f"view_use_{use}", f"Can see values of attributes for the {use} use")
            for use in AttributeUse.values
        ]
        ordering = ["display_priority", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_type__in=AttributeType.values),
                name="catalog_attribute_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def uses(self) -> set[str]:
        """Return the codes of the uses this attribute serves."""
        return {use for use, field in USE_FIELDS.items() if getattr(self, field)}


class CategoryAttribute(models.Model):
    """Attaches an attribute to a category; descendants inherit it."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="category_attributes",
    )
    attribute = models.ForeignKey(
        Attribute,
        verbose_name=_("attribute"),
        on_delete=models.CASCADE,
        related_name="category_attributes",
    )
    is_required = models.BooleanField(_("required"), default=False)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        ordering = ["category", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "attribute"], name="catalog_category_attribute_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.attribute}"


class AttributeValue(models.Model):
    """The typed value of one attribute for a product or for a SKU (exactly one of them).

    Only the column matching the attribute's type is set; ``catalog.services`` parses and
    validates raw input against the attribute definition before writing.
    """

    attribute = models.ForeignKey(
        Attribute,
        verbose_name=_("attribute"),
        on_delete=models.PROTECT,
        related_name="values",
        # Values are looked up by owner and attribute (the unique indexes below); all values
        # of an attribute (export, deleting an attribute) read the table through.
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attribute_values",
        # Indexed by the unique (product, attribute) index below, which leads with it.
        db_index=False,
    )
    sku = models.ForeignKey(
        SKU,
        verbose_name=_("SKU"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attribute_values",
        # Indexed by the unique (sku, attribute) index below, which leads with it.
        db_index=False,
    )
    value_text = models.TextField(_("text value"), blank=True, default="")
    value_integer = models.BigIntegerField(_("integer value"), null=True, blank=True)
    value_decimal = models.DecimalField(
        _("decimal value"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    value_boolean = models.BooleanField(_("yes / no value"), null=True, blank=True)
    value_date = models.DateField(_("date value"), null=True, blank=True)
    value_list = models.JSONField(_("multiple choice value"), default=list, blank=True)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(sku__isnull=True))
                | (Q(product__isnull=True) & Q(sku__isnull=False)),
                name="catalog_attribute_value_one_owner",
                violation_error_message=_("A value belongs to a product or to a SKU, not both."),
            ),
            models.UniqueConstraint(
                # Owner first: the index also serves "values of this product" (and its
                # cascade), so the owner column needs no index of its own; the import
                # writes one index entry less per value.
                fields=["product", "attribute"],
                condition=Q(product__isnull=False),
                name="catalog_attribute_value_unique_product",
            ),
            models.UniqueConstraint(
                fields=["sku", "attribute"],
                condition=Q(sku__isnull=False),
                name="catalog_attribute_value_unique_sku",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute.code}={self.display_value}"

    @property
    def value(self):
        """Return the typed value stored in the column that matches the attribute's type."""
        match self.attribute.value_type:
            case AttributeType.INTEGER:
                return self.value_integer
            case AttributeType.DECIMAL:
                return self.value_decimal
            case AttributeType.BOOLEAN:
                return self.value_boolean
            case AttributeType.DATE:
                return self.value_date
            case AttributeType.MULTI_CHOICE:
                return list(self.value_list)
            case _:
                return self.value_text

    @property
    def display_value(self) -> str:
        value = self.value
        if value is None or value == "" or value == []:
            return ""
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if isinstance(value, list):
            return "; ".join(value)
        if isinstance(value, Decimal):
            value = value.normalize()
            text = f"{value:f}"
        else:
            text = str(value)
        unit = self.attribute.unit
        return f"{text} {unit}" if unit else text

    @property
    def is_filled(self) -> bool:
        return self.display_value != ""
