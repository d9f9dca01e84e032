"""Supplier and offer workbooks: import whole or nothing, round trip, roles."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from catalog.exporting import role_permissions
from purchasing.enums import SupplierType
from purchasing.exceptions import PurchasingError
from purchasing.exporting import suppliers_export
from purchasing.importing import suppliers_import
from purchasing.models import Supplier, SupplierOffer
from tests.factories import SKUFactory
from tests.purchasing import support
from workbooks.exceptions import WorkbookInvalid

pytestmark = pytest.mark.django_db

SUPPLIER_HEADERS = [
    "code",
    "name",
    "type",
    "contact",
    "phone",
    "email",
    "address",
    "payment_terms_days",
    "currency",
    "active",
]
OFFER_HEADERS = [
    "supplier",
    "sku",
    "supplier_sku",
    "unit_cost",
    "moq",
    "pack_multiple",
    "lead_days",
    "valid_from",
    "valid_to",
    "preferred",
]


def workbook(sheets: dict[str, tuple[list, list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (headers, rows) in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def supplier_row(code="SUP-1", **values):
    base = {
        "code": code,
        "name": "义乌精细商贸",
        "type": "制造商",
        "contact": "王经理",
        "phone": "0579-85550000",
        "email": "sales@example.com",
        "address": "浙江省义乌市",
        "payment_terms_days": 45,
        "currency": "CNY",
        "active": True,
    }
    base.update(values)
    return [base[h] for h in SUPPLIER_HEADERS]


def offer_row(supplier="SUP-1", sku="S-1", **values):
    base = {
        "supplier": supplier,
        "sku": sku,
        "supplier_sku": "YW-1",
        "unit_cost": 12.5,
        "moq": 100,
        "pack_multiple": 12,
        "lead_days": 10,
        "valid_from": dt.date(2026, 1, 1),
        "valid_to": None,
        "preferred": False,
    }
    base.update(values)
    return [base[h] for h in OFFER_HEADERS]


def both(suppliers, offers) -> bytes:
    return workbook({"suppliers": (SUPPLIER_HEADERS, suppliers), "offers": (OFFER_HEADERS, offers)})


def snapshot() -> list:
    return [
        list(Supplier.objects.order_by("code").values_list()),
        list(SupplierOffer.objects.order_by("pk").values_list()),
        SupplierOffer.history.count(),
    ]


def errors_of(excinfo) -> list[str]:
    return [str(e) for e in excinfo.value.errors]


@pytest.fixture
def skus():
    return [SKUFactory(code="S-1"), SKUFactory(code="S-2")]


def test_import_creates_suppliers_and_offers_of_both_sheets(skus):
    report = suppliers_import(
        source=both(
            [supplier_row("SUP-1"), supplier_row("SUP-2", type="agent", active="否")],
            [offer_row("SUP-1", "S-1"), offer_row("SUP-2", "S-1", unit_cost="¥9.8750")],
        )
    )
    assert (report.sheets["suppliers"].new, report.sheets["offers"].new) == (2, 2)
    one, two = Supplier.objects.order_by("code")
    assert one.supplier_type == SupplierType.MANUFACTURER
    assert (one.payment_terms_days, one.contact_name, one.is_active) == (45, "王经理", True)
    assert (two.supplier_type, two.is_active) == (SupplierType.AGENT, False)
    offer = SupplierOffer.objects.get(supplier=two)
    assert offer.unit_cost == Decimal("9.8750")
    assert (offer.min_order_quantity, offer.pack_multiple, offer.lead_time_days) == (100, 12, 10)
    assert offer.valid_from == dt.date(2026, 1, 1) and offer.valid_to is None
    assert offer.history.count() == 1


def test_importing_the_same_file_twice_changes_nothing_the_second_time(skus):
    data = both([supplier_row()], [offer_row(), offer_row(sku="S-2", valid_to="2026-12-31")])
    suppliers_import(source=data)
    before = snapshot()
    report = suppliers_import(source=data)
    assert report.sheets["suppliers"].unchanged == 1
    assert report.sheets["offers"].unchanged == 2
    assert snapshot() == before


def test_export_then_import_is_a_no_op_and_keeps_older_offers_alone(skus, tmp_path):
    supplier = support.supplier("SUP-9", email="a@b.cn", address="上海\n浦东")
    support.offer(skus[0], supplier, "7.1234", valid_from=dt.date(2025, 1, 1))
    support.offer(skus[0], supplier, "8.00", valid_from=dt.date(2026, 1, 1), is_preferred=True)
    support.offer(skus[1], supplier, "3.50", valid_to=dt.date(2030, 6, 30))
    path = tmp_path / "suppliers.xlsx"
    counts = suppliers_export(target=path)
    assert counts == {"suppliers": 1, "offers": 2}  # the pair's current offer only
    before = snapshot()
    report = suppliers_import(source=path)
    assert report.sheets["suppliers"].unchanged == 1
    assert report.sheets["offers"].unchanged == 2
    assert snapshot() == before


def test_chinese_headers_and_sheet_names_are_read_like_english_ones(skus, tmp_path):
    path = tmp_path / "zh.xlsx"
    support.supplier("SUP-1")
    suppliers_export(target=path, language="zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["供应商", "供货"]
    assert [c.value for c in book["供应商"][1]][:3] == ["供应商编码", "供应商名称", "供应商类型"]
    data = workbook(
        {
            "供应商": (
                ["供应商编码", "供应商名称", "供应商类型", "账期(天)", "启用"],
                [["SUP-2", "广州批发", "批发商", 60, "是"]],
            ),
            "供货": (
                ["供应商编码", "SKU编码", "采购价", "最小起订量", "交期(天)", "生效日期", "首选"],
                [["SUP-2", "S-2", "12.30元", 5, 3, "2026/3/5", "是"]],
            ),
        }
    )
    suppliers_import(source=data)
    supplier = Supplier.objects.get(code="SUP-2")
    assert (supplier.supplier_type, supplier.payment_terms_days) == ("wholesaler", 60)
    offer = SupplierOffer.objects.get(supplier=supplier)
    assert (offer.unit_cost, offer.valid_from, offer.is_preferred) == (
        Decimal("12.30"),
        dt.date(2026, 3, 5),
        True,
    )


def test_a_unit_cost_change_is_reported_and_kept_in_history(skus):
    supplier = support.supplier("SUP-1")
    offer = support.offer(skus[0], supplier, "10.00", valid_from=dt.date(2026, 1, 1))
    data = workbook({"offers": (["supplier", "sku", "unit_cost"], [["SUP-1", "S-1", 11.25]])})
    report = suppliers_import(source=data)
    change = report.sheets["offers"].changes[0]
    assert change.cells == {"unit_cost": (Decimal("10.0000"), Decimal("11.2500"))}
    offer.refresh_from_db()
    assert offer.unit_cost == Decimal("11.25")
    costs = list(offer.history.order_by("history_date").values_list("unit_cost", flat=True))
    assert costs == [Decimal("10.0000"), Decimal("11.2500")]
    assert offer.history.latest().history_change_reason == "supplier import"
    # Columns absent from the file are left as they were.
    assert (offer.min_order_quantity, offer.lead_time_days) == (1, 7)


def test_a_dry_run_reports_but_writes_nothing(skus):
    report = suppliers_import(source=both([supplier_row()], [offer_row()]), dry_run=True)
    assert report.sheets["offers"].new == 1 and not report.applied
    assert not Supplier.objects.exists()


def test_every_bad_row_is_reported_at_once_and_nothing_is_applied(skus):
    support.supplier("SUP-1")
    data = both(
        [supplier_row("SUP-3", name="新供应商")],
        [
            offer_row("SUP-404", "S-1"),  # unknown supplier
            offer_row("SUP-1", "NO-SKU"),  # unknown SKU
            offer_row("SUP-1", "S-1", unit_cost=-1),  # negative cost
            offer_row("SUP-1", "S-2", valid_from="2026-05-01", valid_to="2026-04-30"),
            offer_row("SUP-3", "S-2"),
            offer_row("SUP-3", "S-2"),  # supplier × SKU twice
        ],
    )
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    errors = excinfo.value.errors
    found = {(e.row, e.column) for e in errors}
    assert found == {
        (2, "offers!supplier"),
        (3, "offers!sku"),
        (4, "offers!unit_cost"),
        (5, "offers!valid_to"),
        (7, "offers!sku"),
    }
    text = errors_of(excinfo)
    assert any("No supplier has this code" in t and "SUP-404" in t for t in text)
    assert any("No SKU has this code" in t for t in text)
    assert any("cannot be negative" in t and "-1" in t for t in text)
    assert any("cannot end before it starts" in t for t in text)
    assert any("Also on row 6" in t for t in text)
    assert not Supplier.objects.filter(code="SUP-3").exists()
    assert not SupplierOffer.objects.exists()


def test_bad_supplier_cells_are_reported_with_their_header():
    data = workbook(
        {
            "suppliers": (
                SUPPLIER_HEADERS,
                [supplier_row("A", type="工厂", email="nope", currency="RMB1", active="maybe")],
            )
        }
    )
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert {e.column for e in excinfo.value.errors} == {"type", "email", "currency", "active"}
    assert all(e.row == 2 for e in excinfo.value.errors)


def test_a_new_offer_needs_a_unit_cost(skus):
    support.supplier("SUP-1")
    data = workbook({"offers": (["supplier", "sku", "moq"], [["SUP-1", "S-1", 5]])})
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert "A new offer needs a unit cost." in errors_of(excinfo)[0]


def test_a_start_date_of_another_offer_of_the_pair_is_refused(skus):
    supplier = support.supplier("SUP-1")
    support.offer(skus[0], supplier, "7", valid_from=dt.date(2025, 1, 1))
    support.offer(skus[0], supplier, "8", valid_from=dt.date(2026, 1, 1))
    data = workbook(
        {"offers": (["supplier", "sku", "valid_from"], [["SUP-1", "S-1", dt.date(2025, 1, 1)]])}
    )
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert "starts on that day" in errors_of(excinfo)[0]


def test_a_workbook_without_purchasing_sheets_is_refused():
    data = workbook({"products": (["sku"], [["S-1"]])})
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert "suppliers (供应商) or offers (供货)" in excinfo.value.message
    assert "products" in excinfo.value.message


def test_a_role_without_costs_exports_no_unit_cost_and_may_not_import_one(skus, tmp_path):
    supplier = support.supplier("SUP-1")
    support.offer(skus[0], supplier, "987.65")
    warehouse = tmp_path / "warehouse.xlsx"
    suppliers_export(target=warehouse, can=role_permissions("warehouse"))
    book = openpyxl.load_workbook(warehouse)
    assert book.sheetnames == ["suppliers"]  # the warehouse does not see offers
    no_costs = tmp_path / "no-costs.xlsx"
    suppliers_export(target=no_costs, can=lambda perm: perm != "catalog.view_cost")
    book = openpyxl.load_workbook(no_costs)
    assert "unit_cost" not in [c.value for c in book["offers"][1]]
    assert "987.65" not in str([[c.value for c in row] for row in book["offers"].rows])
    # Its own export reimports without touching costs; a cost column is refused.
    before = snapshot()
    suppliers_import(source=no_costs, can=lambda perm: perm != "catalog.view_cost")
    assert snapshot() == before
    data = workbook({"offers": (["supplier", "sku", "unit_cost"], [["SUP-1", "S-1", 1]])})
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data, can=lambda perm: perm != "catalog.view_cost")
    assert "You may not change unit costs" in errors_of(excinfo)[0]
    with pytest.raises(PurchasingError):
        suppliers_export(target=tmp_path / "none.xlsx", can=lambda perm: False)


def test_purchaser_export_has_unit_costs(skus, tmp_path):
    support.offer(skus[0], support.supplier("SUP-1"), "987.65")
    path = tmp_path / "purchaser.xlsx"
    suppliers_export(target=path, can=role_permissions("purchaser"))
    rows = list(openpyxl.load_workbook(path)["offers"].values)
    assert rows[1][rows[0].index("unit_cost")] == 987.65


def test_commands_round_trip_and_fail_with_one_line(skus, tmp_path, capsys):
    support.offer(skus[0], support.supplier("SUP-1"), "5")
    path = tmp_path / "out.xlsx"
    call_command("export_suppliers", str(path), "--role", "purchaser")
    assert "1 suppliers, 1 offers written" in capsys.readouterr().out
    call_command("import_suppliers", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "dry run, nothing written" in out and "1 unchanged" in out
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_suppliers", str(tmp_path / "missing.xlsx"))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(both([], [offer_row("SUP-404")]))
    with pytest.raises(CommandError, match="cannot be imported"):
        call_command("import_suppliers", str(bad))
    with pytest.raises(CommandError, match="no role named"):
        call_command("export_suppliers", str(path), "--role", "nobody")
    with pytest.raises(CommandError, match=r"must end in \.xlsx"):
        call_command("export_suppliers", str(tmp_path / "out.csv"))


def test_the_template_imports(skus, tmp_path):
    path = tmp_path / "template.xlsx"
    call_command("export_suppliers", str(path), "--template")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["suppliers", "offers", "notes"]
    # The example row names a SKU that does not exist: only that is refused.
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=path)
    assert [e.column for e in excinfo.value.errors] == ["offers!sku"]


# --- Admin -------------------------------------------------------------------------------


@pytest.fixture
def purchaser(client):
    from django.contrib.auth.models import Group, User

    from staff.services import roles_sync

    roles_sync()
    user = User.objects.create_user("p", is_staff=True)
    user.groups.add(Group.objects.get(name="purchaser"))
    client.force_login(user)
    return client


def test_the_offer_admin_previews_then_imports_an_upload(purchaser, skus):
    from django.urls import reverse

    support.supplier("SUP-1")
    changelist = purchaser.get(reverse("admin:purchasing_supplieroffer_changelist"))
    assert reverse("admin:purchasing_supplieroffer_import") in changelist.content.decode()
    file = io.BytesIO(workbook({"offers": (OFFER_HEADERS, [offer_row()])}))
    file.name = "offers.xlsx"
    page = purchaser.post(
        reverse("admin:purchasing_supplieroffer_import"), {"file": file}, follow=True
    )
    assert page.status_code == 200
    assert page.context["job"]["report"]["new"] == 1
    assert not SupplierOffer.objects.exists()
    done = purchaser.post(
        reverse("admin:purchasing_supplieroffer_process_import"),
        {"job": page.context["job"]["id"]},
        follow=True,
    )
    assert done.context["job"]["report"]["applied"]
    offer = SupplierOffer.objects.get()
    assert offer.history.latest().history_user.username == "p"


def test_a_bad_upload_lists_its_problems_in_the_admin(purchaser, skus):
    from django.urls import reverse

    file = io.BytesIO(workbook({"offers": (OFFER_HEADERS, [offer_row("SUP-404")])}))
    file.name = "offers.xlsx"
    page = purchaser.post(
        reverse("admin:purchasing_supplieroffer_import"), {"file": file}, follow=True
    )
    assert page.context["job"]["status"] == "failed"
    assert "No supplier has this code." in page.content.decode()


def test_the_supplier_admin_exports_the_suppliers_sheet(purchaser):
    from django.urls import reverse

    support.supplier("SUP-1")
    response = purchaser.post(
        reverse("admin:purchasing_supplier_export"), {"format": "xlsx", "headers": "zh"}
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["供应商"]
    assert book["供应商"]["A2"].value == "SUP-1"


def test_an_import_writes_in_bulk_whatever_the_number_of_rows(django_assert_max_num_queries):
    codes = [SKUFactory(code=f"B-{i:03d}").code for i in range(60)]
    suppliers = [supplier_row(f"SUP-{i}") for i in range(20)]
    offers = [offer_row(f"SUP-{i % 20}", code) for i, code in enumerate(codes)]
    with django_assert_max_num_queries(20):
        suppliers_import(source=both(suppliers, offers))
    assert SupplierOffer.objects.count() == 60
    changed = [offer_row(f"SUP-{i % 20}", code, unit_cost=20) for i, code in enumerate(codes)]
    with django_assert_max_num_queries(20):
        report = suppliers_import(source=both(suppliers, changed))
    assert report.sheets["offers"].changed == 60
    assert SupplierOffer.history.count() == 120


def test_blank_required_cells_and_database_problems_are_reported_together(skus):
    support.supplier("SUP-1")
    data = workbook(
        {
            "offers": (
                OFFER_HEADERS,
                [offer_row("SUP-1", None), offer_row("SUP-404", "S-1"), offer_row(None, "S-2")],
            )
        }
    )
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [
        (2, "sku"),
        (3, "supplier"),
        (4, "supplier"),
    ]
    assert "Required: fill in a value." in errors_of(excinfo)[0]


def test_a_missing_required_column_is_named():
    data = workbook({"suppliers": (["code", "name"], [["SUP-1", "甲"]])})
    with pytest.raises(WorkbookInvalid) as excinfo:
        suppliers_import(source=data)
    assert excinfo.value.message.endswith("Required column type (供应商类型) is missing.")


def test_the_demo_suppliers_and_offers_round_trip_in_chinese(tmp_path, settings):
    from catalog.demo import seed_catalog
    from inventory.demo import seed_stock
    from purchasing.demo import seed_purchasing

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_catalog(scale="tiny")
    seed_stock(scale="tiny", seed=42)
    seed_purchasing(scale="tiny", seed=42, stdout=io.StringIO())
    path = tmp_path / "demo.xlsx"
    counts = suppliers_export(target=path, language="zh")
    pairs = SupplierOffer.objects.values("supplier", "sku").distinct().count()
    assert counts == {"suppliers": Supplier.objects.count(), "offers": pairs}
    before = snapshot()
    report = suppliers_import(source=path)
    assert report.sheets["offers"].unchanged == pairs
    assert snapshot() == before


def test_import_command_lists_changed_cells_and_applies_the_role(skus, tmp_path, capsys):
    support.offer(skus[0], support.supplier("SUP-1"), "5", valid_from=dt.date(2026, 1, 1))
    path = tmp_path / "cost.xlsx"
    path.write_bytes(
        workbook({"offers": (["supplier", "sku", "unit_cost"], [["SUP-1", "S-1", 6]])})
    )
    with pytest.raises(CommandError, match="You may not change unit costs"):
        call_command("import_suppliers", str(path), "--role", "warehouse")
    call_command("import_suppliers", str(path), "--role", "purchaser", verbosity=2)
    out = capsys.readouterr().out
    assert "offers row 2 SUP-1 · S-1 changed unit_cost: 5.0000 → 6.0000" in out
    assert SupplierOffer.objects.get().unit_cost == Decimal("6")
