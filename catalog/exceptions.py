"""Domain errors of the catalog. Each carries what a user needs to fix the input."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CatalogError(Exception):
    """Base of catalog errors; ``message`` is the translated text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CategoryTreeError(CatalogError):
    """A tree write would break a tree rule (depth, products on leaves only, cycles)."""


class InvalidStatusTransition(CatalogError):
    """The lifecycle does not lead from ``current`` to ``target`` (both shown as labels)."""

    def __init__(self, current: str, target: str):
        self.current, self.target = current, target
        super().__init__(
            _("A product cannot go from %(current)s to %(target)s.")
            % {"current": current, "target": target}
        )


class ProductNotListable(CatalogError):
    """The product is below 100 % web completeness; ``missing`` names what is missing."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            _("The product cannot be listed until it is complete. Missing: %(missing)s.")
            % {"missing": "; ".join(missing)}
        )


class AttributeValueInvalid(CatalogError):
    """``value`` does not fit ``attribute_name``; ``reason`` says what would."""

    def __init__(self, attribute_name: str, value, reason: str):
        self.attribute_name, self.value, self.reason = attribute_name, value, reason
        shown = "; ".join(map(str, value)) if isinstance(value, list | tuple) else value
        super().__init__(
            _("%(attribute)s: %(value)s is not valid. %(reason)s")
            % {"attribute": attribute_name, "value": shown, "reason": reason}
        )


class BundleInvalid(CatalogError):
    """A bundle's components break a bundle rule."""


class ProductImageInvalid(CatalogError):
    """An uploaded file is not an acceptable product image."""


class CellInvalid(CatalogError):
    """One cell of a workbook cannot be read as its column expects; ``message`` says why."""


class WorkbookInvalid(CatalogError):
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
