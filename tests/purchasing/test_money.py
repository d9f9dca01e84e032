"""The money rule on purchase orders: every line's amount is rounded half-up to the cent and
the total printed under the lines is their sum, on the printed order, in the admin and in
the restock workbook (``catalog.money``)."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from inventory import services as inventory_services
from purchasing import selectors
from purchasing.models import PurchaseOrder
from tests.factories import SKUFactory
from tests.purchasing.support import offer, placed_order, supplier


def order_at(site, unit_cost: str, *, lines: int, quantity: int = 3) -> PurchaseOrder:
    maker = supplier()
    skus = [SKUFactory() for _ in range(lines)]
    for sku in skus:
        offer(sku, maker, unit_cost)
    return placed_order(maker, site.warehouse, [(sku, quantity) for sku in skus])


def printed(admin_client, order: PurchaseOrder) -> tuple[list[tuple[str, str]], str]:
    """Return the (unit cost, amount) of each printed line and the printed total."""
    html = admin_client.get(reverse("purchasing:order", args=[order.pk])).content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    lines = [
        (cells[4], cells[5])
        for row in body.split("</tr>")[:-1]
        for cells in [re.findall(r"<td[^>]*>([^<]*)</td>", row)]
    ]
    total = re.search(r"<tfoot>.*?<th class=\"num\">([\d.]+) CNY</th>", html, re.S).group(1)
    return lines, total


def test_the_order_that_printed_a_total_of_3_71_under_a_line_of_3_70_now_agrees(site, admin_client):
    # 3 × 1.2350 = 3.7050: the line was rounded half-even (3.70), the total half-up (3.71).
    order = order_at(site, "1.2350", lines=1)
    lines, total = printed(admin_client, order)
    assert lines == [("1.235", "3.71")]
    assert total == "3.71"


def test_three_lines_of_3_70_print_a_total_of_11_10(site, admin_client):
    # 3 × 1.2345 = 3.7035 per line; the unrounded products add up to 11.1105, printed 11.11.
    order = order_at(site, "1.2345", lines=3)
    lines, total = printed(admin_client, order)
    assert lines == [("1.2345", "3.70")] * 3
    assert total == "11.10"
    assert selectors.order_total(order) == Decimal("11.10")


@pytest.mark.parametrize("unit_cost", ["1.2345", "1.2350", "0.0050", "33.3333", "987.6549"])
def test_a_printed_total_is_the_sum_of_the_printed_lines(site, admin_client, unit_cost):
    order = order_at(site, unit_cost, lines=7, quantity=3)
    lines, total = printed(admin_client, order)
    assert Decimal(total) == sum(Decimal(amount) for _, amount in lines)


def test_the_admin_order_list_and_form_show_the_printed_total(site, admin_client):
    order = order_at(site, "1.2345", lines=3)
    changelist = admin_client.get(reverse("admin:purchasing_purchaseorder_changelist"))
    assert '<td class="field-total">11.10</td>' in changelist.content.decode()
    form = admin_client.get(reverse("admin:purchasing_purchaseorder_change", args=[order.pk]))
    page = form.content.decode()
    assert re.search(r"field-total.*?<div class=\"readonly\">11.10</div>", page, re.S)
    assert re.findall(r'field-amount">\s*<p>([^<]*)</p>', page) == ["3.70"] * 3
    found = admin_client.get(
        reverse("admin:purchasing_purchaseorder_changelist"), {"q": order.code}
    )
    assert '<td class="field-total">11.10</td>' in found.content.decode()


def test_the_restock_page_and_workbook_value_an_order_as_its_rounded_line(
    site, admin_client, tmp_path
):
    sku = SKUFactory(code="HALF-CENT")
    offer(sku, supplier(), "1.2350", min_order_quantity=3)
    inventory_services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=3)
    out = tmp_path / "restock.xlsx"
    call_command("restock_report", "--out", str(out))
    sheet = load_workbook(out).active
    row = dict(zip([cell.value for cell in sheet[1]], sheet[2], strict=True))
    assert row["suggested quantity"].value == 3
    # 3 × 1.2350 = 3.7050: half-up, 3.71 (rounded half-even it was 3.70).
    assert row["order value"].value == pytest.approx(3.71)
    assert row["unit cost"].value == pytest.approx(1.235)
    assert row["unit cost"].number_format == "0.00##"  # shows 1.235, not 1.24
    page = admin_client.get(reverse("purchasing:restock")).content.decode()
    assert re.search(r'<td class="num">1.235</td><td class="num">3.71</td>', page)
