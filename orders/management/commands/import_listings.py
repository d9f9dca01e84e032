from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.exceptions import ImportRejected
from orders.imports import LISTING_REQUIRED, listings_import, read_rows


class Command(BaseCommand):
    help = gettext_lazy(
        "Import channel listings (多店铺商品对应) from a CSV or xlsx file: shop, platform SKU "
        "code and optionally our SKU code; all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=gettext_lazy("The .csv or .xlsx file."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("Check the file and report, but import nothing."),
        )

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("%(path)s: no such file.") % {"path": path})
        try:
            with transaction.atomic():
                counts = listings_import(raw_rows=read_rows(path, LISTING_REQUIRED))
                if dry_run:
                    transaction.set_rollback(True)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(path)s: %(count)d errors, nothing was imported.")
                % {"path": path, "count": len(rejected.errors)}
            ) from rejected
        message = _(
            "%(listings)d listings imported, %(matched)d matched; %(waiting)d waiting order "
            "lines took their SKU."
        ) % {
            "listings": counts["listings"],
            "matched": counts["matched"],
            "waiting": counts["waiting lines"],
        }
        if dry_run:
            message = _("Dry run, nothing imported: %(message)s") % {"message": message}
        self.stdout.write(self.style.SUCCESS(message))
