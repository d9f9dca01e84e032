"""CSV writing for any download or report written as CSV: text that a spreadsheet would run
as a formula is written as text.

A CSV cell has no type: Excel, WPS and LibreOffice run ``=HYPERLINK(…)``, ``+cmd|…``,
``-2+3``, ``@SUM(…)`` (and text after a tab or carriage return) as formulas when the file
is opened. Such text is written with a leading single quote (OWASP, "CSV injection"), which
the spreadsheet shows as text; numbers are written as numbers, negative ones included.
"""

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal

from workbooks.xlsx import FORMULA_START


def csv_cell(value):
    """Return ``value`` as written to a CSV cell: text that would run as a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def csv_write(target, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write ``header`` and ``rows`` as CSV to ``target`` (a text file or an HttpResponse)."""
    writer = csv.writer(target)
    writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
