"""The security tests walk the same staff world as tests/staff: its fixtures, shared."""

from tests.staff.conftest import _fast_passwords, client_as, login, users, world  # noqa: F401
