"""Domain errors of orders. Each carries everything a user needs to fix the input."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


class OrderError(Exception):
    """Base of order errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidOrderInput(OrderError):
    """The request itself is wrong; ``problems`` lists every thing to correct."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


class OrderAlreadyPlaced(OrderError):
    """The order form was sent again: ``order`` is the one its first sending placed."""

    def __init__(self, order):
        self.order = order
        super().__init__(
            _("Order %(number)s was placed already from this form; it is not placed twice.")
            % {"number": order.number}
        )


class InvalidTransition(OrderError):
    def __init__(self, order, action: str):
        self.order = order
        self.action = action
        super().__init__(
            _("Order %(number)s is %(status)s: it cannot be %(action)s.")
            % {"number": order.number, "status": order.get_status_display(), "action": action}
        )


@dataclass(frozen=True)
class ShortLine:
    """An order line that cannot be served from the available (可发) stock."""

    line_no: int
    sku_code: str
    wanted: int
    available: int
    # Units on the shelf but owed to earlier-paid orders waiting for them (缺货).
    promised: int = 0

    def __str__(self) -> str:
        text = _("line %(line)d, %(sku)s: wanted %(wanted)d, available %(available)d") % {
            "line": self.line_no,
            "sku": self.sku_code,
            "wanted": self.wanted,
            "available": self.available,
        }
        if self.promised:
            text += " " + _("(%(promised)d more promised to orders waiting for them)") % {
                "promised": self.promised
            }
        return text


class OrderRefused(OrderError):
    """A staff order that cannot be served whole; nothing was saved."""

    def __init__(self, short_lines: list[ShortLine]):
        self.short_lines = short_lines
        super().__init__(
            _(
                "Not enough stock, the order was not placed: %(lines)s. Choose backorder to "
                "accept it anyway."
            )
            % {"lines": "; ".join(str(line) for line in short_lines)}
        )


@dataclass(frozen=True)
class RowError:
    """One problem of an import file: Excel row number, column, value and reason."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return _("row %(row)d, column %(column)s, value %(value)r: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


class ImportRejected(OrderError):
    """An import file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            _("%(count)d errors, nothing was imported: %(errors)s")
            % {"count": len(errors), "errors": "; ".join(str(e) for e in errors[:20])}
        )
