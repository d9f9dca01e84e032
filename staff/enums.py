from django.db import models
from django.utils.translation import gettext_lazy as _


class ShelfPinKind(models.TextChoices):
    """What a merchandiser decided about a product on the shelf plan (WEB货架)."""

    PIN = "pin", _("pin")
    EXCLUDE = "exclude", _("exclude")


class ShelfSlot(models.TextChoices):
    """The places of the shelf plan: per floor (大类) a banner and featured slots, per shelf
    (中类) new products and best sellers."""

    BANNER = "banner", _("banner")
    FEATURED = "featured", _("featured")
    NEW = "new", _("new arrivals")
    BEST = "best", _("best sellers")
