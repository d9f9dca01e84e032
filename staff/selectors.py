"""Reads of the staff layer: a user's roles and the role matrix as a table."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser

from catalog.enums import AttributeUse
from staff.roles import (
    ATTRIBUTE_USE_ACCESS,
    MODEL_ACCESS,
    PAGE_ACCESS,
    SENSITIVE,
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
    for permission, roles in PAGE_ACCESS.items():
        rows.append(
            MatrixRow("pages", permission, ["✓" if r in roles else "" for r in Role.values])
        )
    return rows
