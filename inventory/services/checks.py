"""Input checks shared by the stock services: each appends what is wrong to a list of
problems, so that one ``InvalidStockInput`` names every problem of a request."""

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.models import SKU
from inventory.enums import SlotType
from inventory.exceptions import (
    InvalidStockInput,
)
from inventory.models import (
    Lot,
    Slot,
)


def _check_quantity(problems: list[str], quantity, subject: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        problems.append(
            _("%(subject)s: the quantity must be a whole number above zero, not %(quantity)s.")
            % {"subject": subject, "quantity": quantity}
        )


def _check_money(problems: list[str], amount, subject: str) -> Decimal | None:
    if amount is None:
        return None
    if isinstance(amount, float | bool):
        problems.append(
            _("%(subject)s: give the unit cost as a Decimal, not %(amount)r.")
            % {"subject": subject, "amount": amount}
        )
        return None
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        problems.append(
            _("%(subject)s: %(amount)s is not an amount.") % {"subject": subject, "amount": amount}
        )
        return None
    if not amount.is_finite() or amount < 0:
        problems.append(_("%(subject)s: the unit cost cannot be negative.") % {"subject": subject})
        return None
    return amount


def _check_stockable(problems: list[str], sku: SKU) -> None:
    if sku.is_bundle:
        problems.append(
            _("%(sku)s is a bundle (组合装) and holds no stock; move its components.")
            % {"sku": sku.code}
        )


def _check_slot(
    problems: list[str],
    slot: Slot,
    *,
    refused: Iterable[str] = (SlotType.PACKING,),
    must_be_active: bool = True,
) -> None:
    if must_be_active and not slot.is_active:
        problems.append(_("Slot %(slot)s is not active.") % {"slot": slot.label})
    if slot.slot_type in refused:
        problems.append(
            _("Slot %(slot)s is a %(type)s slot and cannot be used here.")
            % {"slot": slot.label, "type": slot.get_slot_type_display()}
        )


def _check_reason(problems: list[str], reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        problems.append(_("Give a reason."))
    return reason


def _check_lot(problems: list[str], lot: Lot | None, sku: SKU) -> None:
    if lot is not None and lot.sku_id != sku.pk:
        problems.append(
            _("Lot %(lot)s is not a lot of %(sku)s.") % {"lot": lot.pk, "sku": sku.code}
        )


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidStockInput(problems)
