"""Writes to the catalog. Every function is keyword-only, atomic and raises catalog errors."""

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from types import EllipsisType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils.translation import gettext as _
from PIL import Image

from catalog.enums import AttributeType, ProductStatus
from catalog.exceptions import (
    AttributeValueInvalid,
    BundleInvalid,
    CategoryTreeError,
    InvalidStatusTransition,
    ProductImageInvalid,
    ProductNotListable,
)
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    BundleComponent,
    Category,
    Product,
    ProductImage,
    SellingPoint,
)
from catalog.selectors import product_completeness
from catalog.validators import validate_product_image

# Key of the PostgreSQL advisory lock that serialises writes to the category tree.
CATEGORY_TREE_LOCK_KEY = 0x4A58_4341  # "JXCA"


# --- Category tree ------------------------------------------------------------------------


@contextmanager
def category_tree_lock() -> Iterator[None]:
    """Hold the tree's write lock for the enclosing transaction.

    django-mptt rewrites lft/rght of many rows on every insert or move; two concurrent writers
    deadlock or corrupt the numbering. A transaction-scoped advisory lock makes them queue.
    SQLite serialises writers on its own.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATEGORY_TREE_LOCK_KEY])
        yield


def _check_parent_accepts_children(parent: Category, *, extra_levels: int = 0) -> None:
    max_depth = settings.CATALOG_MAX_DEPTH
    if parent.level + 1 + extra_levels >= max_depth:
        raise CategoryTreeError(
            _("The category tree is limited to %(depth)d levels; %(parent)s cannot take this.")
            % {"depth": max_depth, "parent": parent.name}
        )
    if parent.products.exists():
        raise CategoryTreeError(
            _(
                "%(parent)s has products; products hang on leaf categories only, so it "
                "cannot get sub-categories. Move its products first."
            )
            % {"parent": parent.name}
        )


def _check_unique_name(*, name: str, parent: Category | None, exclude_pk: int | None) -> None:
    siblings = Category.objects.filter(parent=parent, name=name)
    if exclude_pk:
        siblings = siblings.exclude(pk=exclude_pk)
    if siblings.exists():
        raise CategoryTreeError(
            _("There is already a category named %(name)s here.") % {"name": name}
        )


def category_create(
    *,
    name: str,
    code: str,
    parent: Category | None = None,
    sort_order: int = 0,
    is_active: bool = True,
) -> Category:
    with category_tree_lock():
        # Re-read the parent under the lock: its lft/rght may have moved since it was loaded.
        fresh_parent = Category.objects.get(pk=parent.pk) if parent is not None else None
        if fresh_parent is not None:
            _check_parent_accepts_children(fresh_parent)
        _check_unique_name(name=name, parent=fresh_parent, exclude_pk=None)
        category = Category(
            name=name, code=code, parent=fresh_parent, sort_order=sort_order, is_active=is_active
        )
        category.full_clean(exclude=["parent"], validate_unique=True)
        category.save()
    return category


def category_update(
    *,
    category: Category,
    name: str | None = None,
    code: str | None = None,
    parent: Category | EllipsisType | None = ...,
    sort_order: int | None = None,
    is_active: bool | None = None,
) -> Category:
    """Change a category; a new ``parent`` moves the whole subtree, products included."""
    with category_tree_lock():
        fresh = Category.objects.get(pk=category.pk)
        new_parent = fresh.parent if parent is ... else parent
        if new_parent is not None:
            new_parent = Category.objects.get(pk=new_parent.pk)
        if parent is not ... and new_parent != fresh.parent:
            _check_move(category=fresh, parent=new_parent)
        if name is not None:
            fresh.name = name
        if code is not None:
            fresh.code = code
        if sort_order is not None:
            fresh.sort_order = sort_order
        if is_active is not None:
            fresh.is_active = is_active
        _check_unique_name(name=fresh.name, parent=new_parent, exclude_pk=fresh.pk)
        fresh.parent = new_parent
        fresh.full_clean(exclude=["parent"])
        fresh.save()
    return fresh


def _check_move(*, category: Category, parent: Category | None) -> None:
    if parent is None:
        return
    if parent.tree_id == category.tree_id and category.lft <= parent.lft <= category.rght:
        raise CategoryTreeError(
            _("%(category)s cannot be moved under itself or its own sub-category.")
            % {"category": category.name}
        )
    subtree_height = (
        category.get_descendants().order_by("-level").values_list("level", flat=True).first()
        or category.level
    ) - category.level
    _check_parent_accepts_children(parent, extra_levels=subtree_height)


def category_delete(*, category: Category) -> None:
    with category_tree_lock():
        fresh = Category.objects.get(pk=category.pk)
        if fresh.get_descendants().exists() or fresh.products.exists():
            raise CategoryTreeError(
                _("%(category)s still has sub-categories or products; it cannot be deleted.")
                % {"category": fresh.name}
            )
        fresh.delete()


def category_tree_rebuild() -> None:
    """Renumber lft/rght/level/tree_id of every category from the parent links.

    One read and batched writes, instead of django-mptt's ``rebuild()`` which issues one
    UPDATE per node; used after bulk loads made under ``disable_mptt_updates``.
    """
    with category_tree_lock():
        rows = list(Category.objects.values_list("id", "parent_id", "sort_order", "name"))
        children: dict[int | None, list[tuple]] = {}
        for row in rows:
            children.setdefault(row[1], []).append(row)
        for siblings in children.values():
            siblings.sort(key=lambda r: (r[2], r[3], r[0]))

        numbering: dict[int, tuple[int, int, int, int]] = {}
        for tree_id, root in enumerate(children.get(None, []), start=1):
            counter = 1
            lft = {root[0]: counter}
            levels = {root[0]: 0}
            stack = [(root[0], iter(children.get(root[0], [])))]
            while stack:
                node_id, remaining = stack[-1]
                child = next(remaining, None)
                if child is None:
                    stack.pop()
                    counter += 1
                    numbering[node_id] = (lft[node_id], counter, levels[node_id], tree_id)
                    continue
                counter += 1
                lft[child[0]] = counter
                levels[child[0]] = levels[node_id] + 1
                stack.append((child[0], iter(children.get(child[0], []))))

        if len(numbering) != len(rows):
            raise CategoryTreeError(_("The category tree has a cycle; it cannot be rebuilt."))
        updates = [
            Category(id=pk, lft=lft, rght=rght, level=level, tree_id=tree_id)
            for pk, (lft, rght, level, tree_id) in numbering.items()
        ]
        with Category.objects.disable_mptt_updates():
            Category.objects.bulk_update(
                updates, ["lft", "rght", "level", "tree_id"], batch_size=1000
            )


# --- Products ----------------------------------------------------------------------------

STATUS_TRANSITIONS: dict[str, set[str]] = {
    ProductStatus.DRAFT: {ProductStatus.READY},
    ProductStatus.READY: {ProductStatus.DRAFT, ProductStatus.LISTED},
    ProductStatus.LISTED: {ProductStatus.DELISTED},
    ProductStatus.DELISTED: {ProductStatus.LISTED, ProductStatus.READY},
}


def product_check_category(*, category: Category) -> None:
    """Refuse a category that is not a leaf: products hang on leaves only."""
    if not category.is_leaf_node():
        raise CategoryTreeError(
            _("%(category)s has sub-categories; choose a leaf category (小类) for products.")
            % {"category": category.name}
        )


def product_check_status_change(*, product: Product, status: str) -> None:
    """Raise unless ``product`` (as it is now) may move to ``status``."""
    current = Product.objects.filter(pk=product.pk).values_list("status", flat=True).first()
    if current is not None and current != status and status not in STATUS_TRANSITIONS[current]:
        raise InvalidStatusTransition(
            str(ProductStatus(current).label), str(ProductStatus(status).label)
        )
    if status == ProductStatus.LISTED and current != ProductStatus.LISTED:
        web = product_completeness(product=product)["web"]
        if web.missing:
            raise ProductNotListable(web.missing)


def product_create(
    *,
    code: str,
    name: str,
    category: Category,
    brand=None,
    role: str = "regular",
    description: str = "",
    tags: Iterable[str] = (),
    selling_points: Iterable[str] = (),
) -> Product:
    with transaction.atomic():
        product_check_category(category=category)
        product = Product(
            code=code,
            name=name,
            category=category,
            brand=brand,
            role=role,
            description=description,
            **{f"is_{tag}": True for tag in tags},
        )
        product.full_clean()
        product.save()
        product_set_selling_points(product=product, points=selling_points)
    return product


def product_set_status(*, product: Product, status: str) -> Product:
    """Move ``product`` through its lifecycle; listing needs 100 % web completeness."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        product_check_status_change(product=locked, status=status)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    product.status = status
    return locked


def product_set_selling_points(*, product: Product, points: Iterable[str]) -> list[SellingPoint]:
    """Replace the product's selling points by ``points`` in the given order (blanks dropped)."""
    texts = [p.strip() for p in points if p and p.strip()]
    with transaction.atomic():
        product.selling_points.all().delete()
        created = SellingPoint.objects.bulk_create(
            SellingPoint(product=product, sort_order=i, text=text) for i, text in enumerate(texts)
        )
    return created


def product_image_add(
    *, product: Product, upload, alt_text: str = "", sort_order: int | None = None
) -> ProductImage:
    """Validate an uploaded image with Pillow, store it and its list thumbnail."""
    try:
        validate_product_image(upload)
    except ValidationError as exc:
        raise ProductImageInvalid(" ".join(exc.messages)) from exc
    if sort_order is None:
        last = product.images.order_by("-sort_order").values_list("sort_order", flat=True).first()
        sort_order = 0 if last is None else last + 1
    image = ProductImage(product=product, alt_text=alt_text, sort_order=sort_order)
    image.image.save(PurePath(upload.name).name, upload, save=False)
    product_image_make_thumbnail(image=image)
    image.save()
    return image


def product_image_make_thumbnail(*, image: ProductImage) -> None:
    """(Re)build the thumbnail of ``image`` from its stored file; does not save the row."""
    image.image.open("rb")
    try:
        with Image.open(image.image) as source:
            thumb = source.convert("RGB")
            thumb.thumbnail(settings.CATALOG_THUMBNAIL_SIZE)
            buffer = io.BytesIO()
            thumb.save(buffer, format="JPEG", quality=85)
    finally:
        image.image.close()
    stem = PurePath(image.image.name).stem
    image.thumbnail.save(f"{stem}_thumb.jpg", ContentFile(buffer.getvalue()), save=False)


# --- SKUs and bundles ---------------------------------------------------------------------


def sku_price_warnings(*, sku: SKU) -> list[str]:
    """Return warnings (not errors) about a SKU's prices, for the user to confirm."""
    warnings = []
    if (
        sku.distribution_price is not None
        and sku.retail_price is not None
        and sku.distribution_price > sku.retail_price
    ):
        warnings.append(
            _("%(sku)s: distribution price %(distribution)s is above retail price %(retail)s.")
            % {"sku": sku.code, "distribution": sku.distribution_price, "retail": sku.retail_price}
        )
    if (
        sku.cost_price is not None
        and sku.retail_price is not None
        and sku.cost_price > sku.retail_price
    ):
        warnings.append(
            _("%(sku)s: cost price %(cost)s is above retail price %(retail)s.")
            % {"sku": sku.code, "cost": sku.cost_price, "retail": sku.retail_price}
        )
    return warnings


def bundle_set_components(*, bundle: SKU, components: list[tuple[SKU, int]]) -> None:
    """Replace the components of ``bundle``; a bundle's cost is derived from them."""
    errors = []
    seen = set()
    for component, quantity in components:
        if component.pk == bundle.pk:
            errors.append(_("A bundle cannot contain itself."))
        if component.is_bundle:
            errors.append(
                _("%(sku)s is itself a bundle; nest components directly.") % {"sku": component.code}
            )
        if quantity < 1:
            errors.append(_("%(sku)s: quantity must be at least 1.") % {"sku": component.code})
        if component.pk in seen:
            errors.append(_("%(sku)s is listed twice.") % {"sku": component.code})
        seen.add(component.pk)
    if not components:
        errors.append(_("A bundle needs at least one component."))
    if errors:
        raise BundleInvalid(" ".join(errors))
    with transaction.atomic():
        SKU.objects.filter(pk=bundle.pk).update(is_bundle=True)
        bundle.is_bundle = True
        bundle.components.all().delete()
        BundleComponent.objects.bulk_create(
            BundleComponent(bundle=bundle, component=component, quantity=quantity)
            for component, quantity in components
        )


# --- Attribute values ---------------------------------------------------------------------

TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "对"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", "不"}


def attribute_value_parse(*, attribute: Attribute, raw) -> dict:
    """Return the typed column values for ``raw`` or raise ``AttributeValueInvalid``.

    An empty value parses to all-empty columns (the attribute is unset).
    """
    empty = {
        "value_text": "",
        "value_integer": None,
        "value_decimal": None,
        "value_boolean": None,
        "value_date": None,
        "value_list": [],
    }
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return empty
    text = raw.strip() if isinstance(raw, str) else raw

    def invalid(reason: str) -> AttributeValueInvalid:
        return AttributeValueInvalid(attribute.name, raw, reason)

    match attribute.value_type:
        case AttributeType.INTEGER:
            try:
                number = Decimal(str(text).replace(",", ""))
            except InvalidOperation:
                raise invalid(_("Enter a whole number.")) from None
            if number != number.to_integral_value():
                raise invalid(_("Enter a whole number."))
            return {**empty, "value_integer": int(number)}
        case AttributeType.DECIMAL:
            try:
                number = Decimal(str(text).replace(",", ""))
            except InvalidOperation:
                raise invalid(_("Enter a number.")) from None
            if not number.is_finite():
                raise invalid(_("Enter a number."))
            return {**empty, "value_decimal": number}
        case AttributeType.BOOLEAN:
            if isinstance(text, bool):
                return {**empty, "value_boolean": text}
            word = str(text).lower()
            if word in TRUE_WORDS:
                return {**empty, "value_boolean": True}
            if word in FALSE_WORDS:
                return {**empty, "value_boolean": False}
            raise invalid(_("Enter yes or no (是 / 否)."))
        case AttributeType.DATE:
            if isinstance(text, dt.datetime):
                return {**empty, "value_date": text.date()}
            if isinstance(text, dt.date):
                return {**empty, "value_date": text}
            try:
                return {**empty, "value_date": dt.date.fromisoformat(str(text))}
            except ValueError:
                raise invalid(_("Enter a date as YYYY-MM-DD.")) from None
        case AttributeType.CHOICE:
            if str(text) not in attribute.options:
                raise invalid(
                    _("Choose one of: %(options)s.") % {"options": "; ".join(attribute.options)}
                )
            return {**empty, "value_text": str(text)}
        case AttributeType.MULTI_CHOICE:
            items = text if isinstance(text, list) else str(text).replace("；", ";").split(";")
            items = [str(i).strip() for i in items if str(i).strip()]
            unknown = [i for i in items if i not in attribute.options]
            if unknown:
                raise invalid(
                    _("%(unknown)s not allowed; choose from: %(options)s.")
                    % {"unknown": "; ".join(unknown), "options": "; ".join(attribute.options)}
                )
            return {**empty, "value_list": items}
        case _:
            return {**empty, "value_text": str(text)}


def attribute_value_set(
    *, attribute: Attribute, raw, product: Product | None = None, sku: SKU | None = None
) -> AttributeValue | None:
    """Set (or, for an empty ``raw``, clear) the value of ``attribute`` on a product or SKU."""
    if (product is None) == (sku is None):
        raise ValueError("Give exactly one of product or sku.")
    columns = attribute_value_parse(attribute=attribute, raw=raw)
    owner = {"product": product} if product is not None else {"sku": sku}
    with transaction.atomic():
        if all(v in (None, "", []) for v in columns.values()):
            AttributeValue.objects.filter(attribute=attribute, **owner).delete()
            return None
        value, _created = AttributeValue.objects.update_or_create(
            attribute=attribute, **owner, defaults=columns
        )
    return value
