"""The embedded first run uses SQLite: the ledger trigger and the stock services work there."""

import sqlite3

import pytest

from tests.sqlite import sqlite_migrated, sqlite_run

SCENARIO = """
from decimal import Decimal
from django.core.management import call_command
from catalog import services as catalog_services
from catalog.models import SKU, Product
from inventory import services
from inventory.enums import SlotType
from inventory.exceptions import InsufficientStock
from inventory.models import Slot, Warehouse

top = catalog_services.category_create(name="大类", code="C0")
middle = catalog_services.category_create(name="中类", code="C1", parent=top)
leaf = catalog_services.category_create(name="小类", code="C2", parent=middle)
product = Product.objects.create(code="P1", name="商品", category=leaf)
sku = SKU.objects.create(product=product, code="S1")
warehouse = Warehouse.objects.create(code="W", name="仓")
pick = Slot.objects.create(warehouse=warehouse, code="A-01-01-1", zone="A")
Slot.objects.create(
    warehouse=warehouse, code="P-00-00-1", zone="P", slot_type=SlotType.PACKING
)
services.stock_receive(slot=pick, lines=[services.ReceiptLine(sku, 5, Decimal("2.50"))])
reservations = services.stock_reserve(warehouse=warehouse, lines=[services.StockLine(sku, 3)])
try:
    services.stock_reserve(warehouse=warehouse, lines=[services.StockLine(sku, 3)])
except InsufficientStock as error:
    print(error)
services.stock_pick(reservations=reservations)
print("cost", services.stock_ship(reservations=reservations).total_cost)
call_command("check_stock_integrity")
"""


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory):
    return sqlite_migrated(tmp_path_factory.mktemp("sqlite"))


def test_sqlite_migrates_with_its_own_immutability_trigger(sqlite_database):
    database, _env = sqlite_database
    db = sqlite3.connect(database)
    db.execute(
        "INSERT INTO inventory_stockmove (kind, sku_id, lot_id, to_slot_id, quantity, "
        "unit_cost, reason, reference_type, reference_id, created_at) "
        "VALUES ('receipt', 1, 1, 1, 3, 1, '', '', '', '2025-01-01')"
    )
    db.commit()
    for sql in ("UPDATE inventory_stockmove SET quantity = 4", "DELETE FROM inventory_stockmove"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only ledger"):
            db.execute(sql)
    assert db.execute("SELECT quantity FROM inventory_stockmove").fetchall() == [(3,)]
    db.execute("DROP TRIGGER inventory_stockmove_no_delete")
    db.execute("DELETE FROM inventory_stockmove")
    db.execute(
        "CREATE TRIGGER inventory_stockmove_no_delete BEFORE DELETE ON inventory_stockmove "
        "BEGIN SELECT RAISE(ABORT, 'inventory_stockmove is an append-only ledger'); END"
    )
    db.commit()


def test_receive_reserve_pick_and_ship_work_on_sqlite(sqlite_database):
    _database, env = sqlite_database
    result = sqlite_run(env | {"LANGUAGE_CODE": "en"}, SCENARIO)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Not enough stock available: S1 in W: wanted 3, available 2.",
        "cost 7.5000",
        "OK: stock levels agree with the ledger (3 moves).",
    ]
