"""Catalogue export: exactly the columns import reads, and only what the reader may see.

``catalog_export`` writes the products (one row per SKU), category or price sheet for a
reader described by ``can`` (does the reader hold this permission?): without
``catalog.view_cost`` there is no cost column, and attribute columns are those whose uses
the reader may see. Importing the export changes nothing (round trip).
``catalog_template`` writes the same sheet with one example row and a notes sheet.
"""

from collections import defaultdict
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST, attribute_use_permission
from catalog.exceptions import CatalogError
from catalog.importing import KINDS, CategoryPaths, stored_values
from catalog.models import SKU, Attribute, Brand, Product, SellingPoint
from catalog.sheets import (
    CATEGORIES_SPEC,
    PRICES_SPEC,
    products_spec,
)
from workbooks.sheets import SheetSpec, workbook_write


def _everything(permission: str) -> bool:
    return True


def role_permissions(role: str) -> Callable[[str], bool]:
    """Return the permission check of a staff role (a group named after it)."""
    group = Group.objects.filter(name=role).first()
    if group is None:
        known = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
        raise CatalogError(
            _("There is no role named %(role)s; the roles are: %(known)s.")
            % {"role": role, "known": known}
        )
    held = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }
    return held.__contains__


def visible_attributes(can: Callable[[str], bool]) -> list[Attribute]:
    """Return the attributes a reader with ``can`` may see, in column order (by code)."""
    return [
        attribute
        for attribute in Attribute.objects.order_by("code")
        if not attribute.uses or any(can(attribute_use_permission(u)) for u in attribute.uses)
    ]


def _visible_spec(spec: SheetSpec, can: Callable[[str], bool]) -> SheetSpec:
    if can(VIEW_COST):
        return spec
    return SheetSpec(
        name=spec.name,
        zh=spec.zh,
        columns=tuple(c for c in spec.columns if c.key != "cost_price"),
        key=spec.key,
        dynamic=spec.dynamic,
        notes=spec.notes,
    )


def export_spec(kind: str, can: Callable[[str], bool] = _everything) -> SheetSpec:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if kind == "products":
        return _visible_spec(products_spec(visible_attributes(can)), can)
    if kind == "prices":
        return _visible_spec(PRICES_SPEC, can)
    return CATEGORIES_SPEC


def catalog_export(
    *,
    target,
    kind: str = "products",
    can: Callable[[str], bool] = _everything,
    language: str = "en",
) -> int:
    """Write the ``kind`` sheet of the whole catalogue to ``target``; return the row count."""
    spec = export_spec(kind, can)
    rows = {"products": _product_rows, "prices": _price_rows, "categories": _category_rows}[kind](
        spec
    )
    workbook_write(target, [(spec, rows)], language=language)
    return len(rows)


def catalog_template(*, target, kind: str = "products", language: str = "en") -> None:
    """Write an empty sheet of ``kind`` with one example row and a notes sheet."""
    spec = export_spec(kind)
    example = [c.example if c.example != "" else None for c in spec.columns]
    workbook_write(target, [(spec, [example])], language=language, notes=True)


def _category_rows(spec: SheetSpec) -> list[list]:
    tree = CategoryPaths()
    return [[path, tree.code_of[path]] for path in sorted(tree.pk_of)]


def _price_rows(spec: SheetSpec) -> list[list]:
    # The sheet's ``sku`` column is the SKU's code.
    keys = ["code" if c.key == "sku" else c.key for c in spec.columns]
    return [list(row) for row in SKU.objects.order_by("code").values_list(*keys)]


def _product_rows(spec: SheetSpec) -> list[list]:
    keys = [c.key for c in spec.columns]
    sku_keys = [
        k
        for k in keys
        if k
        in (
            "retail_price",
            "distribution_price",
            "cost_price",
            "barcode",
            "weight_g",
            "length_mm",
            "width_mm",
            "height_mm",
            "warning_level",
        )
    ]
    attributes = {f"attr:{a.code}": a for a in Attribute.objects.all()}
    shown = [attributes[k] for k in keys if k in attributes]
    tree = CategoryPaths()
    brands = dict(Brand.objects.values_list("pk", "name"))
    products = {
        pk: (code, name, category_id, brand_id, role, status)
        for pk, code, name, category_id, brand_id, role, status in Product.objects.values_list(
            "pk", "code", "name", "category_id", "brand_id", "role", "status"
        )
    }
    points: dict[int, tuple] = defaultdict(tuple)
    if "selling_points" in keys:
        for product_id, text in SellingPoint.objects.order_by(
            "product_id", "sort_order", "id"
        ).values_list("product_id", "text"):
            points[product_id] += (text,)
    # (owner, attribute pk) → {owner pk: value}
    values = {
        (owner, attribute_pk): by_owner
        for owner in ("product", "sku")
        for attribute_pk, by_owner in stored_values(
            owner, [a for a in shown if a.use_variant == (owner == "sku")]
        ).items()
    }

    rows = []
    for sku in (
        SKU.objects.order_by("product__code", "code")
        .values("pk", "code", "product_id", *sku_keys)
        .iterator(chunk_size=5000)
    ):
        code, name, category_id, brand_id, role, status = products[sku["product_id"]]
        product_values = {
            "sku": sku["code"],
            "product": code,
            "name": name,
            "category": tree.path_of[category_id],
            "brand": brands.get(brand_id),
            "role": role,
            "status": status,
            "selling_points": points.get(sku["product_id"]) or None,
        }
        row = []
        for key in keys:
            if key in product_values:
                row.append(product_values[key])
            elif key in attributes:
                attribute = attributes[key]
                owner, owner_pk = (
                    ("sku", sku["pk"]) if attribute.use_variant else ("product", sku["product_id"])
                )
                row.append(values.get((owner, attribute.pk), {}).get(owner_pk))
            else:
                row.append(sku[key])
        rows.append(row)
    return rows
