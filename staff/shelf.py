"""The shelf and home-page plan (WEB货架): a storefront preview derived from the structure.

One floor per 大类, in tree order (siblings in ``sort_order``). Each floor has a banner of
image products (形象) and featured slots of traffic drivers (目标性/导流); each of its 中类 is
a shelf with its new products (the 新 tag, or created in the last ``NEW_DAYS`` days) and its
best sellers (units ordered in the last ``BEST_DAYS`` days). Only listed products with
available stock (可发 > 0) appear, each at most once per floor.

Merchandisers decide per product (``ShelfPin``): an excluded product never appears; a pinned
one comes first in its slot (on its own floor, and for the new and best slots on its own
shelf) even when the derivation would not pick it — but still only when it is listed, has
stock and its slot has room (pins fill slots in the order they were made). A pin that cannot
show says why (``PinStatus``).

Filling order per floor: pins (every slot), then banner, featured, best sellers, new products;
a product placed once is not placed again on that floor.

``shelf_plan`` reads everything in a constant number of grouped queries (categories, pins, the
floors' listed products, their units sold, their stock, then the SKUs, prices and images of
the products shown), whatever the size of the tree or the range; the page shows
``FLOORS_PER_PAGE`` floors at a time.
"""

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.enums import ProductRole, ProductStatus
from catalog.models import SKU, Category, Product, ProductImage
from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from staff.enums import ShelfPinKind, ShelfSlot
from staff.models import ShelfPin

BANNER_SLOTS = 3
FEATURED_SLOTS = 6
NEW_PER_SHELF = 4
BEST_PER_SHELF = 4
# A product created this many days ago or later counts as new (as does the 新 tag).
NEW_DAYS = 30
# Best sellers: units ordered over this many days.
BEST_DAYS = 30
FLOORS_PER_PAGE = 5

SHELF_SLOTS = (ShelfSlot.NEW, ShelfSlot.BEST)  # per 中类; the others per 大类


@dataclass
class Card:
    """A product as the storefront shows it in one slot."""

    product_id: int
    code: str
    name: str
    role: str
    slot: str
    pin_id: int | None = None  # the pin that put it here
    units_sold: int = 0
    price: Decimal | None = None  # the lowest price in effect today over its active SKUs
    list_price: Decimal | None = None  # the lowest retail price, when above ``price``
    promotion: str = ""
    image_url: str = ""

    @property
    def role_label(self) -> str:
        return str(ProductRole(self.role).label)


@dataclass
class Shelf:
    """A 中类 of a floor."""

    id: int
    code: str
    name: str
    best: list[Card] = field(default_factory=list)
    new: list[Card] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.best or self.new)


@dataclass
class Floor:
    """A 大类: its banner, featured slots and shelves."""

    id: int
    code: str
    name: str
    number: int  # 1-based, in tree order
    banner: list[Card] = field(default_factory=list)
    featured: list[Card] = field(default_factory=list)
    shelves: list[Shelf] = field(default_factory=list)
    hidden_pins: list["PinStatus"] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"floor-{self.id}"

    @property
    def empty_shelves(self) -> list[str]:
        return [shelf.name for shelf in self.shelves if shelf.is_empty]


@dataclass(frozen=True)
class FloorLink:
    """A floor of the nav: its page."""

    id: int
    name: str
    number: int
    page: int

    @property
    def anchor(self) -> str:
        return f"floor-{self.id}"


@dataclass
class PinStatus:
    """A merchandiser's decision and what became of it: ``shown`` or the reason it is not."""

    pin: ShelfPin
    floor_id: int | None = None
    shown: bool = False
    reason: str = ""


@dataclass
class ShelfPlan:
    floors: list[Floor]  # the floors of the page (every floor without paging)
    floor_links: list[FloorLink]  # every floor, for the nav
    pins: list[PinStatus]  # every decision (pins, then exclusions)
    page: int
    pages: int
    as_of: dt.date


@dataclass
class _Product:
    id: int
    code: str
    name: str
    role: str
    is_new: bool
    created_at: dt.datetime
    floor_id: int | None
    shelf_id: int | None
    units: int = 0
    available: int = 0


class _Tree:
    """The 大类 and 中类 of the category tree, and which of them holds a category: from the
    lft/rght ranges, never a query per node."""

    def __init__(self):
        self.floors: list[dict] = []
        self.shelves: dict[int, list[dict]] = defaultdict(list)  # floor id → its 中类
        self._roots: dict[int, dict] = {}  # tree_id → root
        self._middles: dict[int, list[dict]] = defaultdict(list)  # tree_id → 中类 by lft
        self.categories: dict[int, tuple[int, int]] = {}  # id → (tree_id, lft)
        rows = Category.objects.order_by("tree_id", "lft").values_list(
            "id", "code", "name", "level", "tree_id", "lft", "rght"
        )
        for pk, code, name, level, tree_id, lft, rght in rows:
            self.categories[pk] = (tree_id, lft)
            node = {"id": pk, "code": code, "name": name, "lft": lft, "rght": rght}
            if level == 0:
                self.floors.append(node | {"tree_id": tree_id})
                self._roots[tree_id] = node
            elif level == 1:
                self._middles[tree_id].append(node)
                self.shelves[self._roots[tree_id]["id"]].append(node)
        self._lfts = {tree: [m["lft"] for m in nodes] for tree, nodes in self._middles.items()}

    def place(self, category_id: int) -> tuple[int | None, int | None]:
        """Return the floor (大类) and shelf (中类, ``None`` above one) of a category."""
        tree_id, lft = self.categories[category_id]
        root = self._roots.get(tree_id)
        middles = self._middles.get(tree_id, [])
        at = bisect.bisect_right(self._lfts.get(tree_id, []), lft) - 1
        shelf = middles[at]["id"] if at >= 0 and lft <= middles[at]["rght"] else None
        return (root["id"] if root else None), shelf


def slot_sizes() -> dict[str, int]:
    """Return how many products each slot holds (read when asked: tests change them)."""
    return {
        ShelfSlot.BANNER: BANNER_SLOTS,
        ShelfSlot.FEATURED: FEATURED_SLOTS,
        ShelfSlot.NEW: NEW_PER_SHELF,
        ShelfSlot.BEST: BEST_PER_SHELF,
    }


def _since(days: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _pin_statuses(pins: list[ShelfPin], products: dict[int, _Product], tree: _Tree):
    """Return each decision's status as far as the pin alone decides it (listed, in stock, a
    shelf for the shelf slots, room in its slot); the placement marks the pins shown."""
    statuses, taken, sizes = [], defaultdict(int), slot_sizes()
    for pin in pins:
        status = PinStatus(pin, floor_id=tree.place(pin.product.category_id)[0])
        statuses.append(status)
        if pin.kind == ShelfPinKind.EXCLUDE:
            status.reason = _("excluded, never shown")
            continue
        product = products.get(pin.product_id)
        if pin.product.status != ProductStatus.LISTED:
            status.reason = _("the product is not listed")
        elif product is None or product.available <= 0:
            status.reason = _("no available stock")
        elif pin.slot in SHELF_SLOTS and product.shelf_id is None:
            status.reason = _("the product is under no 中类")
        else:
            key = (product.floor_id, product.shelf_id if pin.slot in SHELF_SLOTS else None)
            taken[key, pin.slot] += 1
            if taken[key, pin.slot] > sizes[pin.slot]:
                status.reason = _("the slot is full of earlier pins")
            else:
                status.shown = True
    return statuses


def _place_floor(floor: Floor, members: list[_Product], pins: list[PinStatus], excluded: set):
    """Fill the floor's slots: pins, then banner, featured, best sellers, new products."""
    shelves = {shelf.id: shelf for shelf in floor.shelves}
    placed: set[int] = set()
    sizes = slot_sizes()

    def slot_list(slot: str, shelf_id: int | None) -> list[Card]:
        if slot == ShelfSlot.BANNER:
            return floor.banner
        if slot == ShelfSlot.FEATURED:
            return floor.featured
        return getattr(shelves[shelf_id], slot)

    def put(product: _Product, slot: str, shelf_id: int | None, pin_id: int | None = None):
        slot_list(slot, shelf_id).append(
            Card(
                product.id,
                product.code,
                product.name,
                product.role,
                slot,
                pin_id=pin_id,
                units_sold=product.units,
            )
        )
        placed.add(product.id)

    by_id = {p.id: p for p in members}  # listed, with stock (see ``shelf_plan``)
    for status in pins:
        if status.shown:
            product = by_id[status.pin.product_id]
            put(product, status.pin.slot, product.shelf_id, pin_id=status.pin.pk)
        elif status.pin.kind == ShelfPinKind.PIN:
            floor.hidden_pins.append(status)

    def fill(slot, candidates, shelf_id=None):
        room = sizes[slot] - len(slot_list(slot, shelf_id))
        for product in candidates:
            if room <= 0:
                break
            if product.id in placed or product.id in excluded:
                continue
            put(product, slot, shelf_id)
            room -= 1

    def best_first(p):
        return (-p.units, p.code)

    def newest_first(p):
        return (-p.created_at.timestamp(), p.code)

    image = [p for p in members if p.role == ProductRole.IMAGE]
    fill(ShelfSlot.BANNER, sorted(image, key=lambda p: (-p.units, *newest_first(p))))
    traffic = [p for p in members if p.role == ProductRole.TRAFFIC]
    fill(ShelfSlot.FEATURED, sorted(traffic, key=best_first))
    by_shelf = defaultdict(list)
    for product in members:
        if product.shelf_id in shelves:
            by_shelf[product.shelf_id].append(product)
    new_since = _since(NEW_DAYS)
    for shelf_id, products in by_shelf.items():
        sold = [p for p in products if p.units > 0]
        fill(ShelfSlot.BEST, sorted(sold, key=best_first), shelf_id)
    for shelf_id, products in by_shelf.items():
        new = [p for p in products if p.is_new or p.created_at >= new_since]
        fill(ShelfSlot.NEW, sorted(new, key=newest_first), shelf_id)


def _dress(cards: list[Card]) -> None:
    """Give the cards shown their price in effect today and main image: three queries."""
    ids = {card.product_id for card in cards}
    if not ids:
        return
    skus = list(
        SKU.objects.filter(product_id__in=ids, is_active=True).only(
            "id", "product_id", "retail_price", "distribution_price"
        )
    )
    quotes = order_selectors.prices_in_effect(skus)
    prices: dict[int, tuple] = {}
    retail: dict[int, Decimal] = {}
    for sku in skus:
        quote = quotes.get(sku.pk)
        if sku.retail_price is not None:
            retail[sku.product_id] = min(
                retail.get(sku.product_id, sku.retail_price), sku.retail_price
            )
        if quote is not None and (
            sku.product_id not in prices or quote.unit_price < prices[sku.product_id][0]
        ):
            prices[sku.product_id] = (quote.unit_price, quote.promotion)
    images: dict[int, str] = {}
    for image in ProductImage.objects.filter(product_id__in=ids).order_by(
        "product_id", "sort_order", "id"
    ):
        if image.product_id not in images:
            file = image.thumbnail or image.image
            images[image.product_id] = file.url if file else ""
    for card in cards:
        price, promotion = prices.get(card.product_id, (None, None))
        card.price = price
        lowest_retail = retail.get(card.product_id)
        if price is not None and lowest_retail is not None and lowest_retail > price:
            card.list_price = lowest_retail
        card.promotion = promotion.name if promotion else ""
        card.image_url = images.get(card.product_id, "")


def shelf_plan(*, page: int | None = 1) -> ShelfPlan:
    """Return the shelf plan (see the module) of page ``page`` (1-based; out of range: the
    nearest page), or of every floor with ``page=None``."""
    floors_per_page = FLOORS_PER_PAGE
    tree = _Tree()
    pages = max(1, -(-len(tree.floors) // floors_per_page))
    links = [
        FloorLink(node["id"], node["name"], n + 1, n // floors_per_page + 1)
        for n, node in enumerate(tree.floors)
    ]
    if page is None:
        on_page = tree.floors
    else:
        page = min(max(page, 1), pages)
        on_page = tree.floors[(page - 1) * floors_per_page : page * floors_per_page]
    pins = list(
        ShelfPin.objects.select_related("product", "created_by").order_by(
            "-kind", "created_at", "id"
        )
    )
    pinned_ids = [pin.product_id for pin in pins if pin.kind == ShelfPinKind.PIN]
    excluded = {pin.product_id for pin in pins if pin.kind == ShelfPinKind.EXCLUDE}

    scope = Product.objects.filter(status=ProductStatus.LISTED)
    if page is not None:
        trees = [node["tree_id"] for node in on_page]
        scope = scope.filter(Q(category__tree_id__in=trees) | Q(pk__in=pinned_ids))
    units = order_selectors.products_units_sold(scope, since=_since(BEST_DAYS))
    available = inventory_selectors.products_available(scope)
    # Only the products some slot could take: image and traffic ones, new ones, sold ones,
    # pinned ones; and of those only the ones with stock.
    candidates = scope.filter(
        Q(role__in=[ProductRole.IMAGE, ProductRole.TRAFFIC])
        | Q(is_new=True)
        | Q(created_at__gte=_since(NEW_DAYS))
        | Q(pk__in=list(units))
        | Q(pk__in=pinned_ids)
    )
    products: dict[int, _Product] = {}
    rows = candidates.order_by().values_list(
        "id", "code", "name", "role", "is_new", "created_at", "category_id"
    )
    for pk, code, name, role, is_new, created_at, category_id in rows:
        if pk not in available:
            continue
        floor_id, shelf_id = tree.place(category_id)
        products[pk] = _Product(
            pk,
            code,
            name,
            role,
            is_new,
            created_at,
            floor_id,
            shelf_id,
            units=units.get(pk, 0),
            available=available[pk],
        )
    statuses = _pin_statuses(pins, products, tree)

    members = defaultdict(list)
    for product in products.values():
        members[product.floor_id].append(product)
    pins_by_floor = defaultdict(list)
    for status in statuses:
        pins_by_floor[status.floor_id].append(status)
    floors = []
    for node in on_page:
        number = tree.floors.index(node) + 1
        floor = Floor(node["id"], node["code"], node["name"], number)
        floor.shelves = [Shelf(s["id"], s["code"], s["name"]) for s in tree.shelves[node["id"]]]
        _place_floor(floor, members[floor.id], pins_by_floor[floor.id], excluded)
        floors.append(floor)
    _dress(
        [
            card
            for floor in floors
            for cards in (
                floor.banner,
                floor.featured,
                *(s.best for s in floor.shelves),
                *(s.new for s in floor.shelves),
            )
            for card in cards
        ]
    )
    return ShelfPlan(
        floors=floors,
        floor_links=links,
        pins=statuses,
        page=page or 1,
        pages=1 if page is None else pages,
        as_of=timezone.localdate(),
    )


def plan_json(plan: ShelfPlan, *, absolute) -> dict:
    """Return the plan as the storefront reads it (schema in docs/staff.md, "WEB货架");
    ``absolute`` makes a URL absolute (``request.build_absolute_uri``)."""

    def card(c: Card) -> dict:
        return {
            "code": c.code,
            "name": c.name,
            "role": c.role,
            "pinned": c.pin_id is not None,
            "price": None if c.price is None else f"{c.price:.2f}",
            "list_price": None if c.list_price is None else f"{c.list_price:.2f}",
            "promotion": c.promotion or None,
            "currency": "CNY",
            "image_url": absolute(c.image_url) if c.image_url else None,
        }

    return {
        "schema": "jingxi.shelf/1",
        "as_of": plan.as_of.isoformat(),
        "floors": [
            {
                "code": floor.code,
                "name": floor.name,
                "number": floor.number,
                "banner": [card(c) for c in floor.banner],
                "featured": [card(c) for c in floor.featured],
                "shelves": [
                    {
                        "code": shelf.code,
                        "name": shelf.name,
                        "best": [card(c) for c in shelf.best],
                        "new": [card(c) for c in shelf.new],
                    }
                    for shelf in floor.shelves
                ],
            }
            for floor in plan.floors
        ],
    }
