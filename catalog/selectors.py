"""Reads of the catalog: inherited attributes, completeness, tree counts, bundle cost."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Lag
from django.utils.translation import gettext as _

from catalog.enums import AttributeUse, CompletenessScope, ProductRole, ProductStatus
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    BundleComponent,
    Category,
    CategoryAttribute,
    Product,
    ProductCompleteness,
)
from catalog.money import money

# Which attribute uses count towards which completeness scope. A required attribute that
# serves none of these counts towards the web listing.
SCOPE_USES: dict[str, set[str]] = {
    CompletenessScope.WEB: {
        AttributeUse.WEB_FILTER,
        AttributeUse.WEB_DISPLAY,
        AttributeUse.VARIANT,
        AttributeUse.MARKETING,
        AttributeUse.CUSTOMER_SERVICE,
    },
    CompletenessScope.WAREHOUSE: {AttributeUse.WAREHOUSE, AttributeUse.LOGISTICS},
    CompletenessScope.FINANCE: {AttributeUse.FINANCE},
}


# --- Category tree ------------------------------------------------------------------------


def category_queryset_with_counts(queryset: QuerySet[Category] | None = None) -> QuerySet:
    """Annotate each category with ``product_count`` (its own) and ``total_product_count``.

    The total counts products of the whole subtree through the lft/rght range, one correlated
    subquery per row in a single SQL statement: no cumulative ``add_related_count``.
    """
    queryset = queryset if queryset is not None else Category.objects.all()
    subtree_products = (
        Product.objects.filter(
            category__tree_id=OuterRef("tree_id"),
            category__lft__gte=OuterRef("lft"),
            category__lft__lte=OuterRef("rght"),
        )
        .order_by()
        .values("category__tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    own_products = (
        Product.objects.filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        product_count=Coalesce(Subquery(own_products, output_field=IntegerField()), 0),
        total_product_count=Coalesce(Subquery(subtree_products, output_field=IntegerField()), 0),
    )


def category_by_path(path: Sequence[str]) -> Category | None:
    """Return the category at a path of names (``["大类", "中类", "小类"]``), or None."""
    node = None
    for name in path:
        node = Category.objects.filter(parent=node, name=name.strip()).first()
        if node is None:
            return None
    return node


def _one_link_per_attribute(links: Iterable[CategoryAttribute]) -> list[CategoryAttribute]:
    """Keep one link per attribute, required when any level of the path requires it.

    ``links`` come ancestors first. An attribute keeps the place of its first link; a later
    required link replaces an optional one, so a 小类 cannot drop what its 大类 requires.
    """
    chosen: dict[int, CategoryAttribute] = {}
    for link in links:
        kept = chosen.get(link.attribute_id)
        if kept is None or (link.is_required and not kept.is_required):
            chosen[link.attribute_id] = link
    return list(chosen.values())


def category_attributes(category: Category) -> list[CategoryAttribute]:
    """Return the attributes of ``category``: its own and its ancestors', once each."""
    # Read the category's place in the tree in the same query: an instance loaded before a move
    # or an insert nearby holds an outdated lft/rght.
    node = Category.objects.filter(pk=category.pk)
    links = (
        CategoryAttribute.objects.filter(
            category__tree_id=Subquery(node.values("tree_id")),
            category__lft__lte=Subquery(node.values("lft")),
            category__rght__gte=Subquery(node.values("rght")),
        )
        .select_related("attribute", "category")
        .order_by("category__level", "sort_order", "id")
    )
    return _one_link_per_attribute(links)


def _inherited_attributes_by_category(
    categories: Iterable[Category],
) -> dict[int, list[CategoryAttribute]]:
    """Return inherited category attributes for many categories in one query."""
    categories = {c.pk: c for c in categories}
    if not categories:
        return {}
    tree_ids = {c.tree_id for c in categories.values()}
    links = list(
        CategoryAttribute.objects.filter(category__tree_id__in=tree_ids)
        .select_related("attribute", "category")
        .order_by("category__level", "sort_order", "id")
    )
    return {
        pk: _one_link_per_attribute(
            link
            for link in links
            if link.category.tree_id == category.tree_id
            and link.category.lft <= category.lft
            and link.category.rght >= category.rght
        )
        for pk, category in categories.items()
    }


# --- Attribute application table (属性应用表) ------------------------------------------------


def category_tree_with_link_counts() -> list[Category]:
    """Return every category in tree order, each with ``own_link_count``: the attributes
    linked to it (not inherited). Two queries whatever the size of the tree."""
    counts = dict(
        CategoryAttribute.objects.order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    nodes = list(
        Category.objects.only("name", "code", "parent", "tree_id", "lft", "rght", "level").order_by(
            "tree_id", "lft"
        )
    )
    for node in nodes:
        node.own_link_count = counts.get(node.pk, 0)
    return nodes


@dataclass
class AttributeRow:
    """One attribute that applies to a category, as the attribute table shows it.

    ``link`` is the link that decides (``_one_link_per_attribute``); ``own_link`` the
    category's own link to the attribute (None when it is only inherited); ``inherited_from``
    the ancestors that link it, top first; ``used_in`` how many categories link the
    attribute (own rows only: their uses are edited here for all of them).
    """

    attribute: Attribute
    link: CategoryAttribute
    own_link: CategoryAttribute | None
    inherited_from: list[Category]
    used_in: int = 0

    @property
    def is_required(self) -> bool:
        return self.link.is_required

    @property
    def is_own(self) -> bool:
        return self.own_link is not None


@dataclass
class AttributeTable:
    """The attributes of a category × the uses they serve (属性应用表).

    ``path`` holds the category's ancestors and itself, top first, each with ``path_label``
    (``大类 › 中类``); ``children`` its sub-categories, each with ``own_link_count``.
    """

    category: Category
    path: list[Category]
    children: list[Category]
    rows: list[AttributeRow]

    @property
    def own_rows(self) -> list[AttributeRow]:
        return [row for row in self.rows if row.is_own]

    @property
    def inherited_count(self) -> int:
        return len(self.rows) - len(self.own_rows)

    @property
    def required_count(self) -> int:
        return sum(1 for row in self.rows if row.is_required)

    @property
    def use_counts(self) -> list[int]:
        """Return per use, in the order of ``AttributeUse``, how many rows serve it."""
        return [
            sum(1 for row in self.rows if use in row.attribute.uses) for use in AttributeUse.values
        ]


def attribute_table(category: Category) -> AttributeTable:
    """Return the attribute table of ``category``: four queries whatever its size.

    Rows follow the order products see (``category_attributes``: ancestors first, each
    level by sort order). An attribute linked both here and on an ancestor is one row that
    is the category's own (editable here) and names the ancestors it is inherited from too.
    """
    path = list(
        Category.objects.filter(
            tree_id=category.tree_id, lft__lte=category.lft, rght__gte=category.rght
        ).order_by("lft")
    )
    category = path[-1]  # as stored now
    for depth, node in enumerate(path):
        node.path_label = " › ".join(n.name for n in path[: depth + 1])
    links = list(
        CategoryAttribute.objects.filter(category__in=[node.pk for node in path])
        .select_related("attribute")
        .order_by("category__level", "sort_order", "id")
    )
    by_pk = {node.pk: node for node in path}
    for link in links:
        link.category = by_pk[link.category_id]
    rows = []
    for link in _one_link_per_attribute(links):
        same = [other for other in links if other.attribute_id == link.attribute_id]
        rows.append(
            AttributeRow(
                attribute=link.attribute,
                link=link,
                own_link=next((o for o in same if o.category_id == category.pk), None),
                inherited_from=[o.category for o in same if o.category_id != category.pk],
            )
        )
    own_rows = [row for row in rows if row.is_own]
    if own_rows:
        used_in = dict(
            CategoryAttribute.objects.filter(attribute__in=[row.attribute.pk for row in own_rows])
            .order_by()
            .values("attribute")
            .annotate(n=Count("pk"))
            .values_list("attribute", "n")
        )
        for row in own_rows:
            row.used_in = used_in.get(row.attribute.pk, 0)
    children = list(
        category.children.annotate(own_link_count=Count("category_attributes")).order_by("lft")
    )
    return AttributeTable(category=category, path=path, children=children, rows=rows)


def attributes_to_add(category: Category) -> QuerySet[Attribute]:
    """Return the attributes that ``category`` does not link itself, by name."""
    return Attribute.objects.exclude(category_attributes__category=category).order_by(
        "name", "code"
    )


# --- Completeness -------------------------------------------------------------------------


@dataclass
class Completeness:
    """How complete a product is for one scope: ``filled`` of ``required`` items."""

    scope: str
    required: int = 0
    filled: int = 0
    missing: list[str] = field(default_factory=list)

    def need(self, item: str, ok: bool) -> None:
        self.required += 1
        if ok:
            self.filled += 1
        else:
            self.missing.append(item)

    @property
    def percent(self) -> int:
        """Return the completeness in whole percent; 100 only when nothing is missing."""
        if not self.required:
            return 100
        return self.filled * 100 // self.required


def completeness_prefetch(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Prefetch everything ``products_completeness`` reads, so lists stay constant-query.

    A product's active SKUs land in ``product.active_skus`` and their attribute values in
    ``sku.attribute_value_list`` (lists, by ``to_attr``: Django then builds no queryset per
    instance, which costs more than the queries for thousands of SKUs).
    """
    return queryset.select_related("category").prefetch_related(
        Prefetch(
            "skus",
            queryset=SKU.objects.filter(is_active=True).order_by("code"),
            to_attr="active_skus",
        ),
        Prefetch(
            "active_skus__attribute_values",
            queryset=AttributeValue.objects.select_related("attribute"),
            to_attr="attribute_value_list",
        ),
        Prefetch("attribute_values", queryset=AttributeValue.objects.select_related("attribute")),
        "images",
        "selling_points",
    )


def _scopes_of(link: CategoryAttribute) -> set[str]:
    uses = link.attribute.uses
    scopes = {scope for scope, scope_uses in SCOPE_USES.items() if uses & scope_uses}
    return scopes or {CompletenessScope.WEB}


def products_completeness(products: Sequence[Product]) -> dict[int, dict[str, Completeness]]:
    """Return completeness per scope for each product (prefetch with ``completeness_prefetch``).

    Every scope needs at least one active SKU. Web listing: required attributes, a main image,
    selling points, and for every active SKU a retail price. Warehouse: barcode, weight and
    dimensions of every active non-bundle SKU. Finance: retail, distribution and cost price of
    every active SKU. Variant (sale) attributes are required on every SKU, other attributes on
    the product.
    """
    links_by_category = _inherited_attributes_by_category(p.category for p in products)
    # Translated once: a list of thousands of products would otherwise spend its time in
    # gettext for items that are mostly filled.
    main_image, selling_points, one_sku = (
        _("main image"),
        _("selling points"),
        _("at least one active SKU"),
    )
    retail, distribution, cost = (
        _("retail price of %(sku)s"),
        _("distribution price of %(sku)s"),
        _("cost price of %(sku)s"),
    )
    barcode, weight, dimensions = (
        _("barcode of %(sku)s"),
        _("weight of %(sku)s"),
        _("dimensions of %(sku)s"),
    )
    result = {}
    for product in products:
        scopes = {scope: Completeness(scope) for scope in CompletenessScope.values}
        web, warehouse, finance = (scopes[s] for s in CompletenessScope.values)
        skus = product.active_skus
        product_values = {v.attribute_id for v in product.attribute_values.all() if v.is_filled}

        web.need(main_image, bool(product.images.all()))
        web.need(selling_points, bool(product.selling_points.all()))
        # Every team works on SKUs: without one, no scope is complete.
        for scope in scopes.values():
            scope.need(one_sku, bool(skus))
        for sku in skus:
            code = {"sku": sku.code}
            web.need(retail % code, sku.retail_price is not None)
            finance.need(retail % code, sku.retail_price is not None)
            finance.need(distribution % code, sku.distribution_price is not None)
            finance.need(cost % code, sku.cost_price is not None)
            if not sku.is_bundle:
                warehouse.need(barcode % code, bool(sku.barcode))
                warehouse.need(weight % code, bool(sku.weight_g))
                warehouse.need(
                    dimensions % code, bool(sku.length_mm and sku.width_mm and sku.height_mm)
                )

        for link in links_by_category.get(product.category_id, []):
            if not link.is_required:
                continue
            attribute = link.attribute
            for scope in _scopes_of(link):
                if attribute.use_variant:
                    for sku in skus:
                        filled = any(
                            v.attribute_id == attribute.pk and v.is_filled
                            for v in sku.attribute_value_list
                        )
                        scopes[scope].need(f"{attribute.name} ({sku.code})", filled)
                else:
                    scopes[scope].need(attribute.name, attribute.pk in product_values)
        result[product.pk] = scopes
    return result


def product_counts_by_category_role() -> list[tuple[int, str, int, int, int]]:
    """Return ``(category_id, role, products, listed, active SKUs)`` of the products not
    delisted, per category and role: one query that counts each product's active SKUs first
    (an index-only scan of ``catalog_sku_active_product``), then joins the products."""
    sql = """
        SELECT p.category_id, p.role, COUNT(*),
            SUM(CASE WHEN p.status = %s THEN 1 ELSE 0 END), COALESCE(SUM(c.n), 0)
        FROM catalog_product p
        LEFT JOIN (
            SELECT product_id, COUNT(*) AS n FROM catalog_sku WHERE is_active GROUP BY product_id
        ) c ON c.product_id = p.id
        WHERE p.status <> %s
        GROUP BY p.category_id, p.role
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [ProductStatus.LISTED, ProductStatus.DELISTED])
        return cursor.fetchall()


def stored_web_completeness_by_category_role(products: QuerySet[Product]) -> list[dict]:
    """Return, per (category, role) of ``products``, the sum of their stored web
    completeness (percent) and how many have one: ``category_id, role, web_sum, scored``.
    One grouped query; products never scored are left out of both."""
    return list(
        products.filter(stored_completeness__isnull=False)
        .order_by()
        .values("category_id", "role")
        .annotate(web_sum=Sum("stored_completeness__web"), scored=Count("pk"))
    )


def completeness_computed_at():
    """Return when the stored completeness was last computed (``None``: never)."""
    return ProductCompleteness.objects.aggregate(at=Max("computed_at"))["at"]


def product_completeness(*, product: Product) -> dict[str, Completeness]:
    """Return completeness per scope for one product (a handful of queries)."""
    fresh = completeness_prefetch(Product.objects.filter(pk=product.pk)).get()
    return products_completeness([fresh])[fresh.pk]


# --- SKUs and bundles ---------------------------------------------------------------------


def bundles_cost(*, bundles: Iterable[SKU]) -> dict[int, Decimal | None]:
    """Return each bundle's cost by pk, in one query: Σ component cost × quantity.

    The cost is None for a bundle with a component of unknown cost, and for a SKU that has no
    components (it is not a bundle).
    """
    ids = [bundle.pk for bundle in bundles]
    totals: dict[int, Decimal] = {}
    unknown: set[int] = set()
    rows = BundleComponent.objects.filter(bundle_id__in=ids).values_list(
        "bundle_id", "quantity", "component__cost_price"
    )
    for bundle_id, quantity, cost in rows:
        if cost is None:
            unknown.add(bundle_id)
        else:
            totals[bundle_id] = totals.get(bundle_id, Decimal("0")) + cost * quantity
    return {pk: None if pk in unknown else totals.get(pk) for pk in ids}


def bundle_cost(*, bundle: SKU) -> Decimal | None:
    """Return the bundle's cost: the sum of component cost × quantity (None if one is unknown)."""
    return bundles_cost(bundles=[bundle])[bundle.pk]


def category_paths(categories: Iterable[Category]) -> dict[int, str]:
    """Return ``大类 > 中类 > 小类`` for each category, reading all ancestors in one query."""
    categories = {c.pk: c for c in categories}
    if not categories:
        return {}
    ancestors_of_any = Q()
    for c in categories.values():
        ancestors_of_any |= Q(tree_id=c.tree_id, lft__lte=c.lft, rght__gte=c.rght)
    nodes = list(
        Category.objects.filter(ancestors_of_any)
        .only("name", "tree_id", "lft", "rght")
        .order_by("tree_id", "lft")
    )
    return {
        pk: " > ".join(
            n.name for n in nodes if n.tree_id == c.tree_id and n.lft <= c.lft and n.rght >= c.rght
        )
        for pk, c in categories.items()
    }


def standard_margin_by_role() -> list[dict]:
    """Return per product role the number of priced active SKUs and their standard margin.

    Standard margin = (Σ retail price − Σ cost price) ÷ Σ retail price, over active SKUs that
    have both prices; one GROUP BY.
    """
    rows = (
        SKU.objects.filter(is_active=True, retail_price__gt=0, cost_price__isnull=False)
        .values("product__role")
        .annotate(skus=Count("pk"), retail=Sum("retail_price"), cost=Sum("cost_price"))
        .order_by("product__role")
    )
    labels = dict(ProductRole.choices)
    return [
        {
            "role": labels.get(row["product__role"], row["product__role"]),
            "skus": row["skus"],
            "margin_percent": ((row["retail"] - row["cost"]) * 100 / row["retail"]).quantize(
                Decimal("0.1")
            ),
        }
        for row in rows
    ]


# --- Work queues read by the staff dashboards --------------------------------------------


def products_being_prepared() -> QuerySet[Product]:
    """Return draft and ready products with what completeness needs, newest change first."""
    return completeness_prefetch(
        Product.objects.filter(status__in=[ProductStatus.DRAFT, ProductStatus.READY])
    ).order_by("-updated_at", "-pk")


def products_ready_to_list() -> QuerySet[Product]:
    """Return products marked ready, waiting to be listed, longest waiting first."""
    return (
        Product.objects.filter(status=ProductStatus.READY)
        .select_related("category", "brand")
        .order_by("updated_at")
    )


def listed_traffic_products() -> QuerySet[Product]:
    """Return the listed traffic drivers: the products promotions are built around."""
    return (
        Product.objects.filter(role=ProductRole.TRAFFIC, status=ProductStatus.LISTED)
        .select_related("category", "brand")
        .order_by("code")
    )


def product_counts_by_major_class() -> list[dict]:
    """Return per 大类 its name and its not delisted products per role, largest first.

    One GROUP BY on the tree id (a 大类 is a tree's root) and one read of the roots.
    """
    counts = (
        Product.objects.exclude(status=ProductStatus.DELISTED)
        .values("category__tree_id")
        .annotate(
            **{role: Count("pk", filter=Q(role=role)) for role in ProductRole.values},
            total=Count("pk"),
        )
    )
    roots = dict(Category.objects.filter(level=0).values_list("tree_id", "name"))
    rows = [
        {
            "category": roots.get(row["category__tree_id"], "?"),
            "counts": [row[role] for role in ProductRole.values],
            "total": row["total"],
        }
        for row in counts
    ]
    return sorted(rows, key=lambda row: -row["total"])


def sku_search(query: str) -> QuerySet[SKU]:
    """Return SKUs whose code, barcode or product code is ``query``, or whose name or
    product name contains it, with their product and its selling points."""
    return (
        SKU.objects.filter(
            Q(code__iexact=query)
            | Q(barcode=query)
            | Q(product__code__iexact=query)
            | Q(product__name__icontains=query)
            | Q(name__icontains=query)
        )
        .select_related("product")
        .prefetch_related("product__selling_points")
        .order_by("product__code", "code")
    )


def active_skus_without_cost() -> QuerySet[SKU]:
    """Return active SKUs that have no cost price yet, by code."""
    return (
        SKU.objects.filter(is_active=True, cost_price__isnull=True)
        .select_related("product")
        .order_by("code")
    )


# --- Price history ------------------------------------------------------------------------

# The prices whose changes are history (销售价 / 分销价 / 成本价), in the order shown.
PRICE_FIELDS = ("retail_price", "distribution_price", "cost_price")


@dataclass(frozen=True)
class PriceChange:
    """One price of one SKU changed: by whom, when, from what to what."""

    history_id: int
    sku_id: int
    code: str
    name: str
    field: str
    old: Decimal | None
    new: Decimal | None
    changed_at: object  # datetime
    user: object  # the user who changed it, or None (a script, an import without a user)
    reason: str = ""

    @property
    def field_label(self) -> str:
        return SKU._meta.get_field(self.field).verbose_name


def sku_price_history(
    *,
    sku_ids: Iterable[int] | None = None,
    query: str = "",
    fields: Sequence[str] = PRICE_FIELDS,
    since=None,
    until=None,
) -> QuerySet:
    """Return the SKU history records that changed one of ``fields``, newest first, each
    annotated with ``previous_<field>``: the value before the change (window LAG over the
    SKU's records in time order).

    ``sku_ids`` / ``query`` (a SKU code, barcode, product code or a part of a name, as
    ``sku_search``) choose SKUs; ``since`` / ``until`` (datetimes, ``until`` excluded) the
    period of the changes. A SKU's first record (its creation) changes nothing. The SKUs are
    chosen and ``until`` applied before the window, which needs only the records up to the
    change; ``since`` is applied after it, or the first change of the period would lose the
    value before it.
    """
    history = SKU.history.model
    if not fields:
        return history.objects.none()
    records = history.objects.all()
    if sku_ids is not None:
        records = records.filter(id__in=list(sku_ids))
    if query:
        records = records.filter(id__in=sku_search(query).order_by().values("pk"))
    if until is not None:
        records = records.filter(history_date__lt=until)
    order = [F("history_date").asc(), F("history_id").asc()]
    by_sku = {"partition_by": [F("id")], "order_by": order}
    records = records.annotate(
        previous_record=Window(Lag("history_id"), **by_sku),
        **{f"previous_{name}": Window(Lag(name), **by_sku) for name in fields},
    )
    # IS DISTINCT FROM, spelled portably: prices are never negative, so -1 stands for none.
    none = Value(Decimal(-1))
    records = records.alias(
        **{f"before_{name}": Coalesce(F(f"previous_{name}"), none) for name in fields}
    )
    changed = Q()
    for name in fields:
        changed |= ~Q(**{f"before_{name}": Coalesce(F(name), none)})
    records = records.filter(changed, previous_record__isnull=False)
    if since is not None:
        # A window over the record alone is its own date: the filter then runs after LAG.
        records = records.annotate(
            changed_at=Window(Max("history_date"), partition_by=[F("history_id")])
        ).filter(changed_at__gte=since)
    return records.select_related("history_user").order_by("-history_date", "-history_id")


def price_changes(records: Iterable, fields: Sequence[str] = PRICE_FIELDS) -> list[PriceChange]:
    """Return one ``PriceChange`` per changed field of ``records`` (``sku_price_history``)."""
    changes = []
    for record in records:
        for name in fields:
            old, new = getattr(record, f"previous_{name}"), getattr(record, name)
            # SQLite hands LAG's value back unscaled (10, not 10.00).
            old = money(old) if old is not None else None
            if old != new:
                changes.append(
                    PriceChange(
                        history_id=record.history_id,
                        sku_id=record.id,
                        code=record.code,
                        name=record.name,
                        field=name,
                        old=old,
                        new=new,
                        changed_at=record.history_date,
                        user=record.history_user,
                        reason=record.history_change_reason or "",
                    )
                )
    return changes
