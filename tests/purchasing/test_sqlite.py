"""The embedded first run uses SQLite: receiving and the restock report work there too."""

from tests.sqlite import sqlite_migrated, sqlite_run

SCENARIO = """
from decimal import Decimal
from django.utils import timezone
from catalog import services as catalog_services
from catalog.models import SKU, Product
from inventory import services as stock
from inventory.enums import SlotType
from inventory.models import Slot, Warehouse
from purchasing import reports, services
from purchasing.models import Supplier, SupplierOffer

top = catalog_services.category_create(name="大类", code="C0")
middle = catalog_services.category_create(name="中类", code="C1", parent=top)
leaf = catalog_services.category_create(name="小类", code="C2", parent=middle)
product = Product.objects.create(code="P1", name="商品", category=leaf)
sku = SKU.objects.create(product=product, code="S1", warning_level=10)
warehouse = Warehouse.objects.create(code="W", name="仓")
pick = Slot.objects.create(warehouse=warehouse, code="A-01-01-1", zone="A")
Slot.objects.create(warehouse=warehouse, code="P-00-00-1", zone="P", slot_type=SlotType.PACKING)
supplier = Supplier.objects.create(code="M1", name="厂", supplier_type="manufacturer")
SupplierOffer.objects.create(supplier=supplier, sku=sku, unit_cost=Decimal("0.29"),
    min_order_quantity=12, valid_from=timezone.localdate())
order = services.purchase_order_create(supplier=supplier, warehouse=warehouse,
    lines=[services.OrderLineInput(sku, 12)])
services.purchase_order_place(order=order)
services.purchase_order_receive(order=order,
    lines=[services.ReceiveLine(order.lines.get(), received=8, rejected=1, slot=pick)])
held = stock.stock_reserve(warehouse=warehouse, lines=[stock.StockLine(sku, 3)])
stock.stock_pick(reservations=held)
stock.stock_ship(reservations=held)
row = reports.restock(as_of=timezone.localdate()).iloc[0]
print(row["on_hand"], row["open_po"], row["projected"], row["suggested_quantity"],
    row["supplier"], row["unit_cost"])
"""


def test_receiving_and_the_restock_report_run_on_sqlite(tmp_path):
    _database, env = sqlite_migrated(tmp_path)
    result = sqlite_run(env, SCENARIO)
    assert result.returncode == 0, result.stderr
    # 7 accepted − 3 shipped = 4 on hand, 5 still on order: projected 9. Demand 3 a day on the
    # one in-stock day, σ 0, lead time 7: target 3 × 7 + 3 × 14 = 63, so 63 − 9 = 54.
    assert result.stdout.strip().splitlines()[-1] == "4 5 9 54 M1 厂 0.2900"
