"""Forms of the staff pages."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product
from staff.enums import ShelfPinKind, ShelfSlot


class ShelfPinForm(forms.Form):
    """Pin or exclude a product, named by its code (the form) or its id (a card's button)."""

    product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=gettext_lazy("Product code"), max_length=50, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=ShelfPinKind.choices)
    slot = forms.ChoiceField(
        label=gettext_lazy("Shelf slot"),
        choices=[("", "—"), *ShelfSlot.choices],
        required=False,
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        code = (data.get("code") or "").strip()
        if data.get("product"):
            data["found"] = Product.objects.filter(pk=data["product"]).first()
            if data["found"] is None:
                raise forms.ValidationError(_("That product no longer exists."))
        elif code:
            data["found"] = Product.objects.filter(code=code).first()
            if data["found"] is None:
                self.add_error("code", _("No product has the code %(code)s.") % {"code": code})
        else:
            self.add_error("code", _("Give a product code."))
        if data.get("kind") == ShelfPinKind.PIN and not data.get("slot"):
            self.add_error("slot", _("Choose the slot to pin the product into."))
        return data
