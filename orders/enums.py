from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    OWN_WEB = "own_web", _("Own web shop")
    TMALL = "tmall", _("Tmall (天猫)")
    JD = "jd", _("JD (京东)")
    PINDUODUO = "pinduoduo", _("Pinduoduo (拼多多)")
    DOUYIN = "douyin", _("Douyin (抖音)")
    DISTRIBUTOR = "distributor", _("Distributor (分销)")
    OTHER = "other", _("Other")


class CustomerKind(models.TextChoices):
    RETAIL = "retail", _("Retail")
    DISTRIBUTOR = "distributor", _("Distributor")


class PriceType(models.TextChoices):
    """Which price an order line was sold at; it is also a customer's price tier."""

    RETAIL = "retail", _("Retail (销售价)")
    DISTRIBUTION = "distribution", _("Distribution (分销价)")
    PROMOTION = "promotion", _("Promotion (促销价)")


class ListingStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    UNMATCHED = "unmatched", _("Unmatched")


class OrderSource(models.TextChoices):
    """Where an order comes from; it decides what happens to lines that cannot be served.

    A channel order was sold already on the platform: it is accepted and its short lines
    wait as backorders (缺货). A staff order is refused whole unless backorder is chosen.
    """

    CHANNEL = "channel", _("Channel (platform)")
    STAFF = "staff", _("Staff")


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    # A credit customer's order that would pass its credit limit: finance releases or
    # cancels it (orders.pricing / finance credit page show the figures).
    CREDIT_HOLD = "credit_hold", _("Credit hold")
    PAID = "paid", _("Paid")
    ALLOCATED = "allocated", _("Allocated")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# Orders in these states still hold (or wait for) stock and may be cancelled.
CANCELLABLE = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.CREDIT_HOLD,
    OrderStatus.PAID,
    OrderStatus.ALLOCATED,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
)
# Orders whose goods left the warehouse: they can be returned.
RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)


class ScanResult(models.TextChoices):
    OK = "ok", _("OK")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    TOO_MANY = "too_many", _("Too many")
    UNKNOWN = "unknown", _("Unknown barcode")


class ReturnReason(models.TextChoices):
    WRONG_ITEM = "wrong_item", _("Wrong item shipped")
    WRONG_QUANTITY = "wrong_quantity", _("Wrong quantity shipped")
    DAMAGED = "damaged", _("Damaged")
    QUALITY = "quality", _("Quality problem")
    UNWANTED = "unwanted", _("No longer wanted")


# Return reasons that are the warehouse's mistake: they count in the logistics error rate.
LOGISTICS_ERRORS = (ReturnReason.WRONG_ITEM, ReturnReason.WRONG_QUANTITY)


class ReturnDisposition(models.TextChoices):
    RESTOCK = "restock", _("Restock")
    SCRAP = "scrap", _("Scrap")
    RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to supplier")


class ReviewSource(models.TextChoices):
    IMPORT = "import", _("Imported")
    MANUAL = "manual", _("Entered by staff")


class InquiryOutcome(models.TextChoices):
    """What came of an inquiry (咨询). Linking it to its order sets ``ORDERED``."""

    FOLLOW_UP = "follow_up", _("Follow-up (待跟进)")
    ANSWERED = "answered", _("Answered (已解答)")
    ORDERED = "ordered", _("Ordered (已下单)")
    NOT_ORDERED = "not_ordered", _("Not ordered (未下单)")


class ActivityLevel(models.TextChoices):
    """A customer's activity by recency (days since the last order) and frequency
    (orders in the RFM window); the thresholds are settings (``orders.segments``)."""

    HIGH_ACTIVE = "high_active", _("High-active (高活跃)")
    LOW_ACTIVE = "low_active", _("Low-active (低活跃)")
    SILENT = "silent", _("Silent (沉默)")
    CHURNED = "churned", _("Churned (流失)")


class SpendKind(models.TextChoices):
    ADS = "ads", _("Ads (直通车, 引力魔方, 巨量千川)")
    COUPONS = "coupons", _("Coupons (优惠券)")
    DISCOUNT = "discount", _("Discount cost (让利)")
    OTHER = "other", _("Other")
