"""Bulk writes for imports: COPY on PostgreSQL, ``bulk_create`` elsewhere, history included.

New rows get their ids from the table's sequence before they are sent, so one COPY writes
them and the caller still knows every id (for their history rows, selling points and
attribute values). Changed rows are copied into a scratch table and written by one
``UPDATE … FROM`` it. Every write records django-simple-history rows as its save would have:
the price history stays complete whatever the path. COPY streams can go from a second thread
(``copies_in_background``); ``workbooks.bulkload`` prepares tables for large loads.
"""

import concurrent.futures
import contextlib
import io
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter

from django.db import connection, models

BATCH = 1_000
COPY_CHUNK = 1 << 20  # characters handed to libpq per read of the COPY buffer (default 8 KiB)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# --- COPY, sent from a second thread --------------------------------------------------------------


class _Sender:
    """Sends COPY streams on the connection from a second thread, in the order given.

    While PostgreSQL writes one table (its work, on another CPU), Python prepares the next.
    Every other query waits for what is queued (an execute wrapper), so statements keep their
    order; the first failure is raised in the caller's thread at the next query or at the end.
    """

    def __init__(self, raw_connection):
        self.raw = raw_connection
        self.queue: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.stopped = False  # the caller failed: what is queued is not sent
        self.thread = threading.Thread(target=self._run, name="jingxi-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                work, future = item
                if self.error is None and not self.stopped:
                    with self.raw.cursor() as cursor:
                        future.set_result(work(cursor))
                else:
                    future.cancel()
            except BaseException as error:  # raised again in the caller's thread
                self.error = error
                future.set_exception(error)
            finally:
                self.queue.task_done()

    def submit(self, work: Callable) -> concurrent.futures.Future:
        """Queue ``work(raw cursor)``; return the future of its result."""
        self._raise()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.queue.put((work, future))
        return future

    def send(self, sql: str, buffer: io.StringIO) -> None:
        self.submit(lambda cursor: cursor.copy_expert(sql, buffer, COPY_CHUNK))

    def flush(self) -> None:
        self.queue.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def before_query(self, execute, sql, params, many, context):
        self.flush()
        return execute(sql, params, many, context)


_local = threading.local()


def _send(sql: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    sender = getattr(_local, "sender", None)
    if sender is not None:
        sender.send(sql, buffer)
        return
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer, COPY_CHUNK)


@contextlib.contextmanager
def copies_in_background() -> Iterator[None]:
    """Send the COPY writes of the enclosed block from a second thread (PostgreSQL only).

    Within the block, wait for nothing written by COPY except through a query (reads wait
    for the queue). The block ends when every copy is done; a failed copy is raised.
    """
    if not _postgres() or getattr(_local, "sender", None) is not None:
        yield
        return
    connection.ensure_connection()
    sender = _local.sender = _Sender(connection.connection)
    try:
        with connection.execute_wrapper(sender.before_query):
            yield
            sender.flush()
    except BaseException:
        sender.stopped = True
        raise
    finally:
        _local.sender = None
        sender.close()


@contextlib.contextmanager
def tables_held(tables: set[str]) -> Iterator[None]:
    """Tell ``reserve_ids`` that this transaction holds ``tables`` exclusively within the
    block (``workbooks.bulkload``): nobody else takes their ids, so one range is taken."""
    held = _local.__dict__.setdefault("exclusive", Counter())
    held.update(tables)  # counted: two blocks may hold one table
    try:
        yield
    finally:
        held.subtract(tables)


def _reserve_ids(
    model: type[models.Model], count: int, cursor=None, *, alone: bool = False
) -> list[int]:
    """Take ``count`` ids from the table's sequence (on ``cursor``, a Django one by default).

    ``alone``: this transaction holds the table exclusively (``workbooks.bulkload``),
    so nobody else takes ids meanwhile and one range is moved past at once.
    """
    if cursor is None:
        with connection.cursor() as cursor:
            return _reserve_ids(model, count, cursor, alone=alone)
    sequence = [model._meta.db_table, model._meta.pk.column]
    if alone:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), "
            "nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
            [*sequence, *sequence, count],
        )
        (last,) = cursor.fetchone()
        return list(range(last - count + 1, last + 1))
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [*sequence, count],
    )
    return [row[0] for row in cursor.fetchall()]


def row_of(obj, model: type[models.Model]) -> dict:
    """Return the stored columns of ``obj`` (an instance, or any object with the same
    attributes), by attname."""
    names = [f.attname for f in model._meta.concrete_fields]
    stored = vars(obj)
    try:
        return {name: stored[name] for name in names}
    except KeyError:  # a deferred field, or an object with properties
        return {name: getattr(obj, name) for name in names}


def _defaults(model: type[models.Model]) -> dict:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


def _converter(field):
    """Return a function writing one value of ``field`` in COPY's text format."""

    def escape(text: str) -> str:
        if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
            text = (
                text.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return text

    if isinstance(field, models.BooleanField):
        return lambda v: r"\N" if v is None else ("t" if v else "f")
    if isinstance(field, models.JSONField):
        return lambda v: r"\N" if v is None else escape(json.dumps(v, ensure_ascii=False))
    if isinstance(field, models.DecimalField):
        return lambda v: r"\N" if v is None else format(v, "f")
    if isinstance(field, models.IntegerField | models.ForeignKey | models.AutoField):
        return lambda v: r"\N" if v is None else str(v) if type(v) is int else str(int(v))
    if isinstance(field, models.DateField | models.DateTimeField):
        # An import stamps every row with the same time: format each value once.
        seen: dict = {}

        def convert_date(v) -> str:
            if v is None:
                return r"\N"
            text = seen.get(v)
            if text is None:
                text = seen[v] = v.isoformat()
            return text

        return convert_date
    return lambda v: r"\N" if v is None else escape(str(v))


def _column_text(rows: Sequence[dict], field) -> list[str]:
    """Return the COPY text of ``field`` in each of ``rows``, column-wise (one pass each)."""
    return list(map(_converter(field), map(itemgetter(field.attname), rows)))


def _lines(columns: list[list[str]]) -> str:
    """Join column texts into COPY lines."""
    if not columns or not columns[0]:
        return ""
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _copy(
    model: type[models.Model], fields: list, rows: Sequence[dict], table: str | None = None
) -> None:
    buffer = io.StringIO(_lines([_column_text(rows, f) for f in fields]))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = table or connection.ops.quote_name(model._meta.db_table)
    _send(f"COPY {table} ({columns}) FROM STDIN", buffer)


def insert(model: type[models.Model], rows: Sequence[dict], *, ids: bool = True) -> None:
    """Insert rows (attname → value; missing columns take the field default).

    With ``ids`` each row gets its new ``id``: from the table's sequence before one COPY on
    PostgreSQL, from ``bulk_create`` elsewhere; without, the database numbers them.
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
    meta = model._meta
    if not ids:
        _copy(model, [f for f in meta.concrete_fields if f is not meta.pk], full)
        return
    pk = meta.pk
    for row, full_row, new_id in zip(rows, full, _reserve_ids(model, len(rows)), strict=True):
        row["id"] = full_row[pk.attname] = new_id
    _copy(model, list(meta.concrete_fields), full)


Groups = Sequence[tuple[dict, Mapping[str, Sequence]]]


def _group_size(varying: Mapping[str, Sequence]) -> int:
    return len(next(iter(varying.values()))) if varying else 0


def _group_rows(groups: Groups) -> list[dict]:
    """Return the rows of groups one dict each (for the paths without COPY)."""
    return [
        shared | dict(zip(varying, values, strict=True))
        for shared, varying in groups
        for values in zip(*varying.values(), strict=True)
    ]


def _grouped_text(model: type[models.Model], fields: list, groups: Groups) -> io.StringIO:
    """COPY text of (shared columns, {varying column: its values}) groups, in ``fields``."""
    defaults = _defaults(model)
    buffer = io.StringIO()
    write = buffer.write
    for shared, varying in groups:
        if not _group_size(varying):
            continue
        fixed = defaults | shared
        text = {f.attname: _converter(f)(fixed[f.attname]) for f in fields if f.attname in fixed}
        values = {
            f.attname: list(map(_converter(f), varying[f.attname]))
            for f in fields
            if f.attname in varying
        }
        if len(values) == 1:
            # The usual case (an attribute value and its owner): every line is the same
            # text around the one varying column, so the group is one join.
            ((name, column),) = values.items()
            at = [f.attname for f in fields].index(name)
            before = "".join(text[f.attname] + "\t" for f in fields[:at])
            after = "".join("\t" + text[f.attname] for f in fields[at + 1 :]) + "\n"
            write(before + (after + before).join(column) + after)
            continue
        size = _group_size(varying)
        write(_lines([values.get(f.attname) or [text[f.attname]] * size for f in fields]))
    buffer.seek(0)
    return buffer


def insert_grouped(model: type[models.Model], groups: Groups) -> None:
    """Insert rows given as (shared columns, {varying column: its values}) groups; ids are
    left to the database.

    Many rows often share most of their columns (every row of an attribute value but its
    owner): each group's shared columns are converted once.
    """
    groups = [(shared, varying) for shared, varying in groups if _group_size(varying)]
    if not groups:
        return
    if not _postgres():
        insert(model, _group_rows(groups), ids=False)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    buffer = _grouped_text(model, fields, groups)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    _send(f"COPY {table} ({columns}) FROM STDIN", buffer)


def update_grouped(
    model: type[models.Model],
    groups: Groups,
    *,
    keys: Sequence[str],
    keep: Sequence[str] = (),
) -> None:
    """Update stored rows found by their ``keys`` columns (a unique set) to the other columns
    of (shared columns, {varying column: its values}) groups, as ``insert_grouped`` takes
    them; ``keep`` columns are not written either.

    The key columns are not written, so PostgreSQL checks none of their foreign keys again.
    """
    groups = [(shared, varying) for shared, varying in groups if _group_size(varying)]
    if not groups:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    key_fields = [meta.get_field(name) for name in keys]
    written = [f for f in fields if f not in key_fields and f.attname not in keep]
    if not _postgres():
        for full in _group_rows(groups):
            model.objects.filter(**{f.attname: full[f.attname] for f in key_fields}).update(
                **{f.attname: full[f.attname] for f in written}
            )
        return
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    scratch = quote(f"jx_update_{meta.db_table}")
    buffer = _grouped_text(model, fields, groups)
    names = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in written)
    match = " AND ".join(f"{table}.{quote(f.column)} = s.{quote(f.column)}" for f in key_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS SELECT {names} FROM {table} "
            "WITH NO DATA"
        )
        _send(f"COPY {scratch} ({names}) FROM STDIN", buffer)
        cursor.execute(f"ANALYZE {scratch}")
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {scratch} AS s WHERE {match}")


def _history_extras(model, *, history_type: str, user, reason, date) -> dict:
    return {
        "history_date": date,
        "history_type": history_type,
        "history_user_id": getattr(user, "pk", None),
        "history_change_reason": reason,
    }


def _column_texts(
    model: type[models.Model],
    columns: Mapping[str, Sequence],
    constants: Mapping[str, object],
    count: int,
) -> dict[str, list[str]]:
    """COPY text of every concrete column of ``model``: ``columns`` (attname → values),
    ``constants`` (attname → one value for every row), else the field's default."""
    defaults = _defaults(model)
    texts = {}
    for field in model._meta.concrete_fields:
        name = field.attname
        if name in columns:
            texts[name] = list(map(_converter(field), columns[name]))
        else:
            value = constants[name] if name in constants else defaults.get(name)
            texts[name] = [_converter(field)(value)] * count
    return texts


def _copy_with_history(
    model: type[models.Model],
    texts: Mapping[str, list[str]],
    count: int,
    fields: list,
    *,
    table: str | None = None,
    **history,
) -> None:
    """COPY ``fields`` of the column ``texts`` (``_column_texts``) into ``table`` (the
    model's by default) and their history rows into the historical table."""
    historical = model.history.model
    hmeta = historical._meta
    hfields = [f for f in hmeta.concrete_fields if f is not hmeta.pk]
    extras = _history_extras(model, **history)
    constant = {
        name: [_converter(hmeta.get_field(name))(value)] * count for name, value in extras.items()
    }
    main_buffer = io.StringIO(_lines([texts[f.attname] for f in fields]))
    history_buffer = io.StringIO(
        _lines([constant.get(f.attname) or texts[f.attname] for f in hfields])
    )
    quote = connection.ops.quote_name
    for target, columns, buffer in (
        (table or quote(model._meta.db_table), fields, main_buffer),
        (quote(hmeta.db_table), hfields, history_buffer),
    ):
        names = ", ".join(quote(f.column) for f in columns)
        _send(f"COPY {target} ({names}) FROM STDIN", buffer)


def _history_insert(model, rows: Sequence[dict], **history) -> None:
    """Insert history rows on SQLite (PostgreSQL goes through ``_copy_with_history``)."""
    historical = model.history.model
    tracked = [f.attname for f in historical.tracked_fields]
    extras = _history_extras(model, **history)
    historical.objects.bulk_create(
        [historical(**{name: row[name] for name in tracked}, **extras) for row in rows],
        batch_size=BATCH,
    )


def reserve_ids(model: type[models.Model], count: int) -> concurrent.futures.Future:
    """Take ``count`` ids from the table's sequence ahead of ``insert_with_history``: the
    future of their list on PostgreSQL (taken by the COPY thread while the caller goes on,
    within ``copies_in_background``), of None elsewhere, where the insert numbers the rows."""
    sender = getattr(_local, "sender", None)
    alone = getattr(_local, "exclusive", Counter())[model._meta.db_table] > 0
    if _postgres() and count and sender is not None:
        return sender.submit(lambda cursor: _reserve_ids(model, count, cursor, alone=alone))
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_result(_reserve_ids(model, count, alone=alone) if _postgres() and count else None)
    return future


def insert_with_history(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    user,
    reason: str,
    date,
    ids: Sequence[int] | None = None,
) -> None:
    """Insert new rows (see ``insert``) and their "created" history rows; ``ids`` from
    ``reserve_ids`` spare the query that takes them (it waits for copies being sent). Each
    row gets its ``id``."""
    if not rows:
        return
    defaults = _defaults(model)
    full = [defaults | row for row in rows]
    columns = {name: list(map(itemgetter(name), full)) for name in defaults | full[0]}
    new_ids = insert_columns_with_history(
        model, columns, user=user, reason=reason, date=date, ids=ids
    )
    for row, new_id in zip(rows, new_ids, strict=True):
        row["id"] = new_id


def insert_columns_with_history(
    model: type[models.Model],
    columns: Mapping[str, Sequence],
    *,
    constants: Mapping[str, object] | None = None,
    user,
    reason: str,
    date,
    ids: Sequence[int] | None = None,
) -> list[int]:
    """Insert rows given column by column (attname → values; ``constants``: attname → the
    value of every row; other columns take their default) and their "created" history rows;
    return their ids. Column-wise, 50,000 rows need no dict each."""
    constants = constants or {}
    count = len(next(iter(columns.values()))) if columns else 0
    if not count:
        return []
    history = {"history_type": "+", "user": user, "reason": reason, "date": date}
    if not _postgres():
        rows = [
            dict(zip(columns, values, strict=True)) | dict(constants)
            for values in zip(*columns.values(), strict=True)
        ]
        insert(model, rows)
        _history_insert(model, [_defaults(model) | row for row in rows], **history)
        return [row["id"] for row in rows]
    ids = list(ids) if ids is not None else _reserve_ids(model, count)
    texts = _column_texts(model, {model._meta.pk.attname: ids, **columns}, constants, count)
    _copy_with_history(model, texts, count, list(model._meta.concrete_fields), **history)
    return ids


def update_with_history(
    model: type[models.Model], rows: Sequence[dict], fields: Sequence[str], *, user, reason, date
) -> None:
    """Write ``fields`` of stored rows (dicts by attname with ``id`` and at least ``fields``;
    other keys are ignored) and their "changed" history rows, copied from the rows as
    written."""
    if not rows:
        return
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    history = {"history_type": "~", "user": user, "reason": reason, "date": date}
    if not _postgres():
        pk = meta.pk.attname
        objs = [
            model(**{pk: row[pk], **{f.attname: row[f.attname] for f in concrete}}) for row in rows
        ]
        model.objects.bulk_update(objs, list(fields), batch_size=BATCH)
        written = model.objects.filter(pk__in=[row[pk] for row in rows]).values()
        _history_insert(model, list(written), **history)
        return
    # One COPY into a scratch table, then one statement that updates from it and writes the
    # history rows from what it updated.
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    scratch = quote(f"jx_update_{meta.db_table}")
    columns = [meta.pk, *concrete]
    historical = model.history.model
    hmeta = historical._meta
    tracked = [
        f.column
        for f in hmeta.concrete_fields
        if f.attname in {t.attname for t in meta.concrete_fields}
    ]
    extras = _history_extras(model, **history)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS SELECT "
            + ", ".join(quote(f.column) for f in columns)
            + f" FROM {table} WITH NO DATA"
        )
        _copy(model, columns, rows, table=scratch)
        assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in concrete)
        pk = quote(meta.pk.column)
        names = ", ".join(quote(c) for c in tracked)
        cursor.execute(
            f"WITH written AS (UPDATE {table} SET {assignments} FROM {scratch} AS s "
            f"WHERE {table}.{pk} = s.{pk} RETURNING {table}.*) "
            f"INSERT INTO {quote(hmeta.db_table)} ({names}, "
            + ", ".join(quote(hmeta.get_field(name).column) for name in extras)
            + f") SELECT {names}, "
            + ", ".join(["%s"] * len(extras))
            + " FROM written",
            list(extras.values()),
        )
