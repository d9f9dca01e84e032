"""Finance admin. Bills and payments are written by ``finance.services`` only: the admin lists
and shows them, links each bill to its page (three-way match, approval, payments), and
approves or cancels selected bills through the same services."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.access import VIEW_COST, FieldAccessMixin, ReadOnlyAdmin
from finance import services
from finance.access import APPROVE_BILL
from finance.exceptions import FinanceError
from finance.models import (
    CreditNote,
    CustomerPayment,
    Invoice,
    SupplierBill,
    SupplierBillLine,
    SupplierPayment,
)

# --- Payables -------------------------------------------------------------------------------


class SupplierBillLineInline(FieldAccessMixin, admin.TabularInline):
    model = SupplierBillLine
    sensitive_fields = {"unit_cost": VIEW_COST}
    fields = ["order_line", "quantity", "unit_cost", "amount"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SupplierPaymentInline(admin.TabularInline):
    model = SupplierPayment
    fields = ["paid_on", "amount", "reference", "user"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupplierBill)
class SupplierBillAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "supplier",
        "purchase_order",
        "billed_on",
        "due_on",
        "status",
        "amount",
        "page",
    ]
    list_filter = ["status", "billed_on"]
    list_select_related = ["supplier", "purchase_order__supplier"]
    search_fields = ["number", "supplier__code", "supplier__name"]
    date_hierarchy = "billed_on"
    fields = [
        "supplier",
        "purchase_order",
        "number",
        "billed_on",
        "due_on",
        "status",
        "amount",
        "currency",
        "approved_at",
        "approved_by",
        "approval_note",
        "page",
    ]
    readonly_fields = fields
    inlines = [SupplierBillLineInline, SupplierPaymentInline]
    actions = ["approve", "cancel"]

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm(APPROVE_BILL)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("finance.change_supplierbill")

    @admin.display(description=_("bill page"))
    def page(self, bill):
        if not bill.pk:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("finance:bill_detail", args=[bill.pk]),
            gettext("Three-way match"),
        )

    def _run(self, request, queryset, step) -> int:
        changed = 0
        for bill in queryset.select_related("purchase_order").order_by("pk"):
            try:
                step(bill)
            except FinanceError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                changed += 1
        return changed

    @admin.action(
        description=_("Approve the selected bills (clean matches only)"), permissions=["approve"]
    )
    def approve(self, request, queryset):
        """Approve bills whose three-way match is clean; a bill with differences is
        approved on its page, with a note explaining them."""
        count = self._run(
            request, queryset, lambda bill: services.bill_approve(bill=bill, user=request.user)
        )
        if count:
            message = ngettext("%(count)d bill approved.", "%(count)d bills approved.", count)
            self.message_user(request, message % {"count": count})

    @admin.action(description=_("Cancel the selected bills"), permissions=["cancel"])
    def cancel(self, request, queryset):
        count = self._run(
            request, queryset, lambda bill: services.bill_cancel(bill=bill, user=request.user)
        )
        if count:
            message = ngettext("%(count)d bill cancelled.", "%(count)d bills cancelled.", count)
            self.message_user(request, message % {"count": count})


@admin.register(SupplierPayment)
class SupplierPaymentAdmin(ReadOnlyAdmin):
    list_display = ["bill", "paid_on", "amount", "reference", "user"]
    list_select_related = ["bill__supplier", "user"]
    search_fields = ["bill__number", "bill__supplier__code", "reference"]
    date_hierarchy = "paid_on"
    fields = ["bill", "paid_on", "amount", "reference", "user", "created_at"]
    readonly_fields = fields


# Receivables ---------------------------------------------------------------------------------


class CustomerPaymentInline(admin.TabularInline):
    model = CustomerPayment
    fields = ["received_on", "amount", "reference", "user", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CreditNoteInline(admin.TabularInline):
    model = CreditNote
    fields = ["number", "issued_on", "amount", "rma", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "order", "issued_on", "due_on", "amount"]
    list_select_related = ["customer", "order"]
    list_filter = ["issued_on"]
    search_fields = ["number", "order__number", "customer__code", "customer__name"]
    date_hierarchy = "issued_on"
    inlines = [CustomerPaymentInline, CreditNoteInline]


@admin.register(CustomerPayment)
class CustomerPaymentAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "received_on", "amount", "reference", "user"]
    list_select_related = ["invoice", "user"]
    search_fields = ["invoice__number", "reference"]
    date_hierarchy = "received_on"


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "invoice", "rma", "issued_on", "amount"]
    list_select_related = ["invoice", "rma"]
    search_fields = ["number", "invoice__number"]
    date_hierarchy = "issued_on"
