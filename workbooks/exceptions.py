"""Errors of a workbook that cannot be read. Each carries what a user needs to fix the file."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class CellError:
    """One problem of a file: ``row`` as Excel numbers it (None for the sheet as a whole)."""

    row: int | None
    column: str
    value: Any
    reason: str

    def __str__(self) -> str:
        value = "" if self.value is None else str(self.value)
        if self.row is None:
            place = self.column
        else:
            place = _("row %(row)d, %(column)s") % {"row": self.row, "column": self.column}
        if value:
            shown = repr(self.value) if isinstance(self.value, str | int | float) else repr(value)
            return f"{place}: {shown}: {self.reason}" if place else f"{shown}: {self.reason}"
        return f"{place}: {self.reason}" if place else str(self.reason)


class WorkbookError(Exception):
    """Base of workbook errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CellInvalid(WorkbookError):
    """One cell of a workbook cannot be read as its column expects; ``message`` says why."""


class WorkbookInvalid(WorkbookError):
    """A workbook cannot be imported; ``errors`` lists every problem (row, column, value,
    reason) so that the user fixes the file in one go. Nothing of it was applied."""

    def __init__(self, errors: list):
        self.errors = sorted(errors, key=lambda e: (e.row or 0, str(e.column)))
        count = len(self.errors)
        if count == 1:
            message = _("The file cannot be imported: %(problem)s") % {"problem": self.errors[0]}
        else:
            message = ngettext(
                "The file has %(count)d problem; nothing was imported.",
                "The file has %(count)d problems; nothing was imported.",
                count,
            ) % {"count": count}
        super().__init__(message)
