"""Import reviews (点评) from a CSV or xlsx file (``import_reviews FILE``).

One row per review. Columns (header names, any order, case-insensitive): ``order_number``
(the order's number, which is the channel's order id), ``score`` (1 to 5); optional ``sku``
(our SKU code or the channel's code; needed when the order has more than one line),
``text`` and ``date`` (when the buyer wrote it; empty: now).

All or nothing: every row is checked first and every problem is reported with its row
number, column, value and reason (score outside 1 to 5, unknown order, line not named or
ambiguous, a line reviewed already or twice in the file); nothing is written unless the whole
file is good.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.enums import ReviewSource
from orders.exceptions import ImportRejected, RowError
from orders.imports import _decimal, _text, _when
from orders.models import Review, SalesOrder, SalesOrderLine

REQUIRED = ("order_number", "score")
OPTIONAL = ("sku", "text", "date")
COLUMNS = REQUIRED + OPTIONAL
MAX_TEXT = 2000
LOOKUP_BATCH = 5000


@dataclass
class ReviewImportResult:
    reviews: int = 0


def _orders_by_number(numbers: set[str]) -> dict[str, list[SalesOrder]]:
    found: dict[str, list[SalesOrder]] = defaultdict(list)
    ordered = sorted(numbers)
    for start in range(0, len(ordered), LOOKUP_BATCH):
        for order in SalesOrder.objects.filter(number__in=ordered[start : start + LOOKUP_BATCH]):
            found[order.number].append(order)
    return found


def _lines_of(order_ids: list[int]) -> dict[int, list[SalesOrderLine]]:
    lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
    for start in range(0, len(order_ids), LOOKUP_BATCH):
        batch = order_ids[start : start + LOOKUP_BATCH]
        for line in (
            SalesOrderLine.objects.filter(order_id__in=batch)
            .select_related("sku")
            .order_by("order_id", "line_no")
        ):
            lines[line.order_id].append(line)
    return lines


def _reviewed(line_ids: list[int]) -> set[int]:
    reviewed: set[int] = set()
    for start in range(0, len(line_ids), LOOKUP_BATCH):
        batch = line_ids[start : start + LOOKUP_BATCH]
        reviewed |= set(Review.objects.filter(line_id__in=batch).values_list("line_id", flat=True))
    return reviewed


def reviews_import(*, raw_rows: dict[int, dict[str, object]], user=None) -> ReviewImportResult:
    """Check every row of a review file and create its reviews, all or none.

    Raises ``ImportRejected`` listing every problem (row, column, value, reason)."""
    rows = {
        index: {name: raw.get(name) for name in COLUMNS}
        for index, raw in raw_rows.items()
        if any(_text(raw.get(name)) for name in COLUMNS)
    }
    orders = _orders_by_number({_text(values["order_number"]) for values in rows.values()})
    lines = _lines_of([order.pk for found in orders.values() for order in found])
    reviewed = _reviewed([line.pk for found in lines.values() for line in found])
    errors: list[RowError] = []
    reviews: list[Review] = []
    row_of_line: dict[int, int] = {}
    now = timezone.now()
    for index, values in rows.items():
        problems: list[RowError] = []

        def problem(column: str, reason: str, values=values, problems=problems, index=index):
            problems.append(RowError(index, column, _text(values[column]), reason))

        score = _decimal(values["score"])
        if score is None or score != score.to_integral_value() or not 1 <= score <= 5:
            problem("score", _("Give a whole score from 1 to 5."))
        text = _text(values["text"])
        if len(text) > MAX_TEXT:
            problem("text", _("At most %(count)d characters.") % {"count": MAX_TEXT})
        reviewed_at = now
        if _text(values["date"]):
            reviewed_at = _when(values["date"])
            if reviewed_at is None:
                problem("date", _("Give a date such as 2026-11-11 or 2026-11-11 20:15."))
            elif reviewed_at > now:
                problem("date", _("A review cannot be written in the future."))
        line = None
        number = _text(values["order_number"])
        found = orders.get(number, [])
        if not number:
            problem("order_number", _("Give the order number."))
        elif not found:
            problem("order_number", _("No order has this number."))
        elif len(found) > 1:
            problem(
                "order_number",
                _("Orders of %(count)d shops have this number; it is ambiguous.")
                % {"count": len(found)},
            )
        else:
            order_lines = lines.get(found[0].pk, [])
            code = _text(values["sku"]).lower()
            if code:
                matches = [
                    line
                    for line in order_lines
                    if code in {line.code.lower(), line.platform_code.lower()}
                ]
                if not matches:
                    problem("sku", _("The order has no line with this SKU."))
                elif len(matches) > 1:
                    problem("sku", _("The order has several lines with this SKU; it is ambiguous."))
                else:
                    line = matches[0]
            elif len(order_lines) == 1:
                line = order_lines[0]
            else:
                problem(
                    "sku",
                    _("The order has %(count)d lines: give the SKU of the line reviewed.")
                    % {"count": len(order_lines)},
                )
        if line is not None:
            if line.pk in reviewed:
                problem("order_number", _("This order line has a review already."))
            elif line.pk in row_of_line:
                problem(
                    "order_number",
                    _("Row %(row)d reviews this order line already.")
                    % {"row": row_of_line[line.pk]},
                )
            else:
                row_of_line[line.pk] = index
        if problems:
            errors += problems
            continue
        reviews.append(
            Review(
                line=line,
                score=int(score),
                text=text,
                reviewed_at=reviewed_at,
                source=ReviewSource.IMPORT,
                created_by=user,
            )
        )
    if errors:
        raise ImportRejected(errors)
    try:
        with transaction.atomic():
            Review.objects.bulk_create(reviews, batch_size=2000)
    except IntegrityError:
        # Another import reviewed one of these lines since the check: refuse the whole file.
        reason = _("Another import reviewed some of these order lines meanwhile; run it again.")
        raise ImportRejected([RowError(0, "", "", reason)]) from None
    return ReviewImportResult(reviews=len(reviews))
