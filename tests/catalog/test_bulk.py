"""Bulk writes: foreign keys of a large load checked once at the end, never skipped."""

import threading

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog.importing import catalog_import
from catalog.models import SKU, Product
from tests.catalog.test_workbook_import import row, workbook
from workbooks import bulk, bulkload

pytestmark = pytest.mark.django_db

FK_COUNT = (
    "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
    "AND conrelid::regclass::text LIKE 'catalog_%%'"
)


def foreign_keys() -> int:
    with connection.cursor() as cursor:
        cursor.execute(FK_COUNT)
        return cursor.fetchone()[0]


def indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename LIKE 'catalog_%%' "
            "ORDER BY 1, 2"
        )
        return cursor.fetchall()


def rows(count: int) -> bytes:
    return workbook([row(sku=f"S-{i}", product=f"P-{i // 2}") for i in range(count)])


def test_a_large_load_drops_the_foreign_keys_and_adds_them_back(settings):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 5
    before = foreign_keys()
    indexes_before = indexes()
    seen = {}

    def execute(run, sql, params, many, context):
        if sql.startswith("ALTER TABLE"):
            seen.setdefault(sql.split()[3], []).append(sql.split()[2])
        if sql.startswith(("DROP INDEX", "CREATE INDEX", "CREATE UNIQUE INDEX")):
            seen.setdefault(sql.split()[0] + " INDEX", []).append(sql)
        return run(sql, params, many, context)

    with connection.execute_wrapper(execute):
        report = catalog_import(source=rows(20))
    assert report.new == 20
    assert SKU.objects.count() == 20
    assert foreign_keys() == before
    assert '"catalog_sku"' in seen["DROP"]
    assert sorted(seen["DROP"]) == sorted(seen["ADD"])
    # The empty tables' indexes were built once at the end, unique ones included.
    assert len(seen["DROP INDEX"]) == len(seen["CREATE INDEX"]) > 0
    assert indexes() == indexes_before
    # History rows refer to the users table, which every request reads: never locked.
    assert '"catalog_historicalsku"' not in seen["DROP"]
    # The ids were taken as one range while the table was held: the sequence moved past it.
    imported = sorted(SKU.objects.values_list("pk", flat=True))
    assert imported == list(range(imported[0], imported[0] + 20))
    later = SKU.objects.create(code="S-LATER", product=Product.objects.first())
    assert later.pk > imported[-1]


def test_an_orphan_written_in_a_bulk_checked_block_aborts_it(settings):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 1
    product = Product.objects.create(
        code="P-ORPHAN", name="x", category=_leaf(), status="draft", role="regular"
    )
    before = foreign_keys()
    now = timezone.now()
    orphan = {"code": "S-ORPHAN", "name": "x", "product_id": product.pk + 999}
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulkload.foreign_keys_checked_at_end({SKU: 10}),
    ):
        bulk.insert(SKU, [orphan | {"created_at": now, "updated_at": now}])
    assert not SKU.objects.filter(code="S-ORPHAN").exists()
    assert foreign_keys() == before


@pytest.mark.parametrize("least", [1_000, 0])
def test_small_loads_keep_the_per_row_checks_and_zero_turns_bulk_checks_off(settings, least):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = least
    statements = []
    with connection.execute_wrapper(lambda run, sql, *a: statements.append(sql) or run(sql, *a)):
        catalog_import(source=rows(4))
    assert not [s for s in statements if s.startswith("ALTER TABLE")]
    assert SKU.objects.count() == 4


def test_a_table_held_by_another_transaction_falls_back_to_per_row_checks(settings, caplog):
    """A reader holding the SKU table does not make the import wait or fail."""
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 5
    settings.CATALOG_IMPORT_BULK_LOCK_TIMEOUT = 0.2
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE catalog_sku IN ACCESS SHARE MODE")
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        locked.wait(5)
        before = foreign_keys()
        report = catalog_import(source=rows(20))
    finally:
        release.set()
        holder.join()
        other.close()
    assert report.new == 20
    assert SKU.objects.count() == 20
    assert foreign_keys() == before
    assert "Bulk load given up, rows written one by one" in caplog.text


def _leaf():
    from tests.factories import leaf_category

    return leaf_category()


def _sku_row(code: str, product: Product) -> dict:
    now = timezone.now()
    return {
        "code": code,
        "name": "x",
        "product_id": product.pk,
        "created_at": now,
        "updated_at": now,
    }


def test_a_query_after_a_background_copy_sees_its_rows():
    product = Product.objects.create(
        code="P-BG", name="x", category=_leaf(), status="draft", role="regular"
    )
    with transaction.atomic(), bulk.copies_in_background():
        bulk.insert(SKU, [_sku_row(f"S-BG-{i}", product) for i in range(500)])
        assert SKU.objects.filter(product=product).count() == 500


def test_a_failed_background_copy_is_raised_and_nothing_is_kept():
    product = Product.objects.create(
        code="P-DUP", name="x", category=_leaf(), status="draft", role="regular"
    )
    bulk.insert(SKU, [_sku_row("S-DUP", product)])
    with (
        pytest.raises(psycopg2.errors.UniqueViolation),
        transaction.atomic(),
        bulk.copies_in_background(),
    ):
        bulk.insert(SKU, [_sku_row("S-NEW", product)])
        bulk.insert(SKU, [_sku_row("S-DUP", product)])
    assert list(SKU.objects.values_list("code", flat=True)) == ["S-DUP"]


def test_the_any_lookup_matches_codes_with_quotes_commas_and_braces():
    product = Product.objects.create(
        code="P-ANY", name="x", category=_leaf(), status="draft", role="regular"
    )
    codes = ['A"1', "B,2", "C{3}", "D\\4", "E 5", "精细-6"]
    bulk.insert(SKU, [_sku_row(code, product) for code in codes])
    found = SKU.objects.filter(code__any=[*codes, "missing"]).values_list("code", flat=True)
    assert sorted(found) == sorted(codes)
    assert SKU.objects.filter(product_id__any=[product.pk]).count() == len(codes)


def test_a_repeat_in_a_load_with_indexes_built_at_the_end_aborts_it(settings):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 1
    product = Product.objects.create(
        code="P-TWICE", name="x", category=_leaf(), status="draft", role="regular"
    )
    before = indexes()
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulkload.indexes_built_at_end({SKU: 10}),
    ):
        bulk.insert(SKU, [_sku_row("S-TWICE", product), _sku_row("S-TWICE", product)])
    assert not SKU.objects.filter(code="S-TWICE").exists()
    assert indexes() == before


def test_a_table_held_by_two_blocks_takes_ids_as_a_range_until_both_end():
    statements = []
    with connection.execute_wrapper(lambda run, sql, *a: statements.append(sql) or run(sql, *a)):
        with bulk.tables_held({"catalog_sku"}):
            with bulk.tables_held({"catalog_sku"}):
                pass
            held = bulk.reserve_ids(SKU, 3).result()
        free = bulk.reserve_ids(SKU, 3).result()
    assert held == list(range(held[0], held[0] + 3))
    assert free[0] > held[-1]
    assert ["setval" in s for s in statements] == [True, False]


def _exclusive_locks_after_the_write(monkeypatch) -> list[list[str]]:
    """Patch the point after an import's write, within its transaction, to list from a
    second connection the catalogue tables that transaction holds ACCESS EXCLUSIVE."""
    from catalog import importing

    seen: list[list[str]] = []
    check_listed = importing._ProductImport._check_listed

    def look(plan) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        other = psycopg2.connect(**connection.get_connection_params())
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT relation::regclass::text FROM pg_locks WHERE pid = %s "
                    "AND mode = 'AccessExclusiveLock' AND locktype = 'relation' ORDER BY 1",
                    [pid],
                )
                seen.append([name for (name,) in cursor.fetchall() if name.startswith("catalog")])
        finally:
            other.close()
        check_listed(plan)

    monkeypatch.setattr(importing._ProductImport, "_check_listed", look)
    return seen


@pytest.mark.django_db(transaction=True)  # each import commits, its locks end with it
def test_a_large_import_into_a_catalogue_that_holds_rows_locks_nothing_exclusively(
    settings, monkeypatch
):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 5
    seen = _exclusive_locks_after_the_write(monkeypatch)
    catalog_import(source=rows(20))  # the first load, into empty tables
    more = workbook([row(sku=f"T-{i}", product=f"Q-{i // 2}") for i in range(20)])
    catalog_import(source=more)
    assert "catalog_sku" in seen[0]
    assert seen[1] == []
    assert SKU.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_the_bulk_lock_on_a_catalogue_that_holds_rows_is_opt_in(settings, monkeypatch):
    settings.CATALOG_IMPORT_BULK_CHECK_ROWS = 5
    catalog_import(source=rows(20))
    settings.CATALOG_IMPORT_BULK_LOCK = True
    seen = _exclusive_locks_after_the_write(monkeypatch)
    more = workbook([row(sku=f"T-{i}", product=f"Q-{i // 2}") for i in range(20)])
    catalog_import(source=more)
    assert "catalog_sku" in seen[0]
    assert SKU.objects.count() == 40
