"""Demo data of the staff layer: one user per role (``seed_demo`` runs these hooks)."""

from django.conf import settings

from catalog.demo import DemoLogin
from staff import services
from staff.roles import Role


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    services.roles_sync()
    users = services.demo_users_create(password=settings.DEMO_PASSWORD)
    return {"role users": len(users)}


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(value, str(label)) for value, label in Role.choices]
