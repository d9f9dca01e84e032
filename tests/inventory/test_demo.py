"""Demo stock: seeded through the services, so the ledger agrees, deterministic by seed, and
``seed_demo --reset`` wipes the append-only ledger on PostgreSQL and on SQLite."""

import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import translation

from catalog.demo import seed_catalog
from inventory import selectors
from inventory.demo import seed_stock, stock_reset
from inventory.enums import MoveKind, SlotType
from inventory.models import (
    Lot,
    Reservation,
    Slot,
    StockLock,
    StockMove,
    Warehouse,
    WarehouseStock,
)
from tests.sqlite import child_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="class")
def tiny_stock(django_db_setup, django_db_blocker, tmp_path_factory):
    """The tiny catalog and its demo stock, seeded once and rolled back after the class."""
    from django.test import override_settings

    out = StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
        translation.override("en"),
    ):
        seed_catalog(scale="tiny")
        counts = seed_stock(scale="tiny", seed=42, stdout=out)
        yield counts, out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.usefixtures("db")
class TestTinyDemoStock:
    def test_the_stock_agrees_with_the_ledger(self, tiny_stock):
        assert selectors.stock_integrity_mismatches() == []
        out = StringIO()
        call_command("check_stock_integrity", stdout=out)
        assert "OK" in out.getvalue()

    def test_two_warehouses_with_every_kind_of_slot(self, tiny_stock):
        assert list(Warehouse.objects.values_list("code", flat=True)) == ["GZ1", "SH1"]
        for warehouse in Warehouse.objects.all():
            kinds = set(warehouse.slots.values_list("slot_type", flat=True))
            assert kinds == set(SlotType.values)
        pick = Slot.objects.filter(slot_type=SlotType.PICK)
        assert pick.filter(capacity_volume_mm3__isnull=True).count() == 0
        assert all(len(code.split("-")) == 4 for code in pick.values_list("code", flat=True))

    def test_lots_differ_in_age_and_cost_near_the_sku_cost(self, tiny_stock):
        lots = list(Lot.objects.select_related("sku"))
        ages = {lot.received_at.date() for lot in lots}
        assert len(ages) > 5
        for lot in lots:
            assert abs(lot.unit_cost - lot.sku.cost_price) <= lot.sku.cost_price * Decimal("0.1")

    def test_a_year_of_shipments_with_dates_spread_over_it(self, tiny_stock):
        counts, output = tiny_stock
        ships = StockMove.objects.filter(kind=MoveKind.SHIP)
        assert ships.aggregate(units=Sum("quantity"))["units"] == counts["shipped units"] > 100
        months = {move.created_at.strftime("%Y-%m") for move in ships}
        assert len(months) >= 10
        assert "units shipped" in output

    def test_low_stock_defects_a_lock_and_todays_wave(self, tiny_stock):
        assert selectors.low_stock().exists()
        assert StockMove.objects.filter(to_slot__slot_type=SlotType.QUARANTINE).exists()
        assert StockLock.objects.filter(released=0).exists()
        assert WarehouseStock.objects.filter(backordered__gt=0).exists()
        assert selectors.reservations_to_pick().exists()
        plan = selectors.pick_list_for_wave(
            reservations=list(
                selectors.reservations_to_pick(warehouse=Warehouse.objects.get(code="SH1"))
            )
        )
        assert plan.pick_list.lines and not plan.shortages

    def test_open_reservations_are_todays_only(self, tiny_stock):
        shipped = Reservation.objects.filter(shipped__gt=0).count()
        assert shipped > 0
        assert Reservation.objects.filter(picked=0, released=0).count() < 40


def test_seeding_is_deterministic_and_reset_wipes_the_ledger(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_catalog(scale="tiny", seed=3)
    seed_stock(scale="tiny", seed=3)
    first = list(StockMove.objects.values_list("kind", "sku__code", "quantity", "unit_cost"))
    stock_reset()
    assert not StockMove.objects.exists() and not Warehouse.objects.exists()
    seed_stock(scale="tiny", seed=3)
    again = list(StockMove.objects.values_list("kind", "sku__code", "quantity", "unit_cost"))
    assert first == again
    assert selectors.stock_integrity_mismatches() == []
    skipped = StringIO()
    assert seed_stock(scale="tiny", seed=3, stdout=skipped) == {}
    assert "skipped" in skipped.getvalue()


def test_the_ledger_refuses_a_delete_after_a_reset(db):
    stock_reset()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'inventory_stockmove_immutable'"
        )
        assert cursor.fetchone()[0] == 1


SQLITE_SCENARIO = """
from io import StringIO
from django.core.management import call_command
from django.db import connection
from inventory.models import StockMove

call_command("seed_demo", stdout=StringIO())
moves = StockMove.objects.count()
call_command("seed_demo", "--reset", stdout=StringIO())
print(moves > 0, StockMove.objects.count() == moves)
call_command("check_stock_integrity")
with connection.cursor() as cursor:
    try:
        cursor.execute("DELETE FROM inventory_stockmove")
    except Exception as error:
        print("refused" if "append-only" in str(error) else error)
"""


def test_seed_demo_reset_works_on_sqlite(tmp_path):
    database = tmp_path / "jingxi.sqlite3"
    env = child_env(
        DATABASE_URL=f"sqlite:///{database}", MEDIA_ROOT=str(tmp_path / "media"), LANGUAGE_CODE="en"
    )
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": False}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
    assert migrate.returncode == 0, migrate.stderr
    # The small scale is made tiny for speed, as in the catalog's seed tests.
    script = "from catalog.demo import SCALES; SCALES['small'] = SCALES['tiny']\n"
    script += "from inventory import demo; demo.STOCKED_SKUS['small'] = 30\n"
    script += "demo.SHIPPED_LINES['small'] = 100\n" + SQLITE_SCENARIO
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script], **run
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True True",
        f"OK: stock levels agree with the ledger ({result.stdout.split('(')[1].split(')')[0]}).",
        "refused",
    ]
