from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from purchasing.reports import HEADERS, restock, workbook_rows
from workbooks.xlsx import XlsxBook

# Number formats of the columns that are not plain counts: the page shows the same figures.
FORMATS = {
    "service_level": "0.0%",
    "avg_daily_demand": "0.0000",
    "demand_std": "0.0000",
    "safety_stock": "0.00",
    "reorder_point": "0.00",
    "target": "0.00",
    "unit_cost": "0.00##",  # a unit cost keeps its four decimals (catalog.money)
    "order_value": "0.00",
    "cover_days": "0",
}
WIDTHS = {"sku": 16, "name": 28, "warehouse": 12, "supplier": 24, "reason": 60}


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
        columns = list(HEADERS)
        try:
            # Streamed: each row is one string into the zip part, memory stays flat.
            book = XlsxBook(out)
            book.add_sheet(
                str(_("restock")),
                [str(label) for label in HEADERS.values()],
                workbook_rows(df),
                formats={i: FORMATS[c] for i, c in enumerate(columns) if c in FORMATS},
                widths={i: WIDTHS[c] for i, c in enumerate(columns) if c in WIDTHS},
            )
            book.close()
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
