"""Large loads: foreign keys checked and indexes built once, at the end of the load.

PostgreSQL's manual ("Populating a Database") advises, for bulk loads, to drop a table's
foreign keys and indexes, load, and create them again: checking a key for the whole table in
one join, or sorting its rows into an index once, is much cheaper than doing it row by row.
An import does this within its transaction, for the tables it fills with many rows against
what they hold (``CATALOG_IMPORT_BULK_CHECK_ROWS``), and gives it up for the usual row-by-row
work when the locks it needs are not granted in time (``CATALOG_IMPORT_BULK_LOCK_TIMEOUT``).

Dropping a constraint or an index locks its table (and, for a foreign key, the table it
refers to) exclusively until commit: nobody reads them meanwhile. By default that is done
only on a first load (a seed, a new catalogue: no table of the load holds a row yet), where
nobody has anything to read; ``CATALOG_IMPORT_BULK_LOCK`` extends it to catalogues that hold
rows, for a maintenance window (docs/catalog.md lists what waits).
See docs/catalog.md, "Rules", and docs/workbooks.md.
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping

from django.apps import apps
from django.conf import settings
from django.db import OperationalError, connection, models, transaction

from workbooks.bulk import tables_held

logger = logging.getLogger(__name__)


# --- Foreign keys checked in bulk ---------------------------------------------------------------


def _large_loads(planned: Mapping[type[models.Model], int]) -> dict[str, int]:
    """Return table → rows of the ``planned`` inserts (model → rows) worth a bulk load."""
    least = settings.CATALOG_IMPORT_BULK_CHECK_ROWS
    if least <= 0:  # turned off
        return {}
    return {m._meta.db_table: n for m, n in planned.items() if n >= least}


def _lockable(tables: list[str], planned: Mapping[type[models.Model], int]) -> list[str]:
    """Return the ``tables`` that may be held exclusively for the load: every one with
    ``CATALOG_IMPORT_BULK_LOCK``, otherwise all of them on a first load (no table of the
    ``planned`` models holds a row yet) and none else.

    Dropping a foreign key locks the table it refers to as well (categories, brands): the
    whole load is judged, not each table alone."""
    if settings.CATALOG_IMPORT_BULK_LOCK or not tables:
        return tables
    quote = connection.ops.quote_name
    loaded = sorted({model._meta.db_table for model in planned})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + " OR ".join(f"EXISTS (SELECT 1 FROM {quote(table)})" for table in loaded)
        )
        (holding,) = cursor.fetchone()
    return [] if holding else tables


def _altered(statements: list[str]) -> bool:
    """Run DDL ``statements`` in a savepoint, waiting at most
    ``CATALOG_IMPORT_BULK_LOCK_TIMEOUT`` for each lock; on a lock not granted, undo them and
    return False (the caller writes row by row instead)."""
    if not statements:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        (timeout,) = cursor.fetchone()
        try:
            with transaction.atomic():
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true)",
                    [f"{settings.CATALOG_IMPORT_BULK_LOCK_TIMEOUT * 1000:.0f}ms"],
                )
                # A table with checks still pending (the categories just added) cannot be
                # altered: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for statement in statements:
                    cursor.execute(statement)
        except OperationalError as error:
            logger.warning("Bulk load given up, rows written one by one: %s", error)
            return False
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
    return True


def _run(statements: list[str]) -> None:
    """Run DDL ``statements`` after the checks still pending (tables with some cannot be
    altered; they would run at commit anyway)."""
    if not statements:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for statement in statements:
            cursor.execute(statement)


def _bulk_checked_tables(planned: Mapping[type[models.Model], int]) -> list[str]:
    """Return the tables of ``planned`` (model → rows about to be inserted) that receive enough
    rows, against what they hold, for one check of their foreign keys to beat one per row."""
    candidates = _large_loads(planned)
    if not candidates:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, greatest(reltuples, 0) FROM pg_class "
            "WHERE relname = ANY(%s) AND relkind = 'r'",
            [list(candidates)],
        )
        held = dict(cursor.fetchall())
    # The final check reads the whole table: worth it while the new rows are a good part of it.
    return _lockable([t for t, n in candidates.items() if n * 4 >= held.get(t, 0)], planned)


@contextlib.contextmanager
def foreign_keys_checked_at_end(planned: Mapping[type[models.Model], int]) -> Iterator[None]:
    """Check the foreign keys of the big inserts of the enclosed block once, at its end.

    PostgreSQL checks a foreign key with one trigger per inserted row, at commit: some 3
    seconds for the 450,000 references of a 50,000-SKU catalogue. As its manual advises for
    bulk loads ("Populating a Database"), the constraints of a table that receives many rows
    are dropped before and added again after, in the same transaction: adding one checks
    every row of the table in one join, and an orphan aborts the transaction as the commit
    would have. Nothing is left unchecked, and nobody sees the table without its constraints.

    Dropping locks the table and the tables it refers to exclusively until commit: catalogue
    pages wait for the write. So it is done only for loads that are large against the table
    (a new catalogue, a big addition; ``CATALOG_IMPORT_BULK_CHECK_ROWS``, 0 turns it off), by
    default only on a first load (``CATALOG_IMPORT_BULK_LOCK`` for the others), only for
    references within the loaded models' apps (never the users table), and given up, for
    the usual per-row checks, when another transaction holds
    the tables longer than ``CATALOG_IMPORT_BULK_LOCK_TIMEOUT``. Elsewhere than PostgreSQL,
    and outside a transaction, this changes nothing.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    tables = _bulk_checked_tables(planned)
    if not tables:
        yield
        return
    # Only references within the loaded models' apps: dropping a reference locks the table
    # it points to as well, and the users table (history rows name their user) must stay
    # readable for every request.
    own = sorted(
        {
            model._meta.db_table
            for label in {m._meta.app_label for m in planned}
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) "
            "AND confrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables, own],
        )
        constraints = cursor.fetchall()
    quote = connection.ops.quote_name
    if not _altered(
        [f"ALTER TABLE {quote(t)} DROP CONSTRAINT {quote(name)}" for t, name, _d in constraints]
    ):
        constraints = []
    with tables_held({table for table, _name, _definition in constraints}):
        yield
    _run([f"ALTER TABLE {quote(t)} ADD CONSTRAINT {quote(n)} {d}" for t, n, d in constraints])


# --- Indexes built at the end ------------------------------------------------------------------


def _nearly_empty(loads: dict[str, int]) -> list[str]:
    """Return the tables of ``loads`` (table → rows about to be added) holding at most a
    quarter of that (counted, but never further than that)."""
    quote = connection.ops.quote_name
    empty = []
    with connection.cursor() as cursor:
        for table, rows in loads.items():
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) AS held",
                [rows // 4 + 1],
            )
            if cursor.fetchone()[0] <= rows // 4:
                empty.append(table)
    return empty


@contextlib.contextmanager
def indexes_built_at_end(planned: Mapping[type[models.Model], int]) -> Iterator[None]:
    """Build the secondary indexes of the tables the enclosed block fills from (nearly)
    empty once, at its end, instead of row by row.

    Also from PostgreSQL's manual on bulk loads: for a new 50,000-SKU catalogue, sorting
    325,000 attribute values into their indexes once takes a third less than inserting them
    one by one. Unique indexes and constraints are built again too, so a repeat aborts the
    load as it would have. Primary keys stay (other tables' references need them), as do
    indexes a reference needs. Same conditions, lock and fallback as
    ``foreign_keys_checked_at_end``; a table that holds more than a quarter of the rows to
    come keeps its indexes (building them would read it all).
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    tables = _lockable(_nearly_empty(_large_loads(planned)), planned)
    if not tables:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid), "
            "con.conname, pg_get_constraintdef(con.oid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid "
            "AND con.conrelid = i.indrelid AND con.contype = 'u' "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conindid = i.indexrelid "
            "AND f.contype IN ('f', 'x')) ORDER BY 1, 2",
            [tables],
        )
        indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    drops = [
        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(constraint)}"
        if constraint
        else f"DROP INDEX {quote(index)}"
        for table, index, _definition, constraint, _unique in indexes
    ]
    if not _altered(drops):
        yield
        return
    with tables_held({table for table, *_rest in indexes}):
        yield
    _run(
        [
            f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} {unique}"
            if constraint
            else definition
            for table, _index, definition, constraint, unique in indexes
        ]
    )
