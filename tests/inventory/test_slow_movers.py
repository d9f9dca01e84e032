"""The slow-mover report against a small case computed by hand, and its command."""

import subprocess
import sys
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from unittest import mock

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from catalog.enums import ProductRole, ProductStatus
from catalog.models import SKU
from inventory import reports, services
from tests.factories import CategoryFactory, ProductFactory, SKUFactory, WarehouseFactory
from tests.sqlite import child_env

AS_OF = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@contextmanager
def clock(day: date):
    """Make the services post their moves on ``day`` at noon."""
    with mock.patch("django.utils.timezone.now", return_value=at(day)):
        yield


def receive(site, sku, day: date, quantity: int, unit_cost: str):
    with clock(day):
        services.stock_receive(
            slot=site.receiving,
            lines=[services.ReceiptLine(sku=sku, quantity=quantity, unit_cost=Decimal(unit_cost))],
            received_at=at(day),
        )


def sell(site, sku, day: date, quantity: int):
    with clock(day):
        reservations = services.stock_reserve(
            warehouse=site.warehouse, lines=[services.StockLine(sku=sku, quantity=quantity)]
        )
        services.stock_pick(reservations=reservations, to_slot=site.packing)
        services.stock_ship(reservations=reservations)


def make_sku(code: str, category, role=ProductRole.REGULAR, created=date(2025, 1, 1), **kwargs):
    product = ProductFactory(category=category, role=role, **kwargs)
    sku = SKUFactory(product=product, code=code)
    SKU.objects.filter(pk=sku.pk).update(created_at=at(created, 0))
    return sku


@pytest.fixture
def shop(site):
    """Five SKUs in two 中类 of one 大类, stock and sales as in the docstring of each."""
    top = CategoryFactory(name="服装", code="X")
    x1 = CategoryFactory(name="上衣", code="X1", parent=top)
    x2 = CategoryFactory(name="裤子", code="X2", parent=top)
    leaf1 = CategoryFactory(name="T恤", code="X1a", parent=x1)
    leaf2 = CategoryFactory(name="长裤", code="X2a", parent=x2)
    skus = {
        "A": make_sku("A", leaf1),
        "B": make_sku("B", leaf1, ProductRole.TRAFFIC),
        "C": make_sku("C", leaf2, ProductRole.IMAGE),
        "D": make_sku("D", leaf2, created=date(2026, 5, 1)),
        "E": make_sku("E", leaf2, ProductRole.IMAGE, created=date(2026, 4, 1)),
        # Listed, never stocked: counts for 动销率, not sold.
        "F": make_sku("F", leaf1, status=ProductStatus.LISTED),
    }
    a, b, c, d, e = (skus[k] for k in "ABCDE")
    receive(site, a, date(2026, 1, 1), 100, "10.00")  # lot A1, 180 days old on AS_OF
    receive(site, a, date(2026, 6, 10), 50, "12.00")  # lot A2, 20 days old
    sell(site, a, date(2026, 3, 1), 30)  # outside 90 days
    sell(site, a, date(2026, 6, 20), 20)
    sell(site, a, date(2026, 6, 25), 10)
    receive(site, b, date(2026, 5, 1), 20, "5.00")  # 60 days old
    sell(site, b, date(2026, 6, 29), 15)
    receive(site, c, date(2025, 6, 1), 10, "100.00")  # 394 days old
    sell(site, c, date(2025, 12, 1), 2)  # 211 days before AS_OF
    receive(site, d, date(2026, 5, 1), 10, "1.00")
    receive(site, e, date(2026, 4, 1), 3, "2.00")
    # After AS_OF: must not count.
    sell(site, a, date(2026, 7, 5), 40)
    receive(site, b, date(2026, 7, 1), 100, "4.00")
    return skus


def rows(df: pd.DataFrame) -> dict[str, dict]:
    return {row["sku"]: row for row in df.to_dict("records")}


def test_report_matches_the_hand_computed_case(shop):
    df = reports.slow_movers(as_of=AS_OF)
    got = rows(df)
    assert sorted(got) == ["A", "B", "C", "D", "E", "F"]
    a, b, c, d, e, f = (got[k] for k in "ABCDEF")

    # A: lot A1 100 − 60 shipped = 40 × 10.00, lot A2 50 × 12.00.
    assert a["on_hand"] == 90
    assert a["stock_value"] == Decimal("1000.00")
    assert a["last_sale"] == date(2026, 6, 25)
    assert (a["shipped_30"], a["shipped_90"]) == (30, 30)
    assert a["avg_daily_demand"] == pytest.approx(0.3333)
    assert a["days_of_cover"] == 270.0  # 90 ÷ (30 / 90)
    # Opening on 1 June 70, received 50 in the period, sold 30.
    assert a["sell_through"] == 0.25
    assert a["age_0_30_units"] == 50 and a["age_0_30_value"] == Decimal("600.00")
    assert a["age_91_180_units"] == 40 and a["age_91_180_value"] == Decimal("400.00")
    for bucket in ("31_60", "61_90", "181_365", "over_365"):
        assert a[f"age_{bucket}_units"] == 0 and a[f"age_{bucket}_value"] == Decimal("0.00")
    assert a["avg_age_days"] == 91.1  # (40 × 180 + 50 × 20) ÷ 90
    assert a["days_without_sale"] == 5
    assert a["classification"] == "slow"  # 270 days of cover > 120
    assert a["consumption_value_90"] == Decimal("300.00")
    assert a["abc"] == "A"
    assert a["action"] == "markdown"

    assert b["on_hand"] == 5 and b["stock_value"] == Decimal("25.00")
    assert b["last_sale"] == date(2026, 6, 29)
    assert (b["shipped_30"], b["shipped_90"]) == (15, 15)
    assert b["avg_daily_demand"] == pytest.approx(0.1667)
    assert b["days_of_cover"] == 30.0
    assert b["sell_through"] == 0.75  # 15 ÷ (20 + 0)
    assert b["age_31_60_units"] == 5 and b["age_31_60_value"] == Decimal("25.00")
    assert b["avg_age_days"] == 60.0
    assert b["days_without_sale"] == 1
    assert b["classification"] == "active"
    assert b["consumption_value_90"] == Decimal("75.00")
    # The SKUs above B make 300 / 375 = exactly 80 %: B is the first B.
    assert b["abc"] == "B"
    assert b["action"] == ""

    assert c["on_hand"] == 8 and c["stock_value"] == Decimal("800.00")
    assert c["last_sale"] == date(2025, 12, 1)
    assert (c["shipped_30"], c["shipped_90"]) == (0, 0)
    assert c["avg_daily_demand"] == 0
    assert pd.isna(c["days_of_cover"])  # stock and no demand
    assert c["sell_through"] == 0.0
    assert c["age_over_365_units"] == 8 and c["age_over_365_value"] == Decimal("800.00")
    assert c["avg_age_days"] == 394.0
    assert c["days_without_sale"] == 211
    assert c["classification"] == "dead"
    assert c["abc"] == "C"
    assert c["action"] == "return_to_supplier"

    # D: created 60 days ago, never sold → slow, not dead (too young); C class → bundle.
    assert d["on_hand"] == 10 and pd.isna(d["last_sale"])
    assert d["days_without_sale"] == 60
    assert (d["classification"], d["abc"], d["action"]) == ("slow", "C", "bundle")
    assert d["sell_through"] == 0.0
    assert d["age_61_90_units"] == 0 and d["age_31_60_units"] == 10  # received 60 days ago
    # E: an image product that does not sell: stop reordering, keep the price.
    assert e["days_without_sale"] == 90
    assert (e["classification"], e["action"]) == ("slow", "stop_reordering")
    assert e["age_61_90_units"] == 3

    assert f["on_hand"] == 0 and f["stock_value"] == Decimal("0.00")
    assert (f["classification"], f["abc"], f["action"]) == ("active", "C", "")
    assert pd.isna(f["sell_through"]) and pd.isna(f["avg_age_days"])
    assert f["days_of_cover"] == 0


def test_stock_age_buckets_sum_the_skus_per_bucket_and_class(shop):
    buckets = reports.stock_age_buckets(reports.slow_movers(as_of=AS_OF))
    got = {row["bucket"]: row for row in buckets.to_dict("records")}
    assert list(got) == ["0-30", "31-60", "61-90", "91-180", "181-365", ">365"]
    zero = Decimal("0.00")
    # A (slow): lot A2 50 × 12.00 in 0-30, lot A1 40 × 10.00 in 91-180; B (active) 5 × 5.00
    # and D (slow) 10 × 1.00 in 31-60; E (slow) 3 × 2.00 in 61-90; C (dead) 8 × 100.00 >365.
    expected = {
        "0-30": (50, "600.00", zero, "600.00", zero),
        "31-60": (15, "35.00", "25.00", "10.00", zero),
        "61-90": (3, "6.00", zero, "6.00", zero),
        "91-180": (40, "400.00", zero, "400.00", zero),
        "181-365": (0, zero, zero, zero, zero),
        ">365": (8, "800.00", zero, zero, "800.00"),
    }
    for bucket, (units, *values) in expected.items():
        row = got[bucket]
        assert row["units"] == units
        assert [row[k] for k in ("value", "value_active", "value_slow", "value_dead")] == [
            Decimal(v) for v in values
        ]
    # The buckets add up to the stock value of the report: 1000 + 25 + 800 + 10 + 6.
    assert sum(buckets["value"]) == Decimal("1841.00")


def test_the_workbook_has_the_stock_age_sheet_with_a_column_chart(shop, tmp_path):
    out = tmp_path / "slow.xlsx"
    with translation.override("zh-hans"):
        call_command("slow_movers", "--as-of", "2026-06-30", "--out", str(out))
    sheet = openpyxl.load_workbook(out)["库龄分布"]
    assert [c.value for c in sheet[1]][:3] == ["库龄（天）", "数量", "库存金额（先进先出成本）"]
    assert [c.value for c in sheet["A"]][1:] == [
        "0-30",
        "31-60",
        "61-90",
        "91-180",
        "181-365",
        ">365",
    ]
    assert sheet["C7"].value == 800 and sheet["C7"].number_format == "0.00"
    (chart,) = sheet._charts
    assert chart.type == "col"
    assert [s.val.numRef.f for s in chart.series] == [
        "'库龄分布'!$D$2:$D$7",
        "'库龄分布'!$E$2:$E$7",
        "'库龄分布'!$F$2:$F$7",
    ]
    assert chart.series[0].cat.strRef.f == "'库龄分布'!$A$2:$A$7"


def test_report_for_a_past_date_ignores_later_moves(shop):
    earlier = rows(reports.slow_movers(as_of=date(2026, 6, 15)))
    a = earlier["A"]
    # Before the June sales, after lot A2: 100 − 30 + 50.
    assert a["on_hand"] == 120
    assert a["stock_value"] == Decimal("1300.00")
    assert a["last_sale"] == date(2026, 3, 1)
    assert a["shipped_30"] == 0
    # A2 arrived on 10 June.
    assert rows(reports.slow_movers(as_of=date(2026, 6, 9)))["A"]["on_hand"] == 70

    later = rows(reports.slow_movers(as_of=date(2026, 7, 5)))
    assert later["A"]["on_hand"] == 50
    assert later["B"]["on_hand"] == 105


def test_money_keeps_its_cents(site):
    leaf = CategoryFactory(parent=CategoryFactory(parent=CategoryFactory()))
    sku = make_sku("M", leaf)
    receive(site, sku, date(2026, 6, 1), 10, "2.35")
    sell(site, sku, date(2026, 6, 2), 3)
    row = rows(reports.slow_movers(as_of=AS_OF))["M"]
    assert row["stock_value"] == Decimal("16.45")  # 7 × 2.35
    assert row["consumption_value_90"] == Decimal("7.05")  # 3 × 2.35


def test_abc_boundaries_are_80_and_95_percent_of_consumption_value():
    df = pd.DataFrame(
        {
            "sku": ["w", "x", "y", "z", "n"],
            "consumption_value_90": [Decimal(v) for v in ("50", "30", "15", "5", "0")],
        }
    )
    # Above each: 0 %, 50 %, 80 %, 95 %; no consumption is C.
    assert list(reports._abc(df)) == ["A", "A", "B", "C", "C"]


def test_thresholds_come_from_settings(shop, settings):
    settings.INVENTORY_SLOW_COVER_DAYS = 300
    settings.INVENTORY_SLOW_DEAD_DAYS = 365
    got = rows(reports.slow_movers(as_of=AS_OF))
    assert got["A"]["classification"] == "active"  # 270 days of cover ≤ 300
    assert got["C"]["classification"] == "slow"  # 211 days without sale < 365


def test_category_rollup_counts_active_skus_by_lft_rght(shop):
    by_category = reports.slow_movers_by_category(reports.slow_movers(as_of=AS_OF))
    got = {row["category_code"]: row for row in by_category.to_dict("records")}
    assert list(by_category["category_code"]) == ["X", "X1", "X2"]
    # X1: A, B sold in 30 days; F listed → 2 / 3. X2: C, D, E in stock, none sold.
    assert (got["X1"]["skus_in_stock_or_listed"], got["X1"]["skus_sold_30"]) == (3, 2)
    assert got["X1"]["active_rate"] == 0.6667
    assert got["X2"]["active_rate"] == 0.0
    assert (got["X"]["skus_in_stock_or_listed"], got["X"]["skus_sold_30"]) == (6, 2)
    assert got["X"]["active_rate"] == 0.3333
    assert got["X"]["on_hand"] == 90 + 5 + 8 + 10 + 3
    assert got["X2"]["stock_value"] == Decimal("816.00")
    assert (got["X"]["slow_skus"], got["X"]["dead_skus"]) == (3, 1)


def test_report_for_one_warehouse_counts_only_its_stock(shop, site):
    other = WarehouseFactory(code="BJ")
    got = rows(reports.slow_movers(as_of=AS_OF, warehouse=other))
    assert got == {"F": got["F"]}  # only the listed SKU, without stock
    assert rows(reports.slow_movers(as_of=AS_OF, warehouse=site.warehouse))["A"]["on_hand"] == 90


def test_command_writes_a_workbook_with_chinese_headers(shop, tmp_path):
    out = tmp_path / "slow.xlsx"
    with translation.override("zh-hans"):
        call_command("slow_movers", "--as-of", "2026-06-30", "--out", str(out))
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["SKU", "类目", "库龄分布"]
    sku_sheet = pd.read_excel(out, sheet_name="SKU", engine="openpyxl")
    assert "实际库存" in sku_sheet.columns
    assert "售罄率（30天）" in sku_sheet.columns
    row = sku_sheet.set_index("SKU").loc["A"]
    assert row["实际库存"] == 90
    assert row["建议动作"] == "降价促销"
    categories = pd.read_excel(out, sheet_name="类目", engine="openpyxl").set_index("类目编码")
    assert categories.loc["X1", "动销率"] == pytest.approx(0.6667)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-13-01", "--out", "x.xlsx"], "2026-13-01"),
        (["--out", "report.csv"], ".xlsx"),
        (["--out", "/nonexistent-dir/deeper/r.xlsx"], "/nonexistent-dir/deeper/r.xlsx"),
    ],
)
def test_command_refuses_bad_input_with_one_line(db, args, message):
    with pytest.raises(CommandError) as error:
        call_command("slow_movers", *args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_command_exits_non_zero_on_bad_input(db, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "slow_movers",
            "--skip-checks",
            "--as-of",
            "yesterday",
            "--out",
            "r.xlsx",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "yesterday" in result.stderr


SQLITE_SCENARIO = """
import os, sys
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "-v0", "--skip-checks")
exec(open(sys.argv[1]).read())
"""


def test_report_works_on_sqlite(tmp_path):
    """The embedded first run uses SQLite: the same SQL, dates and FIFO values."""
    scenario = tmp_path / "scenario.py"
    scenario.write_text(
        """
from datetime import date, datetime, time
from decimal import Decimal
from unittest import mock
from django.utils import timezone
from catalog import services as catalog_services
from catalog.models import SKU, Product
from inventory import reports, services
from inventory.enums import SlotType
from inventory.models import Slot, Warehouse

top = catalog_services.category_create(name="大类", code="C0")
middle = catalog_services.category_create(name="中类", code="C1", parent=top)
leaf = catalog_services.category_create(name="小类", code="C2", parent=middle)
sku = SKU.objects.create(product=Product.objects.create(code="P1", name="商品", category=leaf),
                         code="S1")
SKU.objects.filter(pk=sku.pk).update(created_at=timezone.make_aware(datetime(2025, 1, 1)))
w = Warehouse.objects.create(code="W", name="仓")
recv = Slot.objects.create(warehouse=w, code="R-00-00-1", zone="R", slot_type=SlotType.RECEIVING)
Slot.objects.create(warehouse=w, code="P-00-00-1", zone="P", slot_type=SlotType.PACKING)
def at(d):
    return timezone.make_aware(datetime.combine(d, time(12)))
with mock.patch("django.utils.timezone.now", return_value=at(date(2026, 1, 1))):
    services.stock_receive(slot=recv, received_at=at(date(2026, 1, 1)), lines=[
        services.ReceiptLine(sku=sku, quantity=100, unit_cost=Decimal("10.00"))])
with mock.patch("django.utils.timezone.now", return_value=at(date(2026, 6, 20))):
    r = services.stock_reserve(warehouse=w, lines=[services.StockLine(sku=sku, quantity=20)])
    services.stock_pick(reservations=r)
    services.stock_ship(reservations=r)
row = reports.slow_movers(as_of=date(2026, 6, 30)).iloc[0]
print(row["on_hand"], row["stock_value"], row["last_sale"], row["shipped_30"],
      row["sell_through"], row["age_91_180_units"], row["days_without_sale"])
print(reports.slow_movers(as_of=date(2026, 6, 19)).iloc[0]["on_hand"])
print(list(reports.slow_movers_by_category(reports.slow_movers(as_of=date(2026, 6, 30)))
           ["active_rate"]))
"""
    )
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCENARIO, str(scenario)],
        cwd=ROOT,
        env=child_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "80 800.00 2026-06-20 20 0.2 80 10",
        "100",
        "[1.0, 1.0]",
    ]
