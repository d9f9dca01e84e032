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
