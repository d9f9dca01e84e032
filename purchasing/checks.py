"""System checks of the purchasing settings: a wrong weight or level fails at start-up."""

from django.conf import settings
from django.core.checks import Error, register

from catalog.enums import ProductRole
from purchasing.enums import SupplierType

SCORE_RATES = ("on_time", "fill", "quality", "price")


@register()
def check_purchasing_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    weights = settings.PURCHASING_SCORE_WEIGHTS
    if set(weights) != set(SCORE_RATES):
        errors.append(
            Error(
                "PURCHASING_SCORE_WEIGHTS must weigh exactly {}.".format(", ".join(SCORE_RATES)),
                id="purchasing.E001",
            )
        )
    elif abs(sum(weights.values()) - 100) > 1e-9 or min(weights.values()) < 0:
        errors.append(
            Error(
                f"PURCHASING_SCORE_WEIGHTS must be zero or more and add up to 100, "
                f"not {sum(weights.values())}.",
                id="purchasing.E002",
            )
        )
    order = settings.PURCHASING_SUPPLIER_TYPE_ORDER
    if sorted(order) != sorted(SupplierType.values):
        errors.append(
            Error(
                "PURCHASING_SUPPLIER_TYPE_ORDER must list each of {} once.".format(
                    ", ".join(SupplierType.values)
                ),
                id="purchasing.E003",
            )
        )
    levels = settings.PURCHASING_SERVICE_LEVELS
    if set(levels) != set(ProductRole.values) or not all(0.5 <= v < 1 for v in levels.values()):
        errors.append(
            Error(
                "PURCHASING_SERVICE_LEVELS must give each of {} a level from 0.5 to "
                "below 1.".format(", ".join(ProductRole.values)),
                id="purchasing.E004",
            )
        )
    if settings.PURCHASING_DEMAND_DAYS < 1 or settings.PURCHASING_REVIEW_DAYS < 0:
        errors.append(
            Error(
                "PURCHASING_DEMAND_DAYS must be 1 or more, PURCHASING_REVIEW_DAYS 0 or more.",
                id="purchasing.E005",
            )
        )
    return errors
