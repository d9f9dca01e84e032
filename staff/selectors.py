"""Reads of the staff layer: a user's roles and the role matrix as a table."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.access import attribute_use_permission
from catalog.enums import AttributeUse
from staff.models import ReportRun, RunStatus
from staff.roles import (
    ATTRIBUTE_USE_ACCESS,
    MODEL_ACCESS,
    PAGE_ACCESS,
    SENSITIVE,
    STEP_ACCESS,
    Role,
)


def user_roles(user: AbstractBaseUser) -> set[str]:
    """Return the role codes of ``user`` (its groups named after roles)."""
    if not user.is_authenticated:
        return set()
    cache = user.__dict__.get("_jx_roles")
    if cache is None:
        names = {g.name for g in user.groups.all()}
        cache = user.__dict__["_jx_roles"] = names & set(Role.values)
    return cache


def role_label(name: str) -> str:
    """Return the label of a role (a group named after it); other names as they are."""
    return str(dict(Role.choices).get(name, name))


# Django stores a permission's name in English when it creates the row; these say the
# default ones in the reader's language, from the model's (translated) verbose name.
DEFAULT_PERMISSION_NAMES = {
    "add": gettext_lazy("Can add %(name)s"),
    "change": gettext_lazy("Can change %(name)s"),
    "delete": gettext_lazy("Can delete %(name)s"),
    "view": gettext_lazy("Can view %(name)s"),
}


def permission_label(permission: str) -> str:
    """Return the name of ``permission`` (``app_label.codename``) in the active language."""
    for use, label in AttributeUse.choices:
        if attribute_use_permission(use) == permission:
            return _("Can see values of attributes for the use: %(use)s") % {"use": label}
    app_label, _sep, codename = permission.partition(".")
    action, _sep, model_name = codename.partition("_")
    try:
        app = apps.get_app_config(app_label)
    except LookupError:
        return permission
    for model in app.get_models():
        if action in DEFAULT_PERMISSION_NAMES and model._meta.model_name == model_name:
            return DEFAULT_PERMISSION_NAMES[action] % {"name": model._meta.verbose_name}
        for custom, name in model._meta.permissions:
            if custom == codename:
                return str(name)
    return permission


def permission_choice_label(permission: Permission) -> str:
    """Label a permission in a choice list: its model, then its name, both translated."""
    content_type = permission.content_type
    return f"{content_type} | {permission_label(f'{content_type.app_label}.{permission.codename}')}"


@dataclass
class MatrixRow:
    section: str
    label: str
    cells: list[str]


def role_matrix() -> list[MatrixRow]:
    """Return the matrix as rows (models, sensitive facts, attribute uses) × roles."""
    rows = []
    for label, access in MODEL_ACCESS.items():
        try:
            model = apps.get_model(label)
            name = f"{model._meta.app_config.verbose_name} · {model._meta.verbose_name_plural}"
        except LookupError:
            name = label
        rows.append(MatrixRow("models", str(name), [access.get(r, "") for r in Role.values]))
    for sensitive in SENSITIVE:
        cells = ["✓" if r in sensitive.roles else "" for r in Role.values]
        rows.append(MatrixRow("sensitive", str(sensitive.label), cells))
    for use, label in AttributeUse.choices:
        roles = ATTRIBUTE_USE_ACCESS.get(use, frozenset())
        rows.append(
            MatrixRow("attributes", str(label), ["✓" if r in roles else "" for r in Role.values])
        )
    for permission, roles in STEP_ACCESS.items():
        rows.append(
            MatrixRow(
                "steps",
                permission_label(permission),
                ["✓" if r in roles else "" for r in Role.values],
            )
        )
    for permission, roles in PAGE_ACCESS.items():
        rows.append(
            MatrixRow(
                "pages",
                permission_label(permission),
                ["✓" if r in roles else "" for r in Role.values],
            )
        )
    return rows


def latest_run(kind: str) -> ReportRun | None:
    """The done run of the whole report ``kind`` (no parameters: all warehouses, costs
    included) with the latest as-of day (the last built on a tie)."""
    return (
        ReportRun.objects.filter(kind=kind, status=RunStatus.DONE, parameters_key="")
        .order_by("-as_of", "-finished_at", "-pk")
        .first()
    )
