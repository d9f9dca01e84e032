"""Suppliers, their offers, purchase orders and the receipts that bring the goods in.

What can be computed is not stored: a line's received and rejected units are sums of its
receipt lines, a supplier's scorecard comes from receipts (``selectors.supplier_scorecards``),
an order's number is its id. Unit costs of offers and order lines keep their history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.money import line_amount
from purchasing.enums import PurchaseOrderStatus, SupplierType

UNIT_COST = {"max_digits": 14, "decimal_places": 4}


class Supplier(models.Model):
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    supplier_type = models.CharField(
        _("supplier type"), max_length=20, choices=SupplierType.choices
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    payment_terms_days = models.PositiveIntegerField(
        _("payment terms (days)"), default=30, help_text=_("Days from receipt to payment.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(supplier_type__in=SupplierType.values),
                name="purchasing_supplier_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierOffer(models.Model):
    """A supplier's terms for one SKU: unit cost, minimum order, pack multiple, lead time."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="offers"
    )
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="offers"
    )
    supplier_sku_code = models.CharField(_("supplier's code"), max_length=100, blank=True)
    unit_cost = models.DecimalField(
        _("unit cost"),
        **UNIT_COST,
        validators=[MinValueValidator(0, message=_("Unit cost cannot be negative."))],
    )
    min_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"),
        default=1,
        validators=[MinValueValidator(1, message=_("The minimum order is at least 1."))],
    )
    pack_multiple = models.PositiveIntegerField(
        _("pack multiple"),
        default=1,
        help_text=_("Orders are rounded up to a multiple of this."),
        validators=[MinValueValidator(1, message=_("The pack multiple is at least 1."))],
    )
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=7)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: valid until further notice.")
    )
    is_preferred = models.BooleanField(_("preferred"), default=False)

    history = HistoricalRecords(
        verbose_name=_("supplier offer history"), verbose_name_plural=_("supplier offer history")
    )

    class Meta:
        verbose_name = _("supplier offer")
        verbose_name_plural = _("supplier offers")
        ordering = ["sku", "supplier", "-valid_from"]
        indexes = [models.Index(fields=["sku", "valid_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "sku", "valid_from"], name="purchasing_offer_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0),
                name="purchasing_offer_unit_cost_non_negative",
                violation_error_message=_("Unit cost cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(min_order_quantity__gte=1) & Q(pack_multiple__gte=1),
                name="purchasing_offer_quantities_positive",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="purchasing_offer_valid_period",
                violation_error_message=_("An offer cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} · {self.sku.code}"

    def order_quantity(self, wanted: int) -> int:
        """Return what must be ordered to get ``wanted`` units: at least the minimum order,
        rounded up to the pack multiple."""
        quantity = max(wanted, self.min_order_quantity)
        return -(-quantity // self.pack_multiple) * self.pack_multiple


class PurchaseOrder(models.Model):
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="orders"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("deliver to"),
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.DRAFT,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "warehouse"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PurchaseOrderStatus.values),
                name="purchasing_order_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=PurchaseOrderStatus.DRAFT)
                | Q(status=PurchaseOrderStatus.CANCELLED)
                | Q(ordered_at__isnull=False),
                name="purchasing_order_ordered_at_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.supplier.name}"

    @property
    def code(self) -> str:
        """Return the order number, ``PO-000042``: the id, so it is never stored twice."""
        return self.code_for(self.pk) if self.pk else "PO-?"

    @staticmethod
    def code_for(pk: int) -> str:
        """Return the number of the order with id ``pk`` without loading it."""
        return f"PO-{int(pk):06d}"


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        related_name="purchase_order_lines",
    )
    offer = models.ForeignKey(
        SupplierOffer,
        verbose_name=_("offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1, message=_("Order at least one unit."))]
    )
    unit_cost = models.DecimalField(
        _("unit cost"),
        **UNIT_COST,
        validators=[MinValueValidator(0, message=_("Unit cost cannot be negative."))],
    )
    # The offer's unit cost when the line was made: the base of the price variance. The
    # offer's own cost may change later; its history is too slow to read per line.
    offer_unit_cost = models.DecimalField(
        _("offer unit cost"), **UNIT_COST, null=True, blank=True, editable=False
    )
    expected_date = models.DateField(_("expected date"))

    history = HistoricalRecords(
        verbose_name=_("purchase order line history"),
        verbose_name_plural=_("purchase order line history"),
    )

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="purchasing_line_unique_sku"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(unit_cost__gte=0),
                name="purchasing_line_quantity_and_cost_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku.code}"

    @property
    def amount(self) -> Decimal:
        """Return quantity × unit cost rounded to the cent: the line as printed, whose sum
        is the order's total (``catalog.money``)."""
        return line_amount(self.quantity, self.unit_cost)


class Receipt(models.Model):
    """One delivery received against a purchase order."""

    order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # The receive page's one-time key: the page sent twice records one receipt.
    submission = models.UUIDField(
        _("form submission"), null=True, blank=True, unique=True, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"GR-{self.pk:06d} ({self.order.code})"


class ReceiptLine(models.Model):
    """Units of an order line delivered: ``received`` counted, of which ``rejected`` failed
    the quality check and went back; the rest (accepted) went into stock in ``slot``."""

    receipt = models.ForeignKey(
        Receipt, verbose_name=_("receipt"), on_delete=models.PROTECT, related_name="lines"
    )
    order_line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="receipt_lines",
    )
    received_quantity = models.PositiveIntegerField(_("received"))
    rejected_quantity = models.PositiveIntegerField(_("rejected"), default=0)
    slot = models.ForeignKey(
        "inventory.Slot",
        verbose_name=_("slot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["receipt", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_quantity__gte=1)
                & Q(rejected_quantity__gte=0)
                & Q(rejected_quantity__lte=F("received_quantity")),
                name="purchasing_receiptline_quantities_valid",
            ),
            models.CheckConstraint(
                condition=Q(rejected_quantity=F("received_quantity"))
                | (Q(slot__isnull=False) & Q(lot__isnull=False)),
                name="purchasing_receiptline_accepted_has_slot_and_lot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_quantity} × {self.order_line.sku.code}"

    @property
    def accepted_quantity(self) -> int:
        return self.received_quantity - self.rejected_quantity
