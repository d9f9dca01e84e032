from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductRole(models.TextChoices):
    """The part a product plays in the range (product structure)."""

    TRAFFIC = "traffic", _("Traffic driver (目标性/导流)")
    REGULAR = "regular", _("Regular (常规性)")
    IMAGE = "image", _("Image / flagship (形象)")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    READY = "ready", _("Ready")
    LISTED = "listed", _("Listed")
    DELISTED = "delisted", _("Delisted")


class SelectionTag(models.TextChoices):
    """名特优新: the tags purchasing selects products by."""

    FAMOUS = "famous", _("Famous (名)")
    SPECIAL = "special", _("Special (特)")
    QUALITY = "quality", _("Quality (优)")
    NEW = "new", _("New (新)")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    DATE = "date", _("Date")


class AttributeUse(models.TextChoices):
    """The staff uses an attribute serves; the role matrix maps roles onto these."""

    WEB_FILTER = "web_filter", _("Web filter")
    WEB_DISPLAY = "web_display", _("Web display")
    VARIANT = "variant", _("Variant-defining (sale attribute)")
    WAREHOUSE = "warehouse", _("Warehouse")
    LOGISTICS = "logistics", _("Logistics")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    FINANCE = "finance", _("Finance")


# One or two characters per use in Chinese, for column heads and badges: eight yes/no columns
# with the full labels are wider than a 1366 px screen.
ATTRIBUTE_USE_SHORT_LABELS = {
    AttributeUse.WEB_FILTER: _("Filter"),
    AttributeUse.WEB_DISPLAY: _("Display"),
    AttributeUse.VARIANT: _("Variant"),
    AttributeUse.WAREHOUSE: _("Warehouse"),
    AttributeUse.LOGISTICS: _("Logistics"),
    AttributeUse.CUSTOMER_SERVICE: _("Service"),
    AttributeUse.MARKETING: _("Marketing"),
    AttributeUse.FINANCE: _("Finance"),
}


class CompletenessScope(models.TextChoices):
    """What a product must have filled before a given team can work with it."""

    WEB = "web", _("Web listing")
    WAREHOUSE = "warehouse", _("Warehouse")
    FINANCE = "finance", _("Finance")
