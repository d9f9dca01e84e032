"""Make the stock ledger append-only in the database itself.

The model and its QuerySet already refuse updates and deletes; the trigger also stops raw
SQL, ``QuerySet._update`` and any other path. TRUNCATE stays possible for test teardown and
deliberate resets. Each vendor gets its own dialect; others migrate without a trigger.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION inventory_stockmove_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockmove is an append-only ledger: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER inventory_stockmove_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_refuse_change();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS inventory_stockmove_immutable ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_refuse_change();
"""
SQLITE_FORWARD = [
    """
    CREATE TRIGGER inventory_stockmove_no_update BEFORE UPDATE ON inventory_stockmove
    BEGIN SELECT RAISE(ABORT, 'inventory_stockmove is an append-only ledger: UPDATE refused');
    END
    """,
    """
    CREATE TRIGGER inventory_stockmove_no_delete BEFORE DELETE ON inventory_stockmove
    BEGIN SELECT RAISE(ABORT, 'inventory_stockmove is an append-only ledger: DELETE refused');
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_update",
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_delete",
]


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
