"""``export_catalog FILE [--role ROLE] [--kind …] [--headers en|zh] [--template]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.exporting import catalog_export, catalog_template, role_permissions
from catalog.importing import KINDS


class Command(BaseCommand):
    help = (
        "Export the catalogue as a workbook that import_catalog reads back unchanged. With "
        "--role, only what that staff role may see (no cost column for roles without costs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook to write")
        parser.add_argument("--role", help="export as this staff role sees the catalogue")
        parser.add_argument("--kind", choices=KINDS, default="products", help="which sheet")
        parser.add_argument("--headers", choices=["en", "zh"], default="en", help="header language")
        parser.add_argument(
            "--template",
            action="store_true",
            help="write an empty template with an example row and a notes sheet",
        )

    def handle(self, *args, file, role, kind, headers, template, **options):
        path = Path(file)
        if path.suffix.lower() != ".xlsx":
            raise CommandError(f"{file}: the file name must end in .xlsx")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder")
        if template:
            catalog_template(target=path, kind=kind, language=headers)
            self.stdout.write(f"template written to {path}")
            return
        try:
            can = role_permissions(role) if role else None
        except CatalogError as error:
            raise CommandError(error.message) from None
        rows = catalog_export(
            target=path, kind=kind, language=headers, **({"can": can} if can else {})
        )
        self.stdout.write(f"{rows} rows written to {path}")
