"""Leave half of each page of the SKU table free (PostgreSQL only).

A price update rewrites every SKU it names. With room on the row's page and no indexed
column changed, PostgreSQL writes the new row version beside the old one (a HOT update) and
touches none of the table's six indexes: a 50,000-SKU update takes half the time (see
bench/RESULTS.md). The table, some 200 bytes a SKU, takes twice the pages.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value: int) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE catalog_sku SET (fillfactor = {int(value)})")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_import_write_indexes")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: set_fillfactor(apps, editor, 50),
            lambda apps, editor: set_fillfactor(apps, editor, 100),
        )
    ]
