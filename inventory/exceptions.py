"""Domain errors of inventory. Each carries everything a user needs to fix the input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from catalog.models import SKU
    from inventory.models import Slot, Warehouse


class InventoryError(Exception):
    """Base of inventory errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidStockInput(InventoryError):
    """The request itself is wrong; ``problems`` lists every thing to correct."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


@dataclass(frozen=True)
class Shortfall:
    """Units of one SKU wanted from a warehouse's available (可发) stock, and what is there."""

    sku: SKU
    warehouse: Warehouse
    wanted: int
    available: int
    bundles: tuple[str, ...] = ()
    # Units of 可发 on the shelf but owed to earlier waiting backorders (缺货), not counted in
    # ``available``.
    promised: int = 0

    def __str__(self) -> str:
        text = _("%(sku)s in %(warehouse)s: wanted %(wanted)d, available %(available)d") % {
            "sku": self.sku.code,
            "warehouse": self.warehouse.code,
            "wanted": self.wanted,
            "available": self.available,
        }
        if self.promised:
            text += " " + _("(%(promised)d more promised to waiting backorders)") % {
                "promised": self.promised
            }
        if self.bundles:
            text += " " + _("(component of %(bundles)s)") % {"bundles": ", ".join(self.bundles)}
        return text


class InsufficientStock(InventoryError):
    """Some lines cannot be reserved or locked; nothing was reserved or locked."""

    def __init__(self, shortfalls: list[Shortfall]):
        self.shortfalls = shortfalls
        super().__init__(
            _("Not enough stock available: %(lines)s.")
            % {"lines": "; ".join(str(s) for s in shortfalls)}
        )


class PickShortage(InventoryError):
    """Pickable slots hold fewer units than the reservations need; nothing was picked."""

    def __init__(self, shortfalls: list[Shortfall]):
        self.shortfalls = shortfalls
        super().__init__(
            _(
                "Not enough stock in pickable slots: %(lines)s. Put received or returned "
                "stock away first."
            )
            % {
                "lines": "; ".join(
                    _("%(sku)s in %(warehouse)s: to pick %(wanted)d, pickable %(available)d")
                    % {
                        "sku": s.sku.code,
                        "warehouse": s.warehouse.code,
                        "wanted": s.wanted,
                        "available": s.available,
                    }
                    for s in shortfalls
                )
            }
        )


@dataclass(frozen=True)
class SlotShortfall:
    slot: Slot
    sku: SKU
    wanted: int
    on_hand: int

    def __str__(self) -> str:
        return _("%(slot)s holds %(on_hand)d of %(sku)s, %(wanted)d wanted") % {
            "slot": self.slot.label,
            "sku": self.sku.code,
            "on_hand": self.on_hand,
            "wanted": self.wanted,
        }


class SlotStockShortage(InventoryError):
    """A slot holds fewer units than a move takes out of it; nothing was moved."""

    def __init__(self, shortfalls: list[SlotShortfall]):
        self.shortfalls = shortfalls
        super().__init__(
            _("Not enough stock in the slot: %(lines)s.")
            % {"lines": "; ".join(str(s) for s in shortfalls)}
        )


@dataclass(frozen=True)
class Overcommitment:
    """After a move, sellable units (on hand − defective) would fall below reserved + locked."""

    sku: SKU
    warehouse: Warehouse
    sellable: int
    reserved: int
    locked: int

    def __str__(self) -> str:
        return _(
            "%(sku)s in %(warehouse)s would keep %(sellable)d sellable units while "
            "%(reserved)d are reserved and %(locked)d locked"
        ) % {
            "sku": self.sku.code,
            "warehouse": self.warehouse.code,
            "sellable": self.sellable,
            "reserved": self.reserved,
            "locked": self.locked,
        }


class StockCommitted(InventoryError):
    """The move would take away stock that orders or locks hold; nothing was moved."""

    def __init__(self, lines: list[Overcommitment]):
        self.lines = lines
        super().__init__(
            _(
                "Stock held by orders or locks cannot be taken: %(lines)s. Release "
                "reservations or unlock stock first."
            )
            % {"lines": "; ".join(str(line) for line in lines)}
        )


class NoSlotAvailable(InventoryError):
    """No active pick slot has room for the goods being put away."""

    def __init__(self, sku: SKU, warehouse: Warehouse, quantity: int):
        self.sku, self.warehouse, self.quantity = sku, warehouse, quantity
        super().__init__(
            _(
                "No pick slot in %(warehouse)s holds %(sku)s or is empty with room for "
                "%(quantity)d units; choose a slot."
            )
            % {"warehouse": warehouse.code, "sku": sku.code, "quantity": quantity}
        )


class SlotCapacityExceeded(InventoryError):
    """Moving the goods in would overfill one or more slots; nothing was moved."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(_("Not enough room: %(problems)s.") % {"problems": "; ".join(problems)})


class StockMoveImmutable(InventoryError):
    """Stock moves form the ledger: they are never changed or deleted."""

    def __init__(self):
        super().__init__(
            _(
                "Stock moves cannot be changed or deleted; post a correcting move "
                "(adjustment or transfer) instead."
            )
        )
