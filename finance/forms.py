"""Forms of the finance pages, by concern. They check input shape; the services decide."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU
from catalog.selectors import PRICE_FIELDS
from finance.enums import BillStatus, InvoiceState
from finance.services.payables import BillLineInput
from orders.models import Customer
from purchasing.models import PurchaseOrderLine, Supplier

# --- Payables -------------------------------------------------------------------------------


class BillFilterForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("supplier"),
        queryset=Supplier.objects.order_by("code"),
        required=False,
        empty_label=_("All suppliers"),
    )
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("All statuses")), *BillStatus.choices],
        required=False,
    )


class BillForm(forms.Form):
    """The supplier's invoice: its number and date; the lines come with ``BillLineForm``."""

    number = forms.CharField(label=_("supplier's invoice number"), max_length=50)
    billed_on = forms.DateField(
        label=_("bill date"), initial=timezone.localdate, help_text=_("Format YYYY-MM-DD.")
    )


class BillLineForm(forms.Form):
    """One line of the purchase order on the new-bill page; an empty or zero quantity
    leaves it off the bill."""

    quantity = forms.IntegerField(
        label=_("billed quantity"), min_value=0, max_value=2_147_483_647, required=False
    )
    unit_cost = forms.DecimalField(
        label=_("billed unit cost"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=4,
        required=False,
    )

    def __init__(self, *args, line: PurchaseOrderLine, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line

    def clean(self):
        data = super().clean()
        if data.get("quantity") and data.get("unit_cost") is None:
            self.add_error("unit_cost", _("Give the billed unit cost of a billed line."))
        return data

    def is_billed(self) -> bool:
        return bool(self.cleaned_data.get("quantity"))

    def bill_line(self) -> BillLineInput:
        return BillLineInput(
            order_line=self.line,
            quantity=self.cleaned_data["quantity"],
            unit_cost=self.cleaned_data["unit_cost"],
        )


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("approval note"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("Required when the three-way match lists differences: why they are accepted."),
    )


class SupplierPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    paid_on = forms.DateField(
        label=_("paid on"), initial=timezone.localdate, help_text=_("Format YYYY-MM-DD.")
    )
    reference = forms.CharField(label=_("bank reference"), max_length=100, required=False)


# Receivables ---------------------------------------------------------------------------------


class AgeingForm(forms.Form):
    on = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("What was owed at the end of this day; today when empty."),
    )

    def day(self):
        return (self.cleaned_data.get("on") if self.is_valid() else None) or timezone.localdate()


class InvoiceFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.filter(invoices__isnull=False).distinct().order_by("code"),
        required=False,
        empty_label=_("All customers"),
    )
    state = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *InvoiceState.choices],
        required=False,
    )
    q = forms.CharField(label=_("Invoice or order number"), required=False, max_length=64)


class CustomerPaymentForm(forms.Form):
    # Zero, negative and overpaying amounts are refused by the service, with its reason.
    amount = forms.DecimalField(label=_("Amount received"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(
        label=_("Received on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reference = forms.CharField(label=_("Bank reference"), required=False, max_length=100)


# Price history ------------------------------------------------------------------------------


class PriceHistoryFilterForm(forms.Form):
    """Filters of the price-change page; ``fields`` are the prices the user may see."""

    q = forms.CharField(
        label=_("SKU or product"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Code, barcode or part of a name")}),
    )
    field = forms.ChoiceField(label=_("Price"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, fields=PRICE_FIELDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [
            ("", _("Every price")),
            *((name, SKU._meta.get_field(name).verbose_name) for name in fields),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
