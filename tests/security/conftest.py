"""The security tests walk the same staff world as tests/staff: its fixtures, shared."""

import pytest

from staff.roles import Role
from tests.orders.conftest import as_role  # noqa: F401  (a logged-in client per role)
from tests.security.urls import ANONYMOUS, project_urls
from tests.staff.conftest import _fast_passwords, client_as, login, users, world  # noqa: F401
from tests.staff.support import write_world_report_file


@pytest.fixture(scope="module")
def urls(world, django_db_blocker):  # noqa: F811  (the shared world)
    """Every URL of the project, filled with the module's world (tests/security/urls.py)."""
    with django_db_blocker.unblock():
        found, unfilled = project_urls(world, [*Role.values, ANONYMOUS])
    assert not unfilled, "URL patterns the walk cannot fill:\n" + "\n".join(unfilled)
    return found


@pytest.fixture
def world_report_file(world, settings):  # noqa: F811  (the shared world)
    """The world's stored report workbook, in this test's media folder."""
    write_world_report_file(settings.MEDIA_ROOT)
