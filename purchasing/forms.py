from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.enums import SelectionTag
from catalog.models import SKU
from inventory.models import Slot, Warehouse
from purchasing.models import PurchaseOrderLine
from purchasing.selectors import CandidateFilter
from purchasing.services import ReceiveLine


class ReceiveLineForm(forms.Form):
    """One open order line on the receive page. Leave received empty to skip the line."""

    received = forms.IntegerField(label=_("received"), min_value=0, required=False)
    rejected = forms.IntegerField(label=_("rejected"), min_value=0, required=False, initial=0)
    slot = forms.ModelChoiceField(label=_("slot"), queryset=Slot.objects.none(), required=False)

    def __init__(self, *args, line: PurchaseOrderLine, slots: list[Slot], **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["slot"].queryset = Slot.objects.filter(pk__in=[s.pk for s in slots])
        self.fields["slot"].choices = [("", "---------")] + [(s.pk, s.label) for s in slots]
        if slots:
            self.fields["slot"].initial = slots[0].pk

    def has_delivery(self) -> bool:
        return bool(self.cleaned_data.get("received"))

    def receive_line(self) -> ReceiveLine:
        return ReceiveLine(
            order_line=self.line,
            received=self.cleaned_data["received"],
            rejected=self.cleaned_data.get("rejected") or 0,
            slot=self.cleaned_data.get("slot"),
        )


class ChoiceForm(forms.Form):
    sku = forms.CharField(label=_("SKU code"), max_length=50)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, initial=1)

    def clean_sku(self):
        code = self.cleaned_data["sku"].strip()
        sku = SKU.objects.filter(code__iexact=code).first()
        if sku is None:
            raise forms.ValidationError(_("No SKU has the code %(code)s.") % {"code": code})
        return sku


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("from"), required=False)
    end = forms.DateField(label=_("to"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period cannot end before it starts."))
        return data


class RestockFilterForm(forms.Form):
    as_of = forms.DateField(
        label=_("as of"), required=False, help_text=_("Empty: today. Format YYYY-MM-DD.")
    )
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"),
        queryset=Warehouse.objects.filter(is_active=True).order_by("code"),
        required=False,
        empty_label=_("All warehouses"),
    )


class CandidateFilterForm(forms.Form):
    tags = forms.MultipleChoiceField(
        label=_("selection tags (名特优新)"),
        choices=SelectionTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    high_sales = forms.BooleanField(label=_("high sales"), required=False)
    high_margin = forms.BooleanField(label=_("high margin"), required=False)
    high_value = forms.BooleanField(label=_("high value"), required=False)

    def filters(self) -> CandidateFilter:
        data = self.cleaned_data
        return CandidateFilter(
            tags=tuple(data.get("tags") or ()),
            high_sales=data.get("high_sales", False),
            high_margin=data.get("high_margin", False),
            high_value=data.get("high_value", False),
        )
