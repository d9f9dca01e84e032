"""Audit: who gained or lost a role and by whose hand, and the price history of a SKU, shown
to the manager and finance only. The manager keeps roles, not superuser rights."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from staff.models import RoleChange
from tests.factories import SKUFactory
from tests.staff.support import admin_form_data

pytestmark = pytest.mark.django_db


def changes(user: User) -> list[tuple[str, str, str | None]]:
    return sorted(
        (c.action, c.role, c.changed_by.username if c.changed_by else None)
        for c in RoleChange.objects.filter(user=user)
    )


@pytest.fixture
def clerk(users) -> User:
    return User.objects.create_user("clerk", password="clerk-Pw-4711-x", is_staff=True)


# --- Role membership written by any path ------------------------------------------------------


def test_adding_and_removing_a_role_from_the_user_side_is_recorded(clerk):
    warehouse, support = Group.objects.get(name="warehouse"), Group.objects.get(name="support")
    clerk.groups.add(warehouse, support)
    clerk.groups.remove(support)
    assert changes(clerk) == [
        ("added", "support", None),
        ("added", "warehouse", None),
        ("removed", "support", None),
    ]


def test_adding_and_removing_from_the_group_side_is_recorded(clerk, users):
    finance = Group.objects.get(name="finance")
    finance.user_set.add(clerk)
    finance.user_set.remove(clerk)
    assert changes(clerk) == [("added", "finance", None), ("removed", "finance", None)]


def test_clearing_roles_records_each_one_lost(clerk):
    clerk.groups.add(*Group.objects.filter(name__in=["warehouse", "purchaser"]))
    RoleChange.objects.all().delete()
    clerk.groups.clear()
    assert changes(clerk) == [("removed", "purchaser", None), ("removed", "warehouse", None)]


def test_clearing_a_group_records_each_member_lost(clerk, users):
    marketer = Group.objects.get(name="marketer")
    marketer.user_set.add(clerk)
    RoleChange.objects.all().delete()
    marketer.user_set.clear()
    lost = RoleChange.objects.filter(role="marketer", action="removed")
    assert sorted(c.user.username for c in lost) == ["clerk", "marketer"]


def test_setting_the_same_roles_again_records_nothing(clerk):
    clerk.groups.set(Group.objects.filter(name="warehouse"))
    RoleChange.objects.all().delete()
    clerk.groups.set(Group.objects.filter(name="warehouse"))
    assert changes(clerk) == []


# --- Through the admin: the acting user is recorded ----------------------------------------


def post_user_form(client, user: User, **changes):
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def test_role_changes_made_in_the_admin_name_the_manager(clerk, client_as):
    manager = client_as("manager")
    roles = {g.name: str(g.pk) for g in Group.objects.all()}

    response = post_user_form(manager, clerk, groups=[roles["warehouse"], roles["finance"]])
    assert response.status_code == 302, response.context and response.context["errors"]
    response = post_user_form(manager, clerk, groups=[roles["finance"]])
    assert response.status_code == 302
    response = post_user_form(manager, clerk, groups=[])
    assert response.status_code == 302

    assert changes(clerk) == [
        ("added", "finance", "manager"),
        ("added", "warehouse", "manager"),
        ("removed", "finance", "manager"),
        ("removed", "warehouse", "manager"),
    ]


@pytest.mark.parametrize("role", ["manager", "finance"])
def test_the_manager_and_finance_read_the_role_changes(clerk, client_as, role):
    clerk.groups.add(Group.objects.get(name="support"))
    response = client_as(role).get(reverse("admin:staff_rolechange_changelist"))
    assert response.status_code == 200
    assert "clerk" in response.content.decode()
    assert client_as(role).get(reverse("admin:staff_rolechange_add")).status_code == 403


@pytest.mark.parametrize("role", ["warehouse", "purchaser", "merchandiser", "marketer", "support"])
def test_other_roles_may_not_read_the_role_changes(client_as, role):
    url = reverse("admin:staff_rolechange_changelist")
    assert client_as(role).get(url).status_code == 403


# --- The manager keeps roles, not superuser rights ----------------------------------------


def test_the_manager_cannot_make_a_superuser_or_grant_loose_permissions(clerk, client_as):
    manager = client_as("manager")
    page = manager.get(reverse("admin:auth_user_change", args=[clerk.pk]))
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    cost = Permission.objects.get(codename="view_cost")
    response = post_user_form(manager, clerk, is_superuser="on", user_permissions=[str(cost.pk)])
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_superuser
    assert not clerk.user_permissions.exists()


def test_the_manager_cannot_make_themselves_a_superuser(users, client_as):
    manager = client_as("manager")
    post_user_form(manager, users["manager"], is_superuser="on")
    users["manager"].refresh_from_db()
    assert not users["manager"].is_superuser


def test_the_manager_cannot_take_over_a_superuser(users, client_as):
    root = User.objects.create_superuser("root", "root@jingxi.local", "root-Pw-4711-x")
    manager = client_as("manager")
    change_url = reverse("admin:auth_user_change", args=[root.pk])
    assert manager.get(change_url).status_code == 200  # read only
    assert manager.post(change_url, {"username": "root", "email": "x@evil"}).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert manager.get(password_url).status_code == 403
    root.refresh_from_db()
    assert root.email == "root@jingxi.local"


def test_a_superuser_still_grants_superuser_rights(clerk, db):
    root = User.objects.create_superuser("root", "root@jingxi.local", "root-Pw-4711-x")
    client = Client()
    client.force_login(root)
    response = post_user_form(client, clerk, is_superuser="on")
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.is_superuser


# --- Price history -----------------------------------------------------------------------


@pytest.fixture
def repriced_sku(users, client_as):
    """A SKU whose retail price the merchandiser and whose cost finance changed in the admin."""
    sku = SKUFactory(retail_price=Decimal("199.00"), cost_price=Decimal("120.00"))
    url = reverse("admin:catalog_sku_change", args=[sku.pk])
    for role, field, value in [
        ("merchandiser", "retail_price", "249.00"),
        ("finance", "cost_price", "987.65"),
    ]:
        client = client_as(role)
        data = admin_form_data(client.get(url))
        data[field] = value
        response = client.post(url, data)
        assert response.status_code == 302, response.context and response.context["errors"]
    sku.refresh_from_db()
    assert (sku.retail_price, sku.cost_price) == (Decimal("249.00"), Decimal("987.65"))
    return sku


@pytest.mark.parametrize("role", ["manager", "finance"])
def test_price_changes_are_in_the_sku_history_for_manager_and_finance(
    repriced_sku, client_as, role
):
    response = client_as(role).get(reverse("admin:catalog_sku_history", args=[repriced_sku.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for price in ("199.00", "249.00", "120.00", "987.65"):
        assert price in body
    assert "merchandiser" in body and "finance" in body  # who changed it


@pytest.mark.parametrize("role", ["warehouse", "merchandiser", "purchaser", "support"])
def test_other_roles_may_not_read_the_sku_history(repriced_sku, client_as, role):
    url = reverse("admin:catalog_sku_history", args=[repriced_sku.pk])
    assert client_as(role).get(url).status_code == 403


def test_a_merchandiser_saving_a_sku_keeps_the_cost_it_cannot_see(repriced_sku, client_as):
    client = client_as("merchandiser")
    url = reverse("admin:catalog_sku_change", args=[repriced_sku.pk])
    data = admin_form_data(client.get(url))
    assert "cost_price" not in data
    data["cost_price"] = "1.00"  # a forged field is ignored
    data["name"] = "改名"
    assert client.post(url, data).status_code == 302
    repriced_sku.refresh_from_db()
    assert repriced_sku.name == "改名"
    assert repriced_sku.cost_price == Decimal("987.65")
