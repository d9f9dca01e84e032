"""Receivables and payables: the money side of orders and purchases.

- **AR**: an ``Invoice`` is issued for a shipped order of a customer on credit terms (one per
  order, due after the customer's payment days); ``CustomerPayment`` rows pay it, partly or
  whole; a ``CreditNote`` (from a return's refund) reduces it. Outstanding = amount − paid −
  credited; what is outstanding is also written back to the order (``credit_settled``) so
  orders can hold an order past the customer's credit limit without reading finance.
- **AP**: a ``SupplierBill`` is the supplier's invoice for a purchase order, line by line
  (``SupplierBillLine``: the order line, billed quantity and unit cost); it is approved only
  after the three-way match PO ↔ receipts ↔ bill (``finance.payables``); ``SupplierPayment``
  rows pay it.
- ``MonthEnd``: the month's closing figures kept as they were when the month was closed.

Amounts are Decimal cents by the one money rule (``catalog.money``); a document's amount is
the sum of its rounded lines. Documents change only through ``finance.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finance.enums import BillStatus

MONEY = {"max_digits": 14, "decimal_places": 2}
UNIT_COST = {"max_digits": 14, "decimal_places": 4}


class Invoice(models.Model):
    """A customer invoice (应收) for one shipped credit order."""

    order = models.OneToOneField(
        "orders.SalesOrder",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="invoice",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    number = models.CharField(_("invoice number"), max_length=30, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["customer", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(due_on__gte=F("issued_on")),
                name="finance_invoice_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CustomerPayment(models.Model):
    """Money received against an invoice (回款); several may pay one invoice."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments"
    )
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer payment")
        verbose_name_plural = _("customer payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="finance_customerpayment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"


class CreditNote(models.Model):
    """A credit note (红字发票) reducing an invoice, from a return's refund."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    rma = models.OneToOneField(
        "orders.Return",
        verbose_name=_("return"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
    )
    number = models.CharField(_("credit note number"), max_length=30, unique=True)
    issued_on = models.DateField(_("issued on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_creditnote_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class SupplierBill(models.Model):
    """A supplier's invoice (应付) for goods of one purchase order."""

    supplier = models.ForeignKey(
        "purchasing.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="bills",
    )
    purchase_order = models.ForeignKey(
        "purchasing.PurchaseOrder",
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        related_name="bills",
    )
    number = models.CharField(_("supplier's invoice number"), max_length=50)
    billed_on = models.DateField(_("bill date"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=BillStatus.choices, default=BillStatus.DRAFT
    )
    amount = models.DecimalField(_("amount"), default=0, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approval_note = models.CharField(
        _("approval note"),
        max_length=300,
        blank=True,
        help_text=_("Why differences of the three-way match were accepted."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("supplier bill")
        verbose_name_plural = _("supplier bills")
        ordering = ["-billed_on", "-id"]
        permissions = [("approve_supplierbill", _("Can approve supplier bills for payment"))]
        indexes = [models.Index(fields=["supplier", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "number"], name="finance_bill_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(due_on__gte=F("billed_on")),
                name="finance_bill_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=BillStatus.APPROVED) | Q(approved_at__isnull=False),
                name="finance_bill_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} {self.number}"


class SupplierBillLine(models.Model):
    bill = models.ForeignKey(
        SupplierBill, verbose_name=_("bill"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        "purchasing.PurchaseOrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="bill_lines",
    )
    quantity = models.PositiveIntegerField(_("billed quantity"))
    unit_cost = models.DecimalField(_("billed unit cost"), **UNIT_COST)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bill", "order_line"], name="finance_billline_unique_order_line"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(unit_cost__gte=0),
                name="finance_billline_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.quantity} × {self.order_line_id}"


class SupplierPayment(models.Model):
    """Money paid against an approved supplier bill; several may pay one bill."""

    bill = models.ForeignKey(
        SupplierBill, verbose_name=_("bill"), on_delete=models.PROTECT, related_name="payments"
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("supplier payment")
        verbose_name_plural = _("supplier payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="finance_supplierpayment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.amount}"


class MonthEnd(models.Model):
    """A closed month (月结): its P&L and stock value as they stood when it was closed."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    revenue = models.DecimalField(_("net revenue"), **MONEY)
    cogs = models.DecimalField(_("COGS"), **MONEY)
    stock_value = models.DecimalField(_("stock value at month end"), **MONEY)
    receivables = models.DecimalField(_("receivables outstanding"), **MONEY)
    payables = models.DecimalField(_("payables outstanding"), **MONEY)
    closed_at = models.DateTimeField(_("closed at"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("month end")
        verbose_name_plural = _("month ends")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="finance_monthend_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"
