"""Writes of the staff layer: role groups from the matrix, demo users, shelf pins."""

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from staff.enums import ShelfPinKind, ShelfSlot
from staff.exceptions import RoleMatrixError, ShelfPinError
from staff.models import ShelfPin
from staff.roles import Role, role_permissions


def _permission_rows(names: set[str], using: str) -> list[Permission]:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    rows = list(Permission.objects.using(using).filter(query).select_related("content_type"))
    found = {f"{p.content_type.app_label}.{p.codename}" for p in rows}
    missing = names - found
    if missing:
        raise RoleMatrixError(sorted(missing))
    return rows


def roles_sync(*, using: str = "default") -> dict[str, int]:
    """Create a group per role and set its permissions to exactly what the matrix says.

    Return the number of permissions per role. Permissions given by hand to a role group are
    removed: the matrix is the only source of truth.
    """
    result = {}
    with transaction.atomic(using=using):
        for role in Role.values:
            group, _created = Group.objects.using(using).get_or_create(name=role)
            rows = _permission_rows(role_permissions(role), using)
            group.permissions.set(rows)
            result[role] = len(rows)
    return result


def demo_users_create(*, password: str) -> list[User]:
    """Create one staff user per role, named after the role, in that role's group.

    A user that exists keeps its password; it is made staff and put back in its role.
    """
    users = []
    with transaction.atomic():
        for role in Role.values:
            user, created = User.objects.get_or_create(
                username=role, defaults={"is_staff": True, "email": f"{role}@jingxi.local"}
            )
            user.is_staff = True
            if created:
                user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=role))
            users.append(user)
    return users


def shelf_pin_set(
    *, product: Product, kind: str, slot: str = "", note: str = "", user=None
) -> ShelfPin:
    """Pin ``product`` into ``slot`` of the shelf plan, or exclude it (``kind``); the product's
    earlier decision is replaced (one decision per product)."""
    if kind not in ShelfPinKind.values:
        raise ShelfPinError(_("Choose pin or exclude."))
    if kind == ShelfPinKind.PIN and slot not in ShelfSlot.values:
        raise ShelfPinError(_("Choose the slot to pin the product into."))
    if kind == ShelfPinKind.EXCLUDE:
        slot = ""
    with transaction.atomic():
        pin, _created = ShelfPin.objects.select_for_update().update_or_create(
            product=product,
            defaults={
                "kind": kind,
                "slot": slot,
                "note": note.strip(),
                "created_by": user,
                # A new decision queues behind the pins already made (pins fill in order).
                "created_at": timezone.now(),
            },
        )
    return pin


def shelf_pin_delete(*, pin: ShelfPin) -> None:
    """Forget a pin or an exclusion: the product is placed by the plan alone again."""
    pin.delete()
