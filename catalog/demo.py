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
import datetime as dt
import io
import math
import random
import re
from collections import defaultdict
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
    ProductCompleteness,
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
# Attributes of some 中类 (optional): the attribute table then shows three levels of a path.
# Each attaches to every 中类 of the 大类 named with it.
MIDDLE_ATTRIBUTES = (
    (
        {
            "code": "warranty_months",
            "name": "保修期",
            "value_type": AttributeType.INTEGER,
            "unit": "月",
            "use_customer_service": True,
            "use_web_display": True,
            "display_priority": 25,
        },
        {"手机", "家用电器", "数码", "电脑办公"},
    ),
    (
        {
            "code": "material",
            "name": "材质",
            "value_type": AttributeType.TEXT,
            "use_web_filter": True,
            "use_web_display": True,
            "use_customer_service": True,
            "display_priority": 35,
        },
        {"服饰内衣", "鞋靴", "礼品箱包"},
    ),
)
# 大类 that get shelf life (required on the perishable ones) and the fragile flag.
SHELF_LIFE_TOPS = {"个护化妆": False, "母婴": False, "食品饮料、保健食品": True, "生鲜": True}
FRAGILE_TOPS = {"手机", "家用电器", "数码", "家居家装", "电脑办公", "厨具", "钟表", "珠宝"}
# China's reduced VAT rate (9 %) covers books, food and farm produce; other goods pay 13 %.
REDUCED_TAX_TOPS = {"图书、音像、电子书刊", "食品饮料、保健食品", "生鲜"}
# No generated products under virtual goods (tickets, top-ups) or whole cars.
NO_PRODUCT_TOPS = {"彩票、旅行、充值、票务", "整车"}
# Retail price band in yuan per 大类, for a 中类 missing from MIDDLE_PRICE_BANDS.
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
# Retail price band in yuan per 中类 (keyed "大类/中类"), and per 小类 where a leaf differs a lot
# from its siblings (keyed "中类/小类"); a 大类's band is the fallback. A product draws its
# retail price inside its band, its role deciding where (traffic low, image high).
MIDDLE_PRICE_BANDS: dict[str, tuple[int, int]] = {
    # 图书、音像、电子书刊
    "图书、音像、电子书刊/电子书刊": (3, 60), "图书、音像、电子书刊/音像": (15, 120),
    "图书、音像、电子书刊/英文原版": (39, 260), "图书、音像、电子书刊/文艺": (19, 89),
    "图书、音像、电子书刊/少儿": (12, 99), "图书、音像、电子书刊/人文社科": (25, 128),
    "图书、音像、电子书刊/经管励志": (29, 99), "图书、音像、电子书刊/生活": (19, 79),
    "图书、音像、电子书刊/科技": (29, 168), "图书、音像、电子书刊/教育": (12, 79),
    "图书、音像、电子书刊/港台图书": (59, 300), "图书、音像、电子书刊/其他": (15, 199),
    # 手机
    "手机/手机通讯": (699, 6999), "手机/运营商": (49, 3999), "手机/手机配件": (9, 299),
    # 家用电器
    "家用电器/大 家 电": (999, 8999), "家用电器/厨卫大电": (699, 5999),
    "家用电器/厨房小电": (59, 1299), "家用电器/生活电器": (49, 2999),
    "家用电器/个护健康": (39, 1999), "家用电器/五金家装": (9, 399),
    # 数码
    "数码/摄影摄像": (299, 9999), "数码/数码配件": (15, 399), "数码/智能设备": (99, 2999),
    "数码/影音娱乐": (49, 1999), "数码/电子教育": (99, 1999), "数码/虚拟商品": (10, 200),
    # 家居家装
    "家居家装/家纺": (29, 899), "家居家装/灯具": (19, 899), "家居家装/生活日用": (5, 129),
    "家居家装/家装软饰": (9, 399), "家居家装/宠物生活": (9, 299),
    # 电脑办公
    "电脑办公/电脑整机": (1999, 12999), "电脑办公/电脑配件": (99, 2999),
    "电脑办公/外设产品": (19, 599), "电脑办公/游戏设备": (99, 3999),
    "电脑办公/网络产品": (49, 999), "电脑办公/办公设备": (199, 4999),
    "电脑办公/文具/耗材": (3, 199), "电脑办公/服务产品": (29, 499),
    # 厨具
    "厨具/烹饪锅具": (49, 899), "厨具/刀剪菜板": (19, 399), "厨具/厨房配件": (9, 199),
    "厨具/水具酒具": (15, 299), "厨具/餐具": (9, 299), "厨具/酒店用品": (29, 599),
    "厨具/茶具/咖啡具": (29, 999),
    # 个护化妆
    "个护化妆/清洁用品": (5, 99), "个护化妆/面部护肤": (39, 899), "个护化妆/身体护理": (19, 299),
    "个护化妆/口腔护理": (9, 99), "个护化妆/女性护理": (9, 89), "个护化妆/洗发护发": (19, 199),
    "个护化妆/香水彩妆": (39, 999),
    # 服饰内衣
    "服饰内衣/女装": (59, 999), "服饰内衣/男装": (59, 1299), "服饰内衣/内衣": (19, 299),
    "服饰内衣/洗衣服务": (19, 99), "服饰内衣/服饰配件": (15, 399),
    # 钟表, 鞋靴
    "钟表/钟表": (99, 9999), "鞋靴/流行男鞋": (99, 899), "鞋靴/时尚女鞋": (89, 899),
    # 母婴
    "母婴/奶粉": (149, 459), "母婴/营养辅食": (19, 199), "母婴/尿裤湿巾": (19, 199),
    "母婴/喂养用品": (19, 499), "母婴/洗护用品": (15, 199), "母婴/童车童床": (199, 2999),
    "母婴/寝居服饰": (29, 299), "母婴/妈妈专区": (39, 399), "母婴/童装童鞋": (39, 399),
    "母婴/安全座椅": (299, 2999),
    # 礼品箱包
    "礼品箱包/潮流女包": (99, 1299), "礼品箱包/精品男包": (99, 1299),
    "礼品箱包/功能箱包": (69, 999), "礼品箱包/礼品": (29, 999),
    "礼品箱包/奢侈品": (1999, 29999), "礼品箱包/婚庆": (29, 2999),
    # 食品饮料、保健食品
    "食品饮料、保健食品/进口食品": (15, 199), "食品饮料、保健食品/地方特产": (19, 199),
    "食品饮料、保健食品/休闲食品": (9, 99), "食品饮料、保健食品/粮油调味": (9, 149),
    "食品饮料、保健食品/饮料冲调": (19, 199), "食品饮料、保健食品/食品礼券": (99, 699),
    "食品饮料、保健食品/茗茶": (49, 1299),
    # 珠宝
    "珠宝/时尚饰品": (19, 299), "珠宝/黄金": (999, 12999), "珠宝/K金饰品": (399, 3999),
    "珠宝/金银投资": (499, 19999), "珠宝/银饰": (59, 699), "珠宝/钻石": (1999, 29999),
    "珠宝/翡翠玉石": (299, 19999), "珠宝/水晶玛瑙": (49, 999), "珠宝/彩宝": (199, 9999),
    "珠宝/铂金": (999, 9999), "珠宝/木手串/把件": (39, 1999), "珠宝/珍珠": (199, 4999),
    # 汽车用品
    "汽车用品/维修保养": (19, 899), "汽车用品/车载电器": (49, 1499),
    "汽车用品/美容清洗": (9, 299), "汽车用品/汽车装饰": (15, 599),
    "汽车用品/安全自驾": (39, 999), "汽车用品/汽车服务": (49, 999),
    "汽车用品/赛事改装": (199, 4999),
    # 运动健康
    "运动健康/运动鞋包": (99, 1299), "运动健康/运动服饰": (59, 999),
    "运动健康/骑行运动": (99, 3999), "运动健康/垂钓用品": (19, 999),
    "运动健康/游泳用品": (19, 399), "运动健康/户外鞋服": (79, 1999),
    "运动健康/户外装备": (29, 1999), "运动健康/健身训练": (29, 3999),
    "运动健康/体育用品": (19, 999),
    # 玩具乐器
    "玩具乐器/乐器": (59, 8999),
    # 生鲜
    "生鲜/产地直供": (29, 199), "生鲜/水果": (19, 199), "生鲜/猪牛羊肉": (39, 399),
    "生鲜/海鲜水产": (39, 599), "生鲜/禽肉蛋品": (19, 149), "生鲜/冷冻食品": (12, 99),
    "生鲜/熟食腊味": (29, 299), "生鲜/饮品甜品": (9, 99), "生鲜/蔬菜": (5, 59),
}
LEAF_PRICE_BANDS: dict[str, tuple[int, int]] = {
    "手机通讯/对讲机": (99, 899), "运营商/选号中心": (49, 200), "运营商/装宽带": (99, 1200),
    "运营商/办套餐": (29, 300), "手机配件/移动电源": (49, 199), "手机配件/蓝牙耳机": (59, 1299),
    "手机配件/数据线": (9, 59), "手机配件/充电器": (19, 129), "手机配件/手机贴膜": (9, 49),
    "手机配件/手机保护套": (9, 69), "手机配件/便携/无线音响": (59, 699),
    "数码配件/存储卡": (19, 299), "数码配件/读卡器": (9, 79), "数码配件/滤镜": (29, 599),
    "外设产品/U盘": (19, 199), "外设产品/鼠标垫": (9, 69), "外设产品/移动硬盘": (299, 1299),
    "外设产品/鼠标": (29, 499), "外设产品/键盘": (49, 999), "外设产品/UPS电源": (299, 2999),
    "电脑配件/CPU": (499, 4999), "电脑配件/显卡": (999, 9999), "电脑配件/显示器": (599, 4999),
    "电脑配件/装机配件": (9, 199), "电脑配件/散热器": (49, 599), "电脑配件/组装电脑": (2999, 12999),
    "电脑整机/平板电脑配件": (29, 499), "电脑整机/笔记本配件": (29, 499),
    "电脑整机/服务器/工作站": (4999, 29999),
    "大 家 电/平板电视": (1299, 9999), "大 家 电/空调": (1999, 8999), "大 家 电/冰箱": (1299, 8999),
    "大 家 电/洗衣机": (999, 5999), "大 家 电/家电配件": (19, 299),
    "大 家 电/DVD/电视盒子": (99, 699),
    "大 家 电/电视盒子": (99, 699), "大 家 电/迷你音响": (199, 1999),
    "五金家装/家具五金": (5, 80), "五金家装/电动工具": (99, 999), "五金家装/插座": (19, 129),
    "五金家装/电线/线缆": (19, 299), "五金家装/电气开关": (9, 99), "五金家装/LED灯": (9, 99),
    "五金家装/监控安防": (99, 999), "五金家装/门铃": (29, 399),
    "生活电器/插座": (19, 129), "生活电器/扫地机器人": (999, 3999), "生活电器/净水器": (699, 4999),
    "摄影摄像/单反相机": (2999, 19999), "摄影摄像/镜头": (999, 12999),
    "摄影摄像/拍立得": (299, 1299),
    "摄影摄像/冲印服务": (9, 99), "摄影摄像/数码相框": (199, 999),
    "智能设备/智能手环": (99, 499), "智能设备/无人机": (1999, 9999),
    "办公设备/白板": (59, 599), "办公设备/碎纸机": (199, 1299), "办公设备/投影配件": (29, 499),
    "游戏设备/游戏机": (1299, 4999), "游戏设备/游戏周边": (29, 299),
    "服饰配件/领带": (39, 299), "服饰配件/口罩": (5, 39), "服饰配件/钥匙扣": (9, 59),
    "女装/羽绒服": (299, 2499), "女装/皮草": (1999, 12999), "女装/婚纱": (999, 6999),
    "男装/羽绒服": (299, 2499), "男装/西服套装": (599, 3999), "男装/T恤": (39, 199),
    "女装/T恤": (39, 199), "内衣/连裤袜/丝袜": (9, 69),
    "钟表/男表": (299, 9999), "钟表/瑞表": (2999, 49999), "钟表/闹钟": (19, 199),
    "钟表/座钟挂钟": (59, 999), "钟表/钟表配件": (19, 199),
    "乐器/钢琴": (9999, 49999), "乐器/乐器配件": (9, 199), "乐器/口琴/口风琴/竖笛": (19, 299),
    "健身训练/跑步机": (1499, 6999), "健身训练/健身车/动感单车": (799, 3999),
    "健身训练/综合训练器": (999, 6999), "健身训练/运动护具": (19, 199),
    "骑行运动/山地车/公路车": (899, 8999), "骑行运动/折叠车": (599, 3999),
    "骑行运动/电动车": (1999, 5999), "骑行运动/骑行装备": (19, 399),
    "奢侈品/高档化妆品": (599, 3999), "奢侈品/名品腕表": (9999, 59999),
    "黄金/黄金转运珠": (299, 1999), "金银投资/投资银": (199, 3999),
    "茗茶/普洱": (99, 1999), "食品礼券/卡券": (100, 500),
    "水果/车厘子/樱桃": (79, 399), "海鲜水产/海参": (299, 2999),
    "童车童床/婴儿床垫": (199, 999), "童车童床/滑板车": (99, 599),
    "安全座椅/增高垫": (99, 399), "尿裤湿巾/婴儿湿巾": (9, 69),
}
# fmt: on

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
# Where in its band (0 = the band's low end, 1 = its high end, on a log scale) a product of
# each role draws its price: traffic drivers are the cheap end, image products the top.
ROLE_BAND_POSITION = {
    ProductRole.TRAFFIC: (0.0, 0.35),
    ProductRole.REGULAR: (0.2, 0.75),
    ProductRole.IMAGE: (0.6, 1.0),
}
WARNING_LEVELS = (0, 5, 10, 10, 20, 20, 30, 50)
BUNDLE_RATE = 0.01
# A bundle sells for this share of its parts (组合更优惠), still above their summed cost.
BUNDLE_PRICE_SHARE = 0.95
# Cost as a fraction of retail per role (a traffic driver earns 10-20 %, the everyday range
# 30-40 %, an image product 50-65 %), and the distribution price as a fraction of retail.
COST_SHARE = {
    ProductRole.TRAFFIC: (0.80, 0.90),
    ProductRole.REGULAR: (0.60, 0.70),
    ProductRole.IMAGE: (0.35, 0.50),
}
DISTRIBUTION_SHARE = (0.80, 0.90)
# A distributor still leaves the shop this much over cost, whatever the role.
DISTRIBUTION_OVER_COST = 1.04
# Days since launch: new products (名特优新's 新) came out lately, the rest over three years.
NEW_LAUNCH_DAYS = (14, 120)
LAUNCH_DAYS = (240, 1100)
LAUNCH_COHORT_DAYS = 7
CATMALL_LAUNCH_DAYS = 700


def ean13_from_serial(serial: int) -> str:
    """Return a valid, unique EAN-13 with the Chinese GS1 prefix 69 for ``serial`` < 10**10.

    The serial is scrambled by a bijection (an odd multiplier coprime with 10**10) so that
    neighbouring SKUs do not get neighbouring barcodes.
    """
    body = f"69{(serial * 7_919_317 + 1_234_567) % 10**10:010d}"
    return body + str(ean13_check_digit(body))


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def charm_price_cents(yuan: float) -> int:
    """Return a shelf price in cents as shops set them: ¥39.90, ¥129, ¥1,299."""
    if yuan < 100:
        return int(yuan) * 100 + 90
    if yuan < 1000:
        return (int(yuan) // 10 * 10 + 9) * 100
    return (int(yuan) // 100 * 100 + 99) * 100


def price_band(*, top: str, middle: str, leaf: str) -> tuple[int, int]:
    """Return the retail band in yuan of a leaf: its own, its 中类's, else its 大类's."""
    return (
        LEAF_PRICE_BANDS.get(f"{middle}/{leaf}")
        or MIDDLE_PRICE_BANDS.get(f"{top}/{middle}")
        or PRICE_BANDS.get(top, DEFAULT_PRICE_BAND)
    )


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
        ProductCompleteness,
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
        # the retail band of each leaf, and real measurements to draw from.
        self.leaves: list[tuple[int, str, str]] = []
        self.leaf_band: dict[int, tuple[int, int]] = {}
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
            for definition in (*GENERIC_ATTRIBUTES, *(d for d, _tops in MIDDLE_ATTRIBUTES))
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
        middles = Category.objects.filter(level=1).select_related("parent")
        for middle in middles.order_by("tree_id", "lft"):
            for definition, top_names in MIDDLE_ATTRIBUTES:
                if middle.parent.name in top_names:
                    links.append(
                        CategoryAttribute(
                            category=middle, attribute=self.attributes[definition["code"]]
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
        self.backdate({CATMALL_LAUNCH_DAYS: [product.pk for product in products.values()]})
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
        cost = int(retail * self.rng.uniform(*COST_SHARE[role]))
        distribution = int(retail * self.rng.uniform(*DISTRIBUTION_SHARE))
        distribution = min(retail, max(distribution, int(cost * DISTRIBUTION_OVER_COST)))
        return cost, distribution

    def backdate(self, launched: dict[int, list[int]]) -> None:
        """Set when products and their SKUs were created, from days since launch → product ids.

        ``created_at`` is ``auto_now_add``, so bulk inserts stamp now; one UPDATE per launch
        week puts them back, so stock history never predates its SKU.
        """
        for days, product_ids in sorted(launched.items()):
            when = self.now - dt.timedelta(days=days)
            Product.objects.filter(pk__in=product_ids).update(created_at=when)
            SKU.objects.filter(product_id__in=product_ids).update(created_at=when)

    # Generated products ----------------------------------------------------------------

    def generate_products(self, *, target_skus: int) -> None:
        # In load order (cat-mall ids), not tree order: the tree orders siblings by the
        # database's collation, which would make the data depend on the backend.
        leaves = list(
            Category.objects.filter(rght=F("lft") + 1)
            .order_by("pk")
            .values_list("pk", "name", "tree_id", "level", "parent__name")
        )
        phone_pks = {self.catmall_category[c] for c in self.phone_category_ids}
        self.leaves = []
        for pk, name, tree_id, level, parent in leaves:
            top = self.top_name_by_tree[tree_id]
            if pk in phone_pks or top in NO_PRODUCT_TOPS:
                continue
            self.leaves.append((pk, name, top))
            middle = parent if level == 2 else name
            self.leaf_band[pk] = price_band(top=top, middle=middle or "", leaf=name)
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
        # (product, days since its launch), rounded to launch weeks.
        self.launch_days: list[tuple[Product, int]] = []
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
        days = rng.randint(*(NEW_LAUNCH_DAYS if product.is_new else LAUNCH_DAYS))
        self.launch_days.append((product, days - days % LAUNCH_COHORT_DAYS))

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
        low, high = loader.leaf_band[leaf_pk]
        position = rng.uniform(*ROLE_BAND_POSITION[role])
        price = math.exp(math.log(low) + position * (math.log(high) - math.log(low)))
        for k, spec in enumerate(specs):
            retail = charm_price_cents(min(high, price * (1 + 0.08 * k)))
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
            newest = min(days for made, days in self.launch_days if made is first.product)
            self.launch_days.append((product, newest))
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
                retail_price=_money(charm_price_cents(retail * BUNDLE_PRICE_SHARE / 100)),
                distribution_price=_money(int(distribution * BUNDLE_PRICE_SHARE)),
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
        launched: dict[int, list[int]] = defaultdict(list)
        for product, days in self.launch_days:
            launched[days].append(product.pk)
        loader.backdate(launched)
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
