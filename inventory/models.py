"""Warehouses, slots (库位), FIFO lots, the stock ledger and the stock levels it feeds.

``StockMove`` is the one ledger of stock: an immutable row per change. ``StockLevel`` (per
SKU × slot × lot) and ``WarehouseStock`` (per SKU × warehouse) are caches of it, written only
by ``inventory.services`` in the transaction that posts the move; ``check_stock_integrity``
proves they agree. Reservations and locks are commitments against stock, not moves.
"""

import operator
from functools import reduce

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.enums import DocumentType, MoveKind, SlotType, StockStatus
from inventory.exceptions import StockMoveImmutable

UNIT_COST = {"max_digits": 14, "decimal_places": 4}

validate_slot_code = RegexValidator(
    r"^[A-Z0-9]+(-[A-Z0-9]+){1,4}$",
    _("Use upper-case segments joined by hyphens, zone-aisle-shelf-level, such as A-03-02-1."),
)


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Slot(models.Model):
    """A bin (库位) in a warehouse. Pickers walk slots in ``pick_sequence`` order.

    Capacity is optional in units and in volume (mm³); an empty capacity means unlimited.
    Stock in quarantine slots is defective (次品); packing slots hold picked goods until they
    are shipped.
    """

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="slots"
    )
    code = models.CharField(
        _("code"),
        max_length=30,
        validators=[validate_slot_code],
        help_text=_("zone-aisle-shelf-level, such as A-03-02-1"),
    )
    zone = models.CharField(_("zone"), max_length=20)
    slot_type = models.CharField(
        _("slot type"), max_length=16, choices=SlotType.choices, default=SlotType.PICK
    )
    pick_sequence = models.PositiveIntegerField(
        _("pick sequence"), default=0, help_text=_("Position on the pickers' walking route.")
    )
    capacity_units = models.PositiveIntegerField(_("capacity (units)"), null=True, blank=True)
    capacity_volume_mm3 = models.PositiveBigIntegerField(_("capacity (mm³)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["warehouse", "pick_sequence", "code"]
        indexes = [models.Index(fields=["warehouse", "slot_type", "pick_sequence"])]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "code"], name="inventory_slot_unique_code_per_warehouse"
            ),
            models.CheckConstraint(
                condition=Q(slot_type__in=SlotType.values), name="inventory_slot_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        """Return ``WAREHOUSE/CODE``, unambiguous across warehouses."""
        return f"{self.warehouse.code}/{self.code}"


class Lot(models.Model):
    """Units of a SKU received together at one unit cost; FIFO by ``received_at`` then id."""

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="lots"
    )
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lots",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    source_reference = models.CharField(
        _("source reference"),
        max_length=100,
        blank=True,
        help_text=_("Where the goods came from: purchase order, receipt, count, return."),
    )

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["sku", "received_at", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="inventory_lot_unit_cost_non_negative",
                violation_error_message=_("Unit cost cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return _("Lot %(id)s of %(sku)s, %(date)s") % {
            "id": self.pk,
            "sku": self.sku.code,
            "date": timezone.localdate(self.received_at),
        }


class StockMoveQuerySet(models.QuerySet):
    """Refuses bulk changes: the ledger is append-only."""

    def update(self, **kwargs):
        raise StockMoveImmutable()

    def delete(self):
        raise StockMoveImmutable()


# Which of from / to slot each kind of move sets.
_INTO = Q(from_slot__isnull=True, to_slot__isnull=False)
_OUT_OF = Q(from_slot__isnull=False, to_slot__isnull=True)
_BETWEEN = Q(from_slot__isnull=False, to_slot__isnull=False)
MOVE_SHAPES = {
    MoveKind.RECEIPT: _INTO,
    MoveKind.RETURN: _INTO,
    MoveKind.SHIP: _OUT_OF,
    MoveKind.SCRAP: _OUT_OF,
    MoveKind.PUTAWAY: _BETWEEN,
    MoveKind.TRANSFER: _BETWEEN,
    MoveKind.PICK: _BETWEEN,
    MoveKind.ADJUST: _INTO | _OUT_OF,
    MoveKind.COUNT: _INTO | _OUT_OF,
}


class StockMove(models.Model):
    """One immutable line of the stock ledger: ``quantity`` units of a lot moved between slots.

    No from slot means the goods entered the warehouse (receipt, return, found stock); no to
    slot means they left it (shipment, scrap, loss). Rows are never updated or deleted: the
    model, its QuerySet and a database trigger refuse it. Errors are corrected by new moves.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    from_slot = models.ForeignKey(
        Slot,
        verbose_name=_("from slot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves_out",
    )
    to_slot = models.ForeignKey(
        Slot,
        verbose_name=_("to slot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves_in",
    )
    quantity = models.IntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("unit cost"), **UNIT_COST)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference_type = models.CharField(
        _("document type"), max_length=50, blank=True, choices=DocumentType.choices
    )
    reference_id = models.CharField(_("document id"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_moves",
        help_text=_("Empty for moves made by the system."),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = StockMoveQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["sku", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["reference_type", "reference_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="inventory_stockmove_quantity_positive",
                violation_error_message=_("A stock move moves at least one unit."),
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_stockmove_unit_cost_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(from_slot=F("to_slot")), name="inventory_stockmove_slots_differ"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MoveKind.values), name="inventory_stockmove_kind_valid"
            ),
            models.CheckConstraint(
                condition=reduce(
                    operator.or_, (Q(kind=kind) & shape for kind, shape in MOVE_SHAPES.items())
                ),
                name="inventory_stockmove_slots_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} × {self.sku_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise StockMoveImmutable()
        # Never let Django turn the save of a row with a known pk into an UPDATE.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StockMoveImmutable()

    @property
    def cost(self):
        return self.quantity * self.unit_cost


class StockLevel(models.Model):
    """Units of one lot of a SKU on hand in one slot (a cache of the ledger).

    Rows that fall to zero are kept: they remember which slots a SKU has used.
    """

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    slot = models.ForeignKey(
        Slot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["slot", "lot"]
        indexes = [models.Index(fields=["sku", "slot"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "slot", "lot"], name="inventory_stocklevel_unique"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0),
                name="inventory_stocklevel_on_hand_non_negative",
                violation_error_message=_("Stock on hand cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} @ {self.slot_id} / {self.lot_id}: {self.on_hand}"


class WarehouseStockQuerySet(models.QuerySet):
    def annotate_available(self):
        """Annotate ``available`` (可发) and ``stock_status`` in SQL, for lists of any size.

        available = on hand − reserved − locked − defective; status is out of stock at 0,
        warning at or below the SKU's warning level (预警值), else normal.
        """
        return self.annotate(
            available=F("on_hand") - F("reserved") - F("locked") - F("defective"),
            stock_status=models.Case(
                models.When(available__lte=0, then=models.Value(StockStatus.OUT_OF_STOCK)),
                models.When(
                    available__lte=F("sku__warning_level"), then=models.Value(StockStatus.WARNING)
                ),
                default=models.Value(StockStatus.NORMAL),
                output_field=models.CharField(),
            ),
        )


class WarehouseStock(models.Model):
    """The stock columns of one SKU in one warehouse (实际 / 占有 / 锁定 / 次品 / 缺货).

    ``on_hand`` and ``defective`` are caches of the ledger (defective = units in quarantine
    slots); ``reserved`` and ``locked`` are the open reservations and locks. Committed
    stock must be sellable: reserved + locked ≤ on hand − defective, so available (可发) is
    never negative. ``backordered`` is unmet demand (缺货) that orders keep up to date.
    Available stock is read through ``WarehouseStock.objects.annotate_available()``.
    """

    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        related_name="warehouse_stocks",
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stocks"
    )
    on_hand = models.IntegerField(_("on hand (实际)"), default=0)
    reserved = models.IntegerField(_("reserved (占有)"), default=0)
    locked = models.IntegerField(_("locked (锁定)"), default=0)
    defective = models.IntegerField(_("defective (次品)"), default=0)
    backordered = models.IntegerField(_("backordered (缺货)"), default=0)

    objects = WarehouseStockQuerySet.as_manager()

    class Meta:
        verbose_name = _("warehouse stock")
        verbose_name_plural = _("warehouse stock")
        ordering = ["warehouse", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "sku"], name="inventory_warehousestock_unique"
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0)
                & Q(reserved__gte=0)
                & Q(locked__gte=0)
                & Q(defective__gte=0)
                & Q(backordered__gte=0),
                name="inventory_warehousestock_non_negative",
                violation_error_message=_("Stock quantities cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")),
                name="inventory_warehousestock_reserved_within_on_hand",
                violation_error_message=_("Reserved stock cannot exceed stock on hand."),
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=F("reserved") + F("locked") + F("defective")),
                name="inventory_warehousestock_committed_is_sellable",
                violation_error_message=_(
                    "Reserved and locked stock cannot exceed sellable stock (on hand less "
                    "defective)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} @ {self.warehouse_id}"


class Hold(models.Model):
    """Units of a SKU in a warehouse held back from available stock, for a document.

    A bundle line holds its components, one row each, with ``bundle`` set. Reservations
    (占有) and stock locks (锁定) are the two kinds of hold.
    """

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    bundle = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("bundle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.IntegerField(_("quantity"))
    reference_type = models.CharField(
        _("document type"), max_length=50, blank=True, choices=DocumentType.choices
    )
    reference_id = models.CharField(_("document id"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class Reservation(Hold):
    """Units of a SKU held for an order line until they are shipped or released (占有).

    Of ``quantity``, ``released`` went back to available stock, ``picked`` are picked
    (in a packing slot) and ``shipped`` left; the open part, quantity − released − shipped,
    counts in ``WarehouseStock.reserved``.
    """

    released = models.IntegerField(_("released"), default=0)
    picked = models.IntegerField(_("picked"), default=0)
    shipped = models.IntegerField(_("shipped"), default=0)

    class Meta(Hold.Meta):
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        indexes = [
            models.Index(fields=["warehouse", "sku"]),
            models.Index(fields=["reference_type", "reference_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(released__gte=0)
                & Q(picked__gte=0)
                & Q(shipped__gte=0)
                & Q(shipped__lte=F("picked"))
                & Q(quantity__gte=F("picked") + F("released")),
                name="inventory_reservation_quantities_consistent",
            ),
        ]

    def __str__(self) -> str:
        document = self.get_reference_type_display()
        return f"{document} {self.reference_id}: {self.quantity} × {self.sku_id}"

    @property
    def open_quantity(self) -> int:
        """Return the units still reserved (picked or not)."""
        return self.quantity - self.released - self.shipped

    @property
    def unpicked(self) -> int:
        return self.quantity - self.released - self.picked


class ReservationPick(models.Model):
    """Units of one lot picked for a reservation, waiting in a packing slot to be shipped."""

    reservation = models.ForeignKey(
        Reservation, verbose_name=_("reservation"), on_delete=models.PROTECT, related_name="picks"
    )
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="+")
    from_slot = models.ForeignKey(
        Slot, verbose_name=_("picked from"), on_delete=models.PROTECT, related_name="+"
    )
    to_slot = models.ForeignKey(
        Slot, verbose_name=_("packing slot"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.IntegerField(_("quantity"))
    shipped = models.IntegerField(_("shipped"), default=0)

    class Meta:
        verbose_name = _("picked stock")
        verbose_name_plural = _("picked stock")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(shipped__gte=0) & Q(shipped__lte=F("quantity")),
                name="inventory_reservationpick_quantities_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reservation_id}: {self.quantity} of lot {self.lot_id}"


class StockLock(Hold):
    """Units held back from sale (库存锁定), for example for a promotion, until unlocked."""

    released = models.IntegerField(_("unlocked"), default=0)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta(Hold.Meta):
        verbose_name = _("stock lock")
        verbose_name_plural = _("stock locks")
        indexes = [models.Index(fields=["warehouse", "sku"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(released__gte=0) & Q(released__lte=F("quantity")),
                name="inventory_stocklock_quantities_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.quantity} × {self.sku_id}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.released
