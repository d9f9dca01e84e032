"""Import channel orders from a CSV or xlsx file (``import_orders FILE``).

One row per order line. Columns (header names, any order, case-insensitive): ``channel``,
``shop``, ``order_number``, ``customer``, ``sku`` (the platform SKU code or our SKU code),
``quantity``, ``unit_price``, ``paid_at``; optional ``price_type`` and ``discount``. Rows
with the same channel + shop + order number are the lines of one order.

All or nothing: every row is checked first and every problem is reported with its Excel row
number, column, value and reason; nothing is imported unless the whole file is good. An order
that exists already (same channel + shop + order number) is skipped, so importing a file
twice imports it once. When two imports of one file run at the same time, the database's
unique constraint makes the second wait for the first and then refuse its copies: the second
reports those rows as errors (nothing of it is imported) and, run again, skips them.

The file's new orders are placed as one batch (``services.channel_orders_place``): one
transaction, so all their reservations share one durable commit.
"""

import csv
import datetime as dt
import io
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.money import money
from orders import services
from orders.enums import CustomerKind, PriceType
from orders.exceptions import ImportRejected, RowError
from orders.models import Customer, SalesOrder, Shop
from workbooks.exceptions import WorkbookInvalid
from workbooks.guards import too_many_rows, upload_check
from workbooks.reading import sheet_table
from workbooks.sheets import text_refusal, text_shown

# The most one order line may carry: as the staff order form (orders.forms.LineForm), and
# amounts within the money columns (12 digits, 2 after the point).
MAX_QUANTITY = 100_000
MAX_AMOUNT = 10**10
REQUIRED = ("channel", "shop", "order_number", "sku", "quantity", "unit_price")
OPTIONAL = ("customer", "paid_at", "price_type", "discount")
COLUMNS = REQUIRED + OPTIONAL


@dataclass
class ImportResult:
    orders: int = 0
    lines: int = 0
    skipped: int = 0
    numbers: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: int  # the row number Excel shows
    shop: Shop
    order_number: str
    customer: str
    code: str
    quantity: int
    unit_price: Decimal
    paid_at: dt.datetime | None
    price_type: str
    discount: Decimal


LISTING_REQUIRED = ("channel", "shop", "platform_sku_code")
LISTING_OPTIONAL = ("platform_item_code", "merchant_code", "title", "sku")


def read_rows(path: Path, required: tuple[str, ...] = REQUIRED) -> dict[int, dict[str, object]]:
    """Return the data rows of a CSV or xlsx file, by the row number Excel (or the CSV's
    line) shows, as dicts keyed by lower-case header. In a workbook the header is the
    first row holding a value, wherever it starts (workbooks.reading)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        try:
            sheet = sheet_table(path, max_rows=settings.CATALOG_IMPORT_MAX_ROWS)
        except WorkbookInvalid as invalid:
            raise ImportRejected(
                [RowError(e.row or 0, e.column, "", e.reason) for e in invalid.errors]
            ) from None
        table, broken = sheet.rows, sheet.errors
    elif suffix in (".csv", ".txt"):
        try:
            upload_check(path.stat().st_size)
            text = path.read_bytes().decode("utf-8-sig")
        except WorkbookInvalid as invalid:
            raise ImportRejected([RowError(0, "", path.name, invalid.errors[0].reason)]) from None
        except UnicodeDecodeError:
            reason = _("The file is not UTF-8 text; save it as CSV UTF-8.")
            raise ImportRejected([RowError(0, "", path.name, reason)]) from None
        limit = settings.CATALOG_IMPORT_MAX_ROWS + 1  # the header row comes on top
        try:
            table, broken = list(itertools.islice(csv.reader(io.StringIO(text)), limit + 1)), {}
        except csv.Error as error:
            reason = _("The CSV file cannot be read: %(error)s") % {"error": error}
            raise ImportRejected([RowError(0, "", path.name, reason)]) from None
        if len(table) > limit:
            reason = too_many_rows(len(table) - 1, settings.CATALOG_IMPORT_MAX_ROWS).reason
            raise ImportRejected([RowError(0, "", path.name, reason)])
    else:
        raise ImportRejected([RowError(0, "", path.name, _("Give a .csv or .xlsx file."))])
    filled = (i for i, cells in enumerate(table) if any(c not in ("", None) for c in cells))
    top = next(filled, None)
    if top is None:
        raise ImportRejected([RowError(1, "", "", _("The file is empty."))])
    header = [str(cell or "").strip().lower() for cell in table[top]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportRejected(
            [
                RowError(top + 1, name, "", _("This column is missing from the header row."))
                for name in missing
            ]
        )
    errors = [
        RowError(
            row + 1,
            header[column],
            value,
            _("The cell shows a formula error; correct the formula or type a value."),
        )
        for (row, column), value in sorted(broken.items())
        if row > top and column < len(header) and header[column]
    ]
    errors += [
        RowError(row + 1, header[column], text_shown(value), refusal)
        for row, cells in enumerate(table[top + 1 :], start=top + 1)
        for column, value in enumerate(cells[: len(header)])
        if isinstance(value, str) and (refusal := text_refusal(value)) is not None
    ]
    if errors:
        raise ImportRejected(errors)
    return {
        index + 1: {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
        for index, cells in enumerate(table[top + 1 :], start=top + 1)
    }


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decimal(value) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(_text(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _when(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        moment = parse_datetime(_text(value).replace("/", "-"))
        if moment is None:
            try:
                moment = dt.datetime.combine(dt.date.fromisoformat(_text(value)), dt.time())
            except ValueError:
                return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _check_rows(raw_rows: dict[int, dict[str, object]]) -> tuple[list[_Row], list[RowError]]:
    shops = {
        (shop.channel.code.lower(), shop.code.lower()): shop
        for shop in Shop.objects.select_related("channel", "warehouse")
    }
    channels = {channel for channel, _shop in shops}
    errors: list[RowError] = []
    rows: list[_Row] = []
    for index, raw in raw_rows.items():
        values = {name: raw.get(name) for name in COLUMNS}
        if all(_text(v) == "" for v in values.values()):
            continue  # a blank line
        problems: list[RowError] = []

        def problem(column: str, reason: str, values=values, problems=problems, index=index):
            problems.append(RowError(index, column, _text(values[column]), reason))

        channel, shop_code = _text(values["channel"]).lower(), _text(values["shop"]).lower()
        shop = shops.get((channel, shop_code))
        if channel not in channels:
            problem("channel", _("No channel has this code."))
        elif shop is None:
            problem("shop", _("This channel has no shop with this code."))
        order_number = _text(values["order_number"])
        if not order_number:
            problem("order_number", _("Give the channel's order number."))
        elif len(order_number) > 64:
            problem("order_number", _("At most 64 characters."))
        if len(_text(values["customer"])) > 30:
            problem("customer", _("At most 30 characters."))
        code = _text(values["sku"])
        if not code:
            problem("sku", _("Give the platform SKU code or our SKU code."))
        elif len(code) > 64:
            problem("sku", _("At most 64 characters."))
        quantity = _decimal(values["quantity"])
        if quantity is None or quantity != quantity.to_integral_value() or quantity <= 0:
            problem("quantity", _("Give a whole number above zero."))
        elif quantity > MAX_QUANTITY:
            problem("quantity", _("The number is too large."))
        price = _decimal(values["unit_price"])
        if price is None or price < 0:
            problem("unit_price", _("Give an amount of zero or more."))
        elif price >= MAX_AMOUNT:
            problem("unit_price", _("A price has at most 10 digits before the decimal point."))
        discount = _decimal(values["discount"]) if _text(values["discount"]) else Decimal("0")
        if discount is None or discount < 0:
            problem("discount", _("Give an amount of zero or more."))
        elif discount >= MAX_AMOUNT:
            problem("discount", _("A price has at most 10 digits before the decimal point."))
        paid_at = None
        if _text(values["paid_at"]):
            paid_at = _when(values["paid_at"])
            if paid_at is None:
                problem("paid_at", _("Give a date and time such as 2026-11-11 20:15."))
        price_type = _text(values["price_type"]).lower() or PriceType.RETAIL
        if price_type not in PriceType.values:
            problem(
                "price_type",
                _("Choose one of %(choices)s.") % {"choices": ", ".join(PriceType.values)},
            )
        if problems:
            errors += problems
            continue
        rows.append(
            _Row(
                number=index,
                shop=shop,
                order_number=order_number,
                customer=_text(values["customer"]),
                code=code,
                quantity=int(quantity),
                unit_price=money(price),
                paid_at=paid_at,
                price_type=price_type,
                discount=money(discount),
            )
        )
    return rows, errors


def orders_import(*, raw_rows: dict[int, dict[str, object]], user=None) -> ImportResult:
    """Import the rows (see the module docstring), all or nothing; raise ``ImportRejected``
    with every problem found."""
    rows, errors = _check_rows(raw_rows)
    orders: dict[tuple[int, str], list[_Row]] = defaultdict(list)
    for row in rows:
        orders[row.shop.pk, row.order_number].append(row)
    for lines in orders.values():
        first = lines[0]
        for row in lines[1:]:
            if row.customer != first.customer:
                errors.append(
                    RowError(
                        row.number,
                        "customer",
                        row.customer,
                        _("Row %(row)d names another customer for this order.")
                        % {"row": first.number},
                    )
                )
            if row.paid_at != first.paid_at:
                errors.append(
                    RowError(
                        row.number,
                        "paid_at",
                        str(row.paid_at or ""),
                        _("Row %(row)d gives another paid time for this order.")
                        % {"row": first.number},
                    )
                )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.column))))
    with transaction.atomic():
        result = _place_orders(orders, rows, errors, user=user)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ImportRejected(errors)
    return result


def _place_orders(
    orders: dict[tuple[int, str], list[_Row]], rows: list[_Row], errors: list[RowError], *, user
) -> ImportResult:
    """Place the file's new orders as one batch (one transaction, one commit for all their
    reservations: ``services.channel_orders_place``); add a row error for each order that
    could not be placed. Orders that exist already are skipped."""
    result = ImportResult()
    existing = set(
        SalesOrder.objects.filter(
            number__in={number for _shop, number in orders},
            shop_id__in={shop for shop, _number in orders},
        ).values_list("shop_id", "number")
    )
    customers = _customers({row.customer for row in rows if row.customer})
    batch = []
    for key, lines in orders.items():
        if key in existing:
            result.skipped += 1
            continue
        first = lines[0]
        batch.append(
            (
                lines,
                services.ChannelOrderInput(
                    shop=first.shop,
                    number=first.order_number,
                    customer=customers.get(first.customer),
                    paid_at=first.paid_at,
                    placed_at=first.paid_at,
                    lines=[
                        services.OrderLineInput(
                            quantity=row.quantity,
                            platform_code=row.code,
                            unit_price=row.unit_price,
                            price_type=row.price_type,
                            discount=row.discount,
                        )
                        for row in lines
                    ],
                ),
            )
        )
    outcomes = services.channel_orders_place(orders=[given for _lines, given in batch], user=user)
    for (lines, _given), outcome in zip(batch, outcomes, strict=True):
        first = lines[0]
        if outcome.error is not None:
            errors.append(
                RowError(first.number, "order_number", first.order_number, str(outcome.error))
            )
        elif outcome.taken:
            # Another import of the order committed after ``existing`` was read: the unique
            # (shop, number) constraint waited for it, then the batch skipped this copy.
            errors += [
                RowError(
                    row.number,
                    "order_number",
                    row.order_number,
                    _(
                        "Another import placed this order while this one ran; import the "
                        "file again to skip it."
                    ),
                )
                for row in lines
            ]
        else:
            result.orders += 1
            result.lines += len(lines)
            result.numbers.append(outcome.order.number)
    return result


def _customers(codes: set[str]) -> dict[str, Customer]:
    """Return the customers named by code; a buyer seen for the first time is created as a
    retail customer with the code as name (platform buyers are not registered first)."""
    found = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    # In code order: two imports creating the same customers take their keys in one order.
    new = [
        Customer(code=code, name=code, kind=CustomerKind.RETAIL)
        for code in sorted(codes - set(found))
    ]
    Customer.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        found |= {c.code: c for c in Customer.objects.filter(code__in=codes)}
    return found


def listings_import(*, raw_rows: dict[int, dict[str, object]], user=None) -> dict[str, int]:
    """Create or update channel listings from rows, all or nothing (多店铺商品对应).

    Columns: ``channel``, ``shop``, ``platform_sku_code``; optional ``platform_item_code``,
    ``merchant_code``, ``title`` and ``sku`` (our SKU code: maps the listing, and the order
    lines waiting for it take the SKU). A listing matches on its merchant code otherwise.
    """
    from catalog.models import SKU

    shops = {
        (shop.channel.code.lower(), shop.code.lower()): shop
        for shop in Shop.objects.select_related("channel")
    }
    wanted_skus = {_text(raw.get("sku")) for raw in raw_rows.values()} - {""}
    skus = {sku.code: sku for sku in SKU.objects.filter(code__in=wanted_skus)}
    errors, rows, seen = [], [], {}
    for index, raw in raw_rows.items():
        values = {name: _text(raw.get(name)) for name in LISTING_REQUIRED + LISTING_OPTIONAL}
        if not any(values.values()):
            continue
        shop = shops.get((values["channel"].lower(), values["shop"].lower()))
        if shop is None:
            errors.append(
                RowError(index, "shop", values["shop"], _("No shop of this channel has this code."))
            )
        if not values["platform_sku_code"] or len(values["platform_sku_code"]) > 64:
            errors.append(
                RowError(
                    index,
                    "platform_sku_code",
                    values["platform_sku_code"],
                    _("Give the platform SKU code (at most 64 characters)."),
                )
            )
        for name, limit in (("platform_item_code", 64), ("merchant_code", 64), ("title", 200)):
            if len(values[name]) > limit:
                reason = _("At most %(limit)d characters; this has %(length)d.") % {
                    "limit": limit,
                    "length": len(values[name]),
                }
                errors.append(RowError(index, name, values[name][:100], reason))
        if values["sku"] and values["sku"] not in skus:
            errors.append(RowError(index, "sku", values["sku"], _("No SKU has this code.")))
        key = (values["channel"].lower(), values["shop"].lower(), values["platform_sku_code"])
        if key in seen:
            errors.append(
                RowError(
                    index,
                    "platform_sku_code",
                    values["platform_sku_code"],
                    _("Row %(row)d has this code already.") % {"row": seen[key]},
                )
            )
        seen[key] = index
        rows.append((shop, values))
    if errors:
        raise ImportRejected(errors)
    counts = {"listings": 0, "matched": 0, "waiting lines": 0}
    with transaction.atomic():
        for shop, values in rows:
            listing = services.listing_upsert(
                shop=shop,
                platform_sku_code=values["platform_sku_code"],
                merchant_code=values["merchant_code"],
                platform_item_code=values["platform_item_code"],
                title=values["title"],
            )
            counts["listings"] += 1
            if values["sku"] and listing.sku_id is None:
                counts["waiting lines"] += services.listing_resolve(
                    listing=listing, sku=skus[values["sku"]], user=user
                )
            elif values["sku"] and listing.sku_id != skus[values["sku"]].pk:
                raise ImportRejected(
                    [
                        RowError(
                            seen[
                                (
                                    values["channel"].lower(),
                                    values["shop"].lower(),
                                    values["platform_sku_code"],
                                )
                            ],
                            "sku",
                            values["sku"],
                            _("The listing is matched to %(sku)s already.")
                            % {"sku": listing.sku.code},
                        )
                    ]
                )
            if listing.sku_id is not None or values["sku"]:
                counts["matched"] += 1
    return counts
