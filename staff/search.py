"""The catalogue search (商品搜索): products found by text and narrowed by facets, with counts.

Facets: the category tree (drill-down: the children of the current category with counts),
brand, product role, status, 名特优新 tags, retail price range, stock status and each web
filter attribute (筛选属性) that applies to the current category subtree. Values of one facet
combine with OR, facets combine with AND. Counts are disjunctive: a facet's counts apply every
other facet's selection but not its own, so they say how many products a click would add.

Every count is one GROUP BY (or one conditional aggregate) over the filtered products, never
a query per product, per category or per value: the page costs the same number of queries
for 50 products or 100,000 (one more per facet with a selection). A category subtree is read
by its lft/rght range once, then products are filtered by its list of category ids.

What is costly to aggregate per request (units sold, price bands, available stock, stock
status, margin, the values of web filter attributes) is read from ``ProductSearchFacts`` and
``ProductSearchValue`` (``staff.search_facts``), refreshed periodically; the page says as of
when. Who may see what follows the role matrix: sales
with ``orders.view_salesorderline``, stock with ``inventory.view_warehousestock``, margins
with ``catalog.view_margin`` and ``catalog.view_cost``; a sort a user may not use is
ignored, so a crafted URL reveals nothing. Bad parameters (unknown values, wrong ids, a
non-numeric page) are ignored.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.access import VIEW_COST, VIEW_MARGIN, visible_attributes_q
from catalog.enums import AttributeType, ProductRole, ProductStatus, SelectionTag
from catalog.models import (
    SKU,
    Attribute,
    Brand,
    Category,
    CategoryAttribute,
    Product,
)
from staff.models import ProductSearchValue, SearchStockStatus
from staff.search_facts import (
    FACET_TYPES,
    PRICE_BUCKETS,
    SEARCH_SALES_DAYS,
    decimal_text,
    search_facts_refreshed_at,
)

PAGE_SIZE = 50
BRANDS_SHOWN = 10
VALUES_SHOWN = 12  # values of an attribute shown (the most frequent), selected ones too
QUERY_MAX_LENGTH = 100
VIEW_SALES = "orders.view_salesorderline"
VIEW_STOCK = "inventory.view_warehousestock"

SORTS = {
    "sales": gettext_lazy("Best selling (%(days)d days)"),
    "margin": gettext_lazy("Highest margin"),
    "stock": gettext_lazy("Most stock"),
    "newest": gettext_lazy("Newest"),
}
SORT_ORDER = {
    "sales": (F("search_facts__units_sold").desc(nulls_last=True), "code"),
    "margin": (F("search_facts__margin").desc(nulls_last=True), "code"),
    "stock": (F("search_facts__available").desc(nulls_last=True), "code"),
    "newest": ("-created_at", "-pk"),
}
# The parameters that take several values (a facet each; "attr" one per attribute).
LIST_PARAMETERS = ("brand", "role", "status", "tag", "price", "stock", "attr")


@dataclass(frozen=True)
class Access:
    """What the user may see and sort by."""

    sales: bool
    stock: bool
    margin: bool

    @classmethod
    def of(cls, user) -> "Access":
        return cls(
            sales=user.has_perm(VIEW_SALES),
            stock=user.has_perm(VIEW_STOCK),
            margin=user.has_perm(VIEW_MARGIN) and user.has_perm(VIEW_COST),
        )

    def sorts(self) -> list[str]:
        allowed = {"sales": self.sales, "margin": self.margin, "stock": self.stock}
        return [key for key in SORTS if allowed.get(key, True)]

    @property
    def default_sort(self) -> str:
        return "sales" if self.sales else "newest"


@dataclass
class Selection:
    """The validated parameters of a search; anything invalid was dropped."""

    query: str = ""
    category: Category | None = None
    brands: list[int] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    prices: list[str] = field(default_factory=list)
    stocks: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)  # code → values
    sort: str = "newest"
    all_brands: bool = False

    def pairs(self, *, without: tuple[str, str] | None = None, adding=None, sort=None):
        """Return the URL parameters of this selection (page left out), one value removed
        or added."""
        lists = {
            "brand": [str(pk) for pk in self.brands],
            "role": self.roles,
            "status": self.statuses,
            "tag": self.tags,
            "price": self.prices,
            "stock": self.stocks,
            "attr": [f"{code}:{v}" for code, values in self.attributes.items() for v in values],
        }
        out = []
        if self.query:
            out.append(("q", self.query))
        if self.category is not None:
            out.append(("cat", str(self.category.pk)))
        for key in LIST_PARAMETERS:
            for value in lists[key]:
                if (key, value) != without:
                    out.append((key, value))
            if adding and adding[0] == key:
                out.append(adding)
        out.append(("sort", sort or self.sort))
        if self.all_brands:
            out.append(("brands", "all"))
        return out

    def url(self, **kwargs) -> str:
        return "?" + urlencode(self.pairs(**kwargs))

    def toggle_url(self, key: str, value: str, selected: bool) -> str:
        if selected:
            return self.url(without=(key, value))
        return self.url(adding=(key, value))

    def with_category(self, category_id: int | None) -> str:
        pairs = [(k, v) for k, v in self.pairs() if k not in ("cat", "attr")]
        if category_id is not None:
            pairs.insert(0, ("cat", str(category_id)))
        return "?" + urlencode(pairs)


@dataclass
class FacetValue:
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class Facet:
    key: str
    title: str
    values: list[FacetValue]
    more_url: str = ""
    less_url: str = ""


@dataclass
class Chip:
    label: str
    url: str


@dataclass
class CategoryFacet:
    trail: list[tuple[str, str]]  # (name, url) from the top to the current category
    values: list[FacetValue]
    all_url: str


@dataclass
class SearchResult:
    selection: Selection
    access: Access
    page: Page
    total: int
    category: CategoryFacet
    facets: list[Facet]
    chips: list[Chip]
    sorts: list[tuple[str, str]]
    refreshed_at: object
    sales_days: int = SEARCH_SALES_DAYS
    query: str = ""  # the selection's URL parameters, for pagination
    clear_url: str = "?"
    hidden: list[tuple[str, str]] = field(default_factory=list)  # the form's other fields


# --- Parameters ---------------------------------------------------------------------------


def _ints(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31 and number not in out:
            out.append(number)
    return out


def _known(values, allowed) -> list[str]:
    return list(dict.fromkeys(v for v in values if v in allowed))


def _applicable_attributes(user, category: Category | None) -> list[Attribute]:
    """Return the web filter attributes of ``category``'s subtree the user may see: those
    attached to it, to an ancestor (inherited) or to a descendant; without a category, those
    attached to a 大类 (they apply to everything under it)."""
    if category is None:
        links = CategoryAttribute.objects.filter(category__level=0)
    else:
        tree = {"category__tree_id": category.tree_id}
        links = CategoryAttribute.objects.filter(
            Q(**tree, category__lft__lte=category.lft, category__rght__gte=category.rght)
            | Q(**tree, category__lft__gte=category.lft, category__rght__lte=category.rght)
        )
    return list(
        Attribute.objects.filter(use_web_filter=True, value_type__in=FACET_TYPES)
        .filter(visible_attributes_q(user))
        .filter(pk__in=links.values("attribute_id"))
        .order_by("display_priority", "code")
    )


def _attribute_value(attribute: Attribute, raw: str) -> str | None:
    """Return the canonical text of ``raw`` for ``attribute``, or None if it cannot be one
    of its values."""
    match attribute.value_type:
        case AttributeType.CHOICE | AttributeType.MULTI_CHOICE:
            return raw if raw in attribute.options else None
        case AttributeType.BOOLEAN:
            return raw if raw in ("1", "0") else None
        case AttributeType.INTEGER:
            try:
                return str(int(raw))
            except ValueError:
                return None
        case AttributeType.DECIMAL:
            try:
                number = Decimal(raw)
            except InvalidOperation:
                return None
            return decimal_text(number) if number.is_finite() else None
    return None


def selection_parse(params, access: Access, attributes_of) -> tuple[Selection, dict]:
    """Return the selection the GET ``params`` ask for, and the applicable attributes by
    code; whatever is unknown or not allowed is dropped."""
    selection = Selection()
    selection.query = " ".join(params.get("q", "").split())[:QUERY_MAX_LENGTH]
    category_ids = _ints([params.get("cat")])
    if category_ids:
        selection.category = Category.objects.filter(pk=category_ids[0]).first()
    selection.brands = _ints(params.getlist("brand"))
    selection.roles = _known(params.getlist("role"), ProductRole.values)
    selection.statuses = _known(params.getlist("status"), ProductStatus.values)
    selection.tags = _known(params.getlist("tag"), SelectionTag.values)
    selection.prices = _known(params.getlist("price"), [key for key, _l, _h in PRICE_BUCKETS])
    if access.stock:
        selection.stocks = _known(params.getlist("stock"), SearchStockStatus.values)
    attributes = {a.code: a for a in attributes_of(selection.category)}
    for raw in params.getlist("attr"):
        code, _sep, value = raw.partition(":")
        if code in attributes:
            value = _attribute_value(attributes[code], value)
            values = selection.attributes.setdefault(code, [])
            if value is not None and value not in values:
                values.append(value)
    selection.attributes = {code: values for code, values in selection.attributes.items() if values}
    sorts = access.sorts()
    sort = params.get("sort", "")
    selection.sort = sort if sort in sorts else access.default_sort
    selection.all_brands = params.get("brands") == "all"
    return selection, attributes


# --- Filters ------------------------------------------------------------------------------


def _text_q(text: str) -> Q:
    """Products whose code or name holds the text, or with a SKU of that code or barcode."""
    skus = SKU.objects.filter(Q(code__in={text, text.upper()}) | Q(barcode=text))
    return Q(code__icontains=text) | Q(name__icontains=text) | Q(pk__in=skus.values("product_id"))


def _price_q(keys: list[str]) -> Q:
    """Products with an active SKU in one of the price bands ``keys`` (stored facts)."""
    mask = sum(1 << n for n, (key, _low, _high) in enumerate(PRICE_BUCKETS) if key in keys)
    return Q(GreaterThan(F("search_facts__price_bands").bitand(mask), 0))


def _attribute_q(attribute: Attribute, values: list[str]) -> Q:
    """Products with one of ``values`` for ``attribute`` (stored search values)."""
    rows = ProductSearchValue.objects.filter(
        product=OuterRef("pk"), attribute=attribute, value__in=values
    )
    return Q(Exists(rows))


def _subtree_q(category: Category, prefix: str = "category__") -> Q:
    return Q(
        **{
            f"{prefix}tree_id": category.tree_id,
            f"{prefix}lft__gte": category.lft,
            f"{prefix}rght__lte": category.rght,
        }
    )


class _Filters:
    """The selection as filters on products, each facet's own left out on demand."""

    def __init__(self, selection: Selection, attributes: dict[str, Attribute], subtree):
        self.selection = selection
        self.attributes = attributes
        # The ids of the selected category's subtree: the planner reads the products of a
        # list of categories through the (category, status) index, where a join on the
        # tree's lft/rght range would scan every product.
        self.category_ids = list(subtree) if selection.category is not None else None

    def q(self, skip: str = "") -> Q:
        s = self.selection
        q = Q()
        if s.query:
            q &= _text_q(s.query)
        if self.category_ids is not None:
            q &= Q(category_id__in=self.category_ids)
        if s.brands and skip != "brand":
            q &= Q(brand_id__in=s.brands)
        if s.roles and skip != "role":
            q &= Q(role__in=s.roles)
        if s.statuses and skip != "status":
            q &= Q(status__in=s.statuses)
        if s.tags and skip != "tag":
            tags = Q()
            for tag in s.tags:
                tags |= Q(**{f"is_{tag}": True})
            q &= tags
        if s.prices and skip != "price":
            q &= _price_q(s.prices)
        if s.stocks and skip != "stock":
            q &= Q(search_facts__stock_status__in=s.stocks)
        for code, values in s.attributes.items():
            if skip != f"attr:{code}":
                q &= _attribute_q(self.attributes[code], values)
        return q

    def products(self, skip: str = ""):
        return Product.objects.filter(self.q(skip))


# --- Facets -------------------------------------------------------------------------------


# Facets over a column of the product (or its facts) and the 名特优新 flags.
FIXED_COLUMNS = {"role": "role", "status": "status", "stock": "search_facts__stock_status"}


def _fixed_counts(selection: Selection, filters: _Filters, access: Access) -> dict:
    """Return the counts of role, status, stock (columns), tags and price bands (flags) by
    facet key. The facets without a selection share the same filters: one GROUP BY over
    their columns, with a conditional count per flag, serves them all; each facet with a
    selection takes its own query without it."""
    keys = ["role", "status", "tag", "price"] + (["stock"] if access.stock else [])
    selected = {
        "role": selection.roles,
        "status": selection.statuses,
        "tag": selection.tags,
        "price": selection.prices,
        "stock": selection.stocks,
    }
    flags = {
        "tag": {t: Q(**{f"is_{t}": True}) for t in SelectionTag.values},
        "price": {f"price_{key}": _price_q([key]) for key, _low, _high in PRICE_BUCKETS},
    }
    counts: dict[str, dict[str, int]] = {key: {} for key in keys}

    def add(skip: str, group: list[str]) -> None:
        columns = [FIXED_COLUMNS[key] for key in group if key in FIXED_COLUMNS]
        flagged = {
            name: Count("pk", filter=q) for key in group for name, q in flags.get(key, {}).items()
        }
        products = filters.products(skip).order_by()
        if columns:
            rows = list(products.values(*columns).annotate(n=Count("pk"), **flagged))
        else:
            rows = [products.aggregate(**flagged)]
        for row in rows:
            for key in group:
                target = counts[key]
                if key in FIXED_COLUMNS:
                    value = row[FIXED_COLUMNS[key]]
                    target[value] = target.get(value, 0) + row["n"]
                    continue
                for name in flags[key]:
                    value = name.removeprefix("price_")
                    target[value] = target.get(value, 0) + (row[name] or 0)

    shared = [key for key in keys if not selected[key]]
    if shared:
        add("", shared)
    for key in keys:
        if selected[key]:
            add(key, [key])
    return counts


def _fixed_facet(selection: Selection, key: str, title: str, choices, counts: dict) -> Facet:
    """A facet over a fixed list of ``(value, label)`` choices, zeros included."""
    selected = selection.pairs()
    values = []
    for value, label in choices:
        chosen = (key, value) in selected
        values.append(
            FacetValue(
                str(label), counts.get(value, 0), chosen, selection.toggle_url(key, value, chosen)
            )
        )
    return Facet(key, title, values)


@dataclass(frozen=True)
class _Place:
    """Where a category sits in the tree."""

    name: str
    tree_id: int
    lft: int
    rght: int
    parent_id: int | None


def _subtree(category: Category | None) -> dict[int, _Place]:
    """Return the categories of ``category``'s subtree (every category without one) by id,
    in tree order; one query."""
    rows = Category.objects.order_by("tree_id", "lft")
    if category is not None:
        rows = rows.filter(_subtree_q(category, prefix=""))
    return {
        pk: _Place(*place)
        for pk, *place in rows.values_list("pk", "name", "tree_id", "lft", "rght", "parent_id")
    }


def _category_facet(
    selection: Selection, filters: _Filters, subtree: dict[int, _Place]
) -> tuple[CategoryFacet, int]:
    """Return the trail to the current category and its children (大类 at the top) with
    counts, and the number of products found: one GROUP BY over the categories products
    hang on, added up into the children by their lft ranges."""
    current = selection.category
    trail = []
    if current is not None:
        trail = list(
            Category.objects.filter(
                tree_id=current.tree_id, lft__lte=current.lft, rght__gte=current.rght
            ).order_by("lft")
        )
    parent_id = current.pk if current is not None else None
    children = [(pk, place) for pk, place in subtree.items() if place.parent_id == parent_id]
    keys = [(place.tree_id, place.lft) for _pk, place in children]
    counts = dict.fromkeys((pk for pk, _place in children), 0)
    total = 0
    for category_id, n in (
        filters.products().order_by().values_list("category_id").annotate(n=Count("pk"))
    ):
        total += n
        leaf = subtree.get(category_id)
        if leaf is None:
            continue
        index = bisect_right(keys, (leaf.tree_id, leaf.lft)) - 1
        if index >= 0:
            pk, child = children[index]
            if child.tree_id == leaf.tree_id and child.lft <= leaf.lft <= child.rght:
                counts[pk] += n
    facet = CategoryFacet(
        trail=[(c.name, selection.with_category(c.pk)) for c in trail],
        values=[
            FacetValue(place.name, counts[pk], False, selection.with_category(pk))
            for pk, place in children
            if counts[pk]
        ],
        all_url=selection.with_category(None),
    )
    return facet, total


def _brand_facet(selection: Selection, filters: _Filters, names: dict[int, str]) -> Facet:
    rows = list(
        filters.products("brand")
        .exclude(brand=None)
        .order_by()
        .values_list("brand_id", "brand__name")
        .annotate(n=Count("pk"))
    )
    rows.sort(key=lambda row: (-row[2], row[1]))
    counted = {pk for pk, _name, _n in rows}
    rows += [(pk, names[pk], 0) for pk in selection.brands if pk not in counted]
    shown = rows
    facet = Facet("brand", _("Brand"), [])
    if len(rows) > BRANDS_SHOWN and not selection.all_brands:
        shown = [r for n, r in enumerate(rows) if n < BRANDS_SHOWN or r[0] in selection.brands]
        facet.more_url = "?" + urlencode([*selection.pairs(), ("brands", "all")])
    elif selection.all_brands and len(rows) > BRANDS_SHOWN:
        facet.less_url = "?" + urlencode([p for p in selection.pairs() if p[0] != "brands"])
    for pk, name, n in shown:
        selected = pk in selection.brands
        facet.values.append(
            FacetValue(name, n, selected, selection.toggle_url("brand", str(pk), selected))
        )
    return facet


def _price_label(low: int, high: int | None) -> str:
    if high is None:
        return _("¥%(low)s and up") % {"low": low}
    return f"¥{low}–{high}"


def _key_label(attribute: Attribute, key: str) -> str:
    """Return how a stored search value reads: yes / no, a number with its unit, a text."""
    if attribute.value_type == AttributeType.BOOLEAN:
        return _("Yes") if key == "1" else _("No")
    return f"{key} {attribute.unit}" if attribute.unit else key


def _attribute_facets(
    selection: Selection, filters: _Filters, attributes: dict[str, Attribute]
) -> list[Facet]:
    """One facet per applicable attribute, counted from the stored search values: the
    attributes without a selection share one GROUP BY, each selected one takes its own."""
    counts: dict[str, dict[str, int]] = {code: {} for code in attributes}
    shared = [a.pk for a in attributes.values() if a.code not in selection.attributes]
    groups = [(shared, "")] if shared else []
    groups += [([attributes[code].pk], f"attr:{code}") for code in selection.attributes]
    by_pk = {a.pk: a for a in attributes.values()}
    for ids, skip in groups:
        rows = ProductSearchValue.objects.filter(attribute_id__in=ids)
        if filters.q(skip):  # nothing to narrow by: every product counts, no join needed
            rows = rows.filter(product__in=filters.products(skip).values("pk"))
        rows = rows.order_by().values_list("attribute_id", "value").annotate(n=Count("product_id"))
        for attribute_id, value, n in rows:
            counts[by_pk[attribute_id].code][value] = n
    facets = []
    for code, attribute in attributes.items():
        selected = selection.attributes.get(code, [])
        values = sorted(counts[code].items(), key=lambda item: (-item[1], item[0]))
        shown = [
            (key, n) for i, (key, n) in enumerate(values) if i < VALUES_SHOWN or key in selected
        ]
        shown += [(key, 0) for key in selected if key not in counts[code]]
        if not shown:
            continue
        facets.append(
            Facet(
                f"attr:{code}",
                str(attribute),
                [
                    FacetValue(
                        _key_label(attribute, key),
                        n,
                        key in selected,
                        selection.toggle_url("attr", f"{code}:{key}", key in selected),
                    )
                    for key, n in shown
                ],
            )
        )
    return facets


def _chip_label(facet: str, value: str) -> str:
    return _("%(facet)s: %(value)s") % {"facet": facet, "value": value}


def _chips(selection, facets: list[Facet], category: CategoryFacet) -> list[Chip]:
    chips = []
    if selection.query:
        without_query = [p for p in selection.pairs() if p[0] != "q"]
        label = _chip_label(_("Keywords"), selection.query)
        chips.append(Chip(label, "?" + urlencode(without_query)))
    if selection.category is not None:
        chips.append(Chip(_chip_label(_("Category"), category.trail[-1][0]), category.all_url))
    for facet in facets:
        for value in facet.values:
            if value.selected:
                chips.append(Chip(_chip_label(facet.title, value.label), value.url))
    return chips


# --- The search ---------------------------------------------------------------------------


def catalogue_search(user, params) -> SearchResult:
    """Return the search page for ``user`` and the GET ``params`` (see the module)."""
    access = Access.of(user)
    selection, attributes = selection_parse(
        params, access, lambda category: _applicable_attributes(user, category)
    )
    names = dict(Brand.objects.filter(pk__in=selection.brands).values_list("pk", "name"))
    selection.brands = [pk for pk in selection.brands if pk in names]
    subtree = _subtree(selection.category)
    filters = _Filters(selection, attributes, subtree)
    category, total = _category_facet(selection, filters, subtree)

    counts = _fixed_counts(selection, filters, access)
    facets = []
    if access.stock:
        facets.append(
            _fixed_facet(
                selection, "stock", _("Stock status"), SearchStockStatus.choices, counts["stock"]
            )
        )
    facets += [
        _fixed_facet(
            selection,
            "price",
            _("Retail price"),
            [(key, _price_label(low, high)) for key, low, high in PRICE_BUCKETS],
            counts["price"],
        ),
        _brand_facet(selection, filters, names),
        _fixed_facet(selection, "role", _("Product role"), ProductRole.choices, counts["role"]),
        _fixed_facet(selection, "status", _("Status"), ProductStatus.choices, counts["status"]),
        _fixed_facet(
            selection, "tag", _("Selection tags (名特优新)"), SelectionTag.choices, counts["tag"]
        ),
    ]
    facets += _attribute_facets(selection, filters, attributes)

    results = (
        filters.products()
        .select_related("category", "brand", "search_facts")
        .order_by(*SORT_ORDER[selection.sort])
    )
    paginator = Paginator(results, PAGE_SIZE)
    paginator.count = total  # known from the category counts: spares a COUNT(*)
    page = paginator.get_page(params.get("page"))
    page.object_list = list(page.object_list)
    tag_labels = dict(SelectionTag.choices)
    for product in page.object_list:
        product.tag_labels = [str(tag_labels[tag]) for tag in product.selection_tags]
    pairs = selection.pairs()
    return SearchResult(
        selection=selection,
        access=access,
        page=page,
        total=total,
        category=category,
        facets=facets,
        chips=_chips(selection, facets, category),
        sorts=[(key, _sort_label(key)) for key in access.sorts()],
        refreshed_at=search_facts_refreshed_at(),
        query=urlencode(pairs),
        clear_url="?" + urlencode([("sort", selection.sort)]),
        hidden=[(k, v) for k, v in pairs if k not in ("q", "sort")],
    )


def _sort_label(key: str) -> str:
    label = str(SORTS[key])
    return label % {"days": SEARCH_SALES_DAYS} if key == "sales" else label
