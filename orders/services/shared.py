"""Private helpers shared by the orders service modules: input checks, locking an order
row for a transition and plain-SQL inserts."""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.utils.translation import gettext as _

from catalog.money import money
from orders.exceptions import InvalidOrderInput, InvalidTransition
from orders.models import (
    SalesOrder,
)

User = AbstractBaseUser | None


RESERVATION_REFERENCE = "sales_order"


ZERO = Decimal("0")


def _money(problems: list[str], value, subject: str, label: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float | bool):
        problems.append(
            _("%(subject)s: give the %(label)s as a Decimal, not %(value)r.")
            % {"subject": subject, "label": label, "value": value}
        )
        return None
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        problems.append(
            _("%(subject)s: the %(label)s must be an amount of zero or more, not %(value)s.")
            % {"subject": subject, "label": label, "value": value}
        )
        return None
    return money(amount)


def _whole(problems: list[str], value, subject: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.append(
            _("%(subject)s: the quantity must be a whole number above zero, not %(value)s.")
            % {"subject": subject, "value": value}
        )
        return False
    return True


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidOrderInput(problems)


def _locked(order: SalesOrder) -> SalesOrder:
    return (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .get(pk=order.pk)
    )


@lru_cache(maxsize=32)
def _insert_sql(model, rows: int, skip_conflicts: bool = False) -> tuple[str, tuple]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([row] * rows)} "
        + ("ON CONFLICT DO NOTHING " if skip_conflicts else "")
        + f"RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def _insert(objs: Sequence) -> None:
    """INSERT new rows of one model in one statement and give the objects their ids.

    Placing an order is the hot path, and there the ORM's Python work for its three INSERTs
    costs more than the database's (``bench/bench_orders.py``); plain SQL on PostgreSQL, as
    inventory does for reservations. Model defaults were applied when the objects were
    built; these models have no ``auto_now`` fields or save() overrides.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    sql, fields = _insert_sql(model, len(objs))
    params = [f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _transition(order: SalesOrder, allowed: Sequence[str], action: str) -> SalesOrder:
    order = _locked(order)
    if order.status not in allowed:
        raise InvalidTransition(order, action)
    return order
