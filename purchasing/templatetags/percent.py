"""The ``percent`` filter: a share (0.667) as the percentage people read (66.7 %)."""

import math

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def percent(value, decimals: int = 1) -> str:
    """Return ``value`` × 100 with ``decimals`` places and " %"; "—" for no value (None, NaN)."""
    if value is None or value == "":
        return "—"
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return "—"
    return f"{floatformat(number * 100, decimals)} %"
