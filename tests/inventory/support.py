"""Helpers for inventory tests: a warehouse layout and short ways to put stock in place."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from catalog.models import SKU
from inventory import selectors, services
from inventory.models import Slot, StockLevel, Warehouse, WarehouseStock


@dataclass
class Site:
    warehouse: Warehouse
    receiving: Slot
    pick_a: Slot
    pick_b: Slot
    pick_c: Slot
    reserve: Slot
    returns: Slot
    quarantine: Slot
    packing: Slot


def receive(sku: SKU, slot: Slot, quantity: int, unit_cost: str = "10.00", **kwargs):
    """Receive ``quantity`` units into ``slot``; return the new lot."""
    moves = services.stock_receive(
        slot=slot,
        lines=[services.ReceiptLine(sku=sku, quantity=quantity, unit_cost=Decimal(unit_cost))],
        **kwargs,
    )
    return moves[0].lot


def columns(sku: SKU, warehouse: Warehouse) -> dict:
    """Return the stock columns of ``sku`` in ``warehouse`` as a user sees them."""
    row = (
        WarehouseStock.objects.annotate_available()
        .filter(sku=sku, warehouse=warehouse)
        .values("on_hand", "reserved", "locked", "defective", "available", "stock_status")
        .first()
    )
    return row or {}


def in_slot(sku: SKU, slot: Slot) -> int:
    return StockLevel.objects.filter(sku=sku, slot=slot).aggregate(n=Sum("on_hand"))["n"] or 0


def assert_ledger_agrees() -> None:
    assert selectors.stock_integrity_mismatches() == []
