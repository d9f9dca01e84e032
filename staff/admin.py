"""Staff in the admin: user accounts whose roles the manager keeps, the role audit trail and
the e-mail deliveries.

The manager may add users and change their roles (groups); only a superuser may make a
superuser, grant permissions outside the roles, or touch a superuser's account. Otherwise a
manager could lift any account, their own included, above the role matrix.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule

from catalog.access import ReadOnlyAdmin
from staff import subscriptions
from staff.models import (
    MailDelivery,
    ReportRun,
    ReportSubscription,
    RoleChange,
    RunStatus,
    ShelfPin,
)
from staff.reports import may_download
from staff.roles import Role
from staff.selectors import permission_choice_label, role_label

SUPERUSER_FIELDS = {"is_superuser", "user_permissions"}


class TranslatedPermissionsMixin:
    """Name the permissions and roles of the pickers in the reader's language: Django
    stores permission names in English, and role groups are named by their codes."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_choice_label
        elif field is not None and db_field.name == "groups":
            field.label_from_instance = lambda group: role_label(group.name)
        return field


class StaffGroupAdmin(TranslatedPermissionsMixin, GroupAdmin):
    list_display = ["role"]

    @admin.display(description=_("role"), ordering="name")
    def role(self, group):
        return role_label(group.name)


class StaffUserAdmin(TranslatedPermissionsMixin, UserAdmin):
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (
                title,
                {**options, "fields": [f for f in options["fields"] if f not in SUPERUSER_FIELDS]},
            )
            for title, options in fieldsets
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, StaffGroupAdmin)


class RoleFilter(admin.SimpleListFilter):
    """Filter role changes by role, the roles named by their labels (the field holds codes)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdmin):
    """Who gained or lost which role, when and by whose hand: read-only, written by a receiver."""

    list_display = ["changed_at", "user", "action", "role_name", "changed_by"]
    list_filter = ["action", RoleFilter]
    list_select_related = ["user", "changed_by"]
    search_fields = ["user__username", "changed_by__username", "role"]
    date_hierarchy = "changed_at"

    @admin.display(description=_("role"), ordering="role")
    def role_name(self, change):
        return role_label(change.role)


class CrontabAdmin(CrontabScheduleAdmin):
    """django-celery-beat's crontab admin, with a summary that survives an invalid entry.

    The package computes the read-only summary from the submitted fields; a minute of ``-1``
    made it raise while the form's own errors were shown, a 500 instead of the message.
    """

    @admin.display(description=_("human readable"))
    def human_readable(self, crontab):
        try:
            return crontab.human_readable
        except Exception:
            return "—"


admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, CrontabAdmin)


@admin.register(MailDelivery)
class MailDeliveryAdmin(ReadOnlyAdmin):
    """The e-mails the back office sent or tried to send: read-only, written by the sender."""

    list_display = ["created_at", "subject", "recipient_list", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["key", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "key",
        "recipient_list",
        "subject",
        "body",
        "subscription",
        "run",
        "attach",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields

    @admin.display(description=_("recipients"))
    def recipient_list(self, delivery):
        return ", ".join(delivery.recipients)


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    """The stored report runs: read-only, written by the report task. The workbook link shows
    only to a user who may open it (costs and margins stay with those who may see them)."""

    list_display = ["kind", "as_of", "status", "rows", "started_at", "finished_at"]
    list_filter = ["kind", "status"]
    date_hierarchy = "as_of"
    readonly_fields = [
        "kind",
        "as_of",
        "parameters",
        "status",
        "rows",
        "started_at",
        "finished_at",
        "error",
        "created_by",
        "created_at",
        "delivery_list",
    ]
    fields = readonly_fields
    list_select_related = ["created_by"]

    @admin.display(description=_("e-mails"))
    def delivery_list(self, run):
        """The e-mails that carried this run: sent, or why not yet (attempts, last error)."""
        deliveries = list(run.deliveries.order_by("id"))
        if not deliveries:
            return "—"
        items = format_html_join(
            "",
            "<li>{} · {} · {} {} {}</li>",
            (
                (
                    ", ".join(d.recipients),
                    d.get_status_display(),
                    _("attempts"),
                    d.attempts,
                    d.last_error,
                )
                for d in deliveries
            ),
        )
        return format_html("<ul>{}</ul>", items)

    def get_list_display(self, request):
        @admin.display(description=_("workbook"))
        def workbook(run):
            if run.status != RunStatus.DONE or not run.file or not may_download(request.user, run):
                return "—"
            url = reverse("staff:report_run_file", args=[run.pk])
            return format_html('<a href="{}">{}</a>', url, _("download xlsx"))

        return [*self.list_display, workbook]


class ReportSubscriptionForm(forms.ModelForm):
    class Meta:
        model = ReportSubscription
        fields = ["name", "kind", "roles", "addresses", "crontab", "format", "is_active"]

    def clean_addresses(self):
        text = self.cleaned_data["addresses"]
        try:
            subscriptions.addresses_parse(text)
        except ValidationError as error:
            raise ValidationError(
                _("Give one valid e-mail address per line."), code="invalid"
            ) from error
        return text

    def clean(self):
        data = super().clean()
        if not data.get("roles") and not (data.get("addresses") or "").strip():
            raise ValidationError(_("Choose at least one role or give an address."))
        return data


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(TranslatedPermissionsMixin, admin.ModelAdmin):
    """Who receives which report, when (a crontab in TIME_ZONE) and how. Saving keeps the
    subscription's beat entry in step; deleting removes it."""

    form = ReportSubscriptionForm
    list_display = ["name", "kind", "role_list", "schedule", "format", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["crontab"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("roles"))
    def role_list(self, subscription):
        return ", ".join(role_label(group.name) for group in subscription.roles.all())

    @admin.display(description=_("schedule"), ordering="crontab__hour")
    def schedule(self, subscription):
        return subscriptions.crontab_label(subscription.crontab)

    def formfield_for_foreignkey(self, db_field, request=None, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "crontab":
            field.label_from_instance = subscriptions.crontab_label
        return field

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "roles":
            # Seven roles: checkboxes read better than a two-list picker.
            field.widget, field.help_text = forms.CheckboxSelectMultiple(), ""
            field.queryset = Group.objects.filter(name__in=Role.values).order_by("name")
            field.label_from_instance = lambda group: role_label(group.name)
        return field

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        subscriptions.subscription_schedule(form.instance)

    def delete_model(self, request, obj):
        subscriptions.subscription_delete(obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for subscription in queryset:
                subscriptions.subscription_delete(subscription)


@admin.register(ShelfPin)
class ShelfPinAdmin(admin.ModelAdmin):
    """Pins and exclusions of the shelf plan (WEB货架); the plan page makes them too."""

    list_display = ["product", "kind", "slot", "note", "created_by", "created_at"]
    list_filter = ["kind", "slot"]
    list_select_related = ["product", "created_by"]
    search_fields = ["product__code", "product__name", "note"]
    autocomplete_fields = ["product"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
