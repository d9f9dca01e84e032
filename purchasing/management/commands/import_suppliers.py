"""``import_suppliers FILE [--dry-run] [--kind suppliers|offers] [--role ROLE]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.exporting import role_permissions
from purchasing.importing import report_lines, suppliers_import
from purchasing.sheets import KINDS
from workbooks.exceptions import WorkbookInvalid


class Command(BaseCommand):
    help = (
        "Import suppliers and their offers from a workbook (sheets suppliers / 供应商 and "
        "offers / 供货). The whole file is applied or nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and compare, write nothing"
        )
        parser.add_argument(
            "--kind", choices=KINDS, help="read this sheet only (default: every one present)"
        )
        parser.add_argument(
            "--role", help="import with this staff role's permissions (unit costs need costs)"
        )

    def handle(self, *args, file, dry_run, kind, role, verbosity, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            can = {"can": role_permissions(role)} if role else {}
        except CatalogError as error:
            raise CommandError(error.message) from None
        try:
            report = suppliers_import(source=path, kind=kind, dry_run=dry_run, **can)
        except WorkbookInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{file}: {invalid.message}") from None
        if verbosity >= 2:
            for line in report_lines(report):
                self.stdout.write(line)
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(prefix + report.summary())
