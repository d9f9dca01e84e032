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


def insert(objs: Sequence[models.Model]) -> None:
    """Insert new model instances of one model; their pks are set afterwards.

    Instances whose pk is an auto field get one from the sequence (PostgreSQL) or from
    ``bulk_create`` (elsewhere).
    """
    if not objs:
        return
    model = type(objs[0])
    if not _postgres():
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    meta = model._meta
    if isinstance(meta.pk, models.AutoField | models.BigAutoField) and objs[0].pk is None:
        for obj, pk in zip(objs, _reserve_ids(model, len(objs)), strict=True):
            obj.pk = pk
    fields = [f for f in meta.concrete_fields]
    buffer = io.StringIO()
    for obj in objs:
        buffer.write(
            "\t".join(_copy_text(f.get_prep_value(getattr(obj, f.attname))) for f in fields)
        )
        buffer.write("\n")
    buffer.seek(0)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"


def _history(objs, *, history_type: str, user, reason: str, date) -> list[models.Model]:
    historical = type(objs[0]).history.model
    tracked = [f.attname for f in historical.tracked_fields]
    user_id = getattr(user, "pk", None)
    return [
        historical(
            **{name: getattr(obj, name) for name in tracked},
            history_date=date,
            history_type=history_type,
            history_user_id=user_id,
            history_change_reason=reason,
        )
        for obj in objs
    ]


def _history_insert(history: list[models.Model]) -> None:
    if not history:
        return
    if _postgres():
        meta = history[0]._meta
        # history_id comes from its column default: nothing refers to it.
        fields = [f for f in meta.concrete_fields if f is not meta.pk]
        buffer = io.StringIO()
        for obj in history:
            buffer.write(
                "\t".join(_copy_text(f.get_prep_value(getattr(obj, f.attname))) for f in fields)
            )
            buffer.write("\n")
        buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer
            )
    else:
        type(history[0]).objects.bulk_create(history, batch_size=BATCH)


def insert_with_history(objs: Sequence[models.Model], *, user, reason: str, date) -> None:
    """Insert new instances and their "created" history rows."""
    if not objs:
        return
    insert(objs)
    _history_insert(_history(objs, history_type="+", user=user, reason=reason, date=date))


def update_with_history(
    objs: Sequence[models.Model], fields: Sequence[str], *, user, reason: str, date
) -> None:
    """Write ``fields`` of stored instances and their "changed" history rows."""
    if not objs:
        return
    model = type(objs[0])
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
            for start in range(0, len(objs), BATCH):
                batch = objs[start : start + BATCH]
                params = []
                for obj in batch:
                    params.append(obj.pk)
                    params += [
                        f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete
                    ]
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (VALUES "
                    + ", ".join([row_sql] * len(batch))
                    + f") AS v ({', '.join(names)}) WHERE {table}.{pk.column} = v.id",
                    params,
                )
    else:
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
    _history_insert(_history(objs, history_type="~", user=user, reason=reason, date=date))
