import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import connection

from inventory import services
from inventory.models import StockLevel, WarehouseStock
from inventory.selectors import stock_integrity_mismatches
from tests.factories import SKUFactory
from tests.inventory.support import receive


@pytest.fixture
def stocked(site):
    sku = SKUFactory(code="INT-1")
    receive(sku, site.receiving, 10)
    services.stock_putaway(sku=sku, from_slot=site.receiving, quantity=6, to_slot=site.pick_a)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(sku, 2)])
    return sku


def test_check_stock_integrity_says_ok_in_one_line_when_levels_agree(stocked, capsys):
    call_command("check_stock_integrity")
    assert capsys.readouterr().out == "OK: stock levels agree with the ledger (2 moves).\n"


def _tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_check_stock_integrity_exits_non_zero_naming_each_tampered_level(stocked, site, capsys):
    level = StockLevel.objects.get(sku=stocked, slot=site.pick_a)
    _tamper("UPDATE inventory_stocklevel SET on_hand = 7 WHERE id = %s", [level.pk])
    _tamper("UPDATE inventory_warehousestock SET reserved = 1 WHERE sku_id = %s", [stocked.pk])

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "check_stock_integrity"])

    assert exit_info.value.code == 1
    err = capsys.readouterr().err.splitlines()
    lot = level.lot_id
    assert err == [
        f"INT-1 in SH/A-01-01-1, lot {lot}: on hand 7, ledger 6",
        "INT-1 in SH: reserved 1, open reservations 2",
        "CommandError: 2 stock figures disagree with the ledger.",
    ]


def test_check_stock_integrity_catches_a_level_row_the_ledger_never_made(stocked, site):
    _tamper(
        "INSERT INTO inventory_stocklevel (sku_id, slot_id, lot_id, on_hand) "
        "SELECT sku_id, %s, lot_id, 4 FROM inventory_stocklevel LIMIT 1",
        [site.pick_c.pk],
    )
    WarehouseStock.objects.filter(sku=stocked).update(on_hand=14)

    assert stock_integrity_mismatches() == [
        f"INT-1 in SH/A-02-01-1, lot {stocked.lots.get().pk}: on hand 4, ledger 0",
        "INT-1 in SH: on hand 14, ledger 10",
    ]
