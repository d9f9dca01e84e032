"""``import_catalog FILE [--dry-run] [--kind products|categories|prices] [--create-categories]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importing import KINDS, catalog_import, cell_text
from workbooks.exceptions import WorkbookInvalid


class Command(BaseCommand):
    help = (
        "Import a catalogue workbook: the products sheet (one row per SKU), the category tree "
        "or a price update. The whole file is applied or nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and compare, write nothing"
        )
        parser.add_argument("--kind", choices=KINDS, default="products", help="which sheet")
        # A mistyped path would otherwise quietly grow the tree: new categories only on request.
        categories = parser.add_mutually_exclusive_group()
        categories.add_argument(
            "--create-categories",
            action="store_true",
            help="create the category paths of the products sheet that do not exist",
        )
        categories.add_argument(
            "--no-new-categories",
            action="store_false",
            dest="create_categories",
            help="refuse category paths that do not exist (the default)",
        )

    def handle(self, *args, file, dry_run, kind, create_categories, verbosity, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = catalog_import(
                source=path,
                kind=kind,
                dry_run=dry_run,
                create_categories=create_categories,
            )
        except WorkbookInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{file}: {invalid.message}") from None
        if verbosity >= 2:
            for change in report.changes:
                cells = "; ".join(
                    f"{h}: {cell_text(old)} → {cell_text(new)}"
                    for h, (old, new) in change.cells.items()
                )
                self.stdout.write(f"row {change.row} {change.key} {change.action} {cells}".rstrip())
        for path_text in report.created_categories:
            self.stdout.write(f"new category: {path_text}")
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(prefix + report.summary())
