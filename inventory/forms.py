"""Filters of the inventory pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.enums import StockStatus
from inventory.models import Warehouse


class StockFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(is_active=True),
        required=False,
        empty_label=_("All warehouses"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *StockStatus.choices],
        required=False,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("SKU code, name or barcode")}),
    )


class WaveForm(forms.Form):
    """A wave: every unpicked reservation of a warehouse, or the reservations listed."""

    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(is_active=True),
        required=False,
        empty_label=_("Choose a warehouse"),
    )
    ids = forms.CharField(
        label=_("Reservation ids"),
        required=False,
        max_length=2000,
        help_text=_("Optional: only these reservations, separated by commas or spaces."),
    )

    def clean_ids(self) -> list[int]:
        raw = self.cleaned_data["ids"].replace(",", " ").split()
        try:
            return [int(value) for value in raw]
        except ValueError:
            raise forms.ValidationError(
                _("Reservation ids are whole numbers separated by commas or spaces.")
            ) from None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("warehouse") and not cleaned.get("ids"):
            raise forms.ValidationError(_("Choose a warehouse or give reservation ids."))
        return cleaned
