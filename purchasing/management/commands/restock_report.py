from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from purchasing.reports import restock, write_workbook


class Command(BaseCommand):
    help = _("Write the restock report (per SKU × warehouse) to an xlsx workbook.")

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
        df = restock(as_of=as_of)
        try:
            write_workbook(out, df)
        except OSError as error:
            raise CommandError(
                _("%(path)s: cannot write the workbook (%(reason)s).")
                % {"path": out, "reason": error.strerror or error}
            ) from error
        suggested = int((df["suggested_quantity"] > 0).sum()) if len(df) else 0
        self.stdout.write(
            _("Restock report as of %(date)s: %(rows)d rows, %(suggested)d suggestions.")
            % {"date": as_of, "rows": len(df), "suggested": suggested}
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
