"""Catalogue import: a workbook applied whole or not at all.

``catalog_import`` reads a sheet with ``workbooks.sheets``, checks every row against the
catalogue (unknown SKUs in a price update, barcodes of other SKUs, rows of one product that
disagree, categories that are not leaves, status changes the lifecycle refuses, columns the
user may not write), compares it with what is stored and returns an ``ImportReport``: rows
new, changed and unchanged, and the changed cells. Unless it is a dry run, it then writes in
bulk, in one transaction under the category tree lock: missing categories and brands first
(the tree renumbered once), then products, selling points, SKUs and attribute values, with
their price history. Every problem is collected first and raised as one ``WorkbookInvalid``,
so nothing is written from a file that has any.
"""

import contextlib
import difflib
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.access import VIEW_COST, attribute_use_permission
from catalog.enums import ProductRole, ProductStatus
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    Brand,
    Category,
    Product,
    SellingPoint,
)
from catalog.selectors import product_completeness
from catalog.services import (
    STATUS_TRANSITIONS,
    attribute_value_parse,
    category_tree_lock,
    category_tree_rebuild,
)
from catalog.sheets import (
    CATEGORIES_SPEC,
    PRICE_FIELDS,
    PRICES_SPEC,
    PRODUCT_FIELDS,
    SKU_FIELDS,
    VALUE_COLUMNS,
    attribute_cell_value,
    attribute_key,
    path_to_cell,
    products_spec,
)
from workbooks import bulk, bulkload
from workbooks.exceptions import WorkbookInvalid
from workbooks.lookups import array_literal
from workbooks.sheets import CellError, SheetRows, sheet_read

KINDS = ("products", "categories", "prices")
# The stored columns a products import compares and writes (attnames).
PRODUCT_COLUMNS = ("id", "code", "name", "category_id", "brand_id", "role", "status")
SKU_COLUMNS = tuple(SKU._meta.get_field(name).attname for name in SKU_FIELDS)
CHANGE_REASON = "catalogue import"
CHUNK = 10_000
Progress = Callable[[int, int, str], None]


@dataclass
class RowChange:
    """What importing one row does: ``cells`` maps each changed header to (old, new)."""

    row: int
    key: str
    action: str  # "new", "changed" or "unchanged"
    cells: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    changes: list[RowChange] = field(default_factory=list)  # new and changed rows only
    created_categories: list[str] = field(default_factory=list)
    created_brands: list[str] = field(default_factory=list)
    applied: bool = False

    def summary(self) -> str:
        return _("%(rows)d rows: %(new)d new, %(changed)d changed, %(unchanged)d unchanged.") % {
            "rows": self.rows,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
        }


def cell_text(value) -> str:
    """Return a typed cell value as a person reads it: a path, lines, a plain number."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return (
            path_to_cell(value) if value and all(isinstance(v, str) for v in value) else str(value)
        )
    return str(value)


def _everything(permission: str) -> bool:
    return True


def _no_progress(done: int, total: int, stage: str) -> None:
    pass


def catalog_import(
    *,
    source,
    kind: str = "products",
    dry_run: bool = False,
    create_categories: bool = True,
    can: Callable[[str], bool] = _everything,
    user=None,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Import the ``kind`` sheet of ``source`` (path, bytes or file); see the module doc.

    ``can`` answers whether the importing user holds a permission (cost prices and attribute
    uses are checked); ``user`` is recorded in the price history.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    progress(0, 100, "read")
    if kind == "products":
        attributes = list(Attribute.objects.all())
        rows = sheet_read(source, products_spec(attributes))
        importer = _ProductImport(rows, attributes, create_categories=create_categories)
    elif kind == "prices":
        importer = _PriceImport(sheet_read(source, PRICES_SPEC))
    else:
        importer = _CategoryImport(sheet_read(source, CATEGORIES_SPEC))
    progress(20, 100, "check")
    importer.check_columns(can)
    writing = contextlib.nullcontext() if dry_run else category_tree_lock()
    with writing:
        report = importer.plan()
        progress(40, 100, "write")
        if not dry_run:
            importer.apply(user=user, progress=progress)
            report.applied = True
    progress(100, 100, "done")
    return report


# --- Shared helpers ---------------------------------------------------------------------------


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _among(field: str, values: list) -> Iterable[dict]:
    """Yield filter arguments that together select the rows whose ``field`` is in ``values``.

    On PostgreSQL one array literal (``workbooks.lookups``); elsewhere chunks of ``__in``.
    """
    if connection.vendor == "postgresql":
        if values:
            yield {f"{field}__any": list(values)}
        return
    for chunk in _chunks(values):
        yield {f"{field}__in": chunk}


def _fetched(queryset) -> Iterable[tuple]:
    """Return the rows of a ``values_list`` queryset as tuples, taken from the driver 10,000
    at a time (a queryset's iteration takes 100 at a time, with a row factory per row)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    return compiler.results_iter(tuple_expected=True, chunk_size=CHUNK)


def _stored(queryset, names: Iterable[str]) -> list[SimpleNamespace]:
    """Return stored rows as light objects with ``pk`` and the ``names`` columns (attnames):
    reading 50,000 model instances costs a second, and imports only read a few columns."""
    meta = queryset.model._meta
    names = list(dict.fromkeys([meta.pk.attname, *names]))
    pk = 0
    return [
        SimpleNamespace(pk=row[pk], **dict(zip(names, row, strict=True)))
        for row in _fetched(queryset.values_list(*names))
    ]


def stored_values(
    owner: str, attributes: list[Attribute], ids: list[int] | None = None
) -> dict[int, dict[int, Any]]:
    """Return {attribute pk: {owner pk: comparable value}} of the ``ids`` owners (of every
    ``owner``, "product" or "sku", without ``ids``).

    One query per owner kind reads every value column (each array of ids is sent once), the
    rows are split by attribute, and each distinct value is converted once; a list comes as
    text, hashable, and is decoded once too.
    """
    columns = sorted(set(VALUE_COLUMNS.values()) - {"value_list"})
    names = [f"{owner}_id", "attribute_id", *columns, "list_text"]
    by_attribute: dict[int, list[tuple]] = defaultdict(list)
    among = _among(f"{owner}_id", ids) if ids is not None else [{f"{owner}_id__isnull": False}]
    for owners in among:
        for row in _fetched(
            AttributeValue.objects.filter(attribute_id__in=[a.pk for a in attributes], **owners)
            .annotate(list_text=Cast("value_list", output_field=TextField()))
            .values_list(*names)
        ):
            by_attribute[row[1]].append(row)
    result = {}
    for attribute in attributes:
        column = VALUE_COLUMNS[attribute.value_type]
        as_list = column == "value_list"
        rows = by_attribute.get(attribute.pk, [])
        pks = list(map(itemgetter(0), rows))
        raws = list(map(itemgetter(names.index("list_text" if as_list else column)), rows))
        cells = {
            raw: attribute_cell_value(
                attribute, {column: json.loads(raw) if as_list and raw else raw}
            )
            for raw in set(raws)
        }
        result[attribute.pk] = dict(zip(pks, map(cells.__getitem__, raws), strict=True))
    return result


def _barcode_holders(frame: pd.DataFrame) -> dict[str, str]:
    """Return barcode → code of the stored SKUs that hold a barcode of ``frame`` (its ``sku``
    and ``barcode`` columns) under another code."""
    if frame.empty:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT f.barcode, s.code FROM unnest(%s::text[], %s::text[]) AS f(barcode, code) "
                f"JOIN {SKU._meta.db_table} s ON s.barcode = f.barcode WHERE s.code <> f.code",
                [array_literal(frame["barcode"]), array_literal(frame["sku"])],
            )
            return dict(cursor.fetchall())
    holders = {}
    for chunk in _chunks(frame["barcode"].tolist()):
        holders |= dict(SKU.objects.filter(barcode__in=chunk).values_list("barcode", "code"))
    own = dict(zip(frame["barcode"], frame["sku"], strict=True))
    return {barcode: code for barcode, code in holders.items() if own[barcode] != code}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of ``frame`` as dicts of the values as they are (no numpy boxing)."""
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True)) for row in frame.to_numpy(dtype=object).tolist()]


def _same(new: pd.Series, old: pd.Series) -> pd.Series:
    """Elementwise equality where None equals a missing value."""
    both_missing = new.isna() & old.isna()
    left = new.to_numpy(dtype=object)
    right = old.to_numpy(dtype=object)
    compared = left == right  # elementwise, in C, on the Python values
    if not (isinstance(compared, np.ndarray) and compared.shape == left.shape):
        compared = [a == b for a, b in zip(left, right, strict=True)]
    equal = pd.Series(compared, index=new.index, dtype=bool)
    return equal | both_missing


def _unknown_category_reason(tree: "CategoryPaths", path: tuple[str, ...]) -> str:
    nearest = tree.nearest_leaves(path)
    if not nearest:
        return _(
            "No category %(path)s. Create it first, or import with new categories allowed."
        ) % {"path": path_to_cell(path)}
    return _(
        "No category %(path)s. Nearest existing: %(nearest)s. Correct the path, or import "
        "with new categories allowed."
    ) % {"path": path_to_cell(path), "nearest": "; ".join(nearest)}


class CategoryPaths:
    """The stored tree as paths of names, and what the import adds to it."""

    def __init__(self):
        nodes = list(Category.objects.values_list("pk", "parent_id", "name", "code"))
        by_pk = {pk: (parent, name) for pk, parent, name, _code in nodes}
        self.codes = {code for *_rest, code in nodes}
        self.code_of: dict[tuple[str, ...], str] = {}
        self.pk_of: dict[tuple[str, ...], int] = {}
        self.path_of: dict[int, tuple[str, ...]] = {}
        for pk, _parent, _name, code in nodes:
            path, node = [], pk
            while node is not None:
                parent, name = by_pk[node]
                path.append(name)
                node = parent
            self.path_of[pk] = tuple(reversed(path))
            self.pk_of[self.path_of[pk]] = pk
            self.code_of[self.path_of[pk]] = code
        self.with_children = {parent for _pk, parent, *_rest in nodes if parent is not None}
        self.with_products = set(
            Product.objects.order_by().values_list("category_id", flat=True).distinct()
        )
        self.to_create: dict[tuple[str, ...], str] = {}  # path → code, parents first

    def plan(self, path: tuple[str, ...], code: str | None = None) -> None:
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in self.pk_of and prefix not in self.to_create:
                self.to_create[prefix] = code if depth == len(path) and code else ""

    def nearest_leaves(self, path: tuple[str, ...], limit: int = 3) -> list[str]:
        """Return up to ``limit`` existing leaf paths that read most like ``path``: the ones
        a user who mistyped or shortened a path most likely meant."""
        # Compared with a one-character separator: " > " in every path would make any two
        # paths of three levels look alike.
        leaves = {
            "\x1f".join(leaf): path_to_cell(leaf)
            for leaf, pk in self.pk_of.items()
            if pk not in self.with_children
        }
        close = difflib.get_close_matches("\x1f".join(path), leaves, n=limit, cutoff=0.4)
        return [leaves[key] for key in close]

    def new_code(self, path: tuple[str, ...]) -> str:
        digest = hashlib.blake2s("\x1f".join(path).encode(), digest_size=5).hexdigest().upper()
        code = f"C-{digest}"
        suffix = 1
        while code in self.codes:
            suffix += 1
            code = f"C-{digest}-{suffix}"
        self.codes.add(code)
        return code

    def create(self) -> list[str]:
        """Create the planned categories level by level; renumber the tree once."""
        if not self.to_create:
            return []
        for path, code in self.to_create.items():
            self.to_create[path] = code or self.new_code(path)
        for depth in sorted({len(p) for p in self.to_create}):
            level = [p for p in self.to_create if len(p) == depth]
            created = Category.objects.bulk_create(
                [
                    Category(
                        name=path[-1],
                        code=self.to_create[path],
                        parent_id=self.pk_of.get(path[:-1]),
                        lft=0,
                        rght=0,
                        tree_id=0,
                        level=depth - 1,
                    )
                    for path in level
                ]
            )
            for path, category in zip(level, created, strict=True):
                self.pk_of[path] = category.pk
        category_tree_rebuild()
        return [path_to_cell(p) for p in self.to_create]


def _leaf_errors(
    tree: CategoryPaths, paths: dict[tuple[str, ...], tuple[int, str]], *, leaf: bool
) -> list[CellError]:
    """Check planned paths (path → first row, header) against the tree rules.

    Depth is limited; a category with products gets no sub-category; with ``leaf``, each path
    must end on a leaf (products hang on leaves only).
    """
    errors = []
    max_depth = settings.CATALOG_MAX_DEPTH
    prefixes = {p[:depth] for p in paths for depth in range(1, len(p))}
    for path, (row, header) in paths.items():
        shown = path_to_cell(path)
        if len(path) > max_depth:
            errors.append(
                CellError(
                    row,
                    header,
                    shown,
                    _("The category tree is limited to %(depth)d levels.") % {"depth": max_depth},
                )
            )
            continue
        for depth in range(1, len(path)):
            prefix = path[:depth]
            pk = tree.pk_of.get(prefix)
            if pk in tree.with_products and path[: depth + 1] not in tree.pk_of:
                errors.append(
                    CellError(
                        row,
                        header,
                        shown,
                        _(
                            "%(parent)s has products; products hang on leaf categories only, "
                            "so it cannot get sub-categories."
                        )
                        % {"parent": prefix[-1]},
                    )
                )
                break
        if leaf and path in tree.pk_of and tree.pk_of[path] in tree.with_children:
            errors.append(
                CellError(
                    row,
                    header,
                    shown,
                    _("%(category)s has sub-categories; choose a leaf category (小类).")
                    % {"category": path[-1]},
                )
            )
        elif leaf and path in prefixes:
            errors.append(
                CellError(
                    row,
                    header,
                    shown,
                    _("Other rows put sub-categories under %(category)s; choose a leaf category.")
                    % {"category": path[-1]},
                )
            )
    return errors


# --- Products sheet ------------------------------------------------------------------------------


class _ProductImport:
    def __init__(self, rows: SheetRows, attributes: list[Attribute], *, create_categories: bool):
        self.rows = rows
        self.frame = rows.frame
        self.headers = rows.headers
        self.create_categories = create_categories
        keys = set(self.frame.columns)
        self.attributes = {attribute_key(a): a for a in attributes if attribute_key(a) in keys}
        self.product_attrs = [k for k, a in self.attributes.items() if not a.use_variant]
        self.sku_attrs = [k for k, a in self.attributes.items() if a.use_variant]
        self.product_fields = [f for f in PRODUCT_FIELDS if f in keys] + self.product_attrs
        self.sku_fields = [f for f in SKU_FIELDS if f in keys]
        self.errors: list[CellError] = []

    def check_columns(self, can: Callable[[str], bool]) -> None:
        errors = []
        if "cost_price" in self.headers and not can(VIEW_COST):
            errors.append(
                CellError(
                    None,
                    self.headers["cost_price"],
                    None,
                    _("You may not change cost prices; remove this column."),
                )
            )
        for key, attribute in self.attributes.items():
            if attribute.uses and not any(
                can(attribute_use_permission(use)) for use in attribute.uses
            ):
                errors.append(
                    CellError(
                        None,
                        self.headers[key],
                        None,
                        _("You may not change this attribute; remove this column."),
                    )
                )
        if errors:
            raise WorkbookInvalid(errors)

    # Checks --------------------------------------------------------------------------------

    def _error(self, row, key, value, reason) -> None:
        shown = path_to_cell(value) if key == "category" and value else value
        if isinstance(shown, tuple):
            shown = "\n".join(shown)
        self.errors.append(CellError(int(row), self.headers.get(key, key), shown, reason))

    def _check_products_agree(self) -> None:
        frame = self.frame
        first_rows = (
            frame.index.to_series().groupby(frame["product"], sort=False).transform("first")
        )
        for key in self.product_fields:
            first = pd.Series(frame[key].loc[first_rows.to_numpy()].to_numpy(), index=frame.index)
            differ = ~_same(frame[key], first)
            for row in frame.index[differ]:
                self._error(
                    row,
                    key,
                    frame.at[row, key],
                    _(
                        "Row %(row)d gives product %(product)s another value; every row of a "
                        "product must agree on %(column)s."
                    )
                    % {
                        "row": first_rows[row],
                        "product": frame.at[row, "product"],
                        "column": self.headers[key],
                    },
                )

    def _load(self) -> None:
        codes = self.frame["sku"].tolist()
        self.skus: dict[str, SimpleNamespace] = {}
        for among in _among("code", codes):
            self.skus |= {
                s.code: s
                for s in _stored(SKU.objects.filter(**among), ["code", "product_id", *SKU_COLUMNS])
            }
        product_codes = list(dict.fromkeys(self.frame["product"]))
        self.products: dict[str, Product] = {}
        for among in _among("code", product_codes):
            self.products |= {
                p.code: p for p in _stored(Product.objects.filter(**among), PRODUCT_COLUMNS)
            }
        # Products the SKUs hang on now, for SKUs that move to another product.
        self.products_by_pk = {p.pk: p for p in self.products.values()}
        self.old_status = {code: p.status for code, p in self.products.items()}
        missing = {s.product_id for s in self.skus.values()} - set(self.products_by_pk)
        self.sku_product_code = dict(
            Product.objects.filter(pk__in=missing).values_list("pk", "code")
        ) | {pk: p.code for pk, p in self.products_by_pk.items()}
        self.brands = dict(Brand.objects.values_list("name", "pk"))
        self.brand_names = {pk: name for name, pk in self.brands.items()}
        self.tree = CategoryPaths()

        product_ids = [p.pk for p in self.products.values()]
        self.points: dict[int, tuple[str, ...]] = defaultdict(tuple)
        if "selling_points" in self.frame:
            for among in _among("product_id", product_ids):
                for product_id, text in (
                    SellingPoint.objects.filter(**among)
                    .order_by("product_id", "sort_order", "id")
                    .values_list("product_id", "text")
                ):
                    self.points[product_id] += (text,)
        # (owner, attribute pk) → {owner pk: comparable value}
        self.values: dict[tuple[str, int], dict[int, Any]] = defaultdict(dict)
        for owner, keys, ids in (
            ("product", self.product_attrs, product_ids),
            ("sku", self.sku_attrs, [s.pk for s in self.skus.values()]),
        ):
            if keys and ids:
                attributes = [self.attributes[k] for k in keys]
                self.values |= {
                    (owner, pk): values
                    for pk, values in stored_values(owner, attributes, ids).items()
                }

    def _check_catalogue(self) -> None:
        frame = self.frame
        tree = self.tree
        # Categories: planned paths with the first row that names each.
        paths: dict[tuple[str, ...], tuple[int, str]] = {}
        for row, path in frame["category"].items():
            if path in paths:
                continue
            paths[path] = (int(row), self.headers["category"])
            if path not in tree.pk_of and not self.create_categories:
                self._error(row, "category", path, _unknown_category_reason(tree, path))
        self.errors += _leaf_errors(tree, paths, leaf=True)
        for path in paths:
            tree.plan(path)
        # Barcodes given twice, or held by other SKUs.
        if "barcode" in frame:
            barcodes = frame["barcode"]
            twice = barcodes.notna() & barcodes.duplicated(keep=False)
            first: dict[str, int] = {}
            for row, barcode in barcodes[twice].items():
                if barcode in first:
                    self._error(
                        row,
                        "barcode",
                        barcode,
                        _("Also on row %(row)d; a barcode belongs to one SKU.")
                        % {"row": first[barcode]},
                    )
                first.setdefault(barcode, int(row))
            holders = _barcode_holders(frame[barcodes.notna()])
            for row, barcode in barcodes[barcodes.isin(holders.keys())].items():
                self._error(
                    row,
                    "barcode",
                    barcode,
                    _("This barcode belongs to SKU %(sku)s.") % {"sku": holders[barcode]},
                )
        # Status: new products start as draft or ready; others follow the lifecycle.
        if "status" in frame:
            for row, code, status in zip(
                frame.index, frame["product"], frame["status"], strict=True
            ):
                if status is None:
                    continue
                product = self.products.get(code)
                if product is None:
                    if status not in (ProductStatus.DRAFT, ProductStatus.READY):
                        self._error(
                            row,
                            "status",
                            status,
                            _("A new product starts as draft or ready; list it once complete."),
                        )
                elif status != product.status and status not in STATUS_TRANSITIONS[product.status]:
                    self._error(
                        row,
                        "status",
                        status,
                        _("A product cannot go from %(current)s to %(target)s.")
                        % {
                            "current": ProductStatus(product.status).label,
                            "target": ProductStatus(status).label,
                        },
                    )

    # Diff ------------------------------------------------------------------------------------

    def _old_product_value(self, product: Product, key: str):
        if key == "name":
            return product.name
        if key == "category":
            return self.tree.path_of.get(product.category_id)
        if key == "brand":
            return self.brand_names.get(product.brand_id)
        if key in ("role", "status"):
            return getattr(product, key)
        if key == "selling_points":
            return self.points.get(product.pk) or None
        return self.values[("product", self.attributes[key].pk)].get(product.pk)

    def _old_sku_value(self, sku: SKU, key: str):
        if key == "product":
            return self.sku_product_code.get(sku.product_id)
        if key in self.attributes:
            return self.values[("sku", self.attributes[key].pk)].get(sku.pk)
        value = getattr(sku, key)
        if key in ("retail_price", "distribution_price", "cost_price") and value is not None:
            return value.quantize(Decimal("0.01"))
        return value

    def _old_sku_values(self, skus: list, key: str) -> list:
        """``_old_sku_value`` of each of ``skus`` (None for a new SKU), one lookup per key."""
        if key == "product":
            codes = self.sku_product_code
            return [codes.get(s.product_id) if s is not None else None for s in skus]
        if key in self.attributes:
            values = self.values[("sku", self.attributes[key].pk)]
            return [values.get(s.pk) if s is not None else None for s in skus]
        stored = [getattr(s, key) if s is not None else None for s in skus]
        if key in ("retail_price", "distribution_price", "cost_price"):
            cent = Decimal("0.01")
            return [v.quantize(cent) if v is not None else None for v in stored]
        return stored

    def _diff(self) -> ImportReport:
        frame = self.frame
        report = ImportReport(kind="products", rows=len(frame))
        is_new_sku = ~frame["sku"].isin(self.skus.keys())
        product_keys = self.product_fields
        sku_keys = ["product", *self.sku_fields, *self.sku_attrs]
        changed_cells: dict[int, dict[str, tuple]] = defaultdict(dict)
        product_codes = frame["product"].tolist()
        has_product = pd.Series(
            [c in self.products for c in product_codes], index=frame.index, dtype=bool
        )
        skus = [self.skus.get(c) for c in frame["sku"]]
        has_sku = ~is_new_sku
        rows = frame.index.to_numpy()

        def note(key: str, differ: pd.Series, old: pd.Series, new: pd.Series) -> None:
            positions = np.flatnonzero(differ.to_numpy())
            header = self.headers[key]
            old_values, new_values = old.to_numpy(), new.to_numpy()
            for i in positions:
                changed_cells[rows[i]][header] = (old_values[i], new_values[i])

        defaults = {"role": ProductRole.REGULAR, "status": ProductStatus.DRAFT}
        # Nothing to compare where nothing is stored (a new catalogue).
        for key in product_keys if self.products else ():
            # Stored values per product, then per row: each product is read once.
            if key in self.attributes:
                values = self.values[("product", self.attributes[key].pk)]
                stored = {code: values.get(p.pk) for code, p in self.products.items()}
            else:
                stored = {
                    code: self._old_product_value(product, key)
                    for code, product in self.products.items()
                }
            old = pd.Series([stored.get(c) for c in product_codes], index=frame.index, dtype=object)
            new = frame[key]
            if key in defaults:
                # A blank role or status keeps what is stored (the default for a new product).
                new = new.where(new.notna(), old)
            note(key, ~_same(new, old) & has_product, old, new)
        for key in sku_keys if self.skus else ():
            old = pd.Series(self._old_sku_values(skus, key), index=frame.index, dtype=object)
            new = frame[key]
            if key == "warning_level":
                new = new.where(new.notna(), 0)
            note(key, ~_same(new, old) & has_sku, old, new)
        for row, code, new_sku in zip(frame.index, frame["sku"], is_new_sku, strict=True):
            if new_sku:
                report.new += 1
                report.changes.append(RowChange(int(row), code, "new"))
            elif row in changed_cells:
                report.changed += 1
                report.changes.append(RowChange(int(row), code, "changed", changed_cells[row]))
            else:
                report.unchanged += 1
        self.changed_rows = set(changed_cells)
        self.is_new_sku = is_new_sku
        return report

    def plan(self) -> ImportReport:
        self._check_products_agree()
        self._load()
        self._check_catalogue()
        if self.errors:
            raise WorkbookInvalid(self.errors)
        self.report = self._diff()
        self.report.created_categories = [path_to_cell(p) for p in self.tree.to_create]
        self.report.created_brands = sorted(
            {b for b in self.frame.get("brand", []) if b and b not in self.brands}
        )
        return self.report

    # Writes ------------------------------------------------------------------------------------

    def apply(self, *, user, progress: Progress) -> None:
        if not self.report.new and not self.report.changed:
            return
        frame = self.frame
        now = timezone.now()
        self.tree.create()
        progress(50, 100, "write")
        if "brand" in frame:
            missing = self.report.created_brands
            for brand in Brand.objects.bulk_create([Brand(name=name) for name in missing]):
                self.brands[brand.name] = brand.pk
        planned = self._planned_inserts()
        with (
            bulkload.foreign_keys_checked_at_end(planned),
            bulkload.indexes_built_at_end(planned),
            bulk.copies_in_background(),
        ):
            self._write(user=user, progress=progress, now=now)
        self._check_listed()

    @property
    def _new_products(self) -> int:
        return len(set(self.frame["product"]) - self.products.keys())

    def _planned_inserts(self) -> dict:
        """Rows about to be inserted, per model, as far as the plan tells them."""
        products = self._new_products
        skus = int(self.is_new_sku.sum())
        changed = len(self.changed_rows)
        return {
            Product: products,
            Product.history.model: products + changed,
            SKU: skus,
            SKU.history.model: skus + changed,
            SellingPoint: products if "selling_points" in self.frame else 0,
            AttributeValue: products * len(self.product_attrs) + skus * len(self.sku_attrs),
        }

    def _write(self, *, user, progress: Progress, now) -> None:
        # Taken by the COPY thread while the rows are built: later, the query would wait for
        # the copies sent meanwhile.
        product_ids = bulk.reserve_ids(Product, self._new_products)
        sku_ids = bulk.reserve_ids(SKU, int(self.is_new_sku.sum()))
        history = {"user": user, "reason": CHANGE_REASON, "date": now}
        # Products: one per code, from its first row.
        firsts = self.frame[~self.frame["product"].duplicated()]
        touched = self._write_products(firsts, product_ids.result(), now=now, history=history)
        progress(65, 100, "write")
        if "selling_points" in self.frame:
            self._write_selling_points(firsts, touched)
        self._write_skus(sku_ids.result(), now=now, history=history)
        progress(85, 100, "write")
        self._write_values(firsts)

    def _write_products(self, firsts: pd.DataFrame, ids, *, now, history: dict) -> list:
        """Insert the new products column by column and update the changed ones; return the
        (pk, code) of both."""
        has = {key: key in firsts for key in ("brand", "role", "status")}
        fresh = firsts[~firsts["product"].isin(self.products.keys())]
        columns = {
            "code": fresh["product"].tolist(),
            "name": fresh["name"].tolist(),
            "category_id": [self.tree.pk_of[path] for path in fresh["category"]],
        }
        if has["brand"]:
            columns["brand_id"] = [self.brands.get(b) if b else None for b in fresh["brand"]]
        for key, default in (("role", ProductRole.REGULAR), ("status", ProductStatus.DRAFT)):
            if has[key]:
                columns[key] = fresh[key].where(fresh[key].notna(), default).tolist()
        ids = bulk.insert_columns_with_history(
            Product, columns, constants={"created_at": now, "updated_at": now}, ids=ids, **history
        )
        touched = list(zip(ids, columns["code"], strict=True))
        changed_products = []
        touched_codes = set(self.frame["product"][self.frame.index.isin(self.changed_rows)])
        for record in _records(firsts[firsts["product"].isin(touched_codes)]):
            product = self.products.get(record["product"])
            if product is None:
                continue
            values = {
                "name": record["name"],
                "category_id": self.tree.pk_of[record["category"]],
                "updated_at": now,
            }
            if has["brand"]:
                values["brand_id"] = self.brands.get(record["brand"]) if record["brand"] else None
            for key in ("role", "status"):
                if has[key] and record[key] is not None:
                    values[key] = record[key]
            touched.append((product.pk, product.code))
            if any(values[k] != getattr(product, k) for k in values if k != "updated_at"):
                changed_products.append(
                    {name: getattr(product, name) for name in PRODUCT_COLUMNS} | values
                )
        bulk.update_with_history(
            Product,
            changed_products,
            ["name", "category", "brand", "role", "status", "updated_at"],
            **history,
        )
        self.products |= {
            code: SimpleNamespace(pk=pk, code=code)
            for pk, code in zip(ids, columns["code"], strict=True)
        }
        return touched

    def _write_selling_points(self, firsts: pd.DataFrame, touched: list) -> None:
        """Replace the selling points of the ``touched`` (pk, code) products that differ."""
        points_of = dict(zip(firsts["product"], firsts["selling_points"], strict=True))
        stale = [
            (pk, code) for pk, code in touched if (self.points.get(pk) or None) != points_of[code]
        ]
        for among in _among("product_id", [pk for pk, _code in stale if pk in self.points]):
            SellingPoint.objects.filter(**among).delete()
        bulk.insert(
            SellingPoint,
            ids=False,
            rows=[
                {"product_id": pk, "sort_order": i, "text": text}
                for pk, code in stale
                for i, text in enumerate(points_of[code] or ())
            ],
        )

    def _write_skus(self, ids, *, now, history: dict) -> None:
        """Insert the new SKUs column by column and update the changed ones row by row."""
        frame = self.frame
        product_pks = {code: p.pk for code, p in self.products.items()}
        columns = {
            key: frame[key].where(frame[key].notna(), 0) if key == "warning_level" else frame[key]
            for key in self.sku_fields
        }
        columns["product_id"] = frame["product"].map(product_pks)
        new = self.is_new_sku.to_numpy()
        new_codes = frame["sku"][new].tolist()
        ids = bulk.insert_columns_with_history(
            SKU,
            {"code": new_codes} | {key: column[new].tolist() for key, column in columns.items()},
            constants={"created_at": now, "updated_at": now},
            ids=ids,
            **history,
        )
        self.skus |= {code: SimpleNamespace(pk=pk) for code, pk in zip(new_codes, ids, strict=True)}
        changed = frame.index.isin(self.changed_rows) & ~new
        changed_columns = [frame["sku"][changed], *(c[changed] for c in columns.values())]
        changed_skus = [
            {"id": self.skus[code].pk, "updated_at": now} | dict(zip(columns, values, strict=True))
            for code, *values in zip(*changed_columns, strict=True)
        ]
        bulk.update_with_history(
            SKU, changed_skus, ["product", *self.sku_fields, "updated_at"], **history
        )

    def _write_values(self, firsts: pd.DataFrame) -> None:
        """Write the attribute values that differ from the file's.

        A value the file changes is updated in place (its row keeps its keys, so PostgreSQL
        checks no foreign key again), a value the file blanks is deleted, a new one inserted.
        """
        frame = self.frame
        owners = [
            ("product", self.product_attrs, firsts, "product", self.products),
            ("sku", self.sku_attrs, frame, "sku", self.skus),
        ]
        changed: dict[str, list] = {"product": [], "sku": []}
        for owner, keys, rows, code_key, objects in owners:
            if not keys:
                continue
            codes = rows[code_key]
            pk_of = {code: obj.pk for code, obj in objects.items()}
            pks = np.fromiter(map(pk_of.__getitem__, codes), dtype=np.int64, count=len(codes))
            for key in keys:
                attribute = self.attributes[key]
                stored = self.values[(owner, attribute.pk)]
                values = rows[key]
                present = values.notna().to_numpy()
                if stored:
                    exists = np.fromiter(map(stored.__contains__, pks.tolist()), dtype=bool)
                    old = pd.Series(list(map(stored.get, pks.tolist())), index=values.index)
                    same = _same(values, old).to_numpy()
                else:
                    exists = same = np.zeros(len(pks), dtype=bool)
                blanked = pks[exists & ~present].tolist()
                for among in _among(f"{owner}_id", blanked):
                    AttributeValue.objects.filter(attribute=attribute, **among).delete()
                new = present & ~exists
                bulk.insert_grouped(
                    AttributeValue, self._value_groups(attribute, owner, values[new], pks[new])
                )
                update = present & exists & ~same
                changed[owner] += self._value_groups(attribute, owner, values[update], pks[update])
        for owner, groups in changed.items():
            bulk.update_grouped(
                AttributeValue,
                groups,
                keys=["attribute_id", f"{owner}_id"],
                keep=["product_id", "sku_id"],
            )

    @staticmethod
    def _value_groups(attribute: Attribute, owner: str, values: pd.Series, pks: np.ndarray):
        """Return (columns, {owner column: pks}) groups, one per distinct value."""
        if not len(values):
            return []
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), sort=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        groups = []
        for index, value in enumerate(uniques):
            raw = list(value) if isinstance(value, tuple) else value
            columns = attribute_value_parse(attribute=attribute, raw=raw)
            owners = pks[order[bounds[index] : bounds[index + 1]]].tolist()
            groups.append(({"attribute_id": attribute.pk, **columns}, {f"{owner}_id": owners}))
        return groups

    def _check_listed(self) -> None:
        """Refuse products the file lists that are not complete for the web (rolls back)."""
        if "status" not in self.frame:
            return
        errors = []
        for row, code, status in zip(
            self.frame.index, self.frame["product"], self.frame["status"], strict=True
        ):
            if status != ProductStatus.LISTED:
                continue
            if self.old_status.get(code) == ProductStatus.LISTED:
                continue
            product = Product.objects.get(code=code)
            missing = product_completeness(product=product)["web"].missing
            if missing:
                errors.append(
                    CellError(
                        int(row),
                        self.headers["status"],
                        status,
                        _("The product cannot be listed until it is complete. Missing: %(m)s.")
                        % {"m": "; ".join(missing)},
                    )
                )
        if errors:
            raise WorkbookInvalid(errors)


# --- Prices sheet --------------------------------------------------------------------------------


class _PriceImport:
    def __init__(self, rows: SheetRows):
        self.rows = rows
        self.frame = rows.frame
        self.headers = rows.headers
        self.fields = [f for f in PRICE_FIELDS if f in self.frame]

    def check_columns(self, can: Callable[[str], bool]) -> None:
        errors = []
        if not self.fields:
            errors.append(CellError(None, "", None, _("Give at least one price column to update.")))
        if "cost_price" in self.headers and not can(VIEW_COST):
            errors.append(
                CellError(
                    None,
                    self.headers["cost_price"],
                    None,
                    _("You may not change cost prices; remove this column."),
                )
            )
        if errors:
            raise WorkbookInvalid(errors)

    def plan(self) -> ImportReport:
        frame = self.frame
        self.skus: dict[str, SKU] = {}
        for chunk in _chunks(frame["sku"].tolist()):
            self.skus |= {s.code: s for s in SKU.objects.filter(code__in=chunk)}
        errors = [
            CellError(int(row), self.headers["sku"], code, _("No SKU has this code."))
            for row, code in frame["sku"].items()
            if code not in self.skus
        ]
        if errors:
            raise WorkbookInvalid(errors)
        report = ImportReport(kind="prices", rows=len(frame))
        self.changed: list[SKU] = []
        for row in frame.itertuples(index=True):
            record = row._asdict()
            sku = self.skus[record["sku"]]
            cells = {}
            for key in self.fields:
                old = getattr(sku, key)
                old = old.quantize(Decimal("0.01")) if old is not None else None
                if old != record[key]:
                    cells[self.headers[key]] = (old, record[key])
                    setattr(sku, key, record[key])
            if cells:
                report.changed += 1
                report.changes.append(RowChange(record["Index"], sku.code, "changed", cells))
                self.changed.append(sku)
            else:
                report.unchanged += 1
        return report

    def apply(self, *, user, progress: Progress) -> None:
        now = timezone.now()
        rows = [bulk.row_of(sku, SKU) | {"updated_at": now} for sku in self.changed]
        bulk.update_with_history(
            SKU, rows, [*self.fields, "updated_at"], user=user, reason=CHANGE_REASON, date=now
        )


# --- Categories sheet ----------------------------------------------------------------------------


class _CategoryImport:
    def __init__(self, rows: SheetRows):
        self.frame = rows.frame
        self.headers = rows.headers

    def check_columns(self, can: Callable[[str], bool]) -> None:
        return None

    def plan(self) -> ImportReport:
        self.tree = tree = CategoryPaths()
        frame = self.frame
        report = ImportReport(kind="categories", rows=len(frame))
        paths = {
            path: (int(row), self.headers["category"]) for row, path in frame["category"].items()
        }
        errors = _leaf_errors(tree, paths, leaf=False)
        codes = frame["code"] if "code" in frame else pd.Series(None, index=frame.index)
        self.recode: dict[int, str] = {}
        seen_codes: dict[str, int] = {}
        for row, path, code in zip(frame.index, frame["category"], codes, strict=True):
            if code:
                if code in seen_codes:
                    errors.append(
                        CellError(
                            int(row),
                            self.headers["code"],
                            code,
                            _("Also on row %(row)d; a code belongs to one category.")
                            % {"row": seen_codes[code]},
                        )
                    )
                seen_codes.setdefault(code, int(row))
                owner = next((p for p, c in tree.code_of.items() if c == code), None)
                if owner is not None and owner != path:
                    errors.append(
                        CellError(
                            int(row),
                            self.headers["code"],
                            code,
                            _("The category %(path)s already has this code.")
                            % {"path": path_to_cell(owner)},
                        )
                    )
            if path in tree.pk_of:
                if code and tree.code_of[path] != code:
                    self.recode[tree.pk_of[path]] = code
                    report.changed += 1
                    report.changes.append(
                        RowChange(
                            int(row),
                            path_to_cell(path),
                            "changed",
                            {self.headers["code"]: (tree.code_of[path], code)},
                        )
                    )
                else:
                    report.unchanged += 1
            else:
                report.new += 1
                report.changes.append(RowChange(int(row), path_to_cell(path), "new"))
                if code:
                    tree.codes.add(code)
            tree.plan(path, code)
        if errors:
            raise WorkbookInvalid(errors)
        report.created_categories = [path_to_cell(p) for p in tree.to_create]
        return report

    def apply(self, *, user, progress: Progress) -> None:
        for pk, code in self.recode.items():
            Category.objects.filter(pk=pk).update(code=code)
        self.tree.create()
