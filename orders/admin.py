"""Admin of orders. Channels, shops, customers and listings are edited here; orders change
only through ``orders.services`` (admin actions call them), and the admin's "add order" page
is the staff order form. Credit terms and COGS are sensitive (``FieldAccessMixin``)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.access import VIEW_COST, FieldAccessMixin, ReadOnlyAdmin
from catalog.money import money_text
from inventory.exceptions import InventoryError
from orders import services
from orders.access import (
    CANCEL_ORDER,
    COMPLETE_ORDER,
    CONFIRM_PAYMENT,
    SHIP_ORDER,
    VIEW_CUSTOMER_CREDIT,
)
from orders.enums import InquiryOutcome
from orders.exceptions import OrderError
from orders.models import (
    Channel,
    ChannelListing,
    Customer,
    Inquiry,
    PackingCheck,
    PackingScan,
    Promotion,
    PromotionItem,
    PromotionSpend,
    Return,
    ReturnLine,
    Review,
    SalesOrder,
    SalesOrderLine,
    Shop,
    ShopTraffic,
)
from orders.views import order_new


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "channel", "warehouse", "is_active"]
    list_filter = ["channel", "is_active"]
    list_select_related = ["channel", "warehouse"]
    search_fields = ["code", "name"]


@admin.register(Customer)
class CustomerAdmin(FieldAccessMixin, admin.ModelAdmin):
    sensitive_fields = {
        "credit_limit": VIEW_CUSTOMER_CREDIT,
        "payment_days": VIEW_CUSTOMER_CREDIT,
    }
    list_display = ["code", "name", "kind", "price_tier", "credit_limit", "payment_days"]
    list_filter = ["kind", "price_tier"]
    search_fields = ["code", "name", "phone", "contact_name"]


@admin.register(ChannelListing)
class ChannelListingAdmin(admin.ModelAdmin):
    """Listings are added and edited here; a listing matches on its merchant code when
    saved. Unmatched ones are resolved on the unmatched-listings page."""

    list_display = ["platform_sku_code", "shop", "merchant_code", "title", "sku", "status"]
    list_filter = ["status", "shop"]
    list_select_related = ["shop__channel", "sku"]
    search_fields = ["platform_sku_code", "platform_item_code", "merchant_code", "title"]
    fields = ["shop", "platform_item_code", "platform_sku_code", "merchant_code", "title"]
    readonly_fields = ["sku", "status"]

    def get_fields(self, request, obj=None):
        return [*self.fields, *(["sku", "status"] if obj else [])]

    def get_readonly_fields(self, request, obj=None):
        return ["sku", "status", *(["shop", "platform_sku_code"] if obj else [])]

    def save_model(self, request, obj, form, change):
        listing = services.listing_upsert(
            shop=obj.shop,
            platform_sku_code=obj.platform_sku_code,
            merchant_code=obj.merchant_code,
            platform_item_code=obj.platform_item_code,
            title=obj.title,
        )
        obj.pk, obj.sku, obj.status = listing.pk, listing.sku, listing.status


class SalesOrderLineInline(FieldAccessMixin, admin.TabularInline):
    model = SalesOrderLine
    sensitive_fields = {"cost_of_goods": VIEW_COST}
    fields = [
        "line_no",
        "sku",
        "platform_code",
        "quantity",
        "price_type",
        "unit_price",
        "discount",
        "promotion",
        "backordered",
        "shipped_quantity",
        "cost_of_goods",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, done):
    count = 0
    for order in queryset:
        try:
            service(order=order, user=request.user)
        except OrderError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "shop",
        "customer",
        "source",
        "status",
        "placed_at",
        "paid_at",
        "shipped_at",
    ]
    list_filter = ["status", "source", "shop__channel"]
    list_select_related = ["shop__channel", "customer"]
    search_fields = ["number", "customer__code", "customer__name", "tracking_number"]
    date_hierarchy = "placed_at"
    inlines = [SalesOrderLineInline]
    readonly_fields = [
        "shop",
        "number",
        "source",
        "customer",
        "warehouse",
        "status",
        "currency",
        "placed_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "completed_at",
        "cancelled_at",
        "carrier",
        "tracking_number",
        "on_credit",
        "credit_settled",
        "created_by",
    ]
    fields = [*readonly_fields, "note"]
    actions = ["pay", "cancel", "deliver", "complete"]

    def add_view(self, request, form_url="", extra_context=None):
        """The staff order form: orders are placed through the service, lines and all."""
        return order_new(request)

    # Each action is a step of the order and asks that step's permission (orders.access).
    def has_confirm_payment_permission(self, request):
        return request.user.has_perm(CONFIRM_PAYMENT)

    def has_cancel_order_permission(self, request):
        return request.user.has_perm(CANCEL_ORDER)

    def has_ship_order_permission(self, request):
        return request.user.has_perm(SHIP_ORDER)

    def has_complete_order_permission(self, request):
        return request.user.has_perm(COMPLETE_ORDER)

    @admin.action(description=_("Mark the selected orders paid"), permissions=["confirm_payment"])
    def pay(self, request, queryset):
        _run(self, request, queryset, services.order_pay, _("%(count)d orders paid."))

    @admin.action(description=_("Cancel the selected orders"), permissions=["cancel_order"])
    def cancel(self, request, queryset):
        _run(self, request, queryset, services.order_cancel, _("%(count)d orders cancelled."))

    @admin.action(description=_("Mark the selected orders delivered"), permissions=["ship_order"])
    def deliver(self, request, queryset):
        _run(self, request, queryset, services.order_deliver, _("%(count)d orders delivered."))

    @admin.action(
        description=_("Mark the selected orders completed"), permissions=["complete_order"]
    )
    def complete(self, request, queryset):
        _run(self, request, queryset, services.order_complete, _("%(count)d orders completed."))


class PackingScanInline(admin.TabularInline):
    model = PackingScan
    fields = ["barcode", "sku", "result"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PackingCheck)
class PackingCheckAdmin(ReadOnlyAdmin):
    list_display = ["order", "checked_at", "passed", "user"]
    list_filter = ["passed"]
    list_select_related = ["order", "user"]
    search_fields = ["order__number"]
    date_hierarchy = "checked_at"
    inlines = [PackingScanInline]


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    fields = ["order_line", "quantity", "reason", "disposition", "refund_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "order", "created_at", "user"]
    list_select_related = ["order", "user"]
    search_fields = ["order__number"]
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline]


class PromotionItemInline(admin.TabularInline):
    model = PromotionItem
    fields = ["sku", "retail_price", "price", "percent_off", "lock_quantity"]
    readonly_fields = ["retail_price"]
    autocomplete_fields = ["sku"]
    extra = 3

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")

    @admin.display(description=_("retail price"))
    def retail_price(self, item):
        # An empty row of the inline has no SKU yet: the admin's empty mark, not "None".
        if item.sku_id is None or item.sku.retail_price is None:
            return self.get_empty_value_display()
        return money_text(item.sku.retail_price)


class PromotionStateFilter(admin.SimpleListFilter):
    """Running, upcoming or ended, on today's date."""

    title = _("promotion state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("running", _("Running")),
            ("upcoming", _("Upcoming")),
            ("ended", _("Ended")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "running":
                return queryset.filter(starts_on__lte=today, ends_on__gte=today)
            case "upcoming":
                return queryset.filter(starts_on__gt=today)
            case "ended":
                return queryset.filter(ends_on__lt=today)
        return queryset


class PromotionSpendInline(admin.TabularInline):
    """What the campaign cost: ads (直通车), coupons, discount cost; ROI is read from it."""

    model = PromotionSpend
    fields = ["kind", "amount", "note"]
    extra = 1


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    """Campaigns and their prices; the price in effect (``orders.pricing``) applies them.

    Saving locks each item's units to lock in the chosen warehouse (once); ending or
    deleting a promotion releases its stock (``orders.services.promotions``)."""

    list_display = ["name", "channel", "shop", "starts_on", "ends_on", "state", "item_count"]
    list_filter = [PromotionStateFilter, "channel", "shop"]
    list_select_related = ["channel", "shop__channel"]
    search_fields = ["name", "note", "items__sku__code"]
    date_hierarchy = "starts_on"
    fields = ["name", "channel", "shop", "starts_on", "ends_on", "note", "lock_warehouse"]
    inlines = [PromotionItemInline, PromotionSpendInline]
    actions = ["end_today"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        promotion = form.instance
        try:
            with transaction.atomic():
                locks = services.promotion_lock_stock(promotion=promotion, user=request.user)
        except (InventoryError, OrderError) as error:
            self.message_user(
                request,
                _("The promotion is saved but its stock is not locked: %(error)s")
                % {"error": error},
                messages.WARNING,
            )
            return
        if locks:
            self.message_user(
                request,
                _("%(units)s units locked for %(name)s.")
                % {"units": sum(lock.quantity for lock in locks), "name": promotion.name},
            )

    def delete_model(self, request, obj):
        services.promotion_delete(promotion=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for promotion in queryset:
            services.promotion_delete(promotion=promotion, user=request.user)

    @admin.action(description=_("End today and release the locked stock"), permissions=["change"])
    def end_today(self, request, queryset):
        units = sum(
            services.promotion_end(promotion=promotion, user=request.user) for promotion in queryset
        )
        self.message_user(request, _("Ended; %(units)s units released.") % {"units": units})

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("SKUs"), ordering="item_count")
    def item_count(self, promotion):
        return promotion.item_count

    @admin.display(description=_("promotion state"))
    def state(self, promotion):
        today = timezone.localdate()
        if promotion.starts_on > today:
            return _("Upcoming")
        if promotion.ends_on < today:
            return _("Ended")
        return _("Running")


@admin.register(ShopTraffic)
class ShopTrafficAdmin(admin.ModelAdmin):
    """Visitors per shop and day (访客数), typed in from the platforms' back offices."""

    list_display = ["day", "shop", "visitors"]
    list_filter = ["shop"]
    list_select_related = ["shop__channel"]
    search_fields = ["shop__code", "shop__name"]
    date_hierarchy = "day"
    fields = ["shop", "day", "visitors"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Reviews (点评): imported from the channels (``import_reviews``) or typed in by support
    when a buyer gives one by phone or chat; the source and author are recorded."""

    list_display = ["reviewed_at", "order_number", "sku_code", "score", "short_text", "source"]
    list_filter = ["score", "source"]
    list_select_related = ["line__order", "line__sku"]
    search_fields = ["line__order__number", "line__sku__code", "text"]
    date_hierarchy = "reviewed_at"
    raw_id_fields = ["line"]
    fields = ["line", "score", "text", "reviewed_at", "source", "created_by"]
    readonly_fields = ["source", "created_by"]

    @admin.display(description=_("order number"), ordering="line__order__number")
    def order_number(self, review):
        return review.line.order.number

    @admin.display(description=_("SKU"), ordering="line__sku__code")
    def sku_code(self, review):
        return review.line.code

    @admin.display(description=_("text"))
    def short_text(self, review):
        return review.text if len(review.text) <= 40 else review.text[:40] + "…"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class InquiryAdminForm(forms.ModelForm):
    class Meta:
        model = Inquiry
        fields = [
            "shop",
            "customer",
            "visitor",
            "asked_at",
            "agent",
            "skus",
            "question",
            "outcome",
            "follow_up_on",
            "note",
        ]

    def clean_outcome(self):
        outcome = self.cleaned_data["outcome"]
        if self.instance.order_id and outcome != InquiryOutcome.ORDERED:
            raise forms.ValidationError(
                _("The inquiry turned into an order: its outcome stays ordered.")
            )
        return outcome


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    """Inquiries (咨询); support records them on the inquiries page or here. The order is
    linked by ``services.inquiries_link_orders`` (on save too), not chosen by hand."""

    list_display = ["asked_at", "shop", "customer", "visitor", "agent", "outcome", "order"]
    list_filter = ["outcome", "shop", "agent"]
    list_select_related = ["shop__channel", "customer", "agent", "order"]
    search_fields = ["customer__name", "customer__code", "customer__phone", "visitor", "question"]
    date_hierarchy = "asked_at"
    fields = [
        "shop",
        "customer",
        "visitor",
        "asked_at",
        "agent",
        "skus",
        "question",
        "outcome",
        "follow_up_on",
        "note",
        "order",
    ]
    readonly_fields = ["order"]
    form = InquiryAdminForm
    autocomplete_fields = ["customer", "skus"]

    def get_changeform_initial_data(self, request):
        return {"agent": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.inquiries_link_orders(inquiry_ids=[form.instance.pk])
