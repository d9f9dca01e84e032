"""Forms of the finance pages, by concern. They check input shape; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finance.enums import InvoiceState
from orders.models import Customer

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


class PaymentForm(forms.Form):
    # Zero, negative and overpaying amounts are refused by the service, with its reason.
    amount = forms.DecimalField(label=_("Amount received"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(
        label=_("Received on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reference = forms.CharField(label=_("Bank reference"), required=False, max_length=100)
