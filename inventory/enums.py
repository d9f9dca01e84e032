from django.db import models
from django.utils.translation import gettext_lazy as _


class SlotType(models.TextChoices):
    """What a slot (库位) is for: it decides where stock is picked from and what is defective."""

    RECEIVING = "receiving", _("Receiving (收货区)")
    PICK = "pick", _("Pick (拣货位)")
    RESERVE = "reserve", _("Reserve (存储位)")
    RETURNS = "returns", _("Returns (退货区)")
    QUARANTINE = "quarantine", _("Quarantine (次品区)")
    PACKING = "packing", _("Packing (打包区)")


# Stock is picked from these slot types, in this order of preference within a lot.
PICKABLE_SLOT_TYPES = (SlotType.PICK, SlotType.RESERVE, SlotType.RECEIVING)


class MoveKind(models.TextChoices):
    """The kind of a stock move; it fixes which of the from / to slots are set."""

    RECEIPT = "receipt", _("Receipt")
    PUTAWAY = "putaway", _("Putaway")
    TRANSFER = "transfer", _("Transfer")
    PICK = "pick", _("Pick")
    SHIP = "ship", _("Ship")
    RETURN = "return", _("Return")
    ADJUST = "adjust", _("Adjustment")
    COUNT = "count", _("Cycle count")
    SCRAP = "scrap", _("Scrap")


class DocumentType(models.TextChoices):
    """The kind of document a stock move, a lot or a reservation answers to (its reference).

    Apps above inventory write these codes; a code not listed here is shown as it is.
    """

    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    PURCHASE_RECEIPT = "purchase_receipt", _("Purchase receipt")
    SALES_ORDER = "sales_order", _("Sales order")
    SALES_RETURN = "sales_return", _("Sales return")
    PROMOTION = "promotion", _("Promotion")


class StockStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    WARNING = "warning", _("Low stock (预警)")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")


class ReturnDisposition(models.TextChoices):
    """What happens to returned goods once they are inspected in the returns slot."""

    RESTOCK = "restock", _("Restock")
    QUARANTINE = "quarantine", _("Quarantine as defective")
    SCRAP = "scrap", _("Scrap")
