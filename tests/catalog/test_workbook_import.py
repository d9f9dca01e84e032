"""Catalogue workbooks: import, export, round trip, and every bad file refused whole."""

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from catalog.exporting import catalog_export, role_permissions
from catalog.importing import catalog_import
from catalog.models import SKU, AttributeValue, Brand, Category, Product
from tests.factories import AttributeFactory, SKUFactory, ean13, leaf_category
from workbooks.exceptions import WorkbookInvalid

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADERS = [
    "sku",
    "product",
    "name",
    "category",
    "brand",
    "role",
    "status",
    "retail_price",
    "distribution_price",
    "cost_price",
    "barcode",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "selling_points",
    "warning_level",
]


def workbook(rows, headers=HEADERS, sheet="products") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(sku="S-1", product="P-1", **values):
    base = {
        "sku": sku,
        "product": product,
        "name": "纯棉T恤",
        "category": "服装 > 上衣 > T恤",
        "brand": "精细",
        "role": "regular",
        "status": "draft",
        "retail_price": 59,
        "distribution_price": 45,
        "cost_price": 30,
        "barcode": None,
        "weight_g": 250,
        "length_mm": 300,
        "width_mm": 200,
        "height_mm": 20,
        "selling_points": "100% 纯棉\n可机洗",
        "warning_level": 5,
    }
    base.update(values)
    return [base[h] for h in HEADERS]


def errors_of(excinfo) -> list[str]:
    return [str(e) for e in excinfo.value.errors]


def snapshot() -> list:
    return [
        list(SKU.objects.order_by("code").values_list()),
        list(Product.objects.order_by("code").values_list()),
        list(Category.objects.order_by("pk").values_list()),
        list(AttributeValue.objects.order_by("pk").values_list()),
    ]


# --- Importing ---------------------------------------------------------------------------


def test_import_creates_categories_brands_products_skus_and_selling_points():
    rows = [
        row("S-1", barcode=ean13(1)),
        row("S-2", retail_price="¥1,299.50", barcode=ean13(2)),
        row("S-3", product="P-2", name="衬衫", category="服装 > 上衣 > 衬衫", role="形象产品"),
    ]
    report = catalog_import(source=workbook(rows))
    assert (report.new, report.changed, report.unchanged) == (3, 0, 0)
    product = Product.objects.get(code="P-1")
    assert product.category.path == "服装 > 上衣 > T恤"
    assert product.brand.name == "精细"
    assert [p.text for p in product.selling_points.all()] == ["100% 纯棉", "可机洗"]
    assert SKU.objects.get(code="S-2").retail_price == Decimal("1299.50")
    assert Product.objects.get(code="P-2").role == "image"
    assert Category.objects.count() == 4
    top = Category.objects.get(name="服装")
    assert (top.lft, top.rght) == (1, 8)  # the tree is numbered
    sku = SKU.objects.get(code="S-1")
    assert sku.history.count() == 1 and sku.history.first().history_change_reason


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    data = workbook([row("S-1"), row("S-2", product="P-2")])
    catalog_import(source=data)
    before = snapshot()
    history = SKU.history.count()
    report = catalog_import(source=data)
    assert (report.new, report.changed, report.unchanged) == (0, 0, 2)
    assert snapshot() == before
    assert SKU.history.count() == history


def test_a_changed_price_is_reported_cell_by_cell_and_kept_in_history():
    catalog_import(source=workbook([row("S-1"), row("S-2")]))
    report = catalog_import(source=workbook([row("S-1", retail_price=69), row("S-2")]))
    assert (report.new, report.changed, report.unchanged) == (0, 1, 1)
    change = report.changes[0]
    assert change.row == 2 and change.key == "S-1"
    assert change.cells == {"retail_price": (Decimal("59.00"), Decimal("69.00"))}
    sku = SKU.objects.get(code="S-1")
    assert sku.retail_price == Decimal("69.00")
    assert list(sku.history.order_by("history_id").values_list("retail_price", flat=True)) == [
        Decimal("59.00"),
        Decimal("69.00"),
    ]


def test_a_dry_run_reports_but_writes_nothing():
    report = catalog_import(source=workbook([row("S-1")]), dry_run=True)
    assert report.new == 1 and not report.applied
    assert not SKU.objects.exists() and not Category.objects.exists()


def test_chinese_headers_and_sheet_name_are_read_like_english_ones():
    zh = [
        "SKU编码",
        "商品编码",
        "商品名称",
        "类目",
        "品牌",
        "产品角色",
        "状态",
        "销售价",
        "分销价",
        "成本价",
        "条码",
        "重量(g)",
        "长(mm)",
        "宽(mm)",
        "高(mm)",
        "卖点",
        "预警值",
    ]
    data = workbook([row("S-1", role="目标性", status="待上架")], headers=zh, sheet="商品")
    report = catalog_import(source=data)
    assert report.new == 1
    product = Product.objects.get(code="P-1")
    assert (product.role, product.status) == ("traffic", "ready")


def test_numbers_stored_as_text_and_blank_rows_are_accepted():
    rows = [row("S-1", weight_g="250", retail_price="59.00元", barcode=str(ean13(7))), [None] * 17]
    rows.append(row("S-2", warning_level="1,000"))
    report = catalog_import(source=workbook(rows))
    assert report.new == 2
    assert SKU.objects.get(code="S-1").weight_g == 250
    assert SKU.objects.get(code="S-2").warning_level == 1000


def test_a_computed_price_loses_its_float_noise_but_a_third_decimal_is_refused():
    rows = [row("S-1", retail_price=65.89000000000001, weight_g=250.00000000001), row("S-2")]
    catalog_import(source=workbook(rows))
    assert SKU.objects.get(code="S-1").retail_price == Decimal("65.89")
    assert SKU.objects.get(code="S-1").weight_g == 250
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1", retail_price=65.891)]))
    assert errors_of(excinfo) == [
        "row 2, retail_price: 65.891: A price has at most two decimal places."
    ]


def test_attribute_columns_are_typed_and_land_on_the_product_or_the_sku():
    colour = AttributeFactory(
        code="colour", value_type="choice", options=["红", "蓝"], use_variant=True
    )
    AttributeFactory(code="fabric", value_type="text", use_web_display=True)
    AttributeFactory(code="launch", value_type="date", use_marketing=True)
    headers = [*HEADERS, "attr:colour", "attr:fabric", "属性:launch"]
    rows = [
        [*row("S-1"), "红", "棉", dt.datetime(2026, 3, 5)],
        [*row("S-2"), "蓝", "棉", "2026/3/5"],
    ]
    catalog_import(source=workbook(rows, headers))
    sku = SKU.objects.get(code="S-2")
    assert sku.attribute_values.get(attribute=colour).value == "蓝"
    product = Product.objects.get(code="P-1")
    values = {v.attribute.code: v.value for v in product.attribute_values.all()}
    assert values == {"fabric": "棉", "launch": dt.date(2026, 3, 5)}
    report = catalog_import(source=workbook(rows, headers))
    assert report.unchanged == 2


def test_a_reimport_changes_blanks_and_adds_attribute_values_in_place():
    colour = AttributeFactory(
        code="colour", value_type="choice", options=["红", "蓝"], use_variant=True
    )
    fabric = AttributeFactory(code="fabric", value_type="text", use_web_display=True)
    pieces = AttributeFactory(code="pieces", value_type="integer", use_web_display=True)
    headers = [*HEADERS, "attr:colour", "attr:fabric", "attr:pieces"]
    catalog_import(source=workbook([[*row("S-1"), "红", "棉", None]], headers))
    sku = SKU.objects.get(code="S-1")
    kept = AttributeValue.objects.get(attribute=colour, sku=sku)

    report = catalog_import(source=workbook([[*row("S-1"), "蓝", None, 3]], headers))

    assert report.changed == 1
    assert set(report.changes[0].cells) == {"attr:colour", "attr:fabric", "attr:pieces"}
    changed = AttributeValue.objects.get(attribute=colour, sku=sku)
    assert (changed.pk, changed.value) == (kept.pk, "蓝")
    assert not AttributeValue.objects.filter(attribute=fabric).exists()
    assert AttributeValue.objects.get(attribute=pieces, product=sku.product).value == 3
    assert catalog_import(source=workbook([[*row("S-1"), "蓝", None, 3]], headers)).unchanged == 1


def test_a_price_update_changes_only_the_prices_given():
    catalog_import(source=workbook([row("S-1"), row("S-2")]))
    data = workbook([["S-1", "¥66"], ["S-2", 59]], headers=["sku", "retail_price"], sheet="prices")
    report = catalog_import(source=data, kind="prices")
    assert (report.changed, report.unchanged) == (1, 1)
    sku = SKU.objects.get(code="S-1")
    assert (sku.retail_price, sku.cost_price) == (Decimal("66.00"), Decimal("30.00"))


def test_a_price_update_refuses_unknown_skus():
    catalog_import(source=workbook([row("S-1")]))
    data = workbook([["S-1", 1], ["S-9", 2]], headers=["sku", "retail_price"], sheet="prices")
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=data, kind="prices")
    assert errors_of(excinfo) == ["row 3, sku: 'S-9': No SKU has this code."]
    assert SKU.objects.get(code="S-1").retail_price == Decimal("59.00")


def test_the_category_tree_alone_imports_and_exports(tmp_path):
    data = workbook(
        [["食品 > 零食 > 坚果", "NUTS"], ["食品 > 零食 > 糖果", None], ["食品 > 饮料", None]],
        headers=["category", "code"],
        sheet="categories",
    )
    report = catalog_import(source=data, kind="categories")
    assert report.new == 3
    assert Category.objects.get(code="NUTS").path == "食品 > 零食 > 坚果"
    assert Category.objects.count() == 5
    out = tmp_path / "tree.xlsx"
    catalog_export(target=out, kind="categories")
    again = catalog_import(source=out, kind="categories")
    assert again.new == again.changed == 0 and again.unchanged == 5


# --- Export and round trip -----------------------------------------------------------------


def test_export_then_import_is_a_no_op(tmp_path):
    AttributeFactory(code="colour", value_type="choice", options=["红", "蓝"], use_variant=True)
    AttributeFactory(code="size_cm", value_type="decimal", unit="cm", use_web_filter=True)
    AttributeFactory(code="fragile", value_type="boolean", use_warehouse=True)
    AttributeFactory(code="tags", value_type="multi_choice", options=["a", "b"], use_marketing=True)
    headers = [*HEADERS, "attr:colour", "attr:size_cm", "attr:fragile", "attr:tags"]
    rows = [
        [*row("S-1", barcode=ean13(3)), "红", "12.5 cm", "是", "a; b"],
        [*row("S-2"), "蓝", 12.5, "yes", "a;b"],
        [*row("S-3", product="P-2", name="衬衫", selling_points=None), None, None, None, None],
    ]
    catalog_import(source=workbook(rows, headers))
    SKUFactory(
        product=Product.objects.get(code="P-2"),
        code="S-4",
        cost_price=Decimal("9.90"),
        barcode=ean13(99),  # not the sequence's: row S-1 holds ean13(3)
    )
    before = snapshot()
    out = tmp_path / "catalogue.xlsx"
    assert catalog_export(target=out) == 4
    report = catalog_import(source=out)
    assert (report.new, report.changed, report.unchanged) == (0, 0, 4), report.changes
    assert snapshot() == before


def test_export_in_chinese_headers_reimports(tmp_path):
    catalog_import(source=workbook([row("S-1")]))
    out = tmp_path / "zh.xlsx"
    call_command("export_catalog", str(out), headers="zh")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["商品"]
    assert book["商品"]["A1"].value == "SKU编码"
    assert catalog_import(source=out).unchanged == 1


def test_the_price_sheet_exports_every_sku_with_its_prices_and_reimports(tmp_path):
    catalog_import(source=workbook([row("S-2", cost_price=987.65), row("S-1", retail_price=9.9)]))
    out = tmp_path / "prices.xlsx"
    call_command("export_catalog", str(out), kind="prices", stdout=io.StringIO())
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["prices"]
    assert list(book["prices"].values) == [
        ("sku", "retail_price", "distribution_price", "cost_price"),
        ("S-1", 9.9, 45, 30),
        ("S-2", 59, 45, 987.65),
    ]
    report = catalog_import(source=out, kind="prices")
    assert (report.new, report.changed, report.unchanged) == (0, 0, 2)


def test_a_role_without_costs_exports_prices_without_the_cost_column(tmp_path):
    from staff.services import roles_sync

    roles_sync()
    catalog_import(source=workbook([row("S-1", cost_price=987.65)]))
    out = tmp_path / "prices.xlsx"
    call_command("export_catalog", str(out), kind="prices", role="warehouse", stdout=io.StringIO())
    assert list(openpyxl.load_workbook(out)["prices"].values) == [
        ("sku", "retail_price", "distribution_price"),
        ("S-1", 59, 45),
    ]


def test_a_role_without_costs_exports_no_cost_column_nor_attributes_of_other_uses(tmp_path):
    from staff.services import roles_sync

    roles_sync()
    AttributeFactory(code="bin_note", use_warehouse=True)
    AttributeFactory(code="tax_class", use_finance=True)
    catalog_import(source=workbook([row("S-1", cost_price=987.65)]))
    out = tmp_path / "warehouse.xlsx"
    call_command("export_catalog", str(out), role="warehouse")
    header = [c.value for c in openpyxl.load_workbook(out)["products"][1]]
    assert "cost_price" not in header
    assert "attr:bin_note" in header and "attr:tax_class" not in header
    assert "987.65" not in str(list(openpyxl.load_workbook(out)["products"].values))
    finance = tmp_path / "finance.xlsx"
    call_command("export_catalog", str(finance), role="finance")
    header = [c.value for c in openpyxl.load_workbook(finance)["products"][1]]
    assert "cost_price" in header and "attr:tax_class" in header and "attr:bin_note" not in header
    # The warehouse's export, imported back, changes nothing (the cost stays).
    assert catalog_import(source=out).unchanged == 1
    assert SKU.objects.get(code="S-1").cost_price == Decimal("987.65")


def test_an_importer_without_costs_may_not_send_a_cost_column():
    from staff.services import roles_sync

    roles_sync()
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1")]), can=role_permissions("warehouse"))
    assert "You may not change cost prices" in errors_of(excinfo)[0]


def test_the_template_has_an_example_row_and_a_notes_sheet_and_imports(tmp_path):
    out = tmp_path / "template.xlsx"
    call_command("export_catalog", str(out), template=True)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["products", "notes"]
    notes = [r for r in book["notes"].values]
    assert any(r[1] == "cost_price" and r[2] == "成本价" for r in notes)
    assert catalog_import(source=out).new == 1


# --- Bad files: a clear message, nothing applied --------------------------------------------


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=b"sku,product\nS-1,P-1\n")
    assert errors_of(excinfo) == ["The file is not an Excel workbook (.xlsx)."]
    bad = tmp_path / "fake.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CommandError, match="not an Excel workbook"):
        call_command("import_catalog", str(bad))


def test_a_workbook_without_the_products_sheet_is_refused():
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row()], sheet="Sheet1"))
    assert errors_of(excinfo) == [
        "The workbook has no sheet named products (商品); its sheets are: Sheet1."
    ]


def test_missing_required_columns_are_all_named():
    headers = [h for h in HEADERS if h not in ("product", "category")]
    rows = [[v for h, v in zip(HEADERS, row(), strict=True) if h in headers]]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(rows, headers))
    assert errors_of(excinfo) == [
        "category: Required column category (类目) is missing.",
        "product: Required column product (商品编码) is missing.",
    ]


def test_an_unknown_column_is_refused_with_the_known_ones():
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([[*row(), "x"]], [*HEADERS, "retail price"]))
    assert "row 1, R1: 'retail price': Unknown column." in errors_of(excinfo)[0]


def test_every_problem_is_reported_at_once_with_row_column_value_and_reason():
    rows = [
        row("S-1"),
        row("S-1", retail_price="abc"),
        row("S-3", barcode="6901234567890", weight_g=-1),
        row("S-4", role="boss", category="服装 >  > T恤"),
    ]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(rows))
    assert errors_of(excinfo) == [
        "row 3, retail_price: 'abc': Enter a price, such as 12.50 or ¥12.50.",
        "row 3, sku: 'S-1': Also on row 2; each sku appears once in a file.",
        "row 4, barcode: '6901234567890': Barcode 6901234567890 has a wrong check digit: "
        "expected 2.",
        "row 4, weight_g: -1: Enter a whole number of 0 or more.",
        "row 5, category: '服装 >  > T恤': Write the category path as 大类 > 中类 > 小类, "
        "names only.",
        "row 5, role: 'boss': Use one of: traffic (Traffic driver (目标性/导流)), regular "
        "(Regular (常规性)), image (Image / flagship (形象)).",
    ]
    assert not SKU.objects.exists() and not Category.objects.exists()


def test_rows_of_one_product_must_agree():
    rows = [row("S-1"), row("S-2", name="另一个名字")]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(rows))
    assert errors_of(excinfo) == [
        "row 3, name: '另一个名字': Row 2 gives product P-1 another value; every row of a "
        "product must agree on name."
    ]


def test_a_barcode_of_another_sku_is_refused_and_nothing_is_applied():
    SKUFactory(code="OLD", barcode=ean13(5))
    rows = [row("S-1"), row("S-2", barcode=ean13(5))]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(rows))
    assert errors_of(excinfo) == [f"row 3, barcode: '{ean13(5)}': This barcode belongs to SKU OLD."]
    assert not SKU.objects.filter(code__startswith="S-").exists()


def test_a_barcode_twice_in_the_file_or_swapped_between_skus_is_refused():
    catalog_import(source=workbook([row("S-1", barcode=ean13(1)), row("S-2", barcode=ean13(2))]))
    twice = [row("S-3", barcode=ean13(3)), row("S-4"), row("S-5", barcode=ean13(3))]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(twice))
    assert errors_of(excinfo) == [
        f"row 4, barcode: '{ean13(3)}': Also on row 2; a barcode belongs to one SKU."
    ]
    swapped = [row("S-1", barcode=ean13(2)), row("S-2", barcode=ean13(1))]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(swapped))
    assert errors_of(excinfo) == [
        f"row 2, barcode: '{ean13(2)}': This barcode belongs to SKU S-2.",
        f"row 3, barcode: '{ean13(1)}': This barcode belongs to SKU S-1.",
    ]
    assert SKU.objects.get(code="S-1").barcode == ean13(1)


def test_products_go_on_leaf_categories_only():
    leaf = leaf_category(name="T恤")
    path = leaf.path
    parent_path = " > ".join(path.split(" > ")[:2])
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1", category=parent_path)]))
    assert "has sub-categories; choose a leaf category" in errors_of(excinfo)[0]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1", category="A > B > C > D")]))
    assert "limited to 3 levels" in errors_of(excinfo)[0]


def test_a_status_change_follows_the_product_lifecycle():
    catalog_import(source=workbook([row("S-1")]))
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1", status="delisted")]))
    assert errors_of(excinfo) == [
        "row 2, status: 'delisted': A product cannot go from Draft to Delisted."
    ]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-2", product="P-9", status="listed")]))
    assert "A new product starts as draft or ready" in errors_of(excinfo)[0]


def test_listing_an_incomplete_product_is_refused_and_rolls_everything_back():
    catalog_import(source=workbook([row("S-1", status="ready")]))
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1", status="listed", retail_price=99)]))
    assert (
        "row 2, status: 'listed': The product cannot be listed until it is complete."
        in (errors_of(excinfo)[0])
    )
    sku = SKU.objects.get(code="S-1")
    assert (sku.product.status, sku.retail_price) == ("ready", Decimal("59.00"))


def test_formula_errors_are_reported_per_cell():
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "products"
    ws.append(HEADERS)
    ws.append(row("S-1"))
    ws["H2"] = "#DIV/0!"  # written as an error cell, as Excel saves a failed formula
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=buffer.getvalue())
    assert errors_of(excinfo) == [
        "row 2, retail_price: '#DIV/0!': The cell shows a formula error; correct the formula or "
        "type a value."
    ]


def with_prefixed_sheet_xml(data: bytes) -> bytes:
    """Return the workbook with its sheets' XML written as some writers do: SpreadsheetML
    under a namespace prefix (``<x:c t="e">``) instead of the default namespace."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(rb"<(/?)(?=[A-Za-z])", rb"<\1x:", content)
                content = content.replace(b'xmlns="' + main, b'xmlns:x="' + main)
                assert b"<x:c " in content and b"<c " not in content
            target.writestr(item, content)
    return out.getvalue()


def test_a_formula_error_in_a_sheet_written_with_a_namespace_prefix_is_reported():
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "products"
    ws.append(HEADERS)
    ws.append(row("S-1"))
    ws.append(row("S-2"))
    ws["H3"] = "#N/A"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=with_prefixed_sheet_xml(buffer.getvalue()))
    assert errors_of(excinfo) == [
        "row 3, retail_price: '#N/A': The cell shows a formula error; correct the formula or "
        "type a value."
    ]
    assert not SKU.objects.exists()


def test_merged_cells_are_refused():
    book = openpyxl.load_workbook(io.BytesIO(workbook([row("S-1"), row("S-2")])))
    book.active.merge_cells("B2:B3")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=buffer.getvalue())
    assert "row 2, B2:B3: Merged cells: unmerge them and fill in every cell." in errors_of(excinfo)


def test_a_date_where_a_number_or_code_is_expected_is_refused():
    rows = [row("S-1", weight_g=dt.datetime(2026, 3, 5)), row(dt.datetime(2026, 3, 5))]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(rows))
    found = errors_of(excinfo)
    assert len(found) == 2
    assert all("Excel stored this cell as a date or time" in e for e in found)


def test_a_date_typed_as_text_is_read_year_first_or_refused_clearly():
    AttributeFactory(code="launch", name="上市日期", value_type="date")
    headers = [*HEADERS, "attr:launch"]
    good = [[*row("S-1"), "2026年3月5日"]]
    assert catalog_import(source=workbook(good, headers), dry_run=True).new == 1
    bad = [[*row("S-1"), "5/3/26"]]
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook(bad, headers))
    assert errors_of(excinfo) == ["row 2, attr:launch: '5/3/26': Enter a date as YYYY-MM-DD."]


def test_a_sheet_that_runs_to_the_last_excel_row_is_refused_without_reading_it():
    book = openpyxl.load_workbook(io.BytesIO(workbook([row("S-1")])))
    book.active.cell(row=1_048_576, column=1, value="S-LAST")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=buffer.getvalue())
    assert errors_of(excinfo) == [
        "The sheet has 1,048,575 rows; an import takes at most 50,000. Delete the empty rows "
        "below the data or split the file."
    ]


def test_a_workbook_saved_by_libreoffice_imports():
    """The fixture was written by openpyxl, then converted by
    ``libreoffice --headless --convert-to xlsx`` (see fixtures/README.md)."""
    fixture = FIXTURES / "libreoffice_products.xlsx"
    with zipfile.ZipFile(fixture) as archive:
        assert "LibreOffice" in archive.read("docProps/app.xml").decode()
    report = catalog_import(source=fixture)
    assert report.new == 3
    sku = SKU.objects.get(code="LO-2")
    assert sku.retail_price == Decimal("1299.50")
    assert sku.product.category.path == "服装 > 上衣 > T恤"
    assert Brand.objects.filter(name="精细").exists()
    assert catalog_import(source=fixture).unchanged == 3


def test_the_command_refuses_an_unknown_category_naming_the_nearest_existing_ones(tmp_path, capsys):
    catalog_import(source=workbook([row("S-1"), row("S-2", "P-2", category="服装 > 上衣 > 衬衫")]))
    catalog_import(source=workbook([row("S-3", "P-3", category="食品 > 零食 > 坚果")]))
    typo = tmp_path / "typo.xlsx"
    typo.write_bytes(workbook([row("S-9", "P-9", category="服装 > 上衣 > T袖")]))
    with pytest.raises(CommandError, match="The file cannot be imported: row 2, category"):
        call_command("import_catalog", str(typo))
    assert capsys.readouterr().err.strip() == (
        "row 2, category: '服装 > 上衣 > T袖': No category 服装 > 上衣 > T袖. Nearest existing: "
        "服装 > 上衣 > T恤; 服装 > 上衣 > 衬衫. Correct the path, or import with new "
        "categories allowed."
    )
    assert Category.objects.count() == 7 and not SKU.objects.filter(code="S-9").exists()
    call_command("import_catalog", str(typo), "--create-categories")
    assert SKU.objects.get(code="S-9").product.category.path == "服装 > 上衣 > T袖"


def test_an_unknown_category_like_no_existing_one_is_refused_without_suggestions(tmp_path):
    with pytest.raises(WorkbookInvalid) as excinfo:
        catalog_import(source=workbook([row("S-1")]), create_categories=False)
    assert errors_of(excinfo) == [
        "row 2, category: '服装 > 上衣 > T恤': No category 服装 > 上衣 > T恤. Create it "
        "first, or import with new categories allowed."
    ]


def test_the_command_reports_and_exits_non_zero_on_bad_input(tmp_path, capsys):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_catalog", str(tmp_path / "missing.xlsx"))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row("S-1", retail_price="abc"), row("S-2", weight_g="x")]))
    with pytest.raises(CommandError) as excinfo:
        call_command("import_catalog", str(bad))
    assert "2 problems; nothing was imported" in str(excinfo.value)
    assert "row 2, retail_price: 'abc'" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([row("S-1")]))
    call_command("import_catalog", str(good), "--create-categories", dry_run=True)
    assert "dry run" in capsys.readouterr().out and not SKU.objects.exists()
    call_command("import_catalog", str(good), "--create-categories")
    assert SKU.objects.filter(code="S-1").exists()
    capsys.readouterr()
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(workbook([row("S-1", retail_price=61)]))
    call_command("import_catalog", str(changed), dry_run=True, verbosity=2)
    out = capsys.readouterr().out
    assert "row 2 S-1 changed retail_price: 59.00 → 61.00" in out
    assert "0 new, 1 changed, 0 unchanged" in out
    with pytest.raises(CommandError, match="no role named"):
        call_command("export_catalog", str(tmp_path / "x.xlsx"), role="boss")
