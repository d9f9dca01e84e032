"""Purchase orders received in a known way, for the payables tests (fixed numbers)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from purchasing import services as purchasing_services
from purchasing.enums import SupplierType
from purchasing.models import PurchaseOrder, Supplier
from staff import services as staff_services
from tests.factories import SKUFactory


@pytest.fixture
def users(db) -> dict[str, User]:
    """One user per role, with the role matrix's permissions."""
    staff_services.roles_sync()
    return {u.username: u for u in staff_services.demo_users_create(password="x-Pw-4711-jx")}


def supplier(code: str = "SUP-A", terms: int = 30) -> Supplier:
    return Supplier.objects.create(
        code=code,
        name=f"供应商 {code}",
        supplier_type=SupplierType.MANUFACTURER,
        payment_terms_days=terms,
    )


def received_order(site, maker: Supplier, lines: list[tuple]) -> PurchaseOrder:
    """Place an order of ``lines`` (sku code, ordered, unit cost, received, rejected) and
    receive each line that has a received quantity, in one receipt."""
    skus = {code: SKUFactory(code=f"{maker.code}-{code}") for code, *_rest in lines}
    order = purchasing_services.purchase_order_create(
        supplier=maker,
        warehouse=site.warehouse,
        lines=[
            purchasing_services.OrderLineInput(
                sku=skus[code], quantity=ordered, unit_cost=Decimal(cost),
                expected_date=dt.date(2026, 1, 1),
            )
            for code, ordered, cost, _received, _rejected in lines
        ],
    )  # fmt: skip
    purchasing_services.purchase_order_place(order=order)
    by_sku = {line.sku.code: line for line in order.lines.select_related("sku")}
    receive = [
        purchasing_services.ReceiveLine(
            order_line=by_sku[f"{maker.code}-{code}"],
            received=received,
            rejected=rejected,
            slot=site.receiving,
        )
        for code, _ordered, _cost, received, rejected in lines
        if received
    ]
    if receive:
        purchasing_services.purchase_order_receive(order=order, lines=receive)
    order.refresh_from_db()
    return order


def order_line(order: PurchaseOrder, code: str):
    return order.lines.get(sku__code=f"{order.supplier.code}-{code}")
