from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.exceptions import ImportRejected
from orders.imports import read_rows
from orders.review_import import REQUIRED, reviews_import


class Command(BaseCommand):
    help = gettext_lazy(
        "Import reviews (点评) from a CSV or xlsx file, one row per reviewed order line; "
        "all or nothing."
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
                result = reviews_import(raw_rows=read_rows(path, REQUIRED))
                if dry_run:
                    transaction.set_rollback(True)
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(path)s: %(count)d errors, nothing was imported.")
                % {"path": path, "count": len(rejected.errors)}
            ) from rejected
        message = _("%(count)d reviews imported.") % {"count": result.reviews}
        if dry_run:
            message = _("Dry run, nothing imported: %(message)s") % {"message": message}
        self.stdout.write(self.style.SUCCESS(message))
