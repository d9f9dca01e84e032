"""Cells that are not what they look like: text a spreadsheet would run as a formula is
written as text by every export and report, and text no database can hold (NUL, control
characters) is refused by every import with its row and column."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import python_calamine
from django.core.management import call_command
from django.utils import timezone

from catalog.exporting import catalog_export
from catalog.importing import catalog_import
from catalog.models import SKU, Product
from inventory import services as inventory_services
from orders.exceptions import ImportRejected
from orders.imports import read_rows
from purchasing.exporting import suppliers_export
from tests.catalog.test_workbook_import import HEADERS, errors_of, row, snapshot
from tests.factories import ProductFactory, SKUFactory, SlotFactory, WarehouseFactory
from tests.purchasing.support import offer, supplier
from workbooks.delimited import csv_cell, csv_write
from workbooks.exceptions import WorkbookInvalid
from workbooks.xlsx import XlsxBook

LINK = '=HYPERLINK("http://x","y")'
FORMULA_LIKE = [LINK, "+86 21 5555", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1+1"]


def workbook(rows) -> bytes:
    """Return a products workbook written as Excel writes text: never as a formula (openpyxl
    would write ``=…`` as one), control characters as ``_xHHHH_``."""
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet("products", HEADERS, rows)
    book.close()
    return buffer.getvalue()


def cells(path_or_bytes, sheet: int = 0) -> list:
    """Return every non-blank cell of a sheet, as openpyxl reads it (not data-only)."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    book = openpyxl.load_workbook(source)
    return [cell for line in book.worksheets[sheet].iter_rows() for cell in line if cell.value]


def assert_written_as_text(found: list, text: str) -> None:
    hits = [cell for cell in found if cell.value == text]
    assert hits, f"{text!r} not in the workbook"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in hits)
    assert not [cell for cell in found if cell.data_type == "f"]


# --- The writers ---------------------------------------------------------------------------


def test_the_xlsx_writer_writes_formula_like_text_as_quoted_text_and_numbers_as_numbers():
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    book.add_sheet(
        "s", ["text", "number"], [[text, -5] for text in FORMULA_LIKE], formats={1: "0.00"}
    )
    book.close()
    found = cells(buffer.getvalue())
    for text in FORMULA_LIKE:
        assert_written_as_text(found, text)
    numbers = [cell for cell in found if cell.column == 2 and cell.row > 1]
    assert {(cell.value, cell.data_type, cell.quotePrefix) for cell in numbers} == {
        (-5, "n", False)
    }
    assert numbers[0].number_format == "0.00"
    read = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue()))
    assert [r[0] for r in read.get_sheet_by_name("s").to_python()[1:]] == FORMULA_LIKE


def test_the_csv_helper_quotes_formula_like_text_and_keeps_numbers():
    out = io.StringIO()
    csv_write(out, ["sku", "qty", "price"], [[text, -5, Decimal("-1.50")] for text in FORMULA_LIKE])
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == ["sku", "qty", "price"]
    assert [line[0] for line in lines[1:]] == ["'" + text for text in FORMULA_LIKE]
    assert {(line[1], line[2]) for line in lines[1:]} == {("-5", "-1.50")}
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


# --- Every export and report ---------------------------------------------------------------


@pytest.fixture
def linked_sku(db):
    """A SKU whose code and product name are a live formula, with stock and an offer."""
    product = ProductFactory(name=LINK)
    sku = SKUFactory(product=product, code=LINK, warning_level=50)
    warehouse = WarehouseFactory(code="SH", name="上海仓")
    receiving = SlotFactory(warehouse=warehouse, code="R-00-00-1", zone="R", slot_type="receiving")
    received = timezone.now() - dt.timedelta(days=200)
    inventory_services.stock_receive(
        slot=receiving,
        lines=[inventory_services.ReceiptLine(sku=sku, quantity=5, unit_cost=Decimal("3.00"))],
        received_at=received,
        at=received,
    )
    offer(sku, supplier("S1", name=LINK), "3.00")
    return sku


def test_the_restock_report_writes_a_formula_named_sku_as_text(linked_sku, tmp_path):
    out = tmp_path / "restock.xlsx"
    call_command("restock_report", "--out", str(out))
    assert_written_as_text(cells(out), LINK)


def test_the_slow_movers_report_writes_a_formula_named_sku_as_text(linked_sku, tmp_path):
    out = tmp_path / "slow.xlsx"
    call_command("slow_movers", "--out", str(out))
    found = [cell for sheet in range(2) for cell in cells(out, sheet)]
    assert_written_as_text(found, LINK)


def test_the_supplier_export_writes_a_formula_named_supplier_and_sku_as_text(linked_sku):
    buffer = io.BytesIO()
    suppliers_export(target=buffer)
    assert_written_as_text(cells(buffer.getvalue(), 0), LINK)  # the supplier's name
    assert_written_as_text(cells(buffer.getvalue(), 1), LINK)  # the offer's SKU


def test_the_catalogue_export_writes_formula_like_names_as_text_and_reimports_them(db, tmp_path):
    catalog_import(
        source=workbook(
            [row(f"S-{i}", f"P-{i}", name=text) for i, text in enumerate(FORMULA_LIKE[:4])]
        )
    )
    before = snapshot()
    out = tmp_path / "catalogue.xlsx"
    catalog_export(target=out)
    found = cells(out)
    for text in FORMULA_LIKE[:4]:
        assert_written_as_text(found, text)
    report = catalog_import(source=out)
    assert (report.new, report.changed, report.unchanged) == (0, 0, 4)
    assert snapshot() == before
    assert sorted(Product.objects.values_list("name", flat=True)) == sorted(FORMULA_LIKE[:4])


# --- Text no database can hold ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["纯棉\x00T恤", "bell\x07", "form\x0cfeed", "A\x1fB"])
def test_an_imported_control_character_is_refused_with_its_row_and_column(db, text):
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1"), row("S-2", name=text)]), dry_run=True)
    [problem] = errors_of(excinfo)
    assert problem.startswith("row 3, name: ")
    assert "invisible control character" in problem
    assert "_x00" in problem  # the value as Excel writes it, the character visible
    assert not SKU.objects.exists()


def test_the_excel_escape_of_nul_is_refused_like_the_character(db):
    """Excel writes NUL as ``_x0000_`` in the shared strings; readers turn it back."""
    data = workbook([row("S-1", name="NAME-HERE")])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    for name in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
        if b"NAME-HERE" in parts.get(name, b""):
            parts[name] = parts[name].replace(b"NAME-HERE", b"A_x0000_B")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=buffer.getvalue())
    assert [e.column for e in excinfo.value.errors] == ["name"]
    assert "U+0000" in excinfo.value.errors[0].reason
    assert not SKU.objects.exists()


def test_tab_line_break_and_carriage_return_are_text(db):
    catalog_import(source=workbook([row("S-1", name="a\tb", selling_points="one\r\ntwo")]))
    assert Product.objects.get().name == "a\tb"


def test_a_channel_order_file_with_nul_is_refused_with_its_row_and_column(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "channel,shop,order_number,sku,quantity,unit_price\ntmall,s1,N\x001,SKU-1,1,9.90\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as excinfo:
        read_rows(path)
    [problem] = excinfo.value.errors
    assert (problem.row, problem.column, problem.value) == (2, "order_number", "N_x0000_1")


def test_a_channel_order_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("channel,shop\n天猫,店\n".encode("gb18030"))
    with pytest.raises(ImportRejected) as excinfo:
        read_rows(path)
    assert "UTF-8" in excinfo.value.errors[0].reason
