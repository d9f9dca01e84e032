"""Helpers for purchasing tests: suppliers, offers, orders and a ledger at past dates."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import Slot, Warehouse
from purchasing import services
from purchasing.enums import SupplierType
from purchasing.models import Supplier, SupplierOffer

_serial = iter(range(1, 10**6))


def supplier(code: str | None = None, supplier_type=SupplierType.WHOLESALER, **kwargs) -> Supplier:
    code = code or f"SUP{next(_serial):04d}"
    return Supplier.objects.create(
        code=code, name=kwargs.pop("name", f"供应商{code}"), supplier_type=supplier_type, **kwargs
    )


def offer(sku, supplier_obj, unit_cost="10.00", **kwargs) -> SupplierOffer:
    kwargs.setdefault("valid_from", timezone.localdate() - dt.timedelta(days=400))
    return SupplierOffer.objects.create(
        supplier=supplier_obj, sku=sku, unit_cost=Decimal(unit_cost), **kwargs
    )


def placed_order(supplier_obj, warehouse, lines, *, at=None):
    """Create and place an order; ``lines`` are (sku, quantity[, unit cost[, expected]])."""
    order = services.purchase_order_create(
        supplier=supplier_obj,
        warehouse=warehouse,
        lines=[services.OrderLineInput(*line) for line in lines],
    )
    return services.purchase_order_place(order=order, at=at)


def at(days_ago: int, hour: int = 12) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def receive_at(when: dt.datetime, sku, slot: Slot, quantity: int, unit_cost="5.00"):
    inventory_services.stock_receive(
        slot=slot,
        lines=[
            inventory_services.ReceiptLine(sku=sku, quantity=quantity, unit_cost=Decimal(unit_cost))
        ],
        received_at=when,
        at=when,
    )


def ship_at(when: dt.datetime, sku, warehouse: Warehouse, packing: Slot, quantity: int):
    """Post a sale of ``quantity`` units at ``when``: reserve, pick and ship."""
    held = inventory_services.stock_reserve(
        warehouse=warehouse,
        lines=[inventory_services.StockLine(sku=sku, quantity=quantity, reference_type="so")],
        at=when,
    )
    inventory_services.stock_pick(reservations=held, to_slot=packing, at=when)
    inventory_services.stock_ship(reservations=held, at=when)
