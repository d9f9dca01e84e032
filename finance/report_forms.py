"""The filter forms of the margin, P&L, valuation and KPI pages: they turn a query string into a
``SalesFilter`` (or a valuation date) and say what is wrong with it, keeping what was typed."""

from dataclasses import replace
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.enums import ProductRole
from catalog.models import Category
from finance.kpi import KpiScope
from finance.reports import ReportInputError, SalesFilter
from inventory.models import Warehouse
from orders.models import Channel, Shop

# Dimension choice → (margin_by dimension, category level).
DIMENSIONS = {
    "sku": ("sku", None),
    "product": ("product", None),
    "category1": ("category", 1),
    "category2": ("category", 2),
    "category3": ("category", 3),
    "role": ("role", None),
    "channel": ("channel", None),
    "month": ("month", None),
}
DIMENSION_CHOICES = [
    ("sku", _("SKU")),
    ("product", _("Product")),
    ("category1", _("Major class (大类)")),
    ("category2", _("Middle class (中类)")),
    ("category3", _("Minor class (小类)")),
    ("role", _("Product role")),
    ("channel", _("Channel")),
    ("month", _("Month")),
]
SORT_CHOICES = [
    ("-net_revenue", _("Net revenue, largest first")),
    ("-gross_profit", _("Gross profit, largest first")),
    ("gross_profit", _("Gross profit, smallest first")),
    ("-margin", _("Margin, highest first")),
    ("margin", _("Margin, lowest first")),
    ("-units", _("Units, most first")),
    ("code", _("Code")),
]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{'— ' * obj.level}{obj.name}"


class SalesFilterForm(forms.Form):
    """Period, channel, category subtree, product role and warehouse; all optional."""

    date_from = forms.DateField(label=_("from"), required=False)
    date_to = forms.DateField(label=_("to"), required=False)
    channel = forms.ModelChoiceField(
        label=_("channel"), queryset=Channel.objects.order_by("code"), required=False
    )
    category = CategoryChoiceField(
        label=_("category (with its subtree)"),
        queryset=Category.objects.order_by("tree_id", "lft"),
        required=False,
    )
    role = forms.ChoiceField(
        label=_("product role"), choices=[("", "---------"), *ProductRole.choices], required=False
    )
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.order_by("code"), required=False
    )

    default_days = 90

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        for name in ("date_from", "date_to"):
            self.fields[name].widget.input_type = "date"

    def clean(self):
        data = super().clean()
        try:
            self.sales_filter_ = self._build(data)
        except ReportInputError as error:
            raise forms.ValidationError(str(error)) from error
        return data

    def _build(self, data) -> SalesFilter:
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or date_to - timedelta(days=self.default_days - 1)
        return SalesFilter(
            date_from=date_from,
            date_to=date_to,
            channel_id=data["channel"].pk if data.get("channel") else None,
            category_id=data["category"].pk if data.get("category") else None,
            role=data.get("role") or None,
            warehouse_id=data["warehouse"].pk if data.get("warehouse") else None,
        )

    def sales_filter(self) -> SalesFilter:
        """Return the filter of a valid form (the default period when no date is given)."""
        return self.sales_filter_


class MarginForm(SalesFilterForm):
    dimension = forms.ChoiceField(label=_("by"), choices=DIMENSION_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("sort"), choices=SORT_CHOICES, required=False)

    def dimension_and_level(self) -> tuple[str, int | None]:
        return DIMENSIONS[self.cleaned_data.get("dimension") or "category1"]


class PnLForm(SalesFilterForm):
    default_days = 365

    def _build(self, data) -> SalesFilter:
        # Whole months: from the first day of the starting month.
        built = super()._build(data)
        if data.get("date_from"):
            return built
        return replace(built, date_from=built.date_from.replace(day=1))


class ValuationForm(forms.Form):
    on = forms.DateField(label=_("as of"), required=False)
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.order_by("code"), required=False
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["on"].widget.input_type = "date"

    def clean_on(self):
        on = self.cleaned_data.get("on") or timezone.localdate()
        if on > timezone.localdate():
            raise forms.ValidationError(_("Stock can be valued up to today, not in the future."))
        return on


class ShopChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.channel.name} · {obj.name}"


KPI_MONTHS = 37  # the months offered: this one and the three years before


class KpiForm(forms.Form):
    """The KPI page's month (the last complete month by default), channel and shop."""

    month = forms.DateField(label=_("month"), required=False, input_formats=["%Y-%m"])
    channel = forms.ModelChoiceField(
        label=_("channel"), queryset=Channel.objects.order_by("code"), required=False
    )
    shop = ShopChoiceField(
        label=_("shop"),
        queryset=Shop.objects.select_related("channel").order_by("channel__code", "code"),
        required=False,
    )

    def __init__(self, data=None, **kwargs):
        # The month shown is the month the figures are of, also when none was asked.
        data = data.copy() if data is not None else {}
        if not data.get("month"):
            data["month"] = f"{self.default_month():%Y-%m}"
        super().__init__(data, **kwargs)
        # A list of months (2026-11, …) rather than the browser's month picker, which names
        # the months in the browser's own language.
        months = []
        month = timezone.localdate().replace(day=1)
        for _n in range(KPI_MONTHS):
            months.append((f"{month:%Y-%m}", f"{month:%Y-%m}"))
            month = (month - timedelta(days=1)).replace(day=1)
        self.fields["month"].widget = forms.Select(choices=months)

    @staticmethod
    def default_month():
        """The last complete month: the first day of the month before this one."""
        return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)

    def clean_month(self):
        month = self.cleaned_data.get("month")
        if month is None:
            return self.default_month()
        if month > timezone.localdate():
            raise forms.ValidationError(_("Choose this month or one before it."))
        return month.replace(day=1)

    def clean(self):
        data = super().clean()
        shop, channel = data.get("shop"), data.get("channel")
        if shop is not None and channel is not None and shop.channel_id != channel.pk:
            self.add_error("shop", _("This shop belongs to another channel."))
        return data

    def scope(self) -> KpiScope:
        data = self.cleaned_data
        return KpiScope(
            channel_id=data["channel"].pk if data.get("channel") else None,
            shop_id=data["shop"].pk if data.get("shop") else None,
        )
