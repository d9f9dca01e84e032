from datetime import date
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.reports import (
    ACTION_LABELS,
    AGE_BUCKETS,
    CATEGORY_HEADERS,
    SKU_HEADERS,
    STOCK_AGE_HEADERS,
    slow_movers,
    slow_movers_by_category,
    stock_age_buckets,
)
from workbooks.xlsx import Chart, XlsxBook

CLASS_LABELS = {
    "active": gettext_lazy("Active (动销)"),
    "slow": gettext_lazy("Slow (滞销)"),
    "dead": gettext_lazy("Dead (死库存)"),
}


# Number formats and widths (characters) of the columns that are not plain counts or text.
FORMATS = {
    "stock_value": "0.00",
    "avg_daily_demand": "0.0000",
    "days_of_cover": "0.0",
    "sell_through": "0.0%",
    "avg_age_days": "0.0",
    "consumption_value_90": "0.00",
    "active_rate": "0.0%",
    **{f"age_{key}_value": "0.00" for key, *_rest in AGE_BUCKETS},
    "value": "0.00",
    "value_active": "0.00",
    "value_slow": "0.00",
    "value_dead": "0.00",
}
WIDTHS = {
    "sku": 16,
    "name": 28,
    "category": 28,
    "category_code": 14,
    "action": 30,
    "bucket": 14,
    "value": 16,
    "value_active": 16,
    "value_slow": 16,
    "value_dead": 16,
}


def _stock_age_chart(buckets: pd.DataFrame) -> Chart:
    """A column chart of the stock value in each age bucket, one series per class."""
    last = len(buckets) + 1
    columns = list(STOCK_AGE_HEADERS)
    return Chart(
        kind="column",
        title=str(_("Stock value by age (days)")),
        categories=(2, last, 0),
        values=[
            (str(CLASS_LABELS[key]), 2, last, columns.index(f"value_{key}"))
            for key in ("active", "slow", "dead")
        ],
        anchor="H2",
    )


def _write_sheet(book: XlsxBook, title: str, df: pd.DataFrame, headers: dict, charts=()) -> None:
    """Write ``df``'s columns named in ``headers`` as a sheet, streamed row by row (pandas'
    ``to_excel`` builds every cell object first: 1.4 GB and 80 s for 100k SKUs)."""
    columns = list(headers)
    frame = df[columns]
    book.add_sheet(
        title,
        [str(label) for label in headers.values()],
        frame.itertuples(index=False, name=None),
        formats={i: FORMATS[c] for i, c in enumerate(columns) if c in FORMATS},
        widths={i: WIDTHS[c] for i, c in enumerate(columns) if c in WIDTHS},
        charts=charts,
    )


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
        sku_sheet = skus.assign(
            classification=skus["classification"].map({k: str(v) for k, v in CLASS_LABELS.items()}),
            action=skus["action"].map({k: str(v) for k, v in ACTION_LABELS.items()}),
        )
        try:
            book = XlsxBook(out)
            _write_sheet(book, str(_("SKU")), sku_sheet, SKU_HEADERS)
            _write_sheet(book, str(_("category")), categories, CATEGORY_HEADERS)
            buckets = stock_age_buckets(skus)
            _write_sheet(
                book,
                str(_("stock age")),
                buckets,
                STOCK_AGE_HEADERS,
                charts=[_stock_age_chart(buckets)],
            )
            book.close()
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
