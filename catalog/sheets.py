"""The catalogue's workbook sheets, declared for ``workbooks.sheets``.

``products``: one row per SKU, the layout of DESIGN.md ("Catalogue workbook"), with one
``attr:<code>`` column per attribute. ``categories``: the tree alone, one path per row.
``prices``: SKU and its three prices, for a price update.
"""

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.enums import AttributeType, ProductRole, ProductStatus
from catalog.exceptions import AttributeValueInvalid
from catalog.models import SKU, Attribute, Brand, Category, Product
from catalog.services import attribute_value_parse
from catalog.validators import validate_ean13
from workbooks.exceptions import CellInvalid
from workbooks.sheets import (
    Column,
    SheetSpec,
    choice_label_zh,
    parse_choice,
    parse_lines,
    parse_money,
    parse_text,
    parse_whole_number,
)

ATTRIBUTE_PREFIX = "attr:"
ATTRIBUTE_PREFIX_ZH = "属性:"
PATH_SEPARATOR = " > "


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def parse_path(raw) -> tuple[str, ...]:
    """Read a category path of names: ``大类 > 中类 > 小类`` (also with ＞)."""
    text = parse_text(1000)(raw).replace("＞", ">")
    parts = tuple(part.strip() for part in text.split(">"))
    if any(not part for part in parts):
        raise CellInvalid(_("Write the category path as 大类 > 中类 > 小类, names only."))
    limit = _max_length(Category, "name")
    for part in parts:
        if len(part) > limit:
            raise CellInvalid(
                _("The category name %(name)s is longer than %(limit)d characters.")
                % {"name": part, "limit": limit}
            )
    return parts


def path_to_cell(path: tuple[str, ...]) -> str:
    return PATH_SEPARATOR.join(path)


_barcode_text = parse_text(13)


def parse_barcode(raw) -> str:
    text = _barcode_text(raw)
    try:
        validate_ean13(text)
    except ValidationError as error:
        raise CellInvalid(" ".join(error.messages)) from None
    return text


_EAN_WEIGHTS = np.array([1, 3] * 6 + [0], dtype=np.int64)


def parse_barcodes(uniques: np.ndarray, parsed: np.ndarray) -> np.ndarray:
    """Parse the text cells of 13 ASCII digits with a right check digit at once (the
    ``parse_many`` of the barcode column); ``parse_barcode`` words what is wrong with others."""
    done = np.zeros(len(uniques), dtype=bool)
    candidates = [
        i
        for i, v in enumerate(uniques)
        if type(v) is str and len(v) == 13 and v.isascii() and v.isdigit()
    ]
    if not candidates:
        return done
    digits = np.frombuffer(
        "".join(uniques[i] for i in candidates).encode("ascii"), dtype=np.uint8
    ).reshape(-1, 13).astype(np.int64) - ord("0")
    right = (10 - (digits @ _EAN_WEIGHTS) % 10) % 10 == digits[:, 12]
    positions = np.asarray(candidates)[right]
    parsed[positions] = uniques[positions]
    done[positions] = True
    return done


def lines_to_cell(lines: tuple[str, ...]) -> str:
    return "\n".join(lines)


def money_to_cell(value: Decimal) -> Decimal:
    return value


PRODUCT_COLUMNS = (
    Column(
        "sku",
        "SKU编码",
        parse_text(_max_length(SKU, "code")),
        required=True,
        help=gettext_lazy("SKU code, unique. A new code creates a SKU; a known one updates it."),
        example="SKU-0001-RED",
    ),
    Column(
        "product",
        "商品编码",
        parse_text(_max_length(Product, "code")),
        required=True,
        help=gettext_lazy(
            "Product (SPU) code. Rows with the same code are SKUs of one product and must agree "
            "on the product columns (name, category, brand, role, status, selling points)."
        ),
        example="P-0001",
    ),
    Column(
        "name",
        "商品名称",
        parse_text(_max_length(Product, "name")),
        required=True,
        help=gettext_lazy("Product name."),
        example="纯棉T恤",
    ),
    Column(
        "category",
        "类目",
        parse_path,
        required=True,
        to_cell=path_to_cell,
        help=gettext_lazy(
            "Category path of names, 大类 > 中类 > 小类; missing categories are created "
            "unless the import forbids it. Products hang on leaf categories only."
        ),
        example=("服装", "上衣", "T恤"),
    ),
    Column(
        "brand",
        "品牌",
        parse_text(_max_length(Brand, "name")),
        help=gettext_lazy("Brand name; a new name creates the brand."),
        example="精细",
    ),
    Column(
        "role",
        "产品角色",
        parse_choice(ProductRole),
        zh_cell=choice_label_zh(ProductRole),
        help=gettext_lazy(
            "traffic (目标性/导流), regular (常规性) or image (形象); code or Chinese label."
        ),
        example=ProductRole.REGULAR.value,
    ),
    Column(
        "status",
        "状态",
        parse_choice(ProductStatus),
        zh_cell=choice_label_zh(ProductStatus),
        help=gettext_lazy(
            "draft (草稿), ready (待上架), listed (已上架) or delisted (已下架); code or Chinese "
            "label. Changes follow the product lifecycle; listing needs a complete product."
        ),
        example=ProductStatus.DRAFT.value,
    ),
    Column(
        "retail_price",
        "销售价",
        parse_money,
        help=gettext_lazy("Retail price in CNY: a number or text such as ¥12.50."),
        example=Decimal("59.00"),
    ),
    Column(
        "distribution_price",
        "分销价",
        parse_money,
        help=gettext_lazy("Distribution (wholesale) price in CNY."),
        example=Decimal("45.00"),
    ),
    Column(
        "cost_price",
        "成本价",
        parse_money,
        help=gettext_lazy(
            "Cost price in CNY; exported only to roles that may see costs, and imported only "
            "from them."
        ),
        example=Decimal("30.00"),
    ),
    Column(
        "barcode",
        "条码",
        parse_barcode,
        parse_many=parse_barcodes,
        help=gettext_lazy("EAN-13 barcode, 13 digits with a correct check digit."),
        example="6901234567892",
    ),
    Column(
        "weight_g",
        "重量(g)",
        parse_whole_number,
        help=gettext_lazy("Weight in grams."),
        example=250,
    ),
    Column(
        "length_mm",
        "长(mm)",
        parse_whole_number,
        help=gettext_lazy("Length in mm."),
        example=300,
    ),
    Column(
        "width_mm", "宽(mm)", parse_whole_number, help=gettext_lazy("Width in mm."), example=200
    ),
    Column(
        "height_mm",
        "高(mm)",
        parse_whole_number,
        help=gettext_lazy("Height in mm."),
        example=20,
    ),
    Column(
        "selling_points",
        "卖点",
        parse_lines,
        to_cell=lines_to_cell,
        help=gettext_lazy("Selling points (卖点), one per line (Alt+Enter in Excel), in order."),
        example=("100% 纯棉", "可机洗"),
    ),
    Column(
        "warning_level",
        "预警值",
        parse_whole_number,
        help=gettext_lazy("Warning level (预警值): available stock at or below it is low."),
        example=10,
    ),
)

# Columns that belong to the product (SPU): every row of a product must agree on them.
PRODUCT_FIELDS = ("name", "category", "brand", "role", "status", "selling_points")
SKU_FIELDS = (
    "retail_price",
    "distribution_price",
    "cost_price",
    "barcode",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "warning_level",
)
PRICE_FIELDS = ("retail_price", "distribution_price", "cost_price")


def attribute_key(attribute: Attribute) -> str:
    return f"{ATTRIBUTE_PREFIX}{attribute.code}"


# The AttributeValue column that holds each type of value.
VALUE_COLUMNS = {
    AttributeType.INTEGER: "value_integer",
    AttributeType.DECIMAL: "value_decimal",
    AttributeType.BOOLEAN: "value_boolean",
    AttributeType.DATE: "value_date",
    AttributeType.MULTI_CHOICE: "value_list",
    AttributeType.TEXT: "value_text",
    AttributeType.CHOICE: "value_text",
}


def attribute_cell_value(attribute: Attribute, columns: dict):
    """Return the comparable value of parsed columns: None when unset, tuples for lists."""
    match attribute.value_type:
        case AttributeType.INTEGER:
            return columns["value_integer"]
        case AttributeType.DECIMAL:
            value = columns["value_decimal"]
            return value.normalize() if value is not None else None
        case AttributeType.BOOLEAN:
            return columns["value_boolean"]
        case AttributeType.DATE:
            return columns["value_date"]
        case AttributeType.MULTI_CHOICE:
            return tuple(columns["value_list"] or ()) or None
        case _:
            return columns["value_text"] or None


def attribute_to_cell(value):
    if isinstance(value, tuple):
        return "; ".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value.normalize() if value == value.to_integral_value() else value
    return value


def attribute_column(attribute: Attribute, zh_name: str | None = None) -> Column:
    """Return the column of ``attribute``: ``attr:<code>``, in Chinese ``属性:<zh_name>``
    (the attribute's name where it names one attribute only, else its code)."""

    def parse(raw):
        if isinstance(raw, dt.datetime) and attribute.value_type == AttributeType.DATE:
            raw = raw.date()
        elif isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        try:
            columns = attribute_value_parse(attribute=attribute, raw=raw)
        except AttributeValueInvalid as error:
            raise CellInvalid(error.reason) from None
        return attribute_cell_value(attribute, columns)

    options = " / ".join(str(o) for o in attribute.options)
    description = f"{attribute.name} · {attribute.get_value_type_display()}"
    if attribute.unit:
        description += f" ({attribute.unit})"
    if options:
        description += f": {options}"
    owner = _("on the SKU") if attribute.use_variant else _("on the product")
    return Column(
        attribute_key(attribute),
        f"{ATTRIBUTE_PREFIX_ZH}{zh_name or attribute.code}",
        parse,
        to_cell=attribute_to_cell,
        help=f"{description}; {owner}",
    )


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("：", ":")).lower()


def attribute_names_zh() -> dict[str, str]:
    """Return code → name of the attributes whose name may head their Chinese column: a
    name that no other attribute has, and that is no attribute's code."""
    pairs = list(Attribute.objects.values_list("code", "name"))
    names = Counter(_header_key(name) for _code, name in pairs)
    codes = {_header_key(code) for code, _name in pairs}
    return {
        code: name
        for code, name in pairs
        if names[_header_key(name)] == 1 and _header_key(name) not in codes
    }


def products_spec(attributes: Iterable[Attribute] = ()) -> SheetSpec:
    """Return the products sheet with the fixed columns then one column per attribute.

    An attribute column is read under ``attr:<code>`` or ``属性:<code>``, and under
    ``属性:<name>`` where the name is unambiguous (the header Chinese exports write)."""
    attributes = list(attributes)
    zh_names = attribute_names_zh() if attributes else {}
    by_key = {attribute_key(a).lower(): a for a in attributes}
    by_key |= {f"{ATTRIBUTE_PREFIX_ZH}{a.code}".lower(): a for a in attributes}
    by_key |= {
        _header_key(f"{ATTRIBUTE_PREFIX_ZH}{zh_names[a.code]}"): a
        for a in attributes
        if a.code in zh_names
    }

    def dynamic(header: str) -> Column | None:
        attribute = by_key.get(header.replace(" ", ""))
        return attribute_column(attribute) if attribute is not None else None

    return SheetSpec(
        name="products",
        zh="商品",
        columns=(
            *PRODUCT_COLUMNS,
            *(attribute_column(a, zh_names.get(a.code)) for a in attributes),
        ),
        key="sku",
        dynamic=dynamic,
        notes=gettext_lazy(
            "One row per SKU. attr:<code> columns hold attribute values: variant attributes "
            "on the SKU, the others on the product (every row of a product must agree)."
        ),
    )


CATEGORIES_SPEC = SheetSpec(
    name="categories",
    zh="类目",
    columns=(
        Column(
            "category",
            "类目",
            parse_path,
            required=True,
            to_cell=path_to_cell,
            help=gettext_lazy("Category path of names, 大类 > 中类 > 小类; one per row."),
            example=("服装", "上衣", "T恤"),
        ),
        Column(
            "code",
            "编码",
            parse_text(_max_length(Category, "code")),
            help=gettext_lazy("Category code, unique; made up from the path when blank."),
            example="FZ-SY-TX",
        ),
    ),
    key="category",
    notes=gettext_lazy("The category tree alone: missing categories are created."),
)


PRICES_SPEC = SheetSpec(
    name="prices",
    zh="价格",
    columns=(
        Column(
            "sku",
            "SKU编码",
            parse_text(_max_length(SKU, "code")),
            required=True,
            help=gettext_lazy("Code of an existing SKU."),
            example="SKU-0001-RED",
        ),
        *(c for c in PRODUCT_COLUMNS if c.key in PRICE_FIELDS),
    ),
    key="sku",
    notes=gettext_lazy(
        "A price update: only the price columns present are changed; a blank cell clears the price."
    ),
)
