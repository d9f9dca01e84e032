"""The restock report: the maths on a hand-computed case, demand from the ledger counting
only in-stock days, projected stock, rounding, the command and suggestions into orders."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from catalog.enums import ProductRole, ProductStatus
from catalog.models import Product
from inventory import services as inventory_services
from purchasing import reports, selectors, services
from purchasing.enums import PurchaseOrderStatus, SupplierType
from purchasing.exceptions import SuggestionsAlreadyOrdered
from purchasing.models import PurchaseOrder
from tests.factories import SKUFactory
from tests.purchasing.support import at, offer, placed_order, receive_at, ship_at, supplier

pytestmark = pytest.mark.django_db


def test_safety_stock_and_reorder_point_match_the_hand_computed_case():
    """d = 4/day, σ = 2, L = 9 days, 95 %: z = 1.6449, safety = 1.6449 × 2 × 3 = 9.87,
    reorder point = 4 × 9 + 9.87 = 45.87; target with a 5-day review = 65.87."""
    z = reports.z_for_roles()[ProductRole.REGULAR]
    assert z == pytest.approx(1.6449, abs=1e-4)
    df = pd.DataFrame(
        {
            "avg_daily_demand": [4.0, 4.0, 4.0],
            "demand_std": [2.0, 2.0, 2.0],
            "z": [z, z, z],
            "lead_time_days": [9, 9, 9],
            "on_hand": [60, 50, 40],
            "reserved": [10, 0, 0],
            "backordered": [5, 4, 0],
            "open_po": [0, 0, 0],
            "warning_level": [0, 0, 0],
            "min_order_quantity": [1, 1, 50],
            "pack_multiple": [10, 1, 1],
        }
    )
    out = reports.restock_maths(df, review_days=5)
    assert list(out["safety_stock"]) == [9.87, 9.87, 9.87]
    assert list(out["reorder_point"]) == [45.87, 45.87, 45.87]
    assert list(out["target"]) == [65.87, 65.87, 65.87]
    assert list(out["projected"]) == [45, 46, 40]
    # 45 ≤ 45.87: ⌈65.87 − 45⌉ = 21 → 30 (pack of 10); 46 > 45.87: nothing;
    # ⌈65.87 − 40⌉ = 26, below the minimum order of 50 → 50.
    assert list(out["suggested_quantity"]) == [30, 0, 50]


def test_the_warning_level_triggers_an_order_without_demand():
    df = pd.DataFrame(
        {
            "avg_daily_demand": [0.0, 0.0],
            "demand_std": [0.0, 0.0],
            "z": [1.64, 1.64],
            "lead_time_days": [7, 7],
            "on_hand": [3, 0],
            "reserved": [0, 0],
            "backordered": [0, 0],
            "open_po": [0, 0],
            "warning_level": [5, 0],
            "min_order_quantity": [12, 12],
            "pack_multiple": [1, 1],
        }
    )
    assert list(reports.restock_maths(df, review_days=14)["suggested_quantity"]) == [12, 0]


@pytest.fixture
def ledger(site, settings):
    """Two SKUs with ten days of sales; see each test for the figures."""
    settings.PURCHASING_DEMAND_DAYS = 10
    settings.PURCHASING_REVIEW_DAYS = 5
    steady = SKUFactory(code="STEADY")  # regular: 95 %
    gappy = SKUFactory(code="GAPPY")
    maker = supplier("M1", SupplierType.MANUFACTURER)
    trader = supplier("T1", SupplierType.TRADING_COMPANY)
    offer(steady, maker, "7.00", lead_time_days=9, pack_multiple=10)
    offer(steady, trader, "5.00", lead_time_days=2)
    offer(gappy, trader, "3.00", lead_time_days=4)
    receive_at(at(20), steady, site.receiving, 100)
    for days_ago in range(9, -1, -1):  # 2, 6, 2, 6, …: mean 4, σ 2
        ship_at(at(days_ago), steady, site.warehouse, site.packing, 2 if days_ago % 2 else 6)
    # In stock on days 9, 8 (sold out that day), 2, 1 and 0; out of stock days 7 to 3.
    receive_at(at(9, 9), gappy, site.receiving, 6)
    ship_at(at(9), gappy, site.warehouse, site.packing, 3)
    ship_at(at(8), gappy, site.warehouse, site.packing, 3)
    receive_at(at(2, 9), gappy, site.receiving, 10)
    ship_at(at(2), gappy, site.warehouse, site.packing, 1)
    ship_at(at(1), gappy, site.warehouse, site.packing, 1)
    return {"steady": steady, "gappy": gappy, "maker": maker, "trader": trader}


def rows(**kwargs):
    df = reports.restock(as_of=timezone.localdate(), **kwargs)
    return {row["sku"]: row for row in df.to_dict("records")}


def test_demand_counts_only_in_stock_days_and_the_ledger_gives_the_hand_case(ledger, site):
    report = rows()
    gappy = report["GAPPY"]
    assert gappy["in_stock_days"] == 5
    assert gappy["avg_daily_demand"] == pytest.approx(1.6)  # 8 units over 5 days
    assert gappy["demand_std"] == pytest.approx(1.2)  # of 3, 3, 1, 1, 0
    assert gappy["on_hand"] == 8
    steady = report["STEADY"]
    assert (steady["in_stock_days"], steady["avg_daily_demand"], steady["demand_std"]) == (
        10,
        4.0,
        2.0,
    )
    assert steady["on_hand"] == 60
    assert steady["supplier"] == "M1 供应商M1"  # the manufacturer, though dearer
    assert steady["lead_time_days"] == 9
    assert (steady["safety_stock"], steady["reorder_point"]) == (9.87, 45.87)
    assert steady["suggested_quantity"] == 0  # projected 60 > 45.87


def test_reserved_backordered_and_open_orders_move_the_projection(ledger, site):
    steady = ledger["steady"]
    inventory_services.stock_reserve(
        warehouse=site.warehouse, lines=[inventory_services.StockLine(sku=steady, quantity=10)]
    )
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=steady, change=5)
    row = rows()["STEADY"]
    assert (row["reserved"], row["backordered"], row["projected"]) == (10, 5, 45)
    assert row["suggested_quantity"] == 30  # ⌈65.87 − 45⌉ = 21, packs of 10
    assert row["unit_cost"] == Decimal("7.0000") and row["order_value"] == Decimal("210.00")
    assert row["reason"].startswith("Chosen M1 供应商M1: Manufacturer (制造商), score")
    assert (
        "T1 供应商T1: the type Trading company (商贸公司) ranks after Manufacturer" in row["reason"]
    )
    # 3 units on order (采购在途) lift the projection above the reorder point.
    placed_order(ledger["maker"], site.warehouse, [(steady, 3)])
    row = rows()["STEADY"]
    assert (row["open_po"], row["projected"], row["suggested_quantity"]) == (3, 48, 0)


def test_a_past_as_of_date_reads_the_ledger_of_that_day(ledger):
    df = reports.restock(as_of=timezone.localdate() - dt.timedelta(days=15))
    past = {row["sku"]: row for row in df.to_dict("records")}
    assert set(past) == {"STEADY"}
    assert past["STEADY"]["on_hand"] == 100 and past["STEADY"]["avg_daily_demand"] == 0


def test_suggestions_become_draft_orders_one_per_supplier(ledger, site):
    inventory_services.stock_backorder_change(
        warehouse=site.warehouse, sku=ledger["steady"], change=20
    )
    suggested = reports.suggestions()
    assert set(suggested["sku"]) == {"STEADY", "GAPPY"}  # GAPPY: 8 ≤ 1.6 × 4 + safety
    orders = services.purchase_orders_from_suggestions(
        suggestions=[
            services.Suggestion(r.sku_id, r.warehouse_id, r.suggested_quantity, r.offer_id)
            for r in suggested.itertuples()
        ]
    )
    assert sorted(o.supplier.code for o in orders) == ["M1", "T1"]
    assert all(o.status == PurchaseOrderStatus.DRAFT for o in orders)
    line = PurchaseOrder.objects.get(supplier=ledger["maker"]).lines.get()
    assert (line.sku.code, line.quantity, line.unit_cost) == (
        "STEADY",
        30,
        Decimal("7.0000"),
    )  # ⌈65.87 − 40⌉ → 30
    assert line.history.count() == 1


def test_the_command_writes_the_workbook_and_refuses_bad_input(ledger, tmp_path):
    out = tmp_path / "restock.xlsx"
    call_command("restock_report", "--out", str(out), "--as-of", timezone.localdate().isoformat())
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["SKU", "name", "warehouse"] and "reason" in header
    assert sheet.max_row == 3
    with pytest.raises(CommandError, match="is not a date"):
        call_command("restock_report", "--out", str(out), "--as-of", "2026-13-01")
    with pytest.raises(CommandError, match=r"written as \.xlsx"):
        call_command("restock_report", "--out", str(tmp_path / "r.csv"))
    with pytest.raises(CommandError, match="folder does not exist"):
        call_command("restock_report", "--out", str(tmp_path / "no" / "r.xlsx"))


def test_a_backordered_sku_that_never_had_stock_is_suggested(site):
    sku = SKUFactory(code="NEVER-STOCKED")
    offer(sku, supplier("M1"), "3.00", min_order_quantity=6)
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=4)
    row = rows()["NEVER-STOCKED"]
    assert (row["on_hand"], row["backordered"], row["projected"]) == (0, 4, -4)
    assert row["suggested_quantity"] == 6  # ⌈0 − (−4)⌉ = 4, below the minimum order of 6


def test_draft_and_ordered_purchase_orders_count_as_incoming(ledger, site):
    steady = ledger["steady"]
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=steady, change=20)
    row = rows()["STEADY"]
    assert (row["projected"], row["suggested_quantity"]) == (40, 30)
    offer_id = row["offer_id"]
    (draft,) = services.purchase_orders_from_suggestions(
        suggestions=[services.Suggestion(steady.pk, site.warehouse.pk, 30, offer_id)]
    )
    row = rows()["STEADY"]
    # The draft's 30 units are incoming: 40 + 30 = 70 > 45.87, nothing more to suggest.
    assert (row["draft_po"], row["open_po"], row["projected"]) == (30, 0, 70)
    assert row["draft_orders"] == draft.code and row["suggested_quantity"] == 0
    services.purchase_order_place(order=draft)
    row = rows()["STEADY"]
    assert (row["draft_po"], row["open_po"], row["projected"]) == (0, 30, 70)
    assert row["draft_orders"] == "" and row["suggested_quantity"] == 0
    services.purchase_order_cancel(order=draft)
    assert rows()["STEADY"]["suggested_quantity"] == 30  # a cancelled order brings nothing


def test_the_same_suggestions_submitted_twice_create_their_drafts_once(ledger, site):
    inventory_services.stock_backorder_change(
        warehouse=site.warehouse, sku=ledger["steady"], change=20
    )
    seen = selectors.latest_order_line_id()
    picked = [
        services.Suggestion(r.sku_id, r.warehouse_id, r.suggested_quantity, r.offer_id)
        for r in reports.suggestions().itertuples()
    ]
    first = services.purchase_orders_from_suggestions(suggestions=picked, orders_seen=seen)
    assert len(first) == 2
    with pytest.raises(SuggestionsAlreadyOrdered) as refused:
        services.purchase_orders_from_suggestions(suggestions=picked, orders_seen=seen)
    assert PurchaseOrder.objects.count() == 2
    assert refused.value.skus == ["GAPPY", "STEADY"]
    assert refused.value.orders == sorted(o.code for o in first)
    assert "Reload the page" in str(refused.value)


@pytest.fixture
def slow_seller(site, settings):
    """One unit shipped in 45 in-stock days (d = 0.0222), none left; the only offer has a
    minimum order of 24 at 134.87."""
    settings.PURCHASING_DEMAND_DAYS = 45
    settings.PURCHASING_REVIEW_DAYS = 14
    shirt = SKUFactory(code="T-SHIRT")
    offer(shirt, supplier("M1"), "134.87", min_order_quantity=24, lead_time_days=10)
    receive_at(at(44, 9), shirt, site.receiving, 1)
    ship_at(at(0), shirt, site.warehouse, site.packing, 1)
    return shirt


def test_the_reason_states_the_unit_cost_and_the_minimum_order_as_offered(slow_seller):
    row = rows()["T-SHIRT"]
    assert row["avg_daily_demand"] == pytest.approx(0.0222)
    assert row["suggested_quantity"] == 24 and row["order_value"] == Decimal("3236.88")
    assert "unit cost 134.87, minimum order 24, lead time 10 days" in row["reason"]
    # Not the order's cost spread over the one unit needed, worded as a unit cost.
    assert "3236.88" not in row["reason"]
    with translation.override("zh-hans"):
        reason = reports.restock(as_of=timezone.localdate())["reason"].iloc[0]
    assert "单价 134.87，最小起订量 24，交货周期 10 天" in reason


def test_a_minimum_order_lasting_more_than_a_year_of_demand_is_flagged(slow_seller, site):
    row = rows()["T-SHIRT"]
    assert row["cover_days"] == 1081  # 24 ÷ 0.0222, the demand as shown
    assert row["over_a_year"]
    # The same SKU at a minimum order of 1: the shortfall is the maths, no flag.
    slow_seller.offers.update(min_order_quantity=1)
    row = rows()["T-SHIRT"]
    assert row["suggested_quantity"] == 2 and not row["over_a_year"]


def test_a_sku_no_longer_sold_keeps_its_row_while_backorders_wait(site):
    maker = supplier("M1")
    delisted = SKUFactory(code="DELISTED")
    inactive = SKUFactory(code="INACTIVE", is_active=False)
    forgotten = SKUFactory(code="DELISTED-NO-BACKORDER")
    for sku in (delisted, inactive, forgotten):
        offer(sku, maker, "3.00", min_order_quantity=2)
    receive_at(at(5, 9), delisted, site.receiving, 4)
    ship_at(at(3), delisted, site.warehouse, site.packing, 2)
    ship_at(at(2), delisted, site.warehouse, site.packing, 2)
    receive_at(at(5, 9), forgotten, site.receiving, 4)
    ship_at(at(3), forgotten, site.warehouse, site.packing, 4)
    Product.objects.filter(pk__in=[delisted.product_id, forgotten.product_id]).update(
        status=ProductStatus.DELISTED
    )
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=delisted, change=3)
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=inactive, change=1)
    report = rows()
    assert "DELISTED-NO-BACKORDER" not in report
    row = report["DELISTED"]
    # It sold 4 units in a few days, but it is no longer sold: only the 3 waiting are bought.
    assert (row["projected"], row["suggested_quantity"], row["sku_status"]) == (-3, 3, "Delisted")
    assert row["reason"].startswith("Delisted: ordered only for the 3 backordered units.")
    row = report["INACTIVE"]
    assert (row["projected"], row["suggested_quantity"], row["sku_status"]) == (-1, 2, "inactive")


def test_the_workbook_labels_roles_and_formats_percentages_as_the_page_does(slow_seller, tmp_path):
    out = tmp_path / "restock.xlsx"
    call_command("restock_report", "--out", str(out))
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["product role"].value == "Regular (常规性)"
    assert row["service level"].value == pytest.approx(0.95)
    assert row["service level"].number_format == "0.0%"
    assert row["unit cost"].number_format == "0.00##"  # two to four decimals, as offered
    assert row["more than a year of demand (minimum order or warning level)"].value == "yes"
    assert row["days of demand covered"].value == 1081
    assert "nan" not in [str(cell.value).lower() for cell in sheet[2]]


def test_an_order_to_the_target_clears_the_warning_level_that_raised_it():
    """A slow SKU (target 1.4) under a warning level of 10: ordering up to the target would
    leave it at the warning level and suggest it again after every draft."""
    df = pd.DataFrame(
        {
            "avg_daily_demand": [0.0333, 0.0333],
            "demand_std": [0.0, 0.0],
            "z": [1.64, 1.64],
            "lead_time_days": [12, 12],
            "on_hand": [8, 8],
            "reserved": [0, 0],
            "backordered": [0, 0],
            "open_po": [0, 0],
            "draft_po": [0, 3],  # the second row: the first row's suggestion, drafted
            "warning_level": [10, 10],
            "min_order_quantity": [1, 1],
            "pack_multiple": [1, 1],
        }
    )
    out = reports.restock_maths(df, review_days=14)
    assert list(out["target"]) == [11, 11]
    assert list(out["suggested_quantity"]) == [3, 0]
