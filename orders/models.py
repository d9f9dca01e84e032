"""Channels and shops, their listings (多店铺商品对应), customers, sales orders, packing checks
and returns.

An order line names what was sold: our SKU (or bundle) when it is known, and always the code
the channel used. Its stock is held by inventory reservations (``LineReservation`` links
them); a line that cannot be reserved waits as a backorder (``backordered`` units, mirrored
in inventory's ``WarehouseStock.backordered`` column). Orders change only through
``orders.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.money import money
from orders.enums import (
    ChannelKind,
    CustomerKind,
    InquiryOutcome,
    ListingStatus,
    OrderSource,
    OrderStatus,
    PriceType,
    ReturnDisposition,
    ReturnReason,
    ReviewSource,
    ScanResult,
    SpendKind,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
COST = {"max_digits": 16, "decimal_places": 4}


class Channel(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Shop(models.Model):
    """A shop of a channel; its orders ship from its warehouse."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="shops"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("ships from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["channel__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "code"], name="orders_shop_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.channel.code}/{self.code} {self.name}"


class Customer(models.Model):
    """A buyer. Distributors buy on credit terms; a customer with orders is never deleted."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.RETAIL
    )
    price_tier = models.CharField(
        _("price tier"), max_length=20, choices=PriceType.choices, default=PriceType.RETAIL
    )
    credit_limit = models.DecimalField(_("credit limit"), null=True, blank=True, **MONEY)
    payment_days = models.PositiveIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        help_text=_("Distributors: days to pay an invoice."),
    )
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        permissions = [("view_customer_credit", _("Can view customers' credit terms"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="orders_customer_credit_limit_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ChannelListing(models.Model):
    """A shop's platform SKU code mapped to our SKU or bundle (多店铺商品对应)."""

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="listings"
    )
    platform_item_code = models.CharField(_("platform item code"), max_length=64, blank=True)
    platform_sku_code = models.CharField(_("platform SKU code"), max_length=64)
    merchant_code = models.CharField(
        _("merchant code (商家编码)"),
        max_length=64,
        blank=True,
        help_text=_("The code the shop filled in on the platform; it matches a SKU code."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ListingStatus.choices, default=ListingStatus.UNMATCHED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("channel listing")
        verbose_name_plural = _("channel listings")
        ordering = ["shop", "platform_sku_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform_sku_code"], name="orders_listing_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(status=ListingStatus.MATCHED, sku__isnull=False)
                | Q(status=ListingStatus.UNMATCHED, sku__isnull=True),
                name="orders_listing_matched_has_sku",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop.code}:{self.platform_sku_code}"


class SalesOrder(models.Model):
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="orders"
    )
    number = models.CharField(_("order number"), max_length=64)
    source = models.CharField(_("source"), max_length=20, choices=OrderSource.choices)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, db_index=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Credit terms (赊销): a credit customer's order is released for fulfilment without
    # payment (``paid_at`` is then the time it was released); finance invoices it when it
    # ships and records what was received or credited against it in ``credit_settled``, so
    # the customer's exposure (Σ total − settled of its open credit orders) is orders' own.
    on_credit = models.BooleanField(_("on credit"), default=False)
    credit_settled = models.DecimalField(
        _("settled on credit"),
        default=0,
        help_text=_("Received or credited against this credit order (finance)."),
        **MONEY,
    )
    # The order form's one-time key: a form sent twice (a double click, a resend after a lost
    # answer) places one order.
    submission = models.UUIDField(_("form submission"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-placed_at", "-pk"]
        # The fulfilment steps (orders.access), granted role by role in staff.roles.
        permissions = [
            ("confirm_payment", _("Can confirm the payment of sales orders")),
            ("pick_order", _("Can pick sales orders in waves")),
            ("pack_order", _("Can check and pack sales orders")),
            ("ship_order", _("Can ship sales orders and mark them delivered")),
            ("cancel_order", _("Can cancel sales orders")),
            ("complete_order", _("Can complete sales orders")),
        ]
        indexes = [
            models.Index(fields=["status", "paid_at"]),
            models.Index(fields=["shipped_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="orders_order_unique_number"),
            models.UniqueConstraint(fields=["submission"], name="orders_order_unique_submission"),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.SHIPPED) | Q(shipped_at__isnull=False),
                name="orders_order_shipped_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self):
        return sum((line.amount for line in self.lines.all()), 0)


class SalesOrderLine(models.Model):
    """What was sold, at the price and discount of the moment it was ordered."""

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField(_("line"))
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty while the channel's code waits for its listing to be matched."),
    )
    platform_code = models.CharField(_("channel code"), max_length=64, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    price_type = models.CharField(
        _("price type"), max_length=20, choices=PriceType.choices, default=PriceType.RETAIL
    )
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    discount = models.DecimalField(_("discount"), default=0, **MONEY)
    promotion = models.ForeignKey(
        "Promotion",
        verbose_name=_("promotion"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        help_text=_("The promotion whose price the line was sold at."),
    )
    backordered = models.PositiveIntegerField(_("backordered (缺货)"), default=0)
    shipped_quantity = models.PositiveIntegerField(_("shipped quantity"), default=0)
    cost_of_goods = models.DecimalField(
        _("COGS"),
        null=True,
        blank=True,
        help_text=_("FIFO cost of the lots shipped for this line."),
        **COST,
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_no"]
        indexes = [models.Index(fields=["sku"], name="orders_line_sku")]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orders_line_unique_no"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(discount__gte=0),
                name="orders_line_money_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(backordered__lte=F("quantity"))
                & Q(shipped_quantity__lte=F("quantity")),
                name="orders_line_quantities_consistent",
            ),
            models.CheckConstraint(
                condition=Q(sku__isnull=False) | ~Q(platform_code=""),
                name="orders_line_names_what_was_sold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"

    @property
    def amount(self):
        """The line's amount, rounded by the money rule (catalog/money.py)."""
        return money(self.quantity * self.unit_price - self.discount)

    @property
    def code(self) -> str:
        return self.sku.code if self.sku_id else self.platform_code


class LineReservation(models.Model):
    """An inventory reservation held for an order line (one per SKU of a bundle's components)."""

    line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="holds",
    )
    reservation = models.OneToOneField(
        "inventory.Reservation",
        verbose_name=_("reservation"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("line reservation")
        verbose_name_plural = _("line reservations")

    def __str__(self) -> str:
        return f"{self.line_id} → {self.reservation_id}"


class PackingCheck(models.Model):
    """One 扫描验货 of an order: every scanned barcode against what the order holds."""

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="checks"
    )
    passed = models.BooleanField(_("passed"))
    problems = models.TextField(_("problems"), blank=True)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("packing check")
        verbose_name_plural = _("packing checks")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.checked_at:%Y-%m-%d %H:%M}"


class PackingScan(models.Model):
    packing_check = models.ForeignKey(
        PackingCheck,
        verbose_name=_("packing check"),
        on_delete=models.CASCADE,
        related_name="scans",
    )
    barcode = models.CharField(_("barcode"), max_length=64)
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result = models.CharField(_("result"), max_length=20, choices=ScanResult.choices)

    class Meta:
        verbose_name = _("packing scan")
        verbose_name_plural = _("packing scans")

    def __str__(self) -> str:
        return f"{self.barcode} {self.get_result_display()}"


class Return(models.Model):
    """An RMA: goods of an order coming back, line by line."""

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns"
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("return (RMA)")
        verbose_name_plural = _("returns (RMA)")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"RMA-{self.pk}"


class ReturnLine(models.Model):
    rma = models.ForeignKey(
        Return, verbose_name=_("return"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="return_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=ReturnDisposition.choices
    )
    refund_amount = models.DecimalField(_("refund"), default=0, **MONEY)

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(refund_amount__gte=0),
                name="orders_returnline_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rma_id}: {self.quantity} × {self.order_line_id}"


class Promotion(models.Model):
    """A campaign (活动): promotion prices for some SKUs over a period, in one channel or shop
    or everywhere. The price in effect (``orders.pricing``) applies it during its days."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotions",
        help_text=_("Empty: every channel."),
    )
    shop = models.ForeignKey(
        Shop,
        verbose_name=_("shop"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotions",
        help_text=_("Empty: every shop of the channel."),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    lock_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("lock stock in"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The warehouse whose stock is locked (库存锁定) for the promotion's items; "
            "released when it ends."
        ),
    )

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-starts_on", "name"]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="orders_promotion_period_valid",
                violation_error_message=_("A promotion cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d})"

    def clean(self):
        # A shop names its channel: a shop-scoped promotion gets the shop's channel, and a
        # shop of another channel than the one chosen is a mistake.
        if self.shop_id is None:
            return
        if self.channel_id is None:
            self.channel_id = self.shop.channel_id
        elif self.shop.channel_id != self.channel_id:
            raise ValidationError({"shop": _("This shop belongs to another channel.")})


class PromotionItem(models.Model):
    """One SKU of a promotion: a fixed promotion price or a percentage off retail."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.CASCADE, related_name="items"
    )
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    price = models.DecimalField(_("promotion price"), null=True, blank=True, **MONEY)
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    lock_quantity = models.PositiveIntegerField(
        _("units to lock"),
        default=0,
        help_text=_("Units locked for the promotion in its warehouse until it ends."),
    )

    class Meta:
        verbose_name = _("promotion item")
        verbose_name_plural = _("promotion items")
        indexes = [models.Index(fields=["sku"], name="orders_promoitem_sku")]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "sku"], name="orders_promotionitem_unique_sku"
            ),
            models.CheckConstraint(
                condition=(Q(price__isnull=False) & Q(percent_off__isnull=True) & Q(price__gte=0))
                | (Q(price__isnull=True) & Q(percent_off__gt=0) & Q(percent_off__lt=100)),
                name="orders_promotionitem_price_or_percent",
                violation_error_message=_(
                    "Give either a promotion price or a percentage off between 0 and 100."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id}: {self.sku_id}"


class PromotionSpend(models.Model):
    """Money spent on a promotion: ads, coupons, discount cost borne by the shop. Its ROI
    is (gross margin − spend) ÷ spend (``orders.promotion_results``)."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.CASCADE, related_name="spend"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SpendKind.choices)
    amount = models.DecimalField(
        _("amount (CNY)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("promotion spend")
        verbose_name_plural = _("promotion spend")
        ordering = ["promotion", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="orders_promotionspend_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class ShopTraffic(models.Model):
    """A shop's visitors (访客数, UV) on one day, as its platform's back office reports them.

    The KPI page splits GMV into visitors × conversion × order value for the shops and days
    that have a row here; conversion is worked out from the orders, not stored.
    """

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="traffic"
    )
    day = models.DateField(_("day"))
    visitors = models.PositiveIntegerField(_("visitors (UV)"))

    class Meta:
        verbose_name = _("shop traffic")
        verbose_name_plural = _("shop traffic")
        ordering = ["-day", "shop"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "day"], name="orders_shoptraffic_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.shop.code} {self.day:%Y-%m-%d}: {self.visitors}"


class Review(models.Model):
    """A buyer's review (点评) of what one order line sold: a score of 1 to 5 and a text.

    One review per order line; the line names the SKU, so averages per SKU and product are
    read through it (``orders.reviews``).
    """

    line = models.OneToOneField(
        SalesOrderLine,
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="review",
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (worst) to 5 (best)."),
    )
    text = models.TextField(_("text"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now, db_index=True)
    source = models.CharField(
        _("source"), max_length=10, choices=ReviewSource.choices, default=ReviewSource.MANUAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="orders_review_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line} ★{self.score}"


class Inquiry(models.Model):
    """A customer's question to support (咨询): where it came in, who asked, about which SKUs,
    who answered, what came of it and the order it turned into.

    ``order`` is linked automatically (``services.inquiries_link_orders``) to the first order
    the same customer placed within ``ORDERS_INQUIRY_CONVERSION_DAYS`` after asking that
    holds one of the SKUs asked about; an anonymous visitor (``visitor``, a chat handle) is
    never linked, support marks the outcome by hand.
    """

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="inquiries"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inquiries",
    )
    visitor = models.CharField(
        _("visitor"),
        max_length=100,
        blank=True,
        help_text=_("An anonymous visitor's handle (nickname, chat id) when not a customer."),
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    skus = models.ManyToManyField(
        "catalog.SKU", verbose_name=_("SKUs asked about"), blank=True, related_name="+"
    )
    question = models.CharField(_("question"), max_length=300)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=InquiryOutcome.choices,
        default=InquiryOutcome.FOLLOW_UP,
        db_index=True,
    )
    follow_up_on = models.DateField(
        _("follow up on"),
        null=True,
        blank=True,
        help_text=_("When to contact the customer again (待跟进)."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    order = models.ForeignKey(
        SalesOrder,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inquiries",
        help_text=_("The order the inquiry turned into."),
    )

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-asked_at", "-pk"]
        indexes = [
            models.Index(fields=["asked_at"]),
            models.Index(fields=["customer", "asked_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(visitor=""),
                name="orders_inquiry_has_asker",
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=True) | Q(outcome=InquiryOutcome.ORDERED),
                name="orders_inquiry_order_means_ordered",
            ),
        ]

    def __str__(self) -> str:
        who = self.customer.name if self.customer_id else self.visitor
        return f"{who} {self.asked_at:%Y-%m-%d %H:%M}"
