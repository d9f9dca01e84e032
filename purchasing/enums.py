from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierType(models.TextChoices):
    """What kind of business a supplier is; the choice prefers them in the order of the
    ``PURCHASING_SUPPLIER_TYPE_ORDER`` setting (manufacturer first by default)."""

    MANUFACTURER = "manufacturer", _("Manufacturer (制造商)")
    AGENT = "agent", _("Agent (代理商)")
    WHOLESALER = "wholesaler", _("Wholesaler (批发商)")
    TRADING_COMPANY = "trading_company", _("Trading company (商贸公司)")


class PurchaseOrderStatus(models.TextChoices):
    """draft → ordered → partially received → received → closed, or cancelled."""

    DRAFT = "draft", _("Draft")
    ORDERED = "ordered", _("Ordered")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Orders that wait for goods: their unreceived quantity is on order (采购在途).
OPEN_STATUSES = (PurchaseOrderStatus.ORDERED, PurchaseOrderStatus.PARTIALLY_RECEIVED)
