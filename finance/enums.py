from django.db import models
from django.utils.translation import gettext_lazy as _


class BillStatus(models.TextChoices):
    """A supplier bill is entered as a draft, matched against its order and receipts, and
    approved for payment only when the three-way match holds (or finance accepts the
    differences it lists)."""

    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class AgeingBucket(models.TextChoices):
    """Days past the due date of an open invoice or bill."""

    CURRENT = "current", _("Not yet due")
    DAYS_1_30 = "1_30", _("1–30 days overdue")
    DAYS_31_60 = "31_60", _("31–60 days overdue")
    DAYS_61_90 = "61_90", _("61–90 days overdue")
    OVER_90 = "over_90", _("Over 90 days overdue")


class Quadrant(models.TextChoices):
    """Where the product-line report (产品线优化) places a product: sales velocity × gross
    margin %, each against its split (``finance.productline``)."""

    TRAFFIC = "traffic", _("Traffic driver (high velocity, low margin)")
    PROFIT = "profit", _("Profit maker (high velocity, high margin)")
    NICHE = "niche", _("Niche (low velocity, high margin)")
    DELIST = "delist", _("Delist candidate (low velocity, low margin)")


class LineAction(models.TextChoices):
    """What the product-line report suggests doing with a product, given its quadrant and
    its assigned role."""

    KEEP = "keep", _("Keep as it is")
    GROW = "grow", _("Grow: more stock, more exposure")
    MAKE_TRAFFIC = "make_traffic", _("Make it a traffic driver")
    MAKE_REGULAR = "make_regular", _("Make it a regular product")
    MAKE_IMAGE = "make_image", _("Make it an image product")
    REPRICE = "reprice", _("Raise the price or cut the cost")
    REPLACE_TRAFFIC = "replace_traffic", _("Replace it with a stronger traffic driver")
    REVIEW_IMAGE = "review_image", _("Review the image product's price and exposure")
    DELIST = "delist", _("Delist or clear the stock")


class DifferenceKind(models.TextChoices):
    """What the three-way match (PO ↔ receipts ↔ bill) finds wrong with a bill line
    (``finance.matching``)."""

    QUANTITY = "quantity", _("Billed more than accepted")
    PRICE = "price", _("Billed unit cost differs from the order")
    MISSING_RECEIPT = "missing_receipt", _("Billed with nothing received")


class InvoiceState(models.TextChoices):
    """Where a customer invoice stands: unsettled (something outstanding; not yet due),
    overdue, or settled (nothing outstanding, by payments and credit notes). Computed,
    never stored. As a filter, "unsettled" lists every invoice with something outstanding."""

    OPEN = "open", _("Unsettled")
    OVERDUE = "overdue", _("Overdue")
    PAID = "paid", _("Settled")
