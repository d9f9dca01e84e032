"""``import_orders FILE``: CSV or xlsx, all or nothing, per-row errors, idempotent."""

from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from orders.enums import OrderStatus
from orders.models import ChannelListing, Customer, SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import columns, receive

HEADER = "channel,shop,order_number,customer,sku,quantity,unit_price,paid_at\n"


def write_csv(tmp_path, body: str, name="orders.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run(path, **options) -> str:
    out = StringIO()
    call_command("import_orders", str(path), stdout=out, stderr=out, **options)
    return out.getvalue()


def test_importing_a_file_twice_imports_it_once(shops, tmp_path):
    tea = SKUFactory(code="TEA-1")
    receive(tea, shops.site.pick_a, 10)
    path = write_csv(
        tmp_path,
        "TMALL,TM1,TB001,buyer-1,TEA-1,2,19.90,2026-11-11 00:01\n"
        "TMALL,TM1,TB001,buyer-1,99887766,1,5.00,2026-11-11 00:01\n"
        "tmall,tm1,TB002,buyer-2,TEA-1,1,19.90,2026-11-11 00:03:10\n",
    )
    assert "2 orders with 3 lines imported, 0 already there" in run(path)
    assert "0 orders with 0 lines imported, 2 already there" in run(path)
    assert SalesOrder.objects.count() == 2
    first = SalesOrder.objects.get(number="TB001")
    assert first.customer == Customer.objects.get(code="buyer-1")
    assert first.status == OrderStatus.PAID  # the unknown code waits for its listing
    assert first.lines.get(line_no=2).platform_code == "99887766"
    assert ChannelListing.objects.filter(platform_sku_code="99887766", sku=None).exists()
    assert columns(tea, shops.site.warehouse)["reserved"] == 3


def test_a_bad_file_is_reported_row_by_row_and_nothing_is_imported(shops, tmp_path):
    SKUFactory(code="TEA-1")
    path = write_csv(
        tmp_path,
        "TMALL,TM1,TB001,buyer-1,TEA-1,2,19.90,2026-11-11 00:01\n"
        "JD,TM1,TB002,buyer-1,TEA-1,2,19.90,2026-11-11 00:01\n"
        "TMALL,TM1,TB003,buyer-1,TEA-1,1.5,abc,yesterday\n",
    )
    with pytest.raises(CommandError, match="4 errors, nothing was imported"):
        call_command("import_orders", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    report = err.getvalue()
    assert "row 3, column channel, value 'JD': No channel has this code." in report
    assert "row 4, column quantity, value '1.5'" in report
    assert "row 4, column unit_price, value 'abc'" in report
    assert "row 4, column paid_at, value 'yesterday'" in report
    assert not SalesOrder.objects.exists()


def test_a_dry_run_imports_nothing(shops, tmp_path):
    SKUFactory(code="TEA-1")
    path = write_csv(tmp_path, "TMALL,TM1,TB001,,TEA-1,1,19.90,\n")
    assert "Dry run" in run(path, dry_run=True)
    assert not SalesOrder.objects.exists()
    run(path)
    assert SalesOrder.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_an_xlsx_file_imports_like_a_csv(shops, tmp_path):
    import datetime as dt

    SKUFactory(code="TEA-1")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["TMALL", "TM1", 5566, "buyer", "TEA-1", 3, 9.9, dt.datetime(2026, 11, 11, 8)])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    assert "1 orders with 1 lines imported" in run(path)
    line = SalesOrder.objects.get(number="5566").lines.get()
    assert (line.quantity, str(line.unit_price)) == (3, "9.90")


def test_a_missing_column_is_named(shops, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("channel,shop,sku\nTMALL,TM1,TEA-1\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_orders", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    assert "column order_number" in err.getvalue()


def test_listings_imported_from_a_file_resolve_the_waiting_order_lines(shops, tmp_path):
    from decimal import Decimal

    from orders.enums import ListingStatus
    from tests.orders.support import channel_order, line

    mug, tea = SKUFactory(code="MUG"), SKUFactory(code="TEA-9")
    receive(mug, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(None, 1, platform_code="111", unit_price=Decimal("9")))
    path = tmp_path / "listings.csv"
    path.write_text(
        "channel,shop,platform_sku_code,merchant_code,title,sku\n"
        "TMALL,TM1,111,,马克杯,MUG\n"
        "TMALL,TM1,222,TEA-9,好茶,\n"
        "TMALL,TM1,333,,未知,\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_listings", str(path), stdout=out)
    assert "3 listings imported, 2 matched; 1 waiting order lines took their SKU." in out.getvalue()
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert ChannelListing.objects.get(platform_sku_code="222").sku == tea
    assert ChannelListing.objects.get(platform_sku_code="333").status == ListingStatus.UNMATCHED


def test_a_bad_listings_file_imports_nothing(shops, tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text(
        "channel,shop,platform_sku_code,sku\nTMALL,TM1,111,NOPE\nTMALL,XX,222,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="2 errors"):
        call_command("import_listings", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    assert "row 2, column sku, value 'NOPE': No SKU has this code." in err.getvalue()
    assert not ChannelListing.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_workbook_at_once_import_it_once_and_report_the_duplicates(
    shops, tmp_path, monkeypatch
):
    import threading

    from django.db import connection

    from orders import imports

    tea = SKUFactory(code="TEA-1")
    receive(tea, shops.site.pick_a, 10)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["TMALL", "TM1", "TB001", "buyer-1", "TEA-1", 2, 19.9, "2026-11-11 00:01"])
    sheet.append(["TMALL", "TM1", "TB001", "buyer-1", "99887766", 1, 5, "2026-11-11 00:01"])
    sheet.append(["TMALL", "TM1", "TB002", "buyer-2", "TEA-1", 1, 19.9, "2026-11-11 00:03"])
    path = tmp_path / "orders.xlsx"
    book.save(path)

    # Both imports have read which orders exist (none) before either writes one.
    both_checked = threading.Barrier(2, timeout=30)
    real_customers = imports._customers

    def customers_after_both_checked(codes):
        both_checked.wait()
        return real_customers(codes)

    monkeypatch.setattr(imports, "_customers", customers_after_both_checked)
    reports: list[tuple[str, str]] = []

    def run_import() -> None:
        out, err = StringIO(), StringIO()
        try:
            call_command("import_orders", str(path), stdout=out, stderr=err)
            reports.append(("imported", out.getvalue()))
        except CommandError as error:
            reports.append(("rejected", err.getvalue() + str(error)))
        except Exception as error:  # a traceback is the test's failure
            reports.append(("crashed", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run_import) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(kind for kind, _report in reports) == ["imported", "rejected"], reports
    imported = next(report for kind, report in reports if kind == "imported")
    rejected = next(report for kind, report in reports if kind == "rejected")
    assert "2 orders with 3 lines imported, 0 already there" in imported
    for row, number in ((2, "TB001"), (3, "TB001"), (4, "TB002")):
        assert (
            f"row {row}, column order_number, value '{number}': Another import placed this "
            "order while this one ran; import the file again to skip it."
        ) in rejected
    assert "3 errors, nothing was imported" in rejected
    assert sorted(SalesOrder.objects.values_list("number", flat=True)) == ["TB001", "TB002"]
    assert Customer.objects.filter(code__in=["buyer-1", "buyer-2"]).count() == 2
    assert columns(tea, shops.site.warehouse)["reserved"] == 3  # reserved once

    monkeypatch.setattr(imports, "_customers", real_customers)
    assert "0 orders with 0 lines imported, 2 already there" in run(path)


def test_a_workbook_whose_header_starts_at_b3_reports_the_rows_excel_shows(shops, tmp_path):
    SKUFactory(code="TEA-1")
    book = openpyxl.Workbook()
    sheet = book.active
    # Two empty rows and an empty first column above and beside the table.
    for offset, values in enumerate(
        [
            HEADER.strip().split(","),
            ["TMALL", "TM1", "TB001", "buyer-1", "TEA-1", 2, 19.9, "2026-11-11 00:01"],
            ["TMALL", "TM1", "TB002", "buyer-1", "TEA-1", 3, "abc", "2026-11-11 00:01"],
        ]
    ):
        for column, value in enumerate(values, start=2):
            sheet.cell(row=3 + offset, column=column, value=value)
    path = tmp_path / "orders.xlsx"
    book.save(path)
    with pytest.raises(CommandError, match="1 errors, nothing was imported"):
        call_command("import_orders", str(path), stdout=StringIO(), stderr=(err := StringIO()))
    assert "row 5, column unit_price, value 'abc'" in err.getvalue()
    assert not SalesOrder.objects.exists()
