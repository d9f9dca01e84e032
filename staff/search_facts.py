"""The catalogue search's stored facts (``ProductSearchFacts``): one row per product with what
the search sorts and filters by that would cost too much to aggregate on every request.

``search_facts_refresh`` rebuilds every row from the other apps' selectors: units sold over
the last ``SEARCH_SALES_DAYS`` days (orders), the lowest and highest retail price, the price
bands and the margin at list prices of the active SKUs (catalog), available stock (可发 =
实际 − 占有 − 锁定 − 次品, summed over warehouses) and a stock status (inventory). It runs
from beat every ``STAFF_SEARCH_FACTS_EVERY_SECONDS`` and at the end of ``seed_demo``; the
page shows when the facts were last refreshed. It also stores the values of the web filter
attributes each product has, on itself or on an active SKU (``ProductSearchValue``), so that
attribute facets count and filter on one indexed table instead of joining SKUs and unpacking
multiple choice lists on every request. The tables are replaced in one transaction, so a
search reads either the old facts or the new ones, never a mix.

Stock status of a product, over its active SKUs that hold stock (bundles only when the
product has nothing else; a bundle's stock is its components'):

- no stock (无货): nothing available;
- low stock (低库存): something available, at most the sum of the SKUs' warning levels
  (预警值): the product as a whole is where its SKUs' low-stock alerts start;
- in stock (有货): more available than that. A product whose one variant is sold out while
  the others are plentiful is in stock: the search is by product, the SKU alerts are on the
  low-stock page.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from catalog.enums import AttributeType
from catalog.models import SKU, AttributeValue, Product
from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from staff.models import ProductSearchFacts, ProductSearchValue, SearchStockStatus
from workbooks import bulk

SEARCH_SALES_DAYS = 30
BATCH_SIZE = 5000
MARGIN_PLACES = Decimal("0.0001")
# The attribute types the search offers as facets (free text and dates are not).
FACET_TYPES = (
    AttributeType.CHOICE,
    AttributeType.MULTI_CHOICE,
    AttributeType.BOOLEAN,
    AttributeType.INTEGER,
    AttributeType.DECIMAL,
)
VALUE_MAX_LENGTH = 255
# Retail price bands (key, lowest price inclusive, highest exclusive or None): a product is
# in a band when one of its active SKUs is; stored as bit n of ``price_bands`` for band n.
PRICE_BUCKETS = (
    ("0-50", 0, 50),
    ("50-100", 50, 100),
    ("100-200", 100, 200),
    ("200-500", 200, 500),
    ("500-1000", 500, 1000),
    ("1000-3000", 1000, 3000),
    ("3000-", 3000, None),
)


def price_bands(prices: list[Decimal]) -> int:
    """Return the bit mask of the price bands ``prices`` fall in."""
    mask = 0
    for n, (_key, low, high) in enumerate(PRICE_BUCKETS):
        if any(price >= low and (high is None or price < high) for price in prices):
            mask |= 1 << n
    return mask


def decimal_text(number: Decimal) -> str:
    """Return a decimal without trailing zeros or exponent: 6.10 → "6.1", 1E+2 → "100"."""
    return f"{number.normalize():f}"


def value_key(value) -> str:
    """Return the search's text of an attribute value: yes / no as "1" / "0", decimals
    without trailing zeros, the rest as text."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def _value_keys(value_type: str, text, boolean, integer, decimal, options) -> list[str]:
    match value_type:
        case AttributeType.MULTI_CHOICE:
            values = options or []
        case AttributeType.BOOLEAN:
            values = [boolean]
        case AttributeType.INTEGER:
            values = [integer]
        case AttributeType.DECIMAL:
            values = [decimal]
        case _:
            values = [text]
    keys = [value_key(v) for v in values if v is not None and v != ""]
    return [key for key in keys if len(key) <= VALUE_MAX_LENGTH]


def _search_values() -> list[dict]:
    """Return one row per product, web filter attribute and value (see the module)."""
    rows = (
        AttributeValue.objects.filter(
            attribute__use_web_filter=True, attribute__value_type__in=FACET_TYPES
        )
        .exclude(sku__is_active=False)
        .order_by()
        .values_list(
            "attribute_id",
            "attribute__value_type",
            "product_id",
            "sku__product_id",
            "value_text",
            "value_boolean",
            "value_integer",
            "value_decimal",
            "value_list",
        )
    )
    seen: set[tuple[int, int, str]] = set()
    for attribute_id, value_type, product_id, sku_product_id, *values in rows.iterator(
        chunk_size=BATCH_SIZE
    ):
        owner = product_id or sku_product_id
        for key in _value_keys(value_type, *values):
            seen.add((owner, attribute_id, key))
    return [{"product_id": p, "attribute_id": a, "value": v} for p, a, v in seen]


def _stock_status(stocked: list[tuple[int, int]]) -> tuple[int, str]:
    """Return (available, status) of a product from its stocked SKUs' (available, warning)."""
    available = sum(max(units, 0) for units, _warning in stocked)
    if available <= 0:
        return available, SearchStockStatus.OUT
    if available <= sum(warning for _units, warning in stocked):
        return available, SearchStockStatus.LOW
    return available, SearchStockStatus.IN_STOCK


def _margin(priced: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    retail = sum((r for r, _c in priced), Decimal(0))
    if retail <= 0:
        return None
    cost = sum((c for _r, c in priced), Decimal(0))
    return ((retail - cost) / retail).quantize(MARGIN_PLACES)


def search_facts_refresh(*, now: dt.datetime | None = None) -> int:
    """Rebuild the search facts of every product; return how many rows were written.

    A fixed number of reads whatever the number of products (products, SKUs with their
    stock columns, units sold, attribute values), then both tables are replaced in batches
    inside one transaction.
    """
    now = now or timezone.now()
    since = now - dt.timedelta(days=SEARCH_SALES_DAYS)
    units = order_selectors.units_sold_by_product(since=since)
    skus = inventory_selectors.sku_stock_columns(SKU.objects.filter(is_active=True)).values_list(
        "product_id", "retail_price", "cost_price", "available", "warning_level", "is_bundle"
    )
    prices: dict[int, list[Decimal]] = defaultdict(list)
    priced: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    goods: dict[int, list[tuple[int, int]]] = defaultdict(list)
    bundles: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product_id, retail, cost, available, warning, is_bundle in skus.order_by().iterator(
        chunk_size=BATCH_SIZE
    ):
        if retail is not None:
            prices[product_id].append(retail)
            if cost is not None:
                priced[product_id].append((retail, cost))
        (bundles if is_bundle else goods)[product_id].append((available, warning))
    rows = []
    for product_id in Product.objects.order_by("pk").values_list("pk", flat=True).iterator():
        available, status = _stock_status(goods.get(product_id) or bundles.get(product_id, []))
        product_prices = prices.get(product_id)
        rows.append(
            ProductSearchFacts(
                product_id=product_id,
                units_sold=units.get(product_id, 0),
                min_price=min(product_prices) if product_prices else None,
                max_price=max(product_prices) if product_prices else None,
                price_bands=price_bands(product_prices or []),
                available=available,
                stock_status=status,
                margin=_margin(priced.get(product_id, [])),
                refreshed_at=now,
            )
        )
    values = _search_values()
    with transaction.atomic():
        ProductSearchFacts.objects.all().delete()
        ProductSearchFacts.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ProductSearchValue.objects.all().delete()
        bulk.insert(ProductSearchValue, values, ids=False)  # COPY on PostgreSQL
    if connection.vendor == "postgresql":
        # Every row is new: without fresh statistics the planner misjudges the facet
        # queries (seconds instead of milliseconds) until autovacuum comes round.
        tables = [
            connection.ops.quote_name(m._meta.db_table)
            for m in (ProductSearchFacts, ProductSearchValue)
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    return len(rows)


def search_facts_refreshed_at() -> dt.datetime | None:
    """Return when the facts were last refreshed (``None``: never). Every row of a refresh
    has the same time, so the first row by key tells it without scanning the table."""
    return ProductSearchFacts.objects.order_by("pk").values_list("refreshed_at", flat=True).first()
