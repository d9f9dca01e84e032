"""Purchasing admin: suppliers, offers and orders for the purchaser; orders without their
costs for the warehouse; receipts read-only (goods are received on the receive page, which
calls ``services.purchase_order_receive``).

Every unit cost and amount is declared sensitive (``catalog.access.FieldAccessMixin``).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from catalog.access import (
    VIEW_COST,
    FieldAccessMixin,
    HistoryLinkMixin,
    HistoryRevertMixin,
    ReadOnlyAdmin,
)
from catalog.money import money
from catalog.resources import WorkbookAdminMixin
from inventory.exceptions import InventoryError
from purchasing import selectors, services
from purchasing.enums import PurchaseOrderStatus
from purchasing.exceptions import PurchasingError
from purchasing.exporting import suppliers_export, suppliers_template
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierOffer,
)
from workbooks.forms import WorkbookFileField

EDITABLE_LINE_STATUSES = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.ORDERED)


class SupplierUploadForm(forms.Form):
    file = WorkbookFileField(label=_("workbook (.xlsx)"))


class SupplierWorkbookAdminMixin(WorkbookAdminMixin):
    """Import / Export buttons of the suppliers or offers sheet (``purchasing.importing``)."""

    upload_form = SupplierUploadForm

    def workbook_export(self, *, target, can, language: str) -> int:
        kind = self.workbook_kind
        return suppliers_export(target=target, kind=kind, can=can, language=language)[kind]

    def workbook_template(self, *, target, language: str) -> None:
        suppliers_template(target=target, language=language)


PURCHASING_CSS = {"all": ["purchasing/admin.css"]}


class SupplierOfferInline(FieldAccessMixin, admin.TabularInline):
    model = SupplierOffer
    sensitive_fields = {"unit_cost": VIEW_COST}
    fields = [
        "sku",
        "supplier_sku_code",
        "unit_cost",
        "min_order_quantity",
        "pack_multiple",
        "lead_time_days",
        "valid_from",
        "valid_to",
        "is_preferred",
    ]
    autocomplete_fields = ["sku"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")


@admin.register(Supplier)
class SupplierAdmin(SupplierWorkbookAdminMixin, admin.ModelAdmin):
    workbook_kind = "suppliers"
    list_display = [
        "code",
        "name",
        "supplier_type",
        "contact_name",
        "payment_terms_days",
        "currency",
        "is_active",
        "scorecard",
    ]
    list_filter = ["supplier_type", "is_active"]
    search_fields = ["code", "name"]
    inlines = [SupplierOfferInline]

    class Media:
        css = PURCHASING_CSS

    @admin.display(description=_("scorecard"))
    def scorecard(self, supplier):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("purchasing:supplier", args=[supplier.pk]),
            gettext("Scorecard"),
        )


@admin.register(SupplierOffer)
class SupplierOfferAdmin(
    SupplierWorkbookAdminMixin,
    FieldAccessMixin,
    HistoryLinkMixin,
    HistoryRevertMixin,
    SimpleHistoryAdmin,
):
    workbook_kind = "offers"
    sensitive_fields = {"unit_cost": VIEW_COST}
    list_display = [
        "supplier",
        "sku",
        "supplier_sku_code",
        "unit_cost",
        "min_order_quantity",
        "pack_multiple",
        "lead_time_days",
        "valid_from",
        "valid_to",
        "is_preferred",
    ]
    list_select_related = ["supplier", "sku"]
    list_filter = ["is_preferred", "supplier__supplier_type"]
    search_fields = ["supplier__code", "supplier__name", "sku__code", "supplier_sku_code"]
    autocomplete_fields = ["supplier", "sku"]
    history_list_display = ["unit_cost", "valid_from", "valid_to"]


class PurchaseOrderLineForm(forms.ModelForm):
    unit_cost = forms.DecimalField(
        label=_("unit cost"),
        max_digits=14,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text=_("Empty: the supplier's offer in effect."),
    )
    expected_date = forms.DateField(
        label=_("expected date"),
        required=False,
        help_text=_("Empty: today plus the offer's lead time."),
    )

    class Meta:
        model = PurchaseOrderLine
        fields = ["sku", "quantity", "unit_cost", "expected_date"]


class PurchaseOrderLineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Fill an empty unit cost and expected date from the supplier's offer in effect."""
        super().clean()
        supplier = getattr(self.instance, "supplier", None)
        today = timezone.localdate()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("sku") or supplier is None:
                continue
            offer = selectors.offer_in_effect(supplier=supplier, sku=data["sku"], on=today)
            form.instance.offer = offer
            form.instance.offer_unit_cost = offer.unit_cost if offer else None
            if data.get("unit_cost") is None:
                if offer is None:
                    form.add_error(
                        "unit_cost",
                        gettext(
                            "%(supplier)s has no offer in effect for this SKU; give the unit cost."
                        )
                        % {"supplier": supplier.code},
                    )
                    continue
                form.instance.unit_cost = offer.unit_cost
            if data.get("expected_date") is None:
                lead = offer.lead_time_days if offer else 0
                form.instance.expected_date = today + dt.timedelta(days=lead)


class PurchaseOrderLineInline(FieldAccessMixin, admin.TabularInline):
    model = PurchaseOrderLine
    form = PurchaseOrderLineForm
    formset = PurchaseOrderLineFormSet
    sensitive_fields = {
        "unit_cost": VIEW_COST,
        "offer_unit_cost": VIEW_COST,
        "amount": VIEW_COST,
    }
    fields = ["sku", "quantity", "unit_cost", "expected_date", "amount"]
    readonly_fields = ["amount"]
    autocomplete_fields = ["sku"]
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == PurchaseOrderStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("amount"))
    def amount(self, line):
        return line.amount if line.pk else ""


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(FieldAccessMixin, admin.ModelAdmin):
    sensitive_fields = {"total": VIEW_COST}
    list_display = [
        "code",
        "supplier",
        "warehouse",
        "status",
        "ordered_at",
        "created_at",
        "total",
        "printable",
    ]
    list_filter = ["status", "warehouse"]
    list_select_related = ["supplier", "warehouse"]
    search_fields = ["supplier__code", "supplier__name", "lines__sku__code"]
    autocomplete_fields = ["supplier"]
    fields = ["supplier", "warehouse", "currency", "note", "status", "ordered_at", "total"]
    inlines = [PurchaseOrderLineInline]
    actions = ["place", "cancel", "close"]

    class Media:
        css = PURCHASING_CSS

    def get_queryset(self, request):
        # Each order's total comes with the order, not by one aggregate per row.
        return selectors.orders_with_totals(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        readonly = ["status", "ordered_at", "total"]
        if obj is not None and obj.status != PurchaseOrderStatus.DRAFT:
            readonly += ["supplier", "warehouse", "currency"]
        return readonly

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        number = search_term.upper().removeprefix("PO-").lstrip("0")
        if number.isdigit():
            queryset |= self.get_queryset(request).filter(pk=int(number))
        return queryset, True if number.isdigit() else duplicates

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != PurchaseOrderStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.currency = obj.currency or obj.supplier.currency
        super().save_model(request, obj, form, change)

    @admin.display(description=_("order number"), ordering="pk")
    def code(self, order):
        return order.code

    @admin.display(description=_("total"))
    def total(self, order):
        """Return the sum of the lines' rounded amounts (``selectors.orders_with_totals``)."""
        if not order.pk:
            return ""
        return money(order.total) if hasattr(order, "total") else selectors.order_total(order)

    @admin.display(description=_("print"))
    def printable(self, order):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("purchasing:order", args=[order.pk]),
            gettext("Printable order"),
        )

    def _run(self, request, queryset, service) -> int:
        changed = 0
        for order in queryset.order_by("pk"):
            try:
                service(order=order, user=request.user)
                changed += 1
            except (PurchasingError, InventoryError) as error:
                self.message_user(request, error.message, messages.ERROR)
        return changed

    def _done(self, request, text: str, changed: int) -> None:
        if changed:
            self.message_user(request, text % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Place the selected drafts with the supplier"))
    def place(self, request, queryset):
        n = self._run(request, queryset, services.purchase_order_place)
        self._done(request, ngettext("%(count)d order placed.", "%(count)d orders placed.", n), n)

    @admin.action(description=_("Cancel the selected orders"))
    def cancel(self, request, queryset):
        n = self._run(request, queryset, services.purchase_order_cancel)
        text = ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", n)
        self._done(request, text, n)

    @admin.action(description=_("Close the selected orders"))
    def close(self, request, queryset):
        n = self._run(request, queryset, services.purchase_order_close)
        self._done(request, ngettext("%(count)d order closed.", "%(count)d orders closed.", n), n)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in ("place", "cancel", "close"):
                actions.pop(name, None)
        return actions


class PurchaseOrderLineAdminForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrderLine
        fields = ["unit_cost"]


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(
    FieldAccessMixin, HistoryLinkMixin, HistoryRevertMixin, SimpleHistoryAdmin
):
    """Order lines across orders; the unit cost of a placed line changes here, with history,
    until goods arrive (``services.purchase_order_line_set_cost``)."""

    form = PurchaseOrderLineAdminForm
    sensitive_fields = {"unit_cost": VIEW_COST, "offer_unit_cost": VIEW_COST, "amount": VIEW_COST}
    list_display = [
        "order_code",
        "sku",
        "quantity",
        "unit_cost",
        "offer_unit_cost",
        "amount",
        "expected_date",
    ]
    list_select_related = ["order", "sku"]
    list_filter = ["order__status"]
    search_fields = ["sku__code", "order__supplier__code"]
    fields = ["order", "sku", "quantity", "unit_cost", "offer_unit_cost", "expected_date"]
    readonly_fields = ["order", "sku", "quantity", "offer_unit_cost", "expected_date"]
    history_list_display = ["unit_cost"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.order.status not in EDITABLE_LINE_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            services.purchase_order_line_set_cost(
                line=obj, unit_cost=form.cleaned_data["unit_cost"], user=request.user
            )
        except PurchasingError as error:
            self.message_user(request, error.message, messages.ERROR)

    @admin.display(description=_("purchase order"), ordering="order")
    def order_code(self, line):
        return line.order.code

    @admin.display(description=_("amount"))
    def amount(self, line):
        return line.amount


class ReceiptLineInline(admin.TabularInline):
    model = ReceiptLine
    fields = ["order_line", "received_quantity", "rejected_quantity", "accepted", "slot", "lot"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("accepted"))
    def accepted(self, line):
        return line.accepted_quantity


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "order", "received_at", "user"]
    list_select_related = ["order__supplier", "user"]
    search_fields = ["order__supplier__code", "lines__order_line__sku__code"]
    date_hierarchy = "received_at"
    inlines = [ReceiptLineInline]
    fields = ["order", "received_at", "user", "note"]
    readonly_fields = fields
