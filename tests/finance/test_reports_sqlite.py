"""The report pages of ``make run`` read SQLite: the margin, P&L and valuation SQL runs there
and gives the figures PostgreSQL gives."""

import pytest

from tests.sqlite import sqlite_migrated, sqlite_run

SCENARIO = """
from datetime import date, datetime, time
from decimal import Decimal
from django.utils import timezone
from catalog import services as catalog_services
from catalog.models import SKU, Product
from finance.reports import SalesFilter, margin_by, pnl_by_month
from finance.valuation import valuation_total
from inventory import services
from inventory.models import Slot, Warehouse
from orders.models import Channel, SalesOrder, SalesOrderLine, Shop

top = catalog_services.category_create(name="茶", code="C0")
middle = catalog_services.category_create(name="绿茶", code="C1", parent=top)
leaf = catalog_services.category_create(name="龙井", code="C2", parent=middle)
product = Product.objects.create(code="P1", name="龙井", category=leaf)
sku = SKU.objects.create(product=product, code="S1")
warehouse = Warehouse.objects.create(code="W", name="仓")
pick = Slot.objects.create(warehouse=warehouse, code="A-01-01-1", zone="A")
at = timezone.make_aware(datetime(2026, 3, 3, 10))
services.stock_receive(slot=pick, lines=[services.ReceiptLine(sku, 5, Decimal("2.50"))], at=at)
shop = Shop.objects.create(
    channel=Channel.objects.create(code="TM", name="天猫", kind="tmall"),
    code="S", name="店", warehouse=warehouse,
)
order = SalesOrder.objects.create(
    shop=shop, number="N1", source="staff", warehouse=warehouse, status="shipped",
    shipped_at=timezone.make_aware(datetime(2026, 3, 31, 23, 30)),
)
SalesOrderLine.objects.create(
    order=order, line_no=1, sku=sku, quantity=2, unit_price=Decimal("9.99"),
    discount=Decimal("1.00"), shipped_quantity=2, cost_of_goods=Decimal("5.0000"),
)
for dimension in ("sku", "product", "category", "role", "channel", "month"):
    frame = margin_by(dimension, SalesFilter(date_from=date(2026, 3, 1)))
    print(dimension, frame["net_revenue"].tolist(), frame["gross_profit"].tolist())
print("level1", margin_by("category", level=1)["code"].tolist())
pnl = pnl_by_month(SalesFilter(date_from=date(2026, 2, 1), date_to=date(2026, 4, 30)))
rows = pnl.rows
print("pnl", rows["month"].tolist(), rows["cogs"].tolist(), rows["stock_value"].tolist())
print("value", valuation_total(on=date(2026, 3, 2)), valuation_total(on=date(2026, 3, 3)))
"""


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory):
    return sqlite_migrated(tmp_path_factory.mktemp("sqlite"))


def test_margin_pnl_and_valuation_run_on_sqlite(sqlite_database):
    _database, env = sqlite_database
    result = sqlite_run(env, SCENARIO)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # 2 × 9.99 − 1.00 = 18.98 net, COGS 5.00, gross profit 13.98; shipped 23:30 local on
    # 31 March, so in March.
    assert "sku [Decimal('18.98')] [Decimal('13.98')]" in out
    assert "month [Decimal('18.98')]" in out
    assert "level1 ['C0']" in out
    assert "pnl ['2026-02', '2026-03', '2026-04']" in out
    assert "[Decimal('0.00'), Decimal('5.00'), Decimal('0.00')]" in out
    # The stock moves were not shipped here: 5 × 2.50 on hand from 3 March.
    assert "[Decimal('0.00'), Decimal('12.50'), Decimal('12.50')]" in out
    assert "value 0.00 12.50" in out
