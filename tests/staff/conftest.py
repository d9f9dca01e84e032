"""Staff fixtures: role groups synced from the matrix and one demo user per role."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.staff.support import FAST_HASHERS, role_users


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash the many role users' passwords cheaply; the hasher is not under test here."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


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
