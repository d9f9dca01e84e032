"""Forms of the finance pages. They check input shape; selectors and services decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU
from catalog.selectors import PRICE_FIELDS


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
