"""``export_suppliers FILE [--role ROLE] [--kind …] [--headers en|zh] [--template]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.exceptions import CatalogError
from catalog.exporting import role_permissions
from purchasing.exceptions import PurchasingError
from purchasing.exporting import suppliers_export, suppliers_template
from purchasing.sheets import KINDS


class Command(BaseCommand):
    help = (
        "Export suppliers and offers as a workbook that import_suppliers reads back unchanged. "
        "With --role, only what that staff role may see (no unit cost without costs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook to write")
        parser.add_argument("--role", help="export as this staff role sees suppliers and offers")
        parser.add_argument("--kind", choices=KINDS, help="this sheet only (default: both)")
        parser.add_argument("--headers", choices=["en", "zh"], default="en", help="header language")
        parser.add_argument(
            "--template",
            action="store_true",
            help="write an empty template with an example row per sheet and a notes sheet",
        )

    def handle(self, *args, file, role, kind, headers, template, **options):
        path = Path(file)
        if path.suffix.lower() != ".xlsx":
            raise CommandError(f"{file}: the file name must end in .xlsx")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such folder")
        if template:
            suppliers_template(target=path, language=headers)
            self.stdout.write(f"template written to {path}")
            return
        try:
            can = {"can": role_permissions(role)} if role else {}
            counts = suppliers_export(target=path, kind=kind, language=headers, **can)
        except (CatalogError, PurchasingError) as error:
            raise CommandError(error.message) from None
        written = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"{written} written to {path}")
