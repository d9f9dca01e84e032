"""Admin of finance: documents are read here; they are written by ``finance.services``
through the finance pages, so the admin never adds, changes or deletes one."""

from django.contrib import admin

from catalog.access import ReadOnlyAdmin
from finance.models import CreditNote, CustomerPayment, Invoice

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
