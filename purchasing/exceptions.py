"""Domain errors of purchasing. Each carries everything a user needs to fix the input."""

from django.utils.translation import gettext as _


class PurchasingError(Exception):
    """Base of purchasing errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidPurchaseInput(PurchasingError):
    """The request itself is wrong; ``problems`` lists every thing to correct."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


class InvalidOrderTransition(PurchasingError):
    """The purchase order lifecycle does not lead from ``current`` to ``target``."""

    def __init__(self, order, current: str, target: str):
        self.order, self.current, self.target = order, current, target
        super().__init__(
            _("Purchase order %(order)s cannot go from %(current)s to %(target)s.")
            % {"order": order.code, "current": current, "target": target}
        )


class OverReceipt(PurchasingError):
    """Accepted units would exceed what was ordered on some lines; nothing was received."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__(
            _("More than ordered cannot be received: %(lines)s.") % {"lines": "; ".join(lines)}
        )


class ReceiptAlreadyRecorded(PurchasingError):
    """The receive page was sent again: ``receipt`` is the one its first sending recorded."""

    def __init__(self, receipt):
        self.receipt = receipt
        super().__init__(
            _("%(receipt)s was recorded already from this page; it is not recorded twice.")
            % {"receipt": receipt}
        )


class SuggestionsAlreadyOrdered(PurchasingError):
    """Orders for the selected SKUs were made after the suggestions were shown (a second
    click, or a colleague): nothing was created, so nothing is ordered twice."""

    def __init__(self, skus: list[str], orders: list[str]):
        self.skus, self.orders = skus, orders
        super().__init__(
            _(
                "Nothing was created: %(skus)s already on %(orders)s, made after this page "
                "was shown. Reload the page to see what is still needed."
            )
            % {"skus": ", ".join(skus), "orders": ", ".join(orders)}
        )
