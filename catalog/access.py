"""Field-level access: which facts of a product a user may see.

Sensitive facts are guarded by permissions declared on catalog models (``catalog.view_cost``,
``catalog.view_margin`` and one ``catalog.view_use_<use>`` per attribute use). The staff role
matrix decides which roles hold them; the apps below staff only ask ``user.has_perm``, so
every app can hide a sensitive field without importing the layer above it.

``FieldAccessMixin`` applies this to a ``ModelAdmin`` or an inline: it removes hidden fields
from forms, read-only fields, list columns, filters, search, URL lookups and history diffs.
``HistoryRevertMixin`` keeps a history page that a role may only read from reverting, and
shows its columns and changes by their labels (``HistoryLabelsMixin``).
"""

import dataclasses
import functools

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.text import capfirst
from simple_history.template_utils import HistoricalRecordContextHelper

from catalog.enums import AttributeUse
from config.request_guards import is_key

VIEW_COST = "catalog.view_cost"
VIEW_MARGIN = "catalog.view_margin"


def attribute_use_permission(use: str) -> str:
    return f"catalog.view_use_{use}"


def visible_attribute_uses(user) -> set[str]:
    """Return the attribute uses whose values ``user`` may see."""
    return {use for use in AttributeUse.values if user.has_perm(attribute_use_permission(use))}


def visible_attributes_q(user, prefix: str = "") -> Q:
    """Return a filter for attributes ``user`` may see: one of their uses is visible to the
    user, or they serve no particular use at all."""
    uses = visible_attribute_uses(user)
    if len(uses) == len(AttributeUse.values):
        return Q()
    no_use = Q(**{f"{prefix}use_{use}": False for use in AttributeUse.values})
    visible = Q()
    for use in uses:
        visible |= Q(**{f"{prefix}use_{use}": True})
    return no_use | visible if uses else no_use


def _field_path_names(lookup: str) -> list[str]:
    return lookup.lstrip("^=@").split("__")


def _choice_label(field, value):
    """Return the label of a choices field's ``value`` (the value itself if unknown)."""
    if not field.choices or value in (None, ""):
        return value
    return dict(field.flatchoices).get(value, value)


class _LabelledContextHelper(HistoricalRecordContextHelper):
    """Show a history diff's choices by their labels (已上架), not their codes (listed), and
    an empty value as the admin does ("-"), not as Python's None."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if value is None:
            return "-"
        return _choice_label(self.model._meta.get_field(change.field), value)


class _HiddenFieldsContextHelper(_LabelledContextHelper):
    def __init__(self, model, record, hidden: set[str]):
        super().__init__(model, record)
        self.hidden = hidden

    def context_for_delta_changes(self, delta):
        if self.hidden:
            delta = dataclasses.replace(
                delta,
                changes=[c for c in delta.changes if c.field not in self.hidden],
                changed_fields=[f for f in delta.changed_fields if f not in self.hidden],
            )
        return super().context_for_delta_changes(delta)


def _guarded(method, filter_name: str):
    @functools.wraps(method)
    def guarded(self, request, *args, **kwargs):
        return getattr(self, filter_name)(request, method(self, request, *args, **kwargs))

    guarded.field_access_guarded = True
    return guarded


class FieldAccessMixin:
    """Hide ``sensitive_fields`` (name → permission) from users without the permission.

    Names may be model fields or admin display methods; a name hidden here disappears from
    every place the admin could show or query it: form fields (declared ones too), read-only
    fields, fieldsets, list columns, filters, search, URL lookups and history diffs.
    """

    sensitive_fields: dict[str, str] = {}

    # The admin hooks that answer with field names, and the filter applied to each answer.
    GUARDED_HOOKS = {
        "get_fields": "_visible",
        "get_fieldsets": "_visible_fieldsets",
        "get_readonly_fields": "_visible",
        "get_list_display": "_visible",
        "get_list_filter": "_visible_filters",
        "get_search_fields": "_visible_search_fields",
        "get_history_list_display": "_visible",
    }

    def __init_subclass__(cls, **kwargs):
        # A hook of the subclass, or of a base listed before the mixin, need not call
        # super(): filter whatever answers first, or its answer would go straight to the
        # page (an admin's own get_fieldsets showed the cost price to every role).
        super().__init_subclass__(**kwargs)
        for name, filter_name in cls.GUARDED_HOOKS.items():
            owner = next(klass for klass in cls.__mro__ if name in klass.__dict__)
            method = owner.__dict__[name]
            if owner is not FieldAccessMixin and not getattr(method, "field_access_guarded", False):
                setattr(cls, name, _guarded(method, filter_name))

    def hidden_fields(self, request) -> set[str]:
        cache = request.__dict__.setdefault("_jx_hidden_fields", {})
        key = type(self)
        if key not in cache:
            cache[key] = {
                name
                for name, permission in self.sensitive_fields.items()
                if not request.user.has_perm(permission)
            }
        return cache[key]

    # Filters -----------------------------------------------------------------------------

    def _visible(self, request, names):
        hidden = self.hidden_fields(request)
        if not hidden:
            return list(names)
        kept = []
        for name in names:
            if isinstance(name, (list, tuple)):
                inner = [n for n in name if n not in hidden]
                if inner:
                    kept.append(tuple(inner))
            elif not isinstance(name, str) or name not in hidden:
                kept.append(name)
        return kept

    def _visible_fieldsets(self, request, fieldsets):
        kept = []
        for title, options in fieldsets:
            fields = self._visible(request, options.get("fields", []))
            if fields:
                kept.append((title, {**options, "fields": fields}))
        return kept

    def _visible_filters(self, request, filters):
        hidden = self.hidden_fields(request)
        return [
            f
            for f in filters
            if not (
                (isinstance(f, str) and set(_field_path_names(f)) & hidden)
                or (isinstance(f, tuple) and set(_field_path_names(f[0])) & hidden)
            )
        ]

    def _visible_search_fields(self, request, fields):
        hidden = self.hidden_fields(request)
        return [f for f in fields if not set(_field_path_names(f)) & hidden]

    def _without_hidden_fields(self, request, form):
        hidden = self.hidden_fields(request) & set(form.base_fields)
        if hidden:
            # ``form`` is a class made for this request: dropping its fields is local.
            form.base_fields = {k: v for k, v in form.base_fields.items() if k not in hidden}
        return form

    # Admin hooks -------------------------------------------------------------------------

    def get_fields(self, request, obj=None):
        return self._visible(request, super().get_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return self._visible_fieldsets(request, super().get_fieldsets(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._visible(request, super().get_readonly_fields(request, obj))

    def get_list_display(self, request):
        return self._visible(request, super().get_list_display(request))

    def get_list_filter(self, request):
        return self._visible_filters(request, super().get_list_filter(request))

    def get_search_fields(self, request):
        return self._visible_search_fields(request, super().get_search_fields(request))

    def get_history_list_display(self, request):
        return self._visible(request, super().get_history_list_display(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return self._without_hidden_fields(request, form)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        self._without_hidden_fields(request, formset.form)
        return formset

    def lookup_allowed(self, lookup, value, request=None):
        if request is not None and set(_field_path_names(lookup)) & self.hidden_fields(request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_historical_record_context_helper(self, request, historical_record):
        return _HiddenFieldsContextHelper(
            self.model, historical_record, self.hidden_fields(request)
        )


class HistoryLabelsMixin:
    """Head the history list's extra columns with the fields' verbose names and show choices
    by their labels: django-simple-history shows the field names and the stored codes.

    Works with ``templates/simple_history/object_history_list.html``, which reads
    ``history_list_headers`` and each record's ``history_list_cells``.
    """

    def _history_field(self, column: str):
        try:
            return self.model.history.model._meta.get_field(column)
        except FieldDoesNotExist:
            return None

    def history_view(self, request, object_id, extra_context=None):
        headers = []
        for column in self.get_history_list_display(request):
            field = self._history_field(column)
            method = getattr(self, column, None)
            if field is not None:
                headers.append(capfirst(field.verbose_name))
            else:
                headers.append(getattr(method, "short_description", column))
        extra_context = {**(extra_context or {}), "history_list_headers": headers}
        return super().history_view(request, object_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, *args, **kwargs):
        super().set_history_delta_changes(request, historical_records, *args, **kwargs)
        columns = self.get_history_list_display(request)
        for record in historical_records:
            cells = []
            for column in columns:
                field = self._history_field(column)
                value = getattr(record, column, None)
                cells.append(_choice_label(field, value) if field is not None else value)
            record.history_list_cells = cells

    def get_historical_record_context_helper(self, request, historical_record):
        return _LabelledContextHelper(self.model, historical_record)


class HistoryRevertMixin(HistoryLabelsMixin):
    """Let a posted history record form revert the object only for users who may change it.

    django-simple-history saves the posted form of an old record (a revert) for anyone who
    may *view* the history. A revert changes the object: it needs the change permission of
    the object and of its history, the same rule that shows or hides the revert button.
    """

    def history_view(self, request, object_id, extra_context=None):
        if not is_key(self.model._meta.pk, unquote(object_id)):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The URL takes any text for both ids; one that cannot be a record is not found
        # (the package would pass it to the database and fail with a 500).
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        history_id = history.model._meta.pk
        if not is_key(self.model._meta.pk, unquote(object_id)) or not is_key(
            history_id, version_id
        ):
            raise Http404
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if (
                obj is None
                or not self.has_change_permission(request, obj)
                or self.revert_disabled(request, obj)
            ):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class HistoryLinkMixin:
    """Offer the History link only to users the history page lets in.

    A ``SimpleHistoryAdmin``'s history needs the view permission of the historical model
    (manager and finance), not that of the model: a link for everyone else answered 403.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_view_history"] = self.has_view_history_or_change_history_permission(
            request, obj
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin of records written by services only (ledgers, logs, checks): it lists and
    shows them, and nobody adds, changes or deletes one through it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
