"""The role matrix covers every model, names only real permissions, and is what the groups
hold: ``setup_roles`` (and every migrate) makes the groups equal to it."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from catalog.access import VIEW_COST, VIEW_MARGIN
from staff import services
from staff.exceptions import RoleMatrixError
from staff.roles import (
    ACTIONS,
    FINANCE,
    MANAGER,
    MODEL_ACCESS,
    MODELS_WITHOUT_ROLE,
    PURCHASER,
    SENSITIVE,
    Role,
    role_permissions,
)

pytestmark = pytest.mark.django_db

COST_ROLES = {FINANCE, PURCHASER, MANAGER}


def group_permissions(role: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_installed_model_is_in_the_matrix_or_declared_roleless():
    missing = [
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.label_lower not in MODEL_ACCESS
        and model._meta.label_lower not in MODELS_WITHOUT_ROLE
    ]
    assert not missing, (
        f"Models missing from the role matrix (staff/roles.py): {', '.join(missing)}. "
        "Give each to the roles that work with it in MODEL_ACCESS, or list it in "
        "MODELS_WITHOUT_ROLE."
    )


def test_the_matrix_names_only_installed_models_and_no_model_twice():
    installed = {model._meta.label_lower for model in apps.get_models()}
    assert set(MODEL_ACCESS) <= installed, set(MODEL_ACCESS) - installed
    assert set(MODELS_WITHOUT_ROLE) <= installed, set(MODELS_WITHOUT_ROLE) - installed
    assert not set(MODEL_ACCESS) & set(MODELS_WITHOUT_ROLE)


def test_the_matrix_uses_known_roles_and_access_letters():
    for model, access in MODEL_ACCESS.items():
        assert set(access) <= set(Role.values), model
        for role, letters in access.items():
            assert letters and set(letters) <= set("vacd"), (model, role, letters)
            # Adding, changing or deleting what one cannot see makes no sense.
            assert "v" in letters, (model, role, letters)


def test_every_permission_the_matrix_names_exists():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    for role in Role.values:
        assert role_permissions(role) <= existing, (role, role_permissions(role) - existing)


def test_after_migrate_each_role_group_holds_exactly_the_matrix_permissions():
    # The test database was migrated: the post_migrate receiver has synced the groups.
    for role in Role.values:
        assert group_permissions(role) == role_permissions(role), role


def test_roles_sync_is_idempotent_and_counts_permissions():
    first = services.roles_sync()
    second = services.roles_sync()
    assert first == second == {role: len(role_permissions(role)) for role in Role.values}


def test_setup_roles_removes_a_permission_added_by_hand():
    group = Group.objects.get(name="warehouse")
    extra = Permission.objects.get(content_type__app_label="catalog", codename="view_cost")
    group.permissions.add(extra)
    assert VIEW_COST in group_permissions("warehouse")

    call_command("setup_roles", stdout=io.StringIO())

    assert VIEW_COST not in group_permissions("warehouse")
    assert group_permissions("warehouse") == role_permissions("warehouse")


def test_setup_roles_restores_a_deleted_group():
    Group.objects.filter(name="support").delete()
    call_command("setup_roles", stdout=io.StringIO())
    assert group_permissions("support") == role_permissions("support")


def test_setup_roles_prints_one_line_per_role_with_its_permission_count():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == [f"{role}: {len(role_permissions(role))} permissions" for role in Role.values]


def test_setup_roles_names_an_unknown_permission_and_changes_nothing(monkeypatch):
    before = group_permissions("manager")
    monkeypatch.setitem(MODEL_ACCESS, "catalog.nosuchmodel", {MANAGER: "v"})
    with pytest.raises(CommandError, match=r"catalog\.view_nosuchmodel"):
        call_command("setup_roles", stdout=io.StringIO())
    with pytest.raises(RoleMatrixError):
        services.roles_sync()
    assert group_permissions("manager") == before


@pytest.mark.parametrize("role", Role.values)
def test_cost_and_margin_are_only_for_finance_purchasing_and_management(role):
    permissions = role_permissions(role)
    assert (VIEW_COST in permissions) == (role in COST_ROLES)
    assert (VIEW_MARGIN in permissions) == (role in COST_ROLES)
    # Holding them through the group is what the pages ask.
    user = services.demo_users_create(password="x-Unused-12345")[Role.values.index(role)]
    assert user.has_perm(VIEW_COST) == (role in COST_ROLES)
    assert user.has_perm(VIEW_MARGIN) == (role in COST_ROLES)


def test_sensitive_facts_declare_cost_and_margin_for_the_same_three_roles():
    by_permission = {s.permission: s.roles for s in SENSITIVE}
    assert by_permission[VIEW_COST] == COST_ROLES
    assert by_permission[VIEW_MARGIN] == COST_ROLES


def test_no_role_reaches_a_model_kept_for_superusers():
    for role in Role.values:
        for label in MODELS_WITHOUT_ROLE:
            app_label, model_name = label.split(".")
            model_permissions = {
                f"{app_label}.{action}_{model_name}" for action in ACTIONS.values()
            }
            assert not role_permissions(role) & model_permissions, (role, label)
