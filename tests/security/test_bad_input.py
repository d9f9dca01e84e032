"""Bad input on every import and form: negative, zero, huge, NaN, infinite and non-numeric
numbers, unknown codes, very long and right-to-left text, HTML and script. Each gets a clear
row or form error and changes nothing, or is taken as the valid value it is; no exception
escapes; names holding HTML are shown escaped.

Hypothesis draws the values; each example runs in a savepoint rolled back after it, on the
real PostgreSQL.
"""

import io
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.importing import catalog_import
from catalog.models import SKU, Brand, Category, Product
from inventory.models import StockMove
from orders.exceptions import ImportRejected
from orders.imports import orders_import, read_rows
from orders.models import SalesOrder
from purchasing.importing import suppliers_import
from purchasing.models import Receipt, Supplier, SupplierOffer
from tests.catalog.test_workbook_import import HEADERS, row
from tests.factories import ProductFactory, SKUFactory
from tests.inventory.conftest import site  # noqa: F401
from tests.inventory.support import receive
from tests.orders.conftest import shops  # noqa: F401
from tests.purchasing.support import offer, placed_order, supplier
from workbooks.exceptions import WorkbookInvalid
from workbooks.xlsx import XlsxBook

# Derandomized: every run draws the same examples, so a failure reproduces and never flakes.
EXAMPLES = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SCRIPT = "<script>alert('x')</script>"
RTL = "\u202eexe.gnp\u202c مرحبا بالعالم עברית"
NUMBERS = st.one_of(
    st.sampled_from(
        [
            -1,
            -0.01,
            0,
            0.001,
            1e20,
            10**20,
            -(10**20),
            "1e20",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "abc",
            "12,34.5",
            "１２",
            "½",
            "",
            " ",
            "0x10",
            "1_000",
            "9" * 40,
            float("nan"),
            float("inf"),
            SCRIPT,
            RTL,
            True,
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=12),
)
TEXTS = st.one_of(
    st.sampled_from(
        ["x" * 10_000, RTL, SCRIPT, "<b>bold</b> & co", "' OR 1=1 --", "  ", "é" * 201]
    ),
    st.text(max_size=60),
)


@contextmanager
def rolled_back():
    """Run one example in a savepoint that is rolled back after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def xlsx(sheets: dict[str, tuple[list, list]]) -> bytes:
    """Write each sheet name → (header, rows) as Excel writes cells (text never a formula)."""
    buffer = io.BytesIO()
    book = XlsxBook(buffer)
    for name, (header, rows) in sheets.items():
        book.add_sheet(name, header, rows)
    book.close()
    return buffer.getvalue()


def state() -> list:
    return [
        list(model.objects.order_by("pk").values_list())
        for model in (SKU, Product, Category, Brand, Supplier, SupplierOffer, SalesOrder)
    ]


def assert_refused_cleanly(invalid: WorkbookInvalid, columns: set[str]) -> None:
    """Every problem names its row (as Excel numbers it) and a column of the sheet."""
    assert invalid.errors
    for error in invalid.errors:
        assert error.reason
        assert error.row is None or error.row >= 2
        assert error.row is None or str(error.column).split(":")[-1].strip() in columns


# --- Imports -------------------------------------------------------------------------------


CATALOG_NUMBERS = [
    "retail_price",
    "distribution_price",
    "cost_price",
    "weight_g",
    "length_mm",
    "warning_level",
]
CATALOG_TEXTS = ["sku", "product", "name", "category", "brand", "role", "status", "barcode"]


@pytest.mark.django_db
@EXAMPLES
@given(
    column=st.sampled_from(CATALOG_NUMBERS + CATALOG_TEXTS),
    value=st.one_of(NUMBERS, TEXTS),
    create_categories=st.booleans(),
)
def test_a_catalogue_import_refuses_bad_cells_by_row_and_column_and_changes_nothing(
    column, value, create_categories
):
    second = row("S-2")
    second[HEADERS.index(column)] = value
    data = xlsx({"products": (HEADERS, [row("S-1"), second])})
    with rolled_back():
        ProductFactory(code="P-0", name="已有")
        before = state()
        try:
            report = catalog_import(source=data, create_categories=create_categories)
        except WorkbookInvalid as invalid:
            assert_refused_cleanly(invalid, set(HEADERS))
            assert state() == before
        else:
            assert report.applied and report.new == 2
            stored = SKU.objects.get(code=report.changes[-1].key)
            if column == "name":
                assert stored.product.name == str(value).strip()


OFFER_HEADERS = ["supplier", "sku", "unit_cost", "moq", "pack_multiple", "lead_days"]


@pytest.mark.django_db
@EXAMPLES
@given(column=st.sampled_from(OFFER_HEADERS), value=st.one_of(NUMBERS, TEXTS))
def test_a_supplier_offer_import_refuses_bad_cells_and_changes_nothing(column, value):
    good = {
        "supplier": "SUP-1",
        "sku": "SKU-1",
        "unit_cost": 12.5,
        "moq": 10,
        "pack_multiple": 5,
        "lead_days": 7,
    }
    cells = {**good, column: value}
    data = xlsx({"offers": (OFFER_HEADERS, [[cells[h] for h in OFFER_HEADERS]])})
    with rolled_back():
        supplier("SUP-1")
        SKUFactory(code="SKU-1")
        before = state()
        try:
            suppliers_import(source=data)
        except WorkbookInvalid as invalid:
            assert_refused_cleanly(invalid, set(OFFER_HEADERS))
            assert state() == before
        else:
            assert SupplierOffer.objects.count() == 1


ORDER_HEADERS = ["channel", "shop", "order_number", "sku", "quantity", "unit_price", "paid_at"]


@pytest.mark.django_db
@EXAMPLES
@given(
    column=st.sampled_from(ORDER_HEADERS),
    value=st.one_of(NUMBERS, TEXTS),
    as_csv=st.booleans(),
)
def test_a_channel_order_import_refuses_bad_cells_and_changes_nothing(
    shops,  # noqa: F811
    tmp_path_factory,
    column,
    value,
    as_csv,
):
    good = {
        "channel": "TMALL",
        "shop": "TM1",
        "order_number": "N-1",
        "sku": "SKU-1",
        "quantity": 2,
        "unit_price": 9.9,
        "paid_at": "2026-05-01 10:00",
    }
    cells = {**good, column: value}
    folder = tmp_path_factory.mktemp("orders")
    if as_csv:
        path = folder / "orders.csv"
        text = ",".join(ORDER_HEADERS) + "\n" + ",".join(_csv(cells[h]) for h in ORDER_HEADERS)
        path.write_text(text + "\n", encoding="utf-8")
    else:
        path = folder / "orders.xlsx"
        path.write_bytes(xlsx({"orders": (ORDER_HEADERS, [[cells[h] for h in ORDER_HEADERS]])}))
    with rolled_back():
        receive(SKUFactory(code="SKU-1"), shops.site.pick_a, 1000)
        before = state()
        moves = StockMove.objects.count()
        try:
            result = orders_import(raw_rows=read_rows(path))
        except ImportRejected as rejected:
            assert rejected.errors
            for error in rejected.errors:
                assert error.reason and (error.row >= 2 or error.row == 0)
            assert state() == before and StockMove.objects.count() == moves
        else:
            assert result.orders == 1 and SalesOrder.objects.count() == 1


def _csv(value) -> str:
    text = str(value).replace('"', '""')
    return f'"{text}"'


# --- Forms ---------------------------------------------------------------------------------


def form_value(value) -> str:
    return (
        value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    )


@pytest.mark.django_db
@EXAMPLES
@given(
    field=st.sampled_from(["quantity", "unit_price", "discount", "sku", "customer", "note"]),
    value=st.one_of(NUMBERS, TEXTS),
)
def test_the_staff_order_form_refuses_bad_values_and_places_nothing(shops, as_role, field, value):  # noqa: F811
    client = as_role("support")
    data = {
        "shop": shops.desk.pk,
        "paid": "on",
        "lines-TOTAL_FORMS": "6",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-sku": "TEA-1",
        "lines-0-quantity": "2",
    }
    key = f"lines-0-{field}" if field in ("quantity", "unit_price", "discount", "sku") else field
    data[key] = form_value(value)
    with rolled_back():
        receive(SKUFactory(code="TEA-1", retail_price=Decimal("88.00")), shops.site.pick_a, 50)
        before, moves = SalesOrder.objects.count(), StockMove.objects.count()
        response = client.post(reverse("orders:order_new"), data)
        assert response.status_code in (200, 302, 400)  # 400: a NUL in a parameter
        if response.status_code != 302:  # the form again, with its errors and the input kept
            assert SalesOrder.objects.count() == before
            assert StockMove.objects.count() == moves
            body = response.content.decode()
            assert (
                response.status_code == 400
                or "errorlist" in body
                or '<ul class="messages">' in body
            )  # the guard's refusal, the form's errors or the service's message
        else:
            assert SalesOrder.objects.count() == before + 1


@pytest.mark.django_db
@EXAMPLES
@given(
    received=st.one_of(NUMBERS, TEXTS),
    rejected=st.sampled_from(["", "0", "-1", "1e20", "99999999999999999999", "NaN", "x"]),
)
def test_the_receive_form_refuses_bad_quantities_and_receives_nothing(
    site,  # noqa: F811
    as_role,
    received,
    rejected,
):
    with rolled_back():
        maker = supplier("M1")
        sku = SKUFactory(code="PO-SKU-1")
        offer(sku, maker, "9.50")
        order = placed_order(maker, site.warehouse, [(sku, 10)])
        (line,) = order.lines.all()
        data = {
            "note": "到货",
            f"line-{line.pk}-received": form_value(received),
            f"line-{line.pk}-rejected": rejected,
            f"line-{line.pk}-slot": site.receiving.pk,
        }
        response = as_role("warehouse").post(reverse("purchasing:receive", args=[order.pk]), data)
        assert response.status_code in (200, 302, 400)  # 400: a NUL in a parameter
        if response.status_code != 302:
            assert (
                not Receipt.objects.exists()
                and not StockMove.objects.filter(sku__code="PO-SKU-1").exists()
            )


@pytest.mark.django_db
@EXAMPLES
@given(sku=st.one_of(TEXTS, st.just("PO-SKU-1")), quantity=st.one_of(NUMBERS, TEXTS))
def test_the_supplier_choice_page_answers_bad_values_with_a_form_error(as_role, sku, quantity):
    with rolled_back():
        SKUFactory(code="PO-SKU-1")
        response = as_role("purchaser").get(
            reverse("purchasing:choice"), {"sku": form_value(sku), "quantity": form_value(quantity)}
        )
        assert response.status_code in (200, 400)  # 400: a NUL in a parameter


# --- HTML in names is shown as text ---------------------------------------------------------


def test_a_name_holding_html_is_shown_escaped_on_every_page_that_shows_it(shops, as_role):  # noqa: F811
    product = ProductFactory(name=SCRIPT)
    sku = SKUFactory(product=product, code="XSS-1", retail_price=Decimal("10.00"), warning_level=20)
    receive(sku, shops.site.pick_a, 5)
    maker = supplier("M-XSS", name=SCRIPT)
    offer(sku, maker, "3.00")
    client = as_role("support")
    placed = client.post(
        reverse("orders:order_new"),
        {
            "shop": shops.desk.pk,
            "paid": "on",
            "note": SCRIPT,
            "lines-TOTAL_FORMS": "6",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-sku": "XSS-1",
            "lines-0-quantity": "1",
        },
    )
    assert placed.status_code == 302
    order = SalesOrder.objects.get()
    superuser = User.objects.create_superuser("root", "root@localhost", None)
    admin = Client()
    admin.force_login(superuser)
    pages = [
        (client, reverse("orders:order_detail", args=[order.pk])),
        (as_role("purchaser"), reverse("purchasing:restock")),
        (as_role("purchaser"), reverse("purchasing:supplier", args=[maker.pk])),
        (admin, reverse("admin:catalog_product_changelist")),
        (admin, reverse("admin:catalog_sku_changelist")),
        (admin, reverse("admin:purchasing_supplier_changelist")),
    ]
    for who, url in pages:
        body = who.get(url).content.decode()
        assert "&lt;script&gt;alert(" in body, url
        assert not re.search(r"<script>alert\(", body), url


# --- Any bytes uploaded as a workbook ---------------------------------------------------------


def _good_workbook() -> bytes:
    return xlsx({"products": (HEADERS, [row("S-1"), row("S-2", name=RTL)])})


@st.composite
def damaged(draw) -> bytes:
    """A good workbook cut short, with bytes overwritten, or bytes of any kind."""
    good = _good_workbook()
    kind = draw(st.sampled_from(["cut", "overwrite", "random"]))
    if kind == "cut":
        return good[: draw(st.integers(min_value=0, max_value=len(good) - 1))]
    if kind == "overwrite":
        data = bytearray(good)
        for _ in range(draw(st.integers(min_value=1, max_value=8))):
            at = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[at] = draw(st.integers(min_value=0, max_value=255))
        return bytes(data)
    return draw(st.binary(max_size=2_000))


@pytest.mark.django_db
@EXAMPLES
@given(data=damaged(), url_name=st.sampled_from(["catalog_sku", "purchasing_supplier"]))
def test_any_bytes_uploaded_get_a_preview_or_a_clear_refusal(data, url_name):
    with rolled_back():
        root = User.objects.create_superuser("root", "root@localhost", None)
        client = Client()
        client.force_login(root)
        before = state()
        file = io.BytesIO(data)
        file.name = "upload.xlsx"
        response = client.post(reverse(f"admin:{url_name}_import"), {"file": file}, follow=True)
        assert response.status_code == 200
        job = response.context.get("job") if response.context else None
        if job is not None:
            assert job["status"] in ("done", "failed")
            if job["status"] == "failed":
                assert job["message"]
        assert state() == before  # a preview writes nothing


def shipped_or_picking(shops, *, ship: bool):  # noqa: F811
    """An order of two units of TEA-1, picked (and shipped when ``ship``)."""
    from orders import services as order_services
    from tests.orders.support import channel_order, line

    sku = SKUFactory(code="TEA-1")
    receive(sku, shops.site.pick_a, 5)
    order = channel_order(shops.tmall, line(sku, 2))
    order_services.wave_pick(warehouse=order.warehouse)
    if ship:
        order_services.packing_check(order=order, barcodes=[sku.barcode] * 2)
        order_services.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    order.refresh_from_db()
    return order, sku


def fulfilment_state(order) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.tracking_number,
        StockMove.objects.count(),
        order.checks.count(),
        order.returns.count(),
    )


@pytest.mark.django_db
@EXAMPLES
@given(limit=st.one_of(NUMBERS, TEXTS), warehouse=st.one_of(st.just(None), NUMBERS))
def test_the_wave_form_refuses_bad_values_and_picks_nothing(shops, as_role, limit, warehouse):  # noqa: F811
    client = as_role("warehouse")
    with rolled_back():
        from tests.orders.support import channel_order, line

        sku = SKUFactory(code="TEA-1")
        receive(sku, shops.site.pick_a, 5)
        order = channel_order(shops.tmall, line(sku, 2))
        before = fulfilment_state(order)
        target = shops.site.warehouse.pk if warehouse is None else form_value(warehouse)
        response = client.post(
            reverse("orders:waves"), {"warehouse": target, "limit": form_value(limit)}
        )
        assert response.status_code in (200, 400)  # 400: a NUL in a parameter
        if response.status_code == 400 or "errorlist" in response.content.decode():
            assert fulfilment_state(order) == before


@pytest.mark.django_db
@EXAMPLES
@given(barcodes=TEXTS, carrier=TEXTS, tracking=st.one_of(TEXTS, NUMBERS))
def test_the_pack_page_refuses_bad_scans_and_shipping_details(
    shops,  # noqa: F811
    as_role,
    barcodes,
    carrier,
    tracking,
):
    client = as_role("warehouse")
    with rolled_back():
        order, _sku = shipped_or_picking(shops, ship=False)
        url = reverse("orders:pack", args=[order.pk])
        before = fulfilment_state(order)
        scanned = client.post(url, {"pack-barcodes": barcodes})
        assert scanned.status_code in (200, 302, 400)
        order.refresh_from_db()
        assert order.status == before[0]  # the wrong items never pack the order
        shipped = client.post(
            url, {"ship-carrier": carrier, "ship-tracking_number": form_value(tracking)}
        )
        assert shipped.status_code in (200, 302, 400)
        assert fulfilment_state(order)[:3] == before[:3]  # not packed, so never shipped


@pytest.mark.django_db
@EXAMPLES
@given(
    field=st.sampled_from(["quantity", "refund_amount", "line_id", "reason", "disposition"]),
    value=st.one_of(NUMBERS, TEXTS),
)
def test_the_return_form_refuses_bad_values_and_receives_nothing(shops, as_role, field, value):  # noqa: F811
    client = as_role("support")
    with rolled_back():
        order, _sku = shipped_or_picking(shops, ship=True)
        data = {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-line_id": order.lines.get().pk,
            "lines-0-quantity": "1",
            "lines-0-reason": "damaged",
            "lines-0-disposition": "scrap",
            "lines-0-refund_amount": "10",
        }
        data[f"lines-0-{field}"] = form_value(value)
        before = fulfilment_state(order)
        response = client.post(reverse("orders:order_return", args=[order.pk]), data)
        assert response.status_code in (200, 302, 400)
        if response.status_code != 302:  # the form again with its message; nothing received
            assert fulfilment_state(order) == before
        else:
            returned = order.returns.get().lines.get()
            assert returned.quantity >= 1 and returned.refund_amount >= 0


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["1e20", "\u202eRTL\u202c", "NaN", "-1"])
def test_an_admin_form_sent_back_with_a_garbage_autocomplete_id_shows_the_error(garbage):
    admin = User.objects.create_superuser("root-autocomplete", password="x")
    client = Client()
    client.force_login(admin)
    response = client.post(reverse("admin:purchasing_supplieroffer_add"), {"sku": garbage})
    assert response.status_code == 200  # the form again, not a server error
    assert "sku" in response.context["adminform"].form.errors
    assert SupplierOffer.objects.count() == 0
