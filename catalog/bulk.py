"""Bulk writes for imports: COPY on PostgreSQL, ``bulk_create`` elsewhere, history included.

Rows get their ids from the table's sequence before they are sent, so one COPY writes
them and the caller still knows every id (for their history rows, selling points and
attribute values). Changed rows go out as ``UPDATE … FROM (VALUES …)`` a thousand at a
time. Every write records django-simple-history rows as its save would have: the price
history stays complete whatever the path.
"""

import datetime as dt
import io
import json
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, models

BATCH = 1_000


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def row_of(obj: models.Model) -> dict:
    """Return the stored columns of a model instance, by attname."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _defaults(model: type[models.Model]) -> dict:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


def _copy(model: type[models.Model], fields: list, rows: Sequence[dict]) -> None:
    buffer = io.StringIO()
    names = [f.attname for f in fields]
    for row in rows:
        buffer.write("\t".join([_copy_text(row[name]) for name in names]))
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def insert(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert rows (attname → value; missing columns take the field default).

    Each row gets its new ``id``: from the table's sequence before one COPY on PostgreSQL,
    from ``bulk_create`` elsewhere.
    """
    if not rows:
        return
    defaults = _defaults(model)
    full = [defaults | row for row in rows]
    if not _postgres():
        objs = model.objects.bulk_create([model(**row) for row in full], batch_size=BATCH)
        for row, obj in zip(rows, objs, strict=True):
            row["id"] = obj.pk
        return
    pk = model._meta.pk
    for row, full_row, new_id in zip(rows, full, _reserve_ids(model, len(rows)), strict=True):
        row["id"] = full_row[pk.attname] = new_id
    _copy(model, list(model._meta.concrete_fields), full)


def _history_rows(model, rows: Sequence[dict], *, history_type: str, user, reason, date):
    historical = model.history.model
    tracked = [f.attname for f in historical.tracked_fields]
    user_id = getattr(user, "pk", None)
    extra = {
        "history_date": date,
        "history_type": history_type,
        "history_user_id": user_id,
        "history_change_reason": reason,
    }
    return historical, [{**{name: row[name] for name in tracked}, **extra} for row in rows]


def _history_insert(model, rows: Sequence[dict], **kwargs) -> None:
    if not rows:
        return
    historical, history = _history_rows(model, rows, **kwargs)
    if _postgres():
        meta = historical._meta
        # history_id comes from its column default: nothing refers to it.
        _copy(historical, [f for f in meta.concrete_fields if f is not meta.pk], history)
    else:
        historical.objects.bulk_create([historical(**row) for row in history], batch_size=BATCH)


def insert_with_history(
    model: type[models.Model], rows: Sequence[dict], *, user, reason: str, date
) -> None:
    """Insert new rows (see ``insert``) and their "created" history rows."""
    if not rows:
        return
    insert(model, rows)
    defaults = _defaults(model)
    _history_insert(
        model, [defaults | row for row in rows], history_type="+", user=user, reason=reason,
        date=date,
    )  # fmt: skip


def update_with_history(
    model: type[models.Model], rows: Sequence[dict], fields: Sequence[str], *, user, reason, date
) -> None:
    """Write ``fields`` of stored rows (full rows, by attname, with ``id``) and their
    "changed" history rows."""
    if not rows:
        return
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    if _postgres():
        table = connection.ops.quote_name(meta.db_table)
        pk = meta.pk
        casts = [f"CAST(%s AS {pk.db_type(connection)})"] + [
            f"CAST(%s AS {f.db_type(connection)})" for f in concrete
        ]
        row_sql = "(" + ", ".join(casts) + ")"
        names = ["id", *(f"c{i}" for i in range(len(concrete)))]
        assignments = ", ".join(
            f"{connection.ops.quote_name(f.column)} = v.c{i}" for i, f in enumerate(concrete)
        )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                params = []
                for row in batch:
                    params.append(row[pk.attname])
                    params += [row[f.attname] for f in concrete]
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (VALUES "
                    + ", ".join([row_sql] * len(batch))
                    + f") AS v ({', '.join(names)}) WHERE {table}.{pk.column} = v.id",
                    params,
                )
    else:
        objs = [model(**row) for row in rows]
        model.objects.bulk_update(objs, list(fields), batch_size=BATCH)
    _history_insert(model, rows, history_type="~", user=user, reason=reason, date=date)
