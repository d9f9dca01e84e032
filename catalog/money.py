"""The one money rule of Jingxi: amounts are Decimal cents, rounded half-up, and a total is
the sum of its rounded lines.

- An amount (a line's quantity × unit price, a stock value, an order total) is rounded to
  0.01 by ``money()``, half-up: a half cent goes away from zero (2.345 → 2.35,
  −2.345 → −2.35), as a cashier rounds and as PostgreSQL's ``ROUND(numeric, 2)`` does, so
  an amount rounded in SQL and one rounded here agree.
- A line's amount is rounded on its own; a total is the sum of the rounded lines
  (``money_total``), never the rounded sum of unrounded products. So a reader who adds the
  lines of a printed order gets its total, to the cent.
- Unit prices (an offer's or an order line's unit cost) keep their own precision, up to
  four decimals: they are not amounts. ``unit_price_text`` shows them without rounding.
- Money is never a float: a float is refused rather than rounded, since its binary value
  is not the decimal the user typed (1.005 is 1.00499999…).

This module sits in ``catalog``, the bottom of the app graph, so every app can import it;
it imports nothing of Jingxi.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(amount: Decimal | int) -> Decimal:
    """Return ``amount`` rounded half-up to the cent."""
    if isinstance(amount, float):
        raise TypeError("money() takes a Decimal or an int, never a float")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """Return the amount of a line: ``quantity`` × ``unit_price``, rounded to the cent."""
    return money(quantity * unit_price)


def money_total(amounts: Iterable[Decimal | int]) -> Decimal:
    """Return the total of ``amounts``: each rounded to the cent first, then added."""
    return sum((money(amount) for amount in amounts), Decimal("0.00"))


def money_text(amount: Decimal | int | None) -> str:
    """Return ``amount`` as shown on pages and in reasons: rounded, two decimals, no
    grouping ("1234.50"); "" for no amount."""
    if amount is None:
        return ""
    return f"{money(amount):.2f}"


def unit_price_text(price: Decimal | int | None) -> str:
    """Return a unit price with the decimals it carries, at least two and at most four
    ("1.2345", "12.50"): never rounded, so quantity × the shown price gives the line."""
    if price is None:
        return ""
    if isinstance(price, float):
        raise TypeError("unit_price_text() takes a Decimal or an int, never a float")
    price = Decimal(price)
    places = max(2, min(4, -price.normalize().as_tuple().exponent))
    return f"{price:.{places}f}"
