"""Domain errors of the catalog. Each carries what a user needs to fix the input."""

from django.utils.translation import gettext as _


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


class CategoryAttributeError(CatalogError):
    """An edit of a category's attributes no longer fits what is stored (a link removed or
    added meanwhile)."""
