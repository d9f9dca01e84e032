"""Minimal admin: warehouses and slots are edited here; the ledger and the stock caches are
read-only (they change only through ``inventory.services``). Role-aware pages come later."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.access import VIEW_COST, FieldAccessMixin, ReadOnlyAdmin
from inventory.models import (
    Lot,
    Reservation,
    Slot,
    StockLevel,
    StockLock,
    StockMove,
    Warehouse,
    WarehouseStock,
)


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["code", "warehouse", "zone", "slot_type", "pick_sequence", "is_active"]
    list_filter = ["warehouse", "slot_type", "is_active"]
    search_fields = ["code", "zone"]
    ordering = ["warehouse", "pick_sequence", "code"]


@admin.register(StockMove)
class StockMoveAdmin(FieldAccessMixin, ReadOnlyAdmin):
    sensitive_fields = {"unit_cost": VIEW_COST}
    list_display = [
        "created_at",
        "kind",
        "sku",
        "lot",
        "from_slot",
        "to_slot",
        "quantity",
        "unit_cost",
        "reference_type",
        "reference_id",
        "user",
    ]
    list_filter = ["kind"]
    list_select_related = ["sku", "lot__sku", "from_slot", "to_slot", "user"]
    search_fields = ["sku__code", "reference_id", "reason"]
    date_hierarchy = "created_at"


@admin.register(Lot)
class LotAdmin(FieldAccessMixin, ReadOnlyAdmin):
    sensitive_fields = {"unit_cost": VIEW_COST}
    list_display = ["id", "sku", "warehouse", "received_at", "unit_cost", "source_reference"]
    list_select_related = ["sku", "warehouse"]
    search_fields = ["sku__code", "source_reference"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["sku", "slot", "lot", "on_hand"]
    # A lot names its SKU: without ``lot__sku`` every row read its lot's SKU on its own.
    list_select_related = ["sku", "slot", "lot__sku"]
    search_fields = ["sku__code", "slot__code"]


@admin.register(WarehouseStock)
class WarehouseStockAdmin(ReadOnlyAdmin):
    list_display = [
        "sku",
        "warehouse",
        "on_hand",
        "reserved",
        "locked",
        "defective",
        "available",
        "backordered",
    ]
    list_filter = ["warehouse"]
    list_select_related = ["sku", "warehouse"]
    search_fields = ["sku__code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate_available()

    @admin.display(description=_("available (可发)"), ordering="available")
    def available(self, obj):
        return obj.available


@admin.register(StockLock)
class StockLockAdmin(ReadOnlyAdmin):
    """Stock locks (库存锁定) by what they are for: a promotion's lock reads as its name."""

    list_display = ["reason", "warehouse", "sku", "quantity", "released", "created_at"]
    list_select_related = ["warehouse", "sku"]
    list_filter = ["reference_type", "warehouse"]
    search_fields = ["reason", "sku__code"]


@admin.register(Reservation)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "warehouse", "sku", "quantity", "released", "created_at"]
    list_select_related = ["warehouse", "sku"]
