"""Money in templates: ``{{ amount|money }}`` rounds an amount by the money rule
(``catalog.money``), ``{{ cost|unit_price }}`` shows a unit price with its own decimals.
Both show "—" for no value (None, NaN), so a missing figure never reads as zero."""

import math
from decimal import Decimal

from django import template

from catalog.money import money_text, unit_price_text

register = template.Library()


def _decimal(value) -> Decimal | None:
    """Return ``value`` as a Decimal, None for no value. A float here comes from a pandas
    frame; its shortest repr is the decimal it was made from (never its binary expansion)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else Decimal(repr(value))
    return Decimal(value)


@register.filter
def money(value) -> str:
    """Return the amount rounded half-up to the cent with two decimals; "—" for none."""
    amount = _decimal(value)
    return "—" if amount is None else money_text(amount)


@register.filter
def unit_price(value) -> str:
    """Return the unit price with two to four decimals, unrounded; "—" for none."""
    price = _decimal(value)
    return "—" if price is None else unit_price_text(price)
