"""Signal receivers wired in ``StaffConfig.ready``: audit and role sync, no business flow."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, User
from simple_history.models import HistoricalRecords

from staff import services
from staff.models import RoleChange


def sync_roles_after_migrate(sender, *, using="default", apps=global_apps, **kwargs) -> None:
    """Keep role groups' permissions equal to the matrix after every migrate.

    ``post_migrate`` reaches the apps in ``INSTALLED_APPS`` order, and Django creates an
    app's permissions on that app's turn: apps listed after ``staff`` (django-axes) have none
    yet. Create every app's permissions first so the matrix can name them.
    """
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    services.roles_sync(using=using)


def _acting_user():
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record_role_change(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Write a ``RoleChange`` row for every group a user gains or loses."""
    if action == "pre_clear":
        # The pk_set of a clear is unknown after the fact: remember it now.
        if isinstance(instance, User):
            instance._jx_cleared = list(instance.groups.values_list("pk", flat=True))
        else:
            instance._jx_cleared = list(instance.user_set.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set, kind = set(getattr(instance, "_jx_cleared", [])), RoleChange.Action.REMOVED
    elif action == "post_add":
        kind = RoleChange.Action.ADDED
    elif action == "post_remove":
        kind = RoleChange.Action.REMOVED
    else:
        return
    if not pk_set:
        return
    if isinstance(instance, User):
        pairs = [
            (instance.pk, name)
            for name in Group.objects.filter(pk__in=pk_set).values_list("name", flat=True)
        ]
    else:
        pairs = [(user_pk, instance.name) for user_pk in pk_set]
    by = _acting_user()
    RoleChange.objects.bulk_create(
        RoleChange(user_id=user_pk, role=name, action=kind, changed_by=by)
        for user_pk, name in pairs
    )
