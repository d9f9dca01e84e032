"""Forms of the order pages. They check input shape; the services decide the rest."""

import datetime as dt
import re
import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU
from inventory.models import Warehouse
from orders.enums import InquiryOutcome, OrderStatus, PriceType, ReturnDisposition, ReturnReason
from orders.models import Customer, Inquiry, Shop

LINES = 6


class OrderForm(forms.Form):
    shop = forms.ModelChoiceField(
        label=_("Shop"),
        queryset=Shop.objects.filter(is_active=True).select_related("channel"),
        empty_label=_("Choose a shop"),
    )
    customer = forms.CharField(
        label=_("Customer code"),
        required=False,
        max_length=30,
        help_text=_(
            "Optional; a distributor pays its distribution price unless a promotion is lower."
        ),
    )
    warehouse = forms.ModelChoiceField(
        label=_("Ship from"),
        queryset=Warehouse.objects.filter(is_active=True),
        required=False,
        empty_label=_("The shop's warehouse"),
    )
    paid = forms.BooleanField(label=_("Paid"), required=False, initial=True)
    backorder = forms.BooleanField(
        label=_("Backorder what is short (缺货) instead of refusing the order"), required=False
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    # A new key each time the empty form is shown; kept when the form comes back with errors.
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def clean_customer(self):
        code = self.cleaned_data["customer"].strip()
        if not code:
            return None
        customer = Customer.objects.filter(code=code).first()
        if customer is None:
            raise forms.ValidationError(_("No customer has the code %(code)s.") % {"code": code})
        return customer


class LineForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU code or barcode"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
    price_type = forms.ChoiceField(
        label=_("Price type"),
        choices=[("", _("Price in effect")), *PriceType.choices],
        required=False,
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    discount = forms.DecimalField(
        label=_("Discount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and f.cleaned_data.get("sku")]
        if not filled:
            raise forms.ValidationError(_("Give at least one line."))
        codes = {f.cleaned_data["sku"].strip() for f in filled}
        found = {}
        for sku in SKU.objects.filter(Q(code__in=codes) | Q(barcode__in=codes)):
            found[sku.code] = sku
            if sku.barcode:
                found.setdefault(sku.barcode, sku)
        for form in filled:
            code = form.cleaned_data["sku"].strip()
            if code not in found:
                form.add_error(
                    "sku", _("No SKU has the code or barcode %(code)s.") % {"code": code}
                )
            else:
                form.cleaned_data["sku_object"] = found[code]

    def lines(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data.get("sku_object")]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=LINES, max_num=50)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *OrderStatus.choices], required=False
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Order number, customer or tracking")}),
    )


class ResolveListingForm(forms.Form):
    sku = forms.CharField(label=_("SKU code"), max_length=50)

    def clean_sku(self):
        code = self.cleaned_data["sku"].strip()
        sku = SKU.objects.filter(code=code).first()
        if sku is None:
            raise forms.ValidationError(_("No SKU has the code %(code)s.") % {"code": code})
        return sku


class WaveForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(is_active=True),
        empty_label=_("Choose a warehouse"),
    )
    limit = forms.IntegerField(
        label=_("Orders in the wave"), min_value=1, max_value=500, initial=50
    )


class PackForm(forms.Form):
    barcodes = forms.CharField(
        label=_("Scanned barcodes"),
        widget=forms.Textarea(attrs={"rows": 8, "autofocus": True, "autocomplete": "off"}),
        help_text=_("Scan every item into the box; one barcode per line."),
        max_length=20_000,
    )

    def clean_barcodes(self) -> list[str]:
        return [code.strip() for code in self.cleaned_data["barcodes"].splitlines() if code.strip()]


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=50)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)


class ReturnLineForm(forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, initial=0)
    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnReason.choices)
    disposition = forms.ChoiceField(label=_("Disposition"), choices=ReturnDisposition.choices)
    refund_amount = forms.DecimalField(
        label=_("Refund"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )


ReturnLineFormSet = forms.formset_factory(ReturnLineForm, extra=0)


class ReturnNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class ReviewFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Product code or name")}),
    )
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)


SKU_SEPARATORS = re.compile(r"[\s,，、;；]+")


class InquiryForm(forms.Form):
    """Support's quick entry of an inquiry (咨询)."""

    shop = forms.ModelChoiceField(
        label=_("Shop"),
        queryset=Shop.objects.filter(is_active=True).select_related("channel"),
        empty_label=_("Choose a shop"),
    )
    customer = forms.CharField(
        label=_("Customer"),
        required=False,
        max_length=100,
        help_text=_("Code, phone or full name of a known customer."),
    )
    visitor = forms.CharField(
        label=_("Or visitor handle"),
        required=False,
        max_length=100,
        help_text=_("An anonymous buyer's nickname or chat id."),
    )
    skus = forms.CharField(
        label=_("SKU codes"),
        required=False,
        max_length=500,
        help_text=_("The SKUs asked about, separated by commas or spaces."),
    )
    question = forms.CharField(label=_("Question"), max_length=300)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=InquiryOutcome.choices, initial=InquiryOutcome.FOLLOW_UP
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a follow-up; tomorrow when left empty."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean_customer(self):
        text = self.cleaned_data["customer"].strip()
        if not text:
            return None
        found = list(
            Customer.objects.filter(
                Q(code__iexact=text) | Q(phone=text) | Q(name=text) | Q(contact_name=text)
            )[:2]
        )
        if not found:
            raise forms.ValidationError(
                _(
                    "No customer has the code, phone or name %(text)s; an unknown buyer goes in "
                    "as a visitor handle."
                )
                % {"text": text}
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several customers are called %(text)s: give the code or phone.") % {"text": text}
            )
        return found[0]

    def clean_skus(self):
        codes = [c for c in SKU_SEPARATORS.split(self.cleaned_data["skus"].strip()) if c]
        codes = list(dict.fromkeys(codes))
        if not codes:
            return []
        wanted = set(codes) | {c.upper() for c in codes}
        found = {sku.code.lower(): sku for sku in SKU.objects.filter(code__in=wanted)}
        missing = [c for c in codes if c.lower() not in found]
        if missing:
            raise forms.ValidationError(
                _("No SKU has the code %(codes)s.") % {"codes": "、".join(missing)}
            )
        return [found[c.lower()] for c in codes]

    def clean(self):
        cleaned = super().clean()
        asker = cleaned.get("customer") or (cleaned.get("visitor") or "").strip()
        if not asker and not self.has_error("customer"):
            self.add_error("customer", _("Name the customer or the visitor's handle."))
        return cleaned


class InquiryFilterForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("All agents"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            get_user_model()
            .objects.filter(pk__in=Inquiry.objects.filter(agent__isnull=False).values("agent_id"))
            .order_by("username")
        )
        self.fields["agent"].label_from_instance = lambda user: (
            user.get_full_name() or user.username
        )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end comes before the start."))
        if since and until and (until - since) > dt.timedelta(days=366):
            self.add_error("since", _("Choose a period of at most a year."))
        return cleaned


class SegmentForm(forms.Form):
    """The day the customer segments are drawn on (today when left empty)."""

    on = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
