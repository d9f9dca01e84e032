"""Staff fixtures: role groups synced from the matrix and one demo user per role."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from tests.staff.support import FAST_HASHERS, build_world, role_users


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


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world of every staff-visible record per test module, rolled back after it
    (a module may override it to add records)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def login(world, db):
    """Return a logged-in test client for a role of the world."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(world.users[role])
        return client

    return make
