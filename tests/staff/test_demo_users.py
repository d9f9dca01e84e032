"""``seed_demo``'s staff hook: one staff user per role, named after it, with the demo password."""

import pytest
from django.contrib.auth.models import User

from staff import demo
from staff.roles import Role
from tests.staff.support import default_subscriptions

pytestmark = pytest.mark.django_db


def test_one_staff_user_per_role_with_the_demo_password(settings):
    settings.DEMO_PASSWORD = "from-the-Environment-42"
    default_subscriptions()
    assert demo.demo_seed(scale="small", seed=42) == {
        "role users": len(Role.values),
        "report runs": 2,  # restock and low stock
        "report e-mails": 3,  # restock to the purchaser, low stock to warehouse and purchaser
        "search facts": 0,  # no products here; the catalogue search's facts of each
        "product flow states": 0,  # and their flow states
        "shelf pins": 0,  # no catalogue here
    }
    for role in Role.values:
        user = User.objects.get(username=role)
        assert user.is_staff and not user.is_superuser
        assert [g.name for g in user.groups.all()] == [role]
        assert user.check_password("from-the-Environment-42")


def test_running_it_again_keeps_a_changed_password_and_restores_the_role(settings):
    demo.demo_seed(scale="small", seed=42)
    user = User.objects.get(username="warehouse")
    user.set_password("my-own-Pw-2024")
    user.is_staff = False
    user.save()
    user.groups.clear()

    demo.demo_seed(scale="small", seed=42)
    user.refresh_from_db()
    assert user.check_password("my-own-Pw-2024")
    assert user.is_staff
    assert [g.name for g in user.groups.all()] == ["warehouse"]


def test_the_demo_logins_name_every_role_and_the_extra_support_agents():
    agents = [username for username, _last, _first in demo.SUPPORT_AGENTS]
    assert [login.username for login in demo.demo_logins()] == Role.values + agents


def test_the_extra_support_agents_are_in_the_support_group(settings):
    settings.DEMO_PASSWORD = "from-the-Environment-42"
    demo.demo_seed(scale="small", seed=42)
    for username, last, first in demo.SUPPORT_AGENTS:
        agent = User.objects.get(username=username)
        assert [g.name for g in agent.groups.all()] == [Role.SUPPORT]
        assert (agent.last_name, agent.first_name, agent.is_staff) == (last, first, True)
        assert agent.check_password("from-the-Environment-42")
