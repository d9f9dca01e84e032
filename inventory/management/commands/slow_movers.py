from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.reports import slow_movers, slow_movers_by_category, write_workbook


class Command(BaseCommand):
    help = _("Write the slow-mover report (per SKU and per category) to an xlsx workbook.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", help=_("Report date, YYYY-MM-DD (default: today)."), default=None
        )
        parser.add_argument("--out", required=True, help=_("Workbook to write (.xlsx)."))

    def handle(self, *args, **options):
        as_of = self._as_of(options["as_of"])
        out = Path(options["out"])
        if out.suffix.lower() != ".xlsx":
            raise CommandError(_("%(path)s: the report is written as .xlsx.") % {"path": out})
        if not out.parent.is_dir():
            raise CommandError(_("%(path)s: the folder does not exist.") % {"path": out})

        skus = slow_movers(as_of=as_of)
        categories = slow_movers_by_category(skus)
        try:
            write_workbook(out, skus, categories)
        except OSError as error:
            raise CommandError(
                _("%(path)s: cannot write the workbook (%(reason)s).")
                % {"path": out, "reason": error.strerror or error}
            ) from error
        self.stdout.write(
            _("Slow-mover report as of %(date)s: %(skus)d SKUs, %(categories)d categories.")
            % {"date": as_of, "skus": len(skus), "categories": len(categories)}
        )

    def _as_of(self, value: str | None) -> date:
        if value is None:
            return timezone.localdate()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("%(value)s is not a date; give --as-of as YYYY-MM-DD.") % {"value": value}
            ) from None
