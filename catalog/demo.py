"""Demo data: the real cat-mall category tree, brands and phones, plus generated products.

``seed_catalog`` writes in bulk only (no query per row) and is deterministic: the same seed
gives the same codes, names, prices, barcodes and measurements, whatever the database ids.

The ``seed_demo`` command runs the ``demo`` module of every installed app that has one, in
``INSTALLED_APPS`` order (so lower apps seed first), which lets a later app (``staff`` with
its role users, ``inventory`` with stock) add its own demo data without catalog importing it.
A demo module provides:

- ``demo_seed(*, scale: str, seed: int, stdout) -> dict[str, int]``: load the app's demo
  data unless it is already there; return what was created;
- ``demo_reset() -> None``: delete the app's data (run in reverse order, before seeding);
- ``demo_logins() -> list[DemoLogin]``: the users a person can sign in with.
"""

import csv
import io
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw
from simple_history.utils import bulk_create_with_history

from catalog.enums import AttributeType, ProductRole, ProductStatus
from catalog.exceptions import CatalogError
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    Brand,
    BundleComponent,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
    SellingPoint,
)
from catalog.services import attribute_value_parse, category_tree_rebuild
from catalog.validators import ean13_check_digit

# Approximate number of generated SKUs per scale (the cat-mall phones come on top). ``tiny``
# exists for tests only; the command offers the other three.
SCALES: dict[str, int] = {"tiny": 150, "small": 2_000, "medium": 20_000, "large": 100_000}
COMMAND_SCALES = ("small", "medium", "large")

ADMIN_USERNAME = "admin"
BATCH_SIZE = 2_000
# Products generated and written per round; bounds memory whatever the scale.
CHUNK_PRODUCTS = 3_000
CHANGE_REASON = "seed_demo"


class DemoDataMissing(CatalogError):
    """A reference data file the demo loader reads is not there."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    description: str


# --- Reference data ---------------------------------------------------------------------

CATMALL_FILES = (
    "pms_category.csv",
    "pms_brand.csv",
    "pms_attr.csv",
    "pms_spu_info.csv",
    "pms_sku_info.csv",
    "pms_sku_sale_attr_value.csv",
    "pms_product_attr_value.csv",
)
OLIST_PRODUCTS = Path("olist-sample") / "olist_products_dataset.csv"


def demo_data_paths() -> dict[str, Path]:
    """Return the reference files by name, or raise ``DemoDataMissing`` naming the first gap."""
    data_dir = Path(settings.DATA_DIR)
    paths = {name: data_dir / "cat-mall" / name for name in CATMALL_FILES}
    paths["olist_products"] = data_dir / OLIST_PRODUCTS
    for path in paths.values():
        if not path.is_file():
            raise DemoDataMissing(
                _("Demo data file %(path)s is missing; set JINGXI_DATA_DIR to the data folder.")
                % {"path": path}
            )
    return paths


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def category_rows_deduplicated(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return the category rows with sibling names made unique.

    The tree forbids two siblings with one name; a repeated name keeps its first holder (lowest
    ``cat_id``) and the others get their id appended, so the result never depends on row order.
    """
    seen: set[tuple[str, str]] = set()
    result = []
    for row in sorted(rows, key=lambda r: int(r["cat_id"])):
        key = (row["parent_cid"], row["name"])
        if key in seen:
            row = {**row, "name": f"{row['name']} ({row['cat_id']})"}
        seen.add((row["parent_cid"], row["name"]))
        result.append(row)
    return result


def _olist_measurements(path: Path) -> list[tuple[int, int, int, int]]:
    """Return real (weight g, length mm, width mm, height mm) of marketplace products."""
    frame = pd.read_csv(
        path,
        usecols=[
            "product_id",
            "product_weight_g",
            "product_length_cm",
            "product_width_cm",
            "product_height_cm",
        ],
    ).dropna()
    frame = frame[
        (frame.product_weight_g > 0)
        & (frame.product_length_cm > 0)
        & (frame.product_width_cm > 0)
        & (frame.product_height_cm > 0)
    ].sort_values("product_id")
    return [
        (round(w), round(length * 10), round(width * 10), round(height * 10))
        for w, length, width, height in zip(
            frame.product_weight_g.tolist(),
            frame.product_length_cm.tolist(),
            frame.product_width_cm.tolist(),
            frame.product_height_cm.tolist(),
            strict=True,
        )
    ]


# --- Attribute definitions --------------------------------------------------------------

# ASCII codes for the cat-mall phone attributes (codes are slugs; names stay Chinese).
CATMALL_ATTRIBUTE_CODES = {
    "入网型号": "network_model",
    "产品名称": "model_name",
    "上市年份": "launch_year",
    "机身长度": "body_length",
    "机身宽度": "body_width",
    "机身重量": "body_weight",
    "机身厚度": "body_thickness",
    "机身材质工艺": "body_material",
    "屏幕像素密度": "screen_ppi",
    "屏幕材质类型": "screen_type",
    "主屏幕尺寸": "screen_size",
    "颜色": "color",
    "版本": "edition",
}
# Phone attributes a product cannot be listed without.
CATMALL_REQUIRED = {"color", "edition", "network_model", "screen_size"}
UNIT_IN_NAME = re.compile(r"^(?P<name>.+?)[（(](?P<unit>[^）)]+)[）)]$")

# fmt: off
SPEC_OPTIONS = (
    "标准装", "大号", "中号", "小号", "黑色", "白色", "红色", "蓝色",
    "灰色", "粉色", "礼盒装", "家庭装", "便携装", "升级版", "基础版", "豪华版",
)
# Consumables (the shelf-life 大类) vary by pack, not by colour or size.
PACK_OPTIONS = ("标准装", "礼盒装", "家庭装", "便携装", "升级版")
AUDIENCES = ("男士", "女士", "儿童", "老人", "学生", "家庭")
ORIGINS = (
    "广东广州", "广东深圳", "浙江杭州", "浙江义乌", "江苏苏州", "上海", "北京", "山东青岛",
    "福建厦门", "四川成都", "湖北武汉", "日本", "德国", "美国", "韩国", "意大利",
)
# fmt: on

# Generic attributes, so that every staff use has attributes to work with. They attach to the
# 大类: all of them, except shelf life and fragile (see the sets below).
GENERIC_ATTRIBUTES = (
    {
        "code": "spec",
        "name": "规格",
        "value_type": AttributeType.CHOICE,
        "options": list(SPEC_OPTIONS),
        "use_variant": True,
        "use_web_filter": True,
        "display_priority": 10,
    },
    {
        "code": "origin",
        "name": "产地",
        "value_type": AttributeType.TEXT,
        "use_customer_service": True,
        "use_web_display": True,
        "display_priority": 20,
    },
    {
        "code": "audience",
        "name": "适用人群",
        "value_type": AttributeType.MULTI_CHOICE,
        "options": list(AUDIENCES),
        "use_marketing": True,
        "use_web_filter": True,
        "display_priority": 30,
    },
    {
        "code": "shelf_life_days",
        "name": "保质期",
        "value_type": AttributeType.INTEGER,
        "unit": "天",
        "use_warehouse": True,
        "use_customer_service": True,
        "display_priority": 40,
    },
    {
        "code": "fragile",
        "name": "易碎",
        "value_type": AttributeType.BOOLEAN,
        "use_logistics": True,
        "use_warehouse": True,
        "display_priority": 50,
    },
    {
        "code": "tax_rate",
        "name": "税率",
        "value_type": AttributeType.DECIMAL,
        "unit": "%",
        "use_finance": True,
        "display_priority": 60,
    },
)
# 大类 that get shelf life (required on the perishable ones) and the fragile flag.
SHELF_LIFE_TOPS = {"个护化妆": False, "母婴": False, "食品饮料、保健食品": True, "生鲜": True}
FRAGILE_TOPS = {"手机", "家用电器", "数码", "家居家装", "电脑办公", "厨具", "钟表", "珠宝"}
# China's reduced VAT rate (9 %) covers books, food and farm produce; other goods pay 13 %.
REDUCED_TAX_TOPS = {"图书、音像、电子书刊", "食品饮料、保健食品", "生鲜"}
# No generated products under virtual goods (tickets, top-ups) or whole cars.
NO_PRODUCT_TOPS = {"彩票、旅行、充值、票务", "整车"}
# Retail price band in yuan per 大类; a leaf draws its typical price inside its band.
PRICE_BANDS = {
    "图书、音像、电子书刊": (15, 150),
    "手机": (19, 1500),
    "家用电器": (99, 6000),
    "数码": (49, 5000),
    "家居家装": (19, 800),
    "电脑办公": (29, 8000),
    "厨具": (19, 600),
    "个护化妆": (9, 400),
    "服饰内衣": (29, 800),
    "钟表": (99, 5000),
    "鞋靴": (59, 900),
    "母婴": (9, 600),
    "礼品箱包": (39, 1500),
    "食品饮料、保健食品": (5, 300),
    "珠宝": (99, 8000),
    "汽车用品": (9, 1000),
    "运动健康": (19, 2000),
    "玩具乐器": (9, 1500),
    "生鲜": (9, 300),
}
DEFAULT_PRICE_BAND = (9, 2000)

# fmt: off
DEMO_BRANDS = (
    "京禧", "悦享", "森野", "优选家", "匠心坊", "青禾", "朗悦", "云朵", "星辰", "禾丰",
    "山海集", "知味", "暖阳", "清源", "谷雨", "鹿角", "白桦", "橙果", "小满", "锦程",
    "安然", "乐途", "极光", "拾光", "北辰", "南风", "若水", "臻品", "简约家", "好邻居",
)
SERIES = (
    "经典款", "升级款", "旗舰款", "标准款", "家用款", "便携款",
    "青春版", "专业版", "高配版", "限定版", "基础款", "加厚款",
)
# fmt: on
MODEL_LETTERS = "ABCDEFGHJKLMNPRSTXZ"
SELLING_POINTS = (
    "正品保障，假一赔十",
    "七天无理由退货",
    "全国联保，售后无忧",
    "{brand}官方授权",
    "热销{leaf}，好评如潮",
    "新品上市，限时优惠",
    "厂家直供，品质保证",
    "环保材质，安全放心",
    "满99元包邮",
    "下单次日达（部分地区）",
)
# Choices and their weights: roles, statuses, and SKUs per product (mean about 2.9).
ROLES = ([ProductRole.TRAFFIC, ProductRole.REGULAR, ProductRole.IMAGE], [15, 75, 10])
STATUSES = (
    [ProductStatus.DRAFT, ProductStatus.READY, ProductStatus.LISTED, ProductStatus.DELISTED],
    [15, 15, 60, 10],
)
SKUS_PER_PRODUCT = ([1, 2, 3, 4, 5], [20, 20, 25, 20, 15])
# Typical price of a role, relative to its leaf's typical price.
ROLE_PRICE_FACTOR = {ProductRole.TRAFFIC: 0.6, ProductRole.REGULAR: 1.0, ProductRole.IMAGE: 3.0}
WARNING_LEVELS = (0, 5, 10, 10, 20, 20, 30, 50)
BUNDLE_RATE = 0.01
# Prices as fractions of retail: (cost low, cost high, distribution low, distribution high).
MARGINS = {
    ProductRole.TRAFFIC: (0.82, 0.94, 0.90, 0.97),
    ProductRole.REGULAR: (0.45, 0.70, 0.72, 0.88),
    ProductRole.IMAGE: (0.30, 0.50, 0.65, 0.85),
}


def ean13_from_serial(serial: int) -> str:
    """Return a valid, unique EAN-13 with the Chinese GS1 prefix 69 for ``serial`` < 10**10.

    The serial is scrambled by a bijection (an odd multiplier coprime with 10**10) so that
    neighbouring SKUs do not get neighbouring barcodes.
    """
    body = f"69{(serial * 7_919_317 + 1_234_567) % 10**10:010d}"
    return body + str(ean13_check_digit(body))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _columns_cache() -> Callable[[Attribute, object], dict]:
    """Return a memoised ``attribute_value_parse``: demo values repeat a lot."""
    cache: dict[tuple, dict] = {}

    def columns(attribute: Attribute, raw) -> dict:
        key = (attribute.pk, tuple(raw) if isinstance(raw, list) else raw)
        if key not in cache:
            cache[key] = attribute_value_parse(attribute=attribute, raw=raw)
        return cache[key]

    return columns


# --- Users --------------------------------------------------------------------------------


def superuser_ensure(*, username: str = ADMIN_USERNAME) -> bool:
    """Create the demo superuser with ``settings.DEMO_PASSWORD`` unless it exists.

    Return whether it was created; an existing user keeps its password.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return False
    user_model.objects.create_superuser(
        username=username, email=f"{username}@localhost", password=settings.DEMO_PASSWORD
    )
    return True


# --- Loader -------------------------------------------------------------------------------


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def seed_catalog(*, scale: str, seed: int = 42, stdout=None) -> dict[str, int]:
    """Load the demo catalog unless one is there; return the number of rows created per kind.

    Everything is written in one transaction, so a failure leaves the database as it was.
    """
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; choose from {', '.join(SCALES)}.")
    paths = demo_data_paths()
    existing = Category.objects.count()
    if existing:
        _say(
            stdout,
            _(
                "The catalog already has %(count)d categories: demo catalog skipped "
                "(use --reset to wipe it and load again)."
            )
            % {"count": existing},
        )
        return {}
    with transaction.atomic():
        loader = _CatalogLoader(paths=paths, rng=random.Random(seed), stdout=stdout)
        loader.load_categories()
        loader.load_brands()
        loader.load_attributes()
        loader.load_catmall_products()
        loader.generate_products(target_skus=SCALES[scale])
    return loader.counts


def catalog_reset() -> None:
    """Delete the whole catalog, with its price history.

    Raw DELETEs, children first: a QuerySet delete would load every row and write one history
    record per SKU and product (simple-history listens to ``post_delete``).
    """
    models = (
        BundleComponent,
        AttributeValue,
        SellingPoint,
        ProductImage,
        CategoryAttribute,
        Attribute,
        SKU.history.model,
        SKU,
        Product.history.model,
        Product,
        Brand,
        Category,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


class _CatalogLoader:
    """Builds the demo catalog step by step; ``counts`` says what each step created."""

    def __init__(self, *, paths: dict[str, Path], rng: random.Random, stdout):
        self.paths = paths
        self.rng = rng
        self.stdout = stdout
        self.counts: dict[str, int] = {}
        self.now = timezone.now()
        self.user = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
        self.columns = _columns_cache()
        self.barcode_serial = 0
        self.catmall_category: dict[str, int] = {}  # cat_id -> pk
        self.top_name_by_tree: dict[int, str] = {}
        self.tree_of_category: dict[int, int] = {}
        self.attributes: dict[str, Attribute] = {}
        self.brands: list[Brand] = []
        self.brand_by_catmall_id: dict[str, Brand] = {}
        self.images: dict[str, tuple[str, str]] = {}  # top name -> (image, thumbnail)
        self.phone_category_ids: set[str] = set()  # cat-mall ids holding the real phones
        self.catmall_attribute_code: dict[str, str] = {}  # attr_id -> code
        # Set by generate_products: (pk, name, top name) of the leaves that get products,
        # a typical price per leaf, and real measurements to draw from.
        self.leaves: list[tuple[int, str, str]] = []
        self.leaf_price: dict[int, float] = {}
        self.measurements: list[tuple[int, int, int, int]] = []

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def next_barcode(self) -> str:
        self.barcode_serial += 1
        return ean13_from_serial(self.barcode_serial)

    def create_with_history(self, objs: list, model) -> list:
        return bulk_create_with_history(
            objs,
            model,
            batch_size=BATCH_SIZE,
            default_user=self.user,
            default_change_reason=CHANGE_REASON,
            default_date=self.now,
        )

    # Categories ------------------------------------------------------------------------

    def load_categories(self) -> None:
        rows = category_rows_deduplicated(_read_csv(self.paths["pms_category.csv"]))
        with Category.objects.disable_mptt_updates():
            # One bulk insert per level: children need their parent's id.
            for level in sorted({int(r["cat_level"]) for r in rows}):
                level_rows = [r for r in rows if int(r["cat_level"]) == level]
                objs = [
                    Category(
                        name=r["name"],
                        code=f"CM{r['cat_id']}",
                        parent_id=self.catmall_category.get(r["parent_cid"]),
                        sort_order=int(r["sort"] or 0),
                        is_active=r["show_status"] != "0",
                        # Placeholders: category_tree_rebuild() numbers the tree afterwards.
                        lft=0,
                        rght=0,
                        tree_id=0,
                        level=0,
                    )
                    for r in level_rows
                ]
                Category.objects.bulk_create(objs, batch_size=BATCH_SIZE)
                self.catmall_category.update(
                    (r["cat_id"], obj.pk) for r, obj in zip(level_rows, objs, strict=True)
                )
        category_tree_rebuild()
        self.top_name_by_tree = dict(
            Category.objects.filter(level=0).values_list("tree_id", "name")
        )
        self.tree_of_category = dict(Category.objects.values_list("pk", "tree_id"))
        self.add("categories", len(rows))
        per_level = [sum(1 for r in rows if int(r["cat_level"]) == level) for level in (1, 2, 3)]
        _say(
            self.stdout,
            _("Categories: %(total)d (大类 %(l0)d, 中类 %(l1)d, 小类 %(l2)d).")
            % {"total": len(rows), "l0": per_level[0], "l1": per_level[1], "l2": per_level[2]},
        )

    # Brands ----------------------------------------------------------------------------

    def load_brands(self) -> None:
        rows = _read_csv(self.paths["pms_brand.csv"])
        real = [
            Brand(
                name=r["name"],
                code=f"CM-B{r['brand_id']}",
                description=r["descript"],
                is_active=r["show_status"] != "0",
            )
            for r in rows
        ]
        real_names = {b.name for b in real}
        demo = [
            Brand(name=name, code=f"B{i:03d}")
            for i, name in enumerate(DEMO_BRANDS, start=1)
            if name not in real_names
        ]
        Brand.objects.bulk_create(real + demo, batch_size=BATCH_SIZE)
        self.brand_by_catmall_id = {
            r["brand_id"]: brand for r, brand in zip(rows, real, strict=True)
        }
        self.brands = demo
        self.add("brands", len(real) + len(demo))

    # Attributes ------------------------------------------------------------------------

    def load_attributes(self) -> None:
        attr_rows = _read_csv(self.paths["pms_attr.csv"])
        product_values = _read_csv(self.paths["pms_product_attr_value.csv"])
        sku_values = _read_csv(self.paths["pms_sku_sale_attr_value.csv"])
        observed: dict[str, list[str]] = {}
        for row in product_values + sku_values:
            observed.setdefault(row["attr_id"], []).append(row["attr_value"])

        attributes = [
            Attribute(**{"unit": "", "options": [], **definition})
            for definition in GENERIC_ATTRIBUTES
        ]
        for row in attr_rows:
            attributes.append(self._catmall_attribute(row, observed.get(row["attr_id"], [])))
            self.phone_category_ids.add(row["catelog_id"])
        Attribute.objects.bulk_create(attributes, batch_size=BATCH_SIZE)
        self.attributes = {a.code: a for a in attributes}
        self.catmall_attribute_code = {row["attr_id"]: self._catmall_code(row) for row in attr_rows}

        links = []
        tops = Category.objects.filter(level=0).order_by("tree_id")
        for top in tops:
            for sort_order, definition in enumerate(GENERIC_ATTRIBUTES):
                code = definition["code"]
                required = code == "tax_rate"
                if code == "shelf_life_days":
                    if top.name not in SHELF_LIFE_TOPS:
                        continue
                    required = SHELF_LIFE_TOPS[top.name]
                if code == "fragile" and top.name not in FRAGILE_TOPS:
                    continue
                links.append(
                    CategoryAttribute(
                        category=top,
                        attribute=self.attributes[code],
                        is_required=required,
                        sort_order=sort_order,
                    )
                )
        for sort_order, row in enumerate(attr_rows):
            code = self.catmall_attribute_code[row["attr_id"]]
            links.append(
                CategoryAttribute(
                    category_id=self.catmall_category[row["catelog_id"]],
                    attribute=self.attributes[code],
                    is_required=code in CATMALL_REQUIRED,
                    sort_order=sort_order,
                )
            )
        CategoryAttribute.objects.bulk_create(links, batch_size=BATCH_SIZE)
        self.add("attributes", len(attributes))
        self.add("category_attributes", len(links))
        _say(
            self.stdout,
            _("Attributes: %(attributes)d, attached %(links)d times.")
            % {"attributes": len(attributes), "links": len(links)},
        )

    @staticmethod
    def _catmall_code(row: dict[str, str]) -> str:
        match = UNIT_IN_NAME.match(row["attr_name"])
        name = match["name"] if match else row["attr_name"]
        return CATMALL_ATTRIBUTE_CODES.get(name, f"catmall_{row['attr_id']}")

    def _catmall_attribute(self, row: dict[str, str], observed: list[str]) -> Attribute:
        """Map a cat-mall attribute: sale attributes become choices, units make numbers."""
        match = UNIT_IN_NAME.match(row["attr_name"])
        name, unit = (match["name"], match["unit"]) if match else (row["attr_name"], "")
        listed = [v.strip() for v in row["value_select"].split(";") if v.strip()]
        options = list(dict.fromkeys(listed + observed))
        is_sale = row["attr_type"] == "0"
        if is_sale:
            value_type = AttributeType.CHOICE
        elif unit:
            numbers = listed + observed
            whole = all(re.fullmatch(r"\d+", v) for v in numbers)
            value_type = AttributeType.INTEGER if whole else AttributeType.DECIMAL
            options = []
        elif row["value_type"] == "1":
            value_type = AttributeType.MULTI_CHOICE
        else:
            value_type = AttributeType.TEXT
            options = []
        return Attribute(
            code=self._catmall_code(row),
            name=name,
            value_type=value_type,
            unit=unit,
            options=options,
            use_web_filter=row["search_type"] == "1",
            use_web_display=row["show_desc"] == "1",
            use_variant=is_sale,
            display_priority=100 + int(row["attr_id"]),
        )

    # Images ----------------------------------------------------------------------------

    def image_for(self, top: str) -> tuple[str, str]:
        """Return (image, thumbnail) names of the shared placeholder picture of a 大类."""
        if top not in self.images:
            index = len(self.images)
            name = f"demo/placeholder-{index:02d}.jpg"
            thumb = f"demo/placeholder-{index:02d}_thumb.jpg"
            for path, size in ((name, 600), (thumb, settings.CATALOG_THUMBNAIL_SIZE[0])):
                if not default_storage.exists(path):
                    default_storage.save(path, ContentFile(_placeholder_jpeg(index, size)))
            self.images[top] = (name, thumb)
        return self.images[top]

    # cat-mall phones -------------------------------------------------------------------

    def load_catmall_products(self) -> None:
        spus = _read_csv(self.paths["pms_spu_info.csv"])
        skus = _read_csv(self.paths["pms_sku_info.csv"])
        sale_values = _read_csv(self.paths["pms_sku_sale_attr_value.csv"])
        base_values = _read_csv(self.paths["pms_product_attr_value.csv"])
        tax = self.attributes["tax_rate"]

        products = {}
        for row in spus:
            products[row["id"]] = Product(
                code=f"CM-SPU{row['id']}",
                name=" ".join(row["spu_name"].split()),
                description=row["spu_description"],
                category_id=self.catmall_category[row["catalog_id"]],
                brand=self.brand_by_catmall_id.get(row["brand_id"]),
                role=ProductRole.IMAGE,
                status=ProductStatus.LISTED
                if row["publish_status"] == "1"
                else ProductStatus.DRAFT,
                is_famous=True,
            )
        self.create_with_history(list(products.values()), Product)

        values = []
        by_spu: dict[str, dict[str, str]] = {}
        for row in base_values:
            code = self.catmall_attribute_code[row["attr_id"]]
            by_spu.setdefault(row["spu_id"], {})[code] = row["attr_value"]
            values.append(self.value_for(code, row["attr_value"], product=products[row["spu_id"]]))
        values += [self.value_for_attribute(tax, "13", product=p) for p in products.values()]

        sku_objs = {}
        points: dict[str, list[str]] = {}
        for row in skus:
            spu = by_spu.get(row["spu_id"], {})
            spu_row = next(s for s in spus if s["id"] == row["spu_id"])
            retail = round(float(row["price"]) * 100)
            cost, distribution = self.cost_and_distribution(retail, ProductRole.IMAGE)
            dims = [_ceil_mm(spu.get(k)) for k in ("body_length", "body_width", "body_thickness")]
            sku_objs[row["sku_id"]] = SKU(
                product=products[row["spu_id"]],
                code=f"CM-SKU{row['sku_id']}",
                name=" ".join(row["sku_name"].split()),
                barcode=self.next_barcode(),
                retail_price=_money(retail),
                distribution_price=_money(distribution),
                cost_price=_money(cost),
                weight_g=round(float(spu_row["weight"] or 0) * 1000) or None,
                length_mm=dims[0],
                width_mm=dims[1],
                height_mm=dims[2],
                warning_level=5,
            )
            subtitle = row["sku_subtitle"].rstrip("；;")
            if subtitle and subtitle not in points.setdefault(row["spu_id"], []):
                points[row["spu_id"]].append(subtitle)
        self.create_with_history(list(sku_objs.values()), SKU)
        for row in sale_values:
            code = self.catmall_attribute_code[row["attr_id"]]
            values.append(self.value_for(code, row["attr_value"], sku=sku_objs[row["sku_id"]]))
        AttributeValue.objects.bulk_create(values, batch_size=BATCH_SIZE)

        selling_points = [
            SellingPoint(product=products[spu_id], sort_order=i, text=text[:200])
            for spu_id, texts in points.items()
            for i, text in enumerate(texts)
        ]
        SellingPoint.objects.bulk_create(selling_points)
        images = []
        for product in products.values():
            image, thumb = self.image_for(self.top_of(product.category_id))
            images.append(ProductImage(product=product, image=image, thumbnail=thumb))
        ProductImage.objects.bulk_create(images)
        self.add("products", len(products))
        self.add("skus", len(sku_objs))
        self.add("attribute_values", len(values))
        self.add("selling_points", len(selling_points))
        self.add("product_images", len(images))
        _say(
            self.stdout,
            _("cat-mall phones: %(products)d products, %(skus)d SKUs.")
            % {"products": len(products), "skus": len(sku_objs)},
        )

    def top_of(self, category_pk: int) -> str:
        return self.top_name_by_tree[self.tree_of_category[category_pk]]

    def value_for(self, code: str, raw, **owner) -> AttributeValue:
        return self.value_for_attribute(self.attributes[code], raw, **owner)

    def value_for_attribute(self, attribute: Attribute, raw, **owner) -> AttributeValue:
        return AttributeValue(attribute=attribute, **owner, **self.columns(attribute, raw))

    def cost_and_distribution(self, retail: int, role: str) -> tuple[int, int]:
        cost_lo, cost_hi, dist_lo, dist_hi = MARGINS[role]
        cost = int(retail * self.rng.uniform(cost_lo, cost_hi))
        distribution = max(cost, int(retail * self.rng.uniform(dist_lo, dist_hi)))
        return cost, distribution

    # Generated products ----------------------------------------------------------------

    def generate_products(self, *, target_skus: int) -> None:
        # In load order (cat-mall ids), not tree order: the tree orders siblings by the
        # database's collation, which would make the data depend on the backend.
        leaves = list(
            Category.objects.filter(rght=F("lft") + 1)
            .order_by("pk")
            .values_list("pk", "name", "tree_id")
        )
        phone_pks = {self.catmall_category[c] for c in self.phone_category_ids}
        self.leaves = [
            (pk, name, self.top_name_by_tree[tree_id])
            for pk, name, tree_id in leaves
            if pk not in phone_pks and self.top_name_by_tree[tree_id] not in NO_PRODUCT_TOPS
        ]
        # A typical price per leaf, drawn log-uniformly inside its 大类's band.
        for pk, _name, top in self.leaves:
            low, high = PRICE_BANDS.get(top, DEFAULT_PRICE_BAND)
            self.leaf_price[pk] = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        self.measurements = _olist_measurements(self.paths["olist_products"])

        made_skus = 0
        number = 0
        while made_skus < target_skus:
            chunk = _Chunk(self)
            while made_skus < target_skus and len(chunk.products) < CHUNK_PRODUCTS:
                number += 1
                made_skus += chunk.add_product(number)
            number, made_skus = chunk.add_bundles(number, made_skus)
            chunk.write()
            _say(
                self.stdout,
                _("Generated SKUs: %(done)d of about %(target)d.")
                % {"done": made_skus, "target": target_skus},
            )


def _ceil_mm(raw: str | None) -> int | None:
    try:
        return math.ceil(float(raw)) if raw else None
    except ValueError:
        return None


class _Chunk:
    """A round of generated products with their SKUs, values, points, images and bundles."""

    def __init__(self, loader: _CatalogLoader):
        self.loader = loader
        self.rng = loader.rng
        self.products: list[Product] = []
        self.skus: list[SKU] = []
        self.values: list[AttributeValue] = []
        self.points: list[SellingPoint] = []
        self.images: list[ProductImage] = []
        self.components: list[BundleComponent] = []
        # (sku, retail cents, distribution cents, cost cents or None) of plain SKUs.
        self.plain: list[tuple[SKU, int, int, int | None]] = []

    def add_product(self, number: int) -> int:
        """Plan one product and its SKUs; return the number of SKUs."""
        rng, loader = self.rng, self.loader
        leaf_pk, leaf_name, top = rng.choice(loader.leaves)
        brand = rng.choice(loader.brands) if rng.random() < 0.9 else None
        role = rng.choices(*ROLES)[0]
        status = rng.choices(*STATUSES)[0]
        model = f"{rng.choice(MODEL_LETTERS)}{rng.randint(1, 99)}"
        series = rng.choice(SERIES)
        name = f"{leaf_name}{series} {model}"
        if brand is not None:
            name = f"{brand.name} {name}"
        draft = status == ProductStatus.DRAFT
        product = Product(
            code=f"P{number:06d}",
            name=name,
            category_id=leaf_pk,
            brand=brand,
            role=role,
            status=status,
            is_famous=rng.random() < (0.5 if role == ProductRole.IMAGE else 0.08),
            is_special=rng.random() < 0.08,
            is_quality=rng.random() < 0.2,
            is_new=rng.random() < 0.15,
        )
        self.products.append(product)

        templates = [t for t in SELLING_POINTS if brand is not None or "{brand}" not in t]
        n_points = 0 if draft and rng.random() < 0.3 else rng.randint(1, 4)
        for i, template in enumerate(rng.sample(templates, n_points)):
            text = template.format(brand=brand.name if brand else "", leaf=leaf_name)
            self.points.append(SellingPoint(product=product, sort_order=i, text=text))
        if not draft or rng.random() < 0.5:
            image, thumb = loader.image_for(top)
            self.images.append(ProductImage(product=product, image=image, thumbnail=thumb))
        self.add_product_values(product, top, draft)

        n_skus = rng.choices(*SKUS_PER_PRODUCT)[0]
        specs = rng.sample(PACK_OPTIONS if top in SHELF_LIFE_TOPS else SPEC_OPTIONS, n_skus)
        weight, length, width, height = rng.choice(loader.measurements)
        price = loader.leaf_price[leaf_pk] * ROLE_PRICE_FACTOR[role]
        for k, spec in enumerate(specs):
            retail = max(1, round(price * (1 + 0.12 * k))) * 100 - 10
            cost, distribution = loader.cost_and_distribution(retail, role)
            anomaly = rng.random()
            if anomaly < 0.01:
                cost = None  # finance completeness has something to report
            elif anomaly < 0.015:
                distribution = int(retail * 1.05)  # a price warning to confirm
            grow = 1 + 0.1 * k
            sku = SKU(
                product=product,
                code=f"{product.code}-{k + 1}",
                name=f"{name} {spec}",
                barcode=None if draft and rng.random() < 0.2 else loader.next_barcode(),
                retail_price=_money(retail),
                distribution_price=_money(distribution),
                cost_price=None if cost is None else _money(cost),
                weight_g=max(1, round(weight * grow)),
                length_mm=length,
                width_mm=width,
                height_mm=max(1, round(height * grow)),
                warning_level=rng.choice(WARNING_LEVELS),
                is_active=not (status == ProductStatus.DELISTED and rng.random() < 0.3),
            )
            self.skus.append(sku)
            self.plain.append((sku, retail, distribution, cost))
            self.values.append(loader.value_for("spec", spec, sku=sku))
        return n_skus

    def add_product_values(self, product: Product, top: str, draft: bool) -> None:
        rng, loader = self.rng, self.loader
        if rng.random() < 0.85:
            self.values.append(loader.value_for("origin", rng.choice(ORIGINS), product=product))
        if rng.random() < 0.6:
            audience = rng.sample(AUDIENCES, rng.randint(1, 2))
            self.values.append(loader.value_for("audience", audience, product=product))
        if top in SHELF_LIFE_TOPS:
            days = rng.choice((3, 7, 15, 30) if top == "生鲜" else (90, 180, 365, 540, 720))
            self.values.append(loader.value_for("shelf_life_days", days, product=product))
        if top in FRAGILE_TOPS:
            fragile = rng.random() < 0.4
            self.values.append(loader.value_for("fragile", fragile, product=product))
        if not (draft and rng.random() < 0.3):
            rate = "9" if top in REDUCED_TAX_TOPS else "13"
            self.values.append(loader.value_for("tax_rate", rate, product=product))

    def add_bundles(self, number: int, made_skus: int) -> tuple[int, int]:
        """Add 组合装 made of SKUs of this round; return the updated counters."""
        rng, loader = self.rng, self.loader
        plain = list(self.plain)
        n_bundles = max(1, round(len(self.products) * BUNDLE_RATE)) if len(plain) >= 3 else 0
        for _i in range(n_bundles):
            number += 1
            parts = rng.sample(plain, rng.randint(2, 3))
            quantities = [rng.randint(1, 3) for _part in parts]
            first = parts[0][0]
            product = Product(
                code=f"P{number:06d}",
                name=f"{first.product.name} 组合装",
                category_id=first.product.category_id,
                brand=first.product.brand,
                role=ProductRole.TRAFFIC,
                status=ProductStatus.LISTED,
            )
            self.products.append(product)
            retail = sum(p[1] * q for p, q in zip(parts, quantities, strict=True))
            distribution = sum(p[2] * q for p, q in zip(parts, quantities, strict=True))
            costs = [p[3] for p in parts]
            cost = (
                None
                if None in costs
                else sum(c * q for c, q in zip(costs, quantities, strict=True))
            )
            bundle = SKU(
                product=product,
                code=f"{product.code}-1",
                name=product.name,
                barcode=loader.next_barcode(),
                retail_price=_money(int(retail * 0.9)),
                distribution_price=_money(int(distribution * 0.9)),
                cost_price=None if cost is None else _money(cost),
                weight_g=sum(p[0].weight_g * q for p, q in zip(parts, quantities, strict=True)),
                is_bundle=True,
            )
            self.skus.append(bundle)
            made_skus += 1
            self.points.append(SellingPoint(product=product, sort_order=0, text="组合更优惠"))
            image, thumb = loader.image_for(loader.top_of(product.category_id))
            self.images.append(ProductImage(product=product, image=image, thumbnail=thumb))
            for (component, *_prices), quantity in zip(parts, quantities, strict=True):
                self.components.append(
                    BundleComponent(bundle=bundle, component=component, quantity=quantity)
                )
        return number, made_skus

    def write(self) -> None:
        """Insert the round; bulk_create copies each parent's new id into its children."""
        loader = self.loader
        loader.create_with_history(self.products, Product)
        loader.create_with_history(self.skus, SKU)
        AttributeValue.objects.bulk_create(self.values, batch_size=BATCH_SIZE)
        SellingPoint.objects.bulk_create(self.points, batch_size=BATCH_SIZE)
        ProductImage.objects.bulk_create(self.images, batch_size=BATCH_SIZE)
        BundleComponent.objects.bulk_create(self.components, batch_size=BATCH_SIZE)
        loader.add("products", len(self.products))
        loader.add("skus", len(self.skus))
        loader.add("bundles", sum(1 for sku in self.skus if sku.is_bundle))
        loader.add("attribute_values", len(self.values))
        loader.add("selling_points", len(self.points))
        loader.add("product_images", len(self.images))


def _placeholder_jpeg(index: int, size: int) -> bytes:
    """Return a plain picture in one of a few colours, standing in for product photos."""
    palette = ((214, 69, 65), (52, 152, 219), (46, 204, 113), (241, 196, 15), (155, 89, 182))
    colour = palette[index % len(palette)]
    image = Image.new("RGB", (size, size), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    margin = size // 6
    draw.rounded_rectangle(
        (margin, margin, size - margin, size - margin), radius=size // 12, fill=colour
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


# --- Hooks for the seed_demo command ----------------------------------------------------

DEMO_LOGIN_DESCRIPTION = gettext_lazy("superuser: every page and every field")


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    created = superuser_ensure()
    counts = seed_catalog(scale=scale, seed=seed, stdout=stdout)
    return {**counts, "users": int(created)}


def demo_reset() -> None:
    catalog_reset()


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(ADMIN_USERNAME, str(DEMO_LOGIN_DESCRIPTION))]
