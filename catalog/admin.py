"""The catalog admin: the daily tool of merchandisers for the tree, products and SKUs.

It holds no business rule. Writes go through ``catalog.services`` (tree lock, depth limit,
status lifecycle, bundles), reads that need more than a field come from ``catalog.selectors``
(tree counts, completeness, bundle cost), and their errors become form errors or messages.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from catalog import selectors, services
from catalog.access import (
    VIEW_COST,
    FieldAccessMixin,
    HistoryLinkMixin,
    HistoryRevertMixin,
    visible_attributes_q,
)
from catalog.enums import (
    ATTRIBUTE_USE_SHORT_LABELS,
    AttributeUse,
    CompletenessScope,
    ProductStatus,
    SelectionTag,
)
from catalog.exceptions import (
    BundleInvalid,
    CatalogError,
    CategoryTreeError,
    InvalidStatusTransition,
    ProductNotListable,
)
from catalog.forms import (
    AttributeAdminForm,
    AttributeValueForm,
    AttributeValueFormSet,
    CategoryAdminForm,
    ProductAdminForm,
    SaveErrorFormMixin,
    SaveErrorFormSetMixin,
)
from catalog.models import (
    LEVEL_LABELS,
    SKU,
    USE_FIELDS,
    Attribute,
    AttributeValue,
    Brand,
    BundleComponent,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
    SellingPoint,
)
from catalog.resources import WorkbookAdminMixin

admin.site.site_header = _("精细 Jingxi")
admin.site.site_title = _("精细 Jingxi")
admin.site.index_title = _("Merchandise back office")

CATALOG_CSS = {"all": ["catalog/admin.css"]}

# The request attribute that carries a service error from a failed save to the re-render.
SAVE_ERROR_ATTR = "_catalog_save_error"


class SaveErrorsAsFormErrorsMixin:
    """Show a catalog error raised while saving as a form error next to the submitted data.

    Services check their rules at write time, under their locks, so an error can come after
    the form validated. ``changeform_view`` runs in a transaction: the failed save is rolled
    back, then the view runs once more on the same POST with the error attached to the form,
    which is re-rendered with everything the user typed.
    """

    def save_error_target(self, error: CatalogError):
        """Return where ``error`` is shown: a field name, None (top of the form) or an inline
        class (that inline's formset)."""
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CatalogError as error:
            if request.method != "POST" or hasattr(request, SAVE_ERROR_ATTR):
                raise
            setattr(request, SAVE_ERROR_ATTR, error)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, SAVE_ERROR_ATTR, None)
        if error is None:
            return form
        target = self.save_error_target(error)
        if isinstance(target, type):
            if any(isinstance(i, target) for i in self.get_inline_instances(request, obj)):
                return form
            target = None
        attrs = {"save_error": (target, error.message), "__module__": form.__module__}
        return type(form)(form.__name__, (SaveErrorFormMixin, form), attrs)

    def get_formsets_with_inlines(self, request, obj=None):
        error = getattr(request, SAVE_ERROR_ATTR, None)
        target = self.save_error_target(error) if error is not None else None
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if isinstance(target, type) and isinstance(inline, target):
                attrs = {"save_error": error.message}
                formset = type(formset.__name__, (SaveErrorFormSetMixin, formset), attrs)
            yield formset, inline


def _take_saved_state(target, saved) -> None:
    """Copy a row that a service saved onto the instance the admin goes on using."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _changelist_url(model, **params) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + "?" + urlencode(params)


def _warn_about_prices(request, skus) -> None:
    for sku in skus:
        for warning in services.sku_price_warnings(sku=sku):
            messages.warning(request, warning)


# --- Attribute values (product and SKU inlines) -------------------------------------------


class AttributeValueInline(admin.TabularInline):
    """Values of the attributes whose uses the user's roles serve (``catalog.access``)."""

    model = AttributeValue
    form = AttributeValueForm
    formset = AttributeValueFormSet
    fields = ["attribute", "value", "value_format"]
    readonly_fields = ["value_format"]
    extra = 0

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(visible_attributes_q(request.user, "attribute__"))
            .select_related("attribute")
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "attribute":
            field.queryset = field.queryset.filter(visible_attributes_q(request.user))
        return field

    @admin.display(description=_("format"))
    def value_format(self, value):
        if value.pk is None:
            return ""
        attribute = value.attribute
        parts = [attribute.get_value_type_display()]
        if attribute.unit:
            parts.append(attribute.unit)
        if attribute.options:
            parts.append(" / ".join(attribute.options))
        return " · ".join(str(p) for p in parts)


class ProductAttributeValueInline(AttributeValueInline):
    fk_name = "product"
    verbose_name_plural = _("attribute values")


class SKUAttributeValueInline(AttributeValueInline):
    fk_name = "sku"
    verbose_name_plural = _("variant attribute values (销售属性)")


# --- Categories ---------------------------------------------------------------------------


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    fields = ["attribute", "is_required", "sort_order"]
    autocomplete_fields = ["attribute"]
    extra = 0
    verbose_name_plural = _("attributes (sub-categories inherit them)")


class CategoryLevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [(str(level), label) for level, label in enumerate(LEVEL_LABELS)]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(level=int(value)) if value.isdigit() else queryset.none()


@admin.action(description=_("Delete selected categories"), permissions=["delete"])
def delete_selected_categories(modeladmin, request, queryset):
    """Delete through the tree service, deepest first; the confirmation page is Django's."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)
    deleted = 0
    for category in queryset.order_by("-level", "-lft"):
        try:
            with transaction.atomic():
                modeladmin.log_deletions(request, [category])
                services.category_delete(category=category)
        except CategoryTreeError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
        else:
            deleted += 1
    if deleted:
        modeladmin.message_user(
            request,
            ngettext("Deleted %(count)d category.", "Deleted %(count)d categories.", deleted)
            % {"count": deleted},
            messages.SUCCESS,
        )
    return None


@admin.register(Category)
class CategoryAdmin(WorkbookAdminMixin, SaveErrorsAsFormErrorsMixin, MPTTModelAdmin):
    """The 大类/中类/小类 tree, indented, with product counts from lft/rght ranges; the tree
    imports and exports as a workbook of paths."""

    workbook_kind = "categories"
    form = CategoryAdminForm
    list_display = [
        "name",
        "code",
        "level_display",
        "own_products",
        "subtree_products",
        "is_active",
        "sort_order",
        "add_child",
    ]
    list_display_links = ["name"]
    mptt_indent_field = "name"
    mptt_level_indent = 24
    list_filter = [CategoryLevelFilter, "is_active"]
    search_fields = ["name", "code"]
    list_per_page = 100
    inlines = [CategoryAttributeInline]

    def get_queryset(self, request):
        return selectors.category_queryset_with_counts(super().get_queryset(request))

    def get_list_display(self, request):
        # The "+ sub-category" link opens the add page: only for those who may add.
        columns = super().get_list_display(request)
        if self.has_add_permission(request):
            return columns
        return [c for c in columns if c != "add_child"]

    def get_fields(self, request, obj=None):
        fields = ["name", "code", "parent", "sort_order", "is_active"]
        if obj is not None:
            fields += ["level_display", "own_products", "subtree_products"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ["level_display", "own_products", "subtree_products"] if obj else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                delete_selected_categories,
                "delete_selected",
                delete_selected_categories.short_description,
            )
        return actions

    @admin.display(description=_("level"), ordering="level")
    def level_display(self, category):
        return category.level_label

    @admin.display(description=_("own products"), ordering="product_count")
    def own_products(self, category):
        count = getattr(category, "product_count", 0)
        if not count:
            return 0
        url = _changelist_url(Product, category__id__exact=category.pk)
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("products in subtree"), ordering="total_product_count")
    def subtree_products(self, category):
        count = getattr(category, "total_product_count", 0)
        if not count:
            return 0
        return format_html(
            '<a href="{}">{}</a>', _changelist_url(Product, category=category.pk), count
        )

    @admin.display(description="")
    def add_child(self, category):
        if category.level + 1 >= settings.CATALOG_MAX_DEPTH:
            return ""
        url = reverse("admin:catalog_category_add") + "?" + urlencode({"parent": category.pk})
        return format_html('<a class="addlink" href="{}">{}</a>', url, gettext("sub-category"))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in ("name", "code", "sort_order", "is_active")}
        if change:
            saved = services.category_update(category=obj, parent=data["parent"], **fields)
        else:
            saved = services.category_create(parent=data["parent"], **fields)
        _take_saved_state(obj, saved)

    def delete_model(self, request, obj):
        services.category_delete(category=obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CategoryTreeError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_category_change", args=[object_id]))


# --- Brands and attributes ----------------------------------------------------------------


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "products", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(product_count=Count("products")).order_by("name")
        )

    @admin.display(description=_("products"), ordering="product_count")
    def products(self, brand):
        if not brand.product_count:
            return 0
        url = _changelist_url(Product, brand__id__exact=brand.pk)
        return format_html('<a href="{}">{}</a>', url, brand.product_count)


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    form = AttributeAdminForm
    list_display = [
        "code",
        "name",
        "value_type",
        "unit",
        "options_display",
        "display_priority",
        "uses",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["value_type", *USE_FIELDS.values()]
    search_fields = ["code", "name"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["code", "name", "value_type", "unit", "options_text"]}),
        (
            _("Uses"),
            {
                "fields": [*USE_FIELDS.values(), "display_priority"],
                "description": _(
                    "Which staff work the attribute serves; it decides which "
                    "completeness (web / warehouse / finance) needs it."
                ),
            },
        ),
    ]

    class Media:
        css = CATALOG_CSS

    @admin.display(description=_("uses"))
    def uses(self, attribute):
        return format_html_join(
            " ",
            '<span class="jx-badge" title="{}">{}</span>',
            (
                (AttributeUse(use).label, ATTRIBUTE_USE_SHORT_LABELS[use])
                for use in AttributeUse.values
                if use in attribute.uses
            ),
        )

    @admin.display(description=_("allowed options"))
    def options_display(self, attribute):
        return " / ".join(attribute.options)

    @admin.display(description=_("allowed options"))
    def options_text(self, attribute):
        """The options as a role that may only view the attribute reads them (the form's
        one-per-line field exists for those who may change it)."""
        return " / ".join(attribute.options) or "—"


# --- Products -----------------------------------------------------------------------------


class SKUInline(FieldAccessMixin, admin.TabularInline):
    model = SKU
    sensitive_fields = {"cost_price": VIEW_COST}
    fields = [
        "code",
        "name",
        "barcode",
        "retail_price",
        "distribution_price",
        "cost_price",
        "is_active",
        "is_bundle",
    ]
    readonly_fields = ["is_bundle"]
    extra = 0
    show_change_link = True


class SellingPointInline(admin.TabularInline):
    model = SellingPoint
    fields = ["sort_order", "text"]
    extra = 0
    verbose_name_plural = _("selling points (卖点), shown in this order")


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["preview", "image", "alt_text", "sort_order"]
    readonly_fields = ["preview"]
    extra = 0
    verbose_name_plural = _("images (the lowest sort order is the main image)")

    @admin.display(description=_("preview"))
    def preview(self, image):
        file = image.thumbnail or image.image
        if not file:
            return ""
        return format_html('<img src="{}" alt="{}" class="jx-thumb">', file.url, image.alt_text)


class SelectionTagFilter(admin.SimpleListFilter):
    title = _("selection tag (名特优新)")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return SelectionTag.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in SelectionTag.values:
            return queryset.none()
        return queryset.filter(**{f"is_{value}": True})


class CategorySubtreeFilter(admin.SimpleListFilter):
    """Filter by a category and everything below it; the choices offered are the 大类."""

    title = _("category (大类)")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name) for c in Category.objects.root_nodes()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        category = Category.objects.filter(pk=value).first() if value.isdigit() else None
        if category is None:
            return queryset.none()
        return queryset.filter(category__in=category.get_descendants(include_self=True))


class ProductChangeList(ChangeList):
    """Read completeness and category paths once for the whole page, not once per row."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return selectors.completeness_prefetch(queryset)

    def get_results(self, request):
        super().get_results(request)
        products = list(self.result_list)
        completeness = selectors.products_completeness(products)
        paths = selectors.category_paths({p.category for p in products})
        for product in products:
            product.page_completeness = completeness[product.pk]
            product.page_category_path = paths.get(product.category_id, "")


@admin.register(Product)
class ProductAdmin(
    SaveErrorsAsFormErrorsMixin, HistoryLinkMixin, HistoryRevertMixin, SimpleHistoryAdmin
):
    form = ProductAdminForm
    list_display = [
        "thumbnail",
        "code",
        "name",
        "category_path",
        "brand",
        "role",
        "status",
        "tags",
        "sku_count",
        "web_completeness",
    ]
    list_display_links = ["code", "name"]
    list_select_related = ["category", "brand"]
    list_filter = ["role", "status", SelectionTagFilter, CategorySubtreeFilter, "brand"]
    search_fields = ["code", "name", "skus__code", "skus__barcode"]
    list_per_page = 100
    inlines = [SKUInline, SellingPointInline, ProductImageInline, ProductAttributeValueInline]
    readonly_fields = ["completeness", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "category", "brand", "role", "status"]}),
        (
            _("Selection tags (名特优新)"),
            {"fields": [("is_famous", "is_special", "is_quality", "is_new")]},
        ),
        (None, {"fields": ["description", "completeness"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    actions = ["mark_ready", "mark_listed", "mark_delisted"]
    history_list_display = ["status"]

    class Media:
        css = CATALOG_CSS

    def get_queryset(self, request):
        sku_count = (
            SKU.objects.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(sku_count=Coalesce(Subquery(sku_count, output_field=IntegerField()), 0))
        )

    def get_changelist(self, request, **kwargs):
        return ProductChangeList

    def save_error_target(self, error):
        if isinstance(error, InvalidStatusTransition | ProductNotListable):
            return "status"
        if isinstance(error, CategoryTreeError):
            return "category"
        return None

    # List columns -------------------------------------------------------------------------

    @admin.display(description=_("image"))
    def thumbnail(self, product):
        images = product.images.all()  # prefetched for the whole page
        if not images:
            return ""
        main = images[0]
        file = main.thumbnail or main.image
        return format_html(
            '<img src="{}" alt="{}" class="jx-thumb" loading="lazy">', file.url, main.alt_text
        )

    @admin.display(description=_("category"), ordering="category__name")
    def category_path(self, product):
        return getattr(product, "page_category_path", None) or product.category.name

    @admin.display(description=_("tags"))
    def tags(self, product):
        return " ".join(str(SelectionTag(tag).label) for tag in product.selection_tags)

    @admin.display(description=_("SKUs"), ordering="sku_count")
    def sku_count(self, product):
        return product.sku_count

    @admin.display(description=_("web completeness"))
    def web_completeness(self, product):
        web = product.page_completeness[CompletenessScope.WEB]
        css = "jx-complete" if not web.missing else "jx-incomplete"
        title = "; ".join(web.missing)
        return format_html('<span class="{}" title="{}">{}%</span>', css, title, web.percent)

    # Change page --------------------------------------------------------------------------

    @admin.display(description=_("completeness"))
    def completeness(self, product):
        if product.pk is None:
            return gettext("Shown once the product is saved.")
        scopes = selectors.product_completeness(product=product)
        rows = format_html_join(
            "",
            '<tr><th>{}</th><td class="{}">{}%</td><td>{}</td></tr>',
            (
                (
                    CompletenessScope(scope).label,
                    "jx-complete" if not c.missing else "jx-incomplete",
                    c.percent,
                    gettext("Missing: %(items)s") % {"items": "; ".join(c.missing)}
                    if c.missing
                    else gettext("Complete"),
                )
                for scope, c in scopes.items()
            ),
        )
        return format_html('<table class="jx-completeness">{}</table>', rows)

    def save_model(self, request, obj, form, change):
        # The status moves only through ``product_set_status``, after the inlines are saved,
        # so that listing is judged on the images, selling points and SKUs of this submit.
        if "status" in form.changed_data:
            obj.status = form["status"].initial
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is ProductImage:
            self._save_images(formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_images(self, formset):
        for image in formset.save(commit=False):
            image.save()
            services.product_image_make_thumbnail(image=image)
            image.save(update_fields=["thumbnail"])
        for image in formset.deleted_objects:
            image.delete()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "status" in form.changed_data:
            services.product_set_status(product=form.instance, status=form.cleaned_data["status"])
        for formset in formsets:
            if formset.model is SKU:
                changed = [sku for sku, _fields in formset.changed_objects]
                _warn_about_prices(request, [*formset.new_objects, *changed])

    # Actions ------------------------------------------------------------------------------

    def _set_status(self, request, queryset, status: str) -> None:
        moved = 0
        for product in queryset:
            try:
                services.product_set_status(product=product, status=status)
            except CatalogError as error:
                self.message_user(request, f"{product.code}: {error.message}", messages.ERROR)
            else:
                moved += 1
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d product is now %(status)s.",
                    "%(count)d products are now %(status)s.",
                    moved,
                )
                % {"count": moved, "status": ProductStatus(status).label},
                messages.SUCCESS,
            )

    @admin.action(description=_("Mark selected products ready"), permissions=["change"])
    def mark_ready(self, request, queryset):
        self._set_status(request, queryset, ProductStatus.READY)

    @admin.action(description=_("List selected products"), permissions=["change"])
    def mark_listed(self, request, queryset):
        self._set_status(request, queryset, ProductStatus.LISTED)

    @admin.action(description=_("Delist selected products"), permissions=["change"])
    def mark_delisted(self, request, queryset):
        self._set_status(request, queryset, ProductStatus.DELISTED)


# --- SKUs ---------------------------------------------------------------------------------


class BundleComponentInline(FieldAccessMixin, admin.TabularInline):
    model = BundleComponent
    sensitive_fields = {"component_cost": VIEW_COST}
    fk_name = "bundle"
    fields = ["component", "quantity", "component_cost"]
    readonly_fields = ["component_cost"]
    autocomplete_fields = ["component"]
    extra = 0
    verbose_name_plural = _("bundle components (组合装)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")

    @admin.display(description=_("component cost price"))
    def component_cost(self, component):
        return component.component.cost_price if component.component_id else ""


@admin.register(SKU)
class SKUAdmin(
    WorkbookAdminMixin,
    SaveErrorsAsFormErrorsMixin,
    FieldAccessMixin,
    HistoryLinkMixin,
    HistoryRevertMixin,
    SimpleHistoryAdmin,
):
    """SKUs; the catalogue workbook (one row per SKU) imports and exports here."""

    sensitive_fields = {"cost_price": VIEW_COST, "bundle_cost": VIEW_COST}
    # No product column: a SKU's name starts with its product's, and the product's code is
    # searchable. Nine columns did not fit a 1366 px screen beside the sidebars.
    list_display = [
        "code",
        "name",
        "retail_price",
        "distribution_price",
        "cost_price",
        "barcode",
        "flags",
    ]
    list_filter = ["is_active", "is_bundle", "product__status", "product__role", "product__brand"]
    search_fields = ["code", "barcode", "name", "product__code"]
    list_per_page = 50
    autocomplete_fields = ["product"]
    inlines = [BundleComponentInline, SKUAttributeValueInline]

    class Media:
        css = CATALOG_CSS

    # ``bundle_set_components`` alone decides what is a bundle: adding components makes one.
    history_list_display = ["retail_price", "distribution_price", "cost_price"]

    def get_fieldsets(self, request, obj=None):
        prices = ["retail_price", "distribution_price", "cost_price", "currency"]
        if obj is not None and obj.is_bundle:
            prices.append("bundle_cost")
        return [
            (None, {"fields": ["product", "code", "name", "barcode", "is_active", "is_bundle"]}),
            (_("Prices"), {"fields": prices}),
            (
                _("Logistics"),
                {"fields": ["weight_g", ("length_mm", "width_mm", "height_mm"), "warning_level"]},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_bundle:
            return ["is_bundle", "bundle_cost"]
        return ["is_bundle"]

    def save_error_target(self, error):
        return BundleComponentInline if isinstance(error, BundleInvalid) else None

    @admin.display(description=_("state"))
    def flags(self, sku):
        """Active or not, and bundle: one column of badges instead of two of icons."""
        badges = [_("Active") if sku.is_active else _("Inactive")]
        if sku.is_bundle:
            badges.append(_("Bundle"))
        css = "jx-badge" if sku.is_active else "jx-badge jx-badge-off"
        return format_html_join(" ", '<span class="{}">{}</span>', ((css, b) for b in badges))

    @admin.display(description=_("bundle cost"))
    def bundle_cost(self, sku):
        cost = selectors.bundle_cost(bundle=sku)
        if cost is None:
            return gettext("Unknown: a component has no cost price.")
        return cost

    def save_formset(self, request, form, formset, change):
        if formset.model is BundleComponent:
            self._save_components(formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_components(self, formset):
        """Replace the components through ``bundle_set_components`` (it checks the rules)."""
        formset.save(commit=False)  # fills new/changed/deleted_objects for the change message
        if not formset.has_changed():
            return
        components = [
            (f.cleaned_data["component"], f.cleaned_data["quantity"])
            for f in formset.forms
            if f.cleaned_data and f not in formset.deleted_forms
        ]
        services.bundle_set_components(bundle=formset.instance, components=components)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _warn_about_prices(request, [form.instance])
