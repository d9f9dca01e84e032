"""Who and where in the demo: Chinese people, places, companies and platform order numbers.

The demo keeps the structure of its real sources (olist customers, sellers and orders) and
re-labels them so that a Chinese e-commerce team recognises its own shop: a Brazilian state
becomes a Chinese province of the same rank by online-shopping volume, a customer gets a
Chinese name and street address, a seller becomes a supplier company of a Chinese trade hub,
and an order gets the number format of the platform that sold it.

Every value is a pure function of a text key (a SHA-1 of it), so the same source row always
gets the same identity, whatever the database ids or the order of loading. Lower apps' demo
modules import this one (catalog imports no other app), so it holds data only.
"""

import datetime as dt
import hashlib

# fmt: off
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏",
    "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
)
GIVEN_CHARS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "梅", "鑫", "波",
    "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "婷", "雪", "琳", "晨", "欣",
    "思", "远", "佳", "怡", "子", "涵", "雨", "轩", "博", "文", "嘉", "悦", "晓", "楠", "颖",
)
ROADS = (
    "人民路", "建设路", "解放路", "中山路", "文化路", "新华路", "长江路", "黄河路", "和平路",
    "胜利路", "朝阳路", "光明路", "青年路", "工业大道", "滨江路", "学院路", "花园路", "东风路",
)
ESTATES = (
    "阳光花园", "翠湖苑", "金色家园", "锦绣华庭", "碧桂园", "万科城", "恒大名都", "世纪新城",
    "幸福里", "丽景湾", "绿地中心", "保利花园", "龙湖春江郦城", "融创府", "梧桐苑", "香樟园",
)
# fmt: on

# Province, then (city, districts) of each; the first city is the capital or biggest market.
PROVINCES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "广东省": (
        ("广州市", ("天河区", "越秀区", "海珠区", "番禺区", "白云区")),
        ("深圳市", ("南山区", "福田区", "宝安区", "龙岗区", "罗湖区")),
        ("东莞市", ("南城街道", "东城街道", "长安镇", "虎门镇")),
        ("佛山市", ("禅城区", "南海区", "顺德区")),
        ("珠海市", ("香洲区", "金湾区")),
    ),
    "浙江省": (
        ("杭州市", ("西湖区", "拱墅区", "滨江区", "余杭区", "萧山区")),
        ("宁波市", ("鄞州区", "海曙区", "江北区")),
        ("温州市", ("鹿城区", "瓯海区", "龙湾区")),
        ("金华市", ("婺城区", "义乌市", "东阳市")),
        ("绍兴市", ("越城区", "柯桥区")),
    ),
    "江苏省": (
        ("南京市", ("鼓楼区", "玄武区", "建邺区", "江宁区")),
        ("苏州市", ("姑苏区", "工业园区", "吴中区", "昆山市")),
        ("无锡市", ("梁溪区", "滨湖区", "新吴区")),
        ("常州市", ("天宁区", "武进区")),
        ("南通市", ("崇川区", "通州区")),
    ),
    "上海市": (("上海市", ("浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "宝山区")),),
    "北京市": (("北京市", ("朝阳区", "海淀区", "丰台区", "西城区", "东城区", "通州区")),),
    "山东省": (
        ("济南市", ("历下区", "市中区", "槐荫区")),
        ("青岛市", ("市南区", "崂山区", "黄岛区")),
        ("烟台市", ("芝罘区", "莱山区")),
    ),
    "福建省": (
        ("福州市", ("鼓楼区", "台江区", "仓山区")),
        ("厦门市", ("思明区", "湖里区", "集美区")),
        ("泉州市", ("丰泽区", "晋江市", "石狮市")),
    ),
    "四川省": (("成都市", ("武侯区", "锦江区", "高新区", "青羊区")), ("绵阳市", ("涪城区",))),
    "湖北省": (("武汉市", ("武昌区", "洪山区", "江汉区", "汉阳区")), ("宜昌市", ("西陵区",))),
    "河南省": (("郑州市", ("金水区", "二七区", "中原区")), ("洛阳市", ("洛龙区", "西工区"))),
    "湖南省": (("长沙市", ("岳麓区", "芙蓉区", "天心区", "开福区")), ("株洲市", ("天元区",))),
    "安徽省": (("合肥市", ("蜀山区", "包河区", "庐阳区")), ("芜湖市", ("镜湖区",))),
    "河北省": (
        ("石家庄市", ("长安区", "桥西区")),
        ("保定市", ("竞秀区",)),
        ("廊坊市", ("广阳区",)),
    ),
    "重庆市": (("重庆市", ("渝中区", "江北区", "渝北区", "南岸区", "沙坪坝区")),),
    "陕西省": (("西安市", ("雁塔区", "碑林区", "未央区", "长安区")),),
    "辽宁省": (("沈阳市", ("和平区", "沈河区", "浑南区")), ("大连市", ("中山区", "甘井子区"))),
    "天津市": (("天津市", ("和平区", "南开区", "河西区", "滨海新区")),),
    "云南省": (("昆明市", ("五华区", "盘龙区", "官渡区")),),
    "广西壮族自治区": (("南宁市", ("青秀区", "兴宁区", "西乡塘区")), ("桂林市", ("七星区",))),
    "江西省": (("南昌市", ("东湖区", "红谷滩区", "青山湖区")),),
    "山西省": (("太原市", ("小店区", "迎泽区", "杏花岭区")),),
    "黑龙江省": (("哈尔滨市", ("南岗区", "道里区", "香坊区")),),
    "贵州省": (("贵阳市", ("南明区", "云岩区", "观山湖区")),),
    "吉林省": (("长春市", ("朝阳区", "南关区", "绿园区")),),
    "甘肃省": (("兰州市", ("城关区", "七里河区")),),
    "内蒙古自治区": (("呼和浩特市", ("新城区", "赛罕区")),),
    "海南省": (("海口市", ("龙华区", "美兰区")), ("三亚市", ("吉阳区",))),
}
# olist's Brazilian states, ranked by their number of orders, each mapped to the Chinese
# province of the same rank by online shopping: São Paulo's share of the orders becomes
# Guangdong's, so the demo's geography keeps the real data's shape.
STATE_PROVINCE = {
    "SP": "广东省", "RJ": "浙江省", "MG": "江苏省", "PR": "上海市", "RS": "北京市",
    "BA": "山东省", "SC": "福建省", "ES": "四川省", "DF": "湖北省", "GO": "河南省",
    "PE": "湖南省", "CE": "安徽省", "PA": "河北省", "MT": "重庆市", "RN": "陕西省",
    "MA": "辽宁省", "PB": "天津市", "AL": "云南省", "MS": "广西壮族自治区", "PI": "江西省",
    "SE": "山西省", "RO": "黑龙江省", "AM": "贵州省", "TO": "吉林省", "RR": "甘肃省",
    "AC": "内蒙古自治区", "AP": "海南省",
}  # fmt: skip

# Supplier hubs: city, province, area code, and the trades the city is known for (each a
# short trade word used in company names, and the 大类 it supplies).
SUPPLIER_HUBS = (
    ("深圳市", "广东省", "0755", ("电子科技", "数码", "手机", "电脑办公")),
    ("东莞市", "广东省", "0769", ("五金制品", "家用电器", "家居家装", "汽车用品")),
    ("广州市", "广东省", "020", ("服饰", "服饰内衣", "个护化妆", "鞋靴")),
    ("佛山市", "广东省", "0757", ("电器", "家用电器", "厨具", "家居家装")),
    ("中山市", "广东省", "0760", ("照明电器", "家居家装", "家用电器")),
    ("汕头市", "广东省", "0754", ("玩具", "玩具乐器", "母婴")),
    ("义乌市", "浙江省", "0579", ("日用品", "家居家装", "礼品箱包", "珠宝", "运动健康")),
    (
        "杭州市", "浙江省", "0571",
        ("电子商务", "服饰内衣", "食品饮料、保健食品", "图书、音像、电子书刊"),
    ),
    ("宁波市", "浙江省", "0574", ("厨具", "厨具", "家用电器", "母婴")),
    ("温州市", "浙江省", "0577", ("鞋业", "鞋靴", "钟表", "汽车用品")),
    ("晋江市", "福建省", "0595", ("体育用品", "运动健康", "鞋靴")),
    ("苏州市", "江苏省", "0512", ("纺织品", "家居家装", "服饰内衣")),
    ("青岛市", "山东省", "0532", ("食品", "生鲜", "食品饮料、保健食品", "家用电器")),
    ("上海市", "上海市", "021", ("化妆品", "个护化妆", "母婴", "钟表")),
    ("北京市", "北京市", "010", ("文化传媒", "图书、音像、电子书刊", "电脑办公")),
)  # fmt: skip
TRADE_NAMES = (
    "华强", "鑫达", "恒通", "金盛", "宏发", "永盛", "联创", "瑞丰", "佳美", "天成", "盛世",
    "顺达", "嘉禾", "新源", "百利", "汇丰", "优品", "诚信", "立达", "众合", "星海", "宝利",
)  # fmt: skip
# Company-name endings per supplier type (purchasing.enums.SupplierType values).
COMPANY_FORMS = {
    "manufacturer": "{city}{name}{trade}有限公司",
    "agent": "{city}{name}品牌管理有限公司",
    "wholesaler": "{city}{name}{trade}批发商行",
    "trading_company": "{city}{name}贸易有限公司",
}
CONTACT_TITLES = ("经理", "总", "先生", "女士")

# The platforms' order numbers, by channel code: Tmall 19 digits, JD 12 digits, Douyin 19
# digits starting 69, Pinduoduo "YYMMDD-" and 15 digits; the own web shop and the
# distributor desk number their orders themselves.
CHANNEL_SHARES = (("TMALL", 35), ("JD", 20), ("PDD", 15), ("DOUYIN", 15), ("WEB", 10), ("DIST", 5))
ORDER_NUMBER_PATTERNS = {
    "TMALL": r"^[1-4]\d{18}$",
    "JD": r"^[2-3]\d{11}$",
    "DOUYIN": r"^69\d{17}$",
    "PDD": r"^\d{6}-\d{15}$",
    "WEB": r"^JX\d{14}$",
    "DIST": r"^FX\d{12}$",
}


def stable_hash(key: str, salt: str = "") -> int:
    """Return a 64-bit number fixed for ``key`` (and ``salt``), the same on every run."""
    return int.from_bytes(
        hashlib.sha1(f"{salt}:{key}".encode(), usedforsecurity=False).digest()[:8], "big"
    )


def person_name(key: str) -> str:
    """Return a Chinese name, 姓 and one or two characters of 名."""
    h = stable_hash(key, "name")
    given = GIVEN_CHARS[(h >> 8) % len(GIVEN_CHARS)]
    if h % 3:
        given += GIVEN_CHARS[(h >> 20) % len(GIVEN_CHARS)]
    return SURNAMES[(h >> 32) % len(SURNAMES)] + given


def mobile_masked(key: str) -> str:
    """Return a mobile number as platforms hand it over, the middle digits masked."""
    h = stable_hash(key, "mobile")
    prefix = ("138", "139", "135", "136", "150", "151", "186", "187", "177", "199")[h % 10]
    return f"{prefix}****{(h >> 8) % 10_000:04d}"


def province_of_state(state: str) -> str:
    return STATE_PROVINCE.get(state.upper(), "广东省")


def street_address(key: str, *, province: str, city_key: str = "") -> str:
    """Return a full postal address in ``province``: city, district, road, estate, flat.

    ``city_key`` picks the city, so that customers sharing a real city share a Chinese one.
    """
    cities = PROVINCES[province]
    city, districts = cities[stable_hash(city_key or key, "city") % len(cities)]
    h = stable_hash(key, "address")
    district = districts[h % len(districts)]
    road = ROADS[(h >> 8) % len(ROADS)]
    estate = ESTATES[(h >> 16) % len(ESTATES)]
    number = 1 + (h >> 24) % 300
    building, unit, flat = 1 + (h >> 33) % 20, 1 + (h >> 38) % 4, 101 + (h >> 41) % 30 * 100
    prefix = province if province == city else province + city
    return (
        f"{prefix}{district}{road}{number}号{estate}{building}栋{unit}单元{flat + (h >> 50) % 4}室"
    )


def supplier_identity(key: str, *, supplier_type: str, index: int) -> dict[str, str]:
    """Return the name, city, trade (a 大类), contact, phone and address of a supplier."""
    city, province, area, (trade, *tops) = SUPPLIER_HUBS[index % len(SUPPLIER_HUBS)]
    h = stable_hash(key, "supplier")
    name = TRADE_NAMES[(h + index) % len(TRADE_NAMES)]
    company = COMPANY_FORMS[supplier_type].format(city=city, name=name, trade=trade)
    contact = person_name(key)
    title = CONTACT_TITLES[(h >> 8) % len(CONTACT_TITLES)]
    contact_name = contact[0] + title
    districts = dict(PROVINCES.get(province, ()))
    district = (districts.get(city) or ("",))[(h >> 12) % len(districts.get(city) or ("",))]
    road = ROADS[(h >> 16) % len(ROADS)]
    place = "" if province == city else province
    return {
        "name": company,
        "city": city,
        "tops": ",".join(tops),
        "contact_name": contact_name,
        "phone": f"{area}-{8 if len(area) == 3 else ''}{(h >> 24) % 10**7:07d}",
        "address": f"{place}{city}{district}{road}{1 + (h >> 32) % 888}号",
    }


def channel_of_order(key: str) -> str:
    """Return the code of the channel that sold the order ``key``, by the channel shares."""
    pick = stable_hash(key, "channel") % sum(share for _code, share in CHANNEL_SHARES)
    for code, share in CHANNEL_SHARES:
        if pick < share:
            return code
        pick -= share
    return CHANNEL_SHARES[0][0]


def channel_order_number(key: str, *, channel: str, placed: dt.date) -> str:
    """Return the order number ``channel``'s platform gives the order ``key``."""
    h = stable_hash(key, "number")
    if channel == "TMALL":
        return f"{1 + h % 4}{(h >> 2) % 10**18:018d}"
    if channel == "JD":
        return f"{2 + h % 2}{(h >> 1) % 10**11:011d}"
    if channel == "DOUYIN":
        return f"69{h % 10**17:017d}"
    if channel == "PDD":
        return f"{placed:%y%m%d}-{h % 10**15:015d}"
    if channel == "DIST":
        return f"FX{placed:%Y%m%d}{h % 10**4:04d}"
    return f"JX{placed:%Y%m%d}{h % 10**6:06d}"
