"""Staff fixtures: role groups synced from the matrix and one demo user per role."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from staff import services
from staff.roles import Role

PASSWORD = "jingxi-test-Pw-4711"


def role_users() -> dict[str, User]:
    """Sync the role groups from the matrix and return one user per role, named after it."""
    services.roles_sync()
    return {user.username: user for user in services.demo_users_create(password=PASSWORD)}


@pytest.fixture
def users(db) -> dict[str, User]:
    return role_users()


@pytest.fixture
def client_as(users):
    """Return a logged-in test client for a role (or for a given user)."""

    def make(who: str | User) -> Client:
        client = Client()
        client.force_login(users[who] if isinstance(who, str) else who)
        return client

    return make


ROLES = list(Role.values)
