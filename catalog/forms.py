"""Forms of the catalog admin and pages: they map friendly inputs onto model columns and ask
services.

Rules stay in ``catalog.services``; a form only calls the service's check and shows its
message as a field error, keeping what the user typed.
"""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from mptt.forms import MPTTAdminForm, TreeNodeChoiceField

from catalog import services
from catalog.enums import AttributeUse
from catalog.exceptions import AttributeValueInvalid, CategoryTreeError
from catalog.models import (
    USE_FIELDS,
    Attribute,
    AttributeValue,
    Category,
    CategoryAttribute,
    Product,
)


class SaveErrorFormMixin:
    """Show an error that a service raised while an earlier attempt of this form was saved.

    ``save_error`` is ``(field name or None, message)``; the admin sets it on a subclass when
    it re-renders the submitted data after the failed save was rolled back.
    """

    save_error: tuple[str | None, str] | None = None

    def clean(self):
        cleaned_data = super().clean()
        if self.save_error is not None:
            field, message = self.save_error
            self.add_error(field if field in self.fields else None, message)
        return cleaned_data


class SaveErrorFormSetMixin:
    """The formset counterpart of ``SaveErrorFormMixin``: the message is a non-form error."""

    save_error: str | None = None

    def clean(self):
        super().clean()
        if self.save_error is not None:
            raise ValidationError(self.save_error)


# --- Categories ---------------------------------------------------------------------------


class TreeSelect(forms.Select):
    """A select over the category tree, rendered in Python.

    The whole tree (1,400 categories in the demo) through Django's per-option template takes
    about half a second per page; building the options directly takes a few milliseconds.
    With ``leaves_only`` the other categories stay visible for context but cannot be picked.
    """

    def __init__(self, attrs=None, *, leaves_only: bool = False):
        super().__init__(attrs)
        self.leaves_only = leaves_only

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        options = []
        for option_value, label in self.choices:
            key = "" if option_value is None else str(option_value)
            category = getattr(option_value, "instance", None)
            disabled = (
                self.leaves_only
                and category is not None
                and not category.is_leaf_node()
                and key not in selected
            )
            options.append(
                format_html(
                    '<option value="{}"{}{}>{}</option>',
                    key,
                    mark_safe(" selected") if key in selected else "",
                    mark_safe(" disabled") if disabled else "",
                    label,
                )
            )
        final_attrs = self.build_attrs(self.attrs, attrs)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final_attrs),
            mark_safe("".join(options)),
        )


class CategoryAdminForm(MPTTAdminForm):
    """Edit a category; ``CategoryAdmin`` writes it through the tree services."""

    class Meta:
        model = Category
        fields = ["name", "code", "parent", "sort_order", "is_active"]
        widgets = {"parent": TreeSelect}


# --- Products -----------------------------------------------------------------------------


class ProductAdminForm(forms.ModelForm):
    category = TreeNodeChoiceField(
        queryset=Category.objects.all(),
        label=_("category"),
        widget=TreeSelect(leaves_only=True),
        help_text=_("Products hang on leaf categories (小类) only."),
    )

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "category",
            "brand",
            "role",
            "status",
            "is_famous",
            "is_special",
            "is_quality",
            "is_new",
            "description",
        ]

    def clean_category(self):
        category = self.cleaned_data["category"]
        try:
            services.product_check_category(category=category)
        except CategoryTreeError as error:
            raise ValidationError(error.message) from error
        return category


# --- Attributes ---------------------------------------------------------------------------


class AttributeAdminForm(forms.ModelForm):
    """Edit the allowed options as one option per line instead of a JSON list."""

    options_text = forms.CharField(
        label=_("allowed options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=_("For choice and multiple choice attributes: one option per line."),
    )

    class Meta:
        model = Attribute
        fields = [
            "code",
            "name",
            "value_type",
            "unit",
            "use_web_filter",
            "use_web_display",
            "display_priority",
            "use_variant",
            "use_warehouse",
            "use_logistics",
            "use_customer_service",
            "use_marketing",
            "use_finance",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("options_text", "\n".join(self.instance.options or []))

    def clean_options_text(self):
        lines = (line.strip() for line in self.cleaned_data["options_text"].splitlines())
        # dict.fromkeys drops repeated lines and keeps the order the user gave.
        options = list(dict.fromkeys(line for line in lines if line))
        self.instance.options = options
        return options


def attribute_value_as_text(value: AttributeValue) -> str:
    """Return a stored value as text that ``services.attribute_value_parse`` reads back."""
    typed = value.value
    if typed is None:
        return ""
    if isinstance(typed, bool):
        return "yes" if typed else "no"
    if isinstance(typed, Decimal):
        return f"{typed.normalize():f}"
    if isinstance(typed, list):
        return "; ".join(typed)
    if isinstance(typed, dt.date):
        return typed.isoformat()
    return str(typed)


class AttributeValueForm(forms.ModelForm):
    """One text input for a typed value, parsed by the attribute's type on validation."""

    value = forms.CharField(
        label=_("value"),
        max_length=1000,
        widget=forms.TextInput(attrs={"size": 30}),
        help_text=_("Yes / no: 是 / 否. Dates: YYYY-MM-DD. Multiple choices: separate with ;"),
    )

    class Meta:
        model = AttributeValue
        fields = ["attribute", "value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("value", attribute_value_as_text(self.instance))

    def clean(self):
        cleaned_data = super().clean()
        attribute, raw = cleaned_data.get("attribute"), cleaned_data.get("value")
        if attribute is None or raw is None:
            return cleaned_data
        try:
            columns = services.attribute_value_parse(attribute=attribute, raw=raw)
        except AttributeValueInvalid as error:
            self.add_error("value", error.message)
        else:
            for column, typed in columns.items():
                setattr(self.instance, column, typed)
        return cleaned_data


class AttributeValueFormSet(forms.BaseInlineFormSet):
    """Refuse the same attribute twice for one owner (the unique constraint is conditional,
    so model formsets do not check it across new rows)."""

    _attribute_choices: list | None = None

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Every row offers the same attributes: read them once, not once per row.
        field = form.fields["attribute"]
        if self._attribute_choices is None:
            # iter(): list() would first ask the choices for their length, a COUNT query.
            self._attribute_choices = list(iter(field.choices))
        field.choices = self._attribute_choices

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            # The admin does not validate the rows of an inline the user may only view: it
            # sets their ``cleaned_data`` to their initial data, where the attribute is an
            # id. The saved row's instance holds the attribute either way.
            attribute = form.cleaned_data.get("attribute")
            if attribute is None:
                continue
            if not isinstance(attribute, Attribute):
                attribute = form.instance.attribute
            if attribute.pk in seen:
                raise ValidationError(
                    _("%(attribute)s is given twice; give each attribute once."),
                    params={"attribute": attribute.name},
                )
            seen.add(attribute.pk)


# --- Attribute application table (属性应用表) ------------------------------------------------


# A PositiveIntegerField's form field checks no upper bound; the column's is this.
MAX_POSITIVE_INTEGER = 2_147_483_647


def _number_field(model, name: str) -> forms.IntegerField:
    """Return the model field's form field (its label, limits and help), showing the value the
    page was drawn with so that only what the user changed is written."""
    return model._meta.get_field(name).formfield(
        show_hidden_initial=True,
        max_value=MAX_POSITIVE_INTEGER,
        widget=forms.NumberInput(attrs={"class": "narrow-number"}),
    )


class AttributeLinkForm(forms.Form):
    """One of a category's own attribute links and the uses of its attribute.

    Every field but ``remove`` carries the value the page was drawn with
    (``show_hidden_initial``): ``changed_data`` then names only what this user changed.
    """

    link_id = forms.IntegerField(widget=forms.HiddenInput)
    is_required = forms.BooleanField(label=_("required"), required=False, show_hidden_initial=True)
    remove = forms.BooleanField(label=_("remove"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort_order"] = _number_field(CategoryAttribute, "sort_order")
        for use, name in USE_FIELDS.items():
            self.fields[name] = forms.BooleanField(
                label=AttributeUse(use).label, required=False, show_hidden_initial=True
            )
        self.fields["display_priority"] = _number_field(Attribute, "display_priority")

    @staticmethod
    def initial_for(link: CategoryAttribute) -> dict:
        attribute = link.attribute
        return {
            "link_id": link.pk,
            "is_required": link.is_required,
            "sort_order": link.sort_order,
            **{name: getattr(attribute, name) for name in USE_FIELDS.values()},
            "display_priority": attribute.display_priority,
        }

    def use_fields(self) -> list:
        """Return the bound use checkboxes, in the order of ``AttributeUse``."""
        return [self[name] for name in USE_FIELDS.values()]

    def change(self) -> services.AttributeLinkChange:
        """Return what the user changed on this row (valid forms only)."""
        changed = set(self.changed_data)
        data = self.cleaned_data
        return services.AttributeLinkChange(
            link_id=data["link_id"],
            link_fields={f: data[f] for f in services.LINK_FIELDS if f in changed},
            attribute_fields={f: data[f] for f in services.ATTRIBUTE_FIELDS if f in changed},
            remove=data["remove"],
        )


AttributeLinkFormSet = forms.formset_factory(AttributeLinkForm, extra=0, max_num=500)


class AttributeChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, inherited: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.inherited = inherited

    def label_from_instance(self, attribute: Attribute) -> str:
        label = f"{attribute.name} ({attribute.code})"
        if attribute.pk in self.inherited:
            return _("%(attribute)s, inherited") % {"attribute": label}
        return label


class AttributeLinkAddForm(forms.Form):
    """Link an existing attribute to the category (optional: an empty choice adds nothing)."""

    def __init__(self, *args, queryset, inherited: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"] = AttributeChoiceField(
            queryset=queryset,
            inherited=inherited,
            label=_("Add an attribute"),
            required=False,
            empty_label=_("— choose an attribute —"),
        )
        self.fields["is_required"] = forms.BooleanField(label=_("required"), required=False)
        field = CategoryAttribute._meta.get_field("sort_order").formfield(
            required=False,
            initial=None,
            max_value=MAX_POSITIVE_INTEGER,
            widget=forms.NumberInput(attrs={"class": "narrow-number"}),
            help_text=_("Empty: after the category's own attributes."),
        )
        self.fields["sort_order"] = field

    def new_links(self) -> list[services.AttributeLinkNew]:
        """Return the link to add, if an attribute was chosen (valid forms only)."""
        data = self.cleaned_data
        if data["attribute"] is None:
            return []
        return [
            services.AttributeLinkNew(
                attribute=data["attribute"],
                is_required=data["is_required"],
                sort_order=data["sort_order"],
            )
        ]
