"""The shelf and home-page plan (WEB货架): which products land where, pins and exclusions,
the JSON for a storefront, who may change it, and a constant number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.enums import ProductRole
from catalog.models import Product, ProductImage
from orders.enums import OrderStatus
from orders.models import Promotion, PromotionItem
from staff import services
from staff.enums import ShelfPinKind, ShelfSlot
from staff.models import ShelfPin
from staff.roles import MANAGER, MARKETER, MERCHANDISER, PURCHASER, SUPPORT, WAREHOUSE
from staff.shelf import shelf_plan
from tests.factories import CategoryFactory
from tests.staff.shelf_world import Storefront

pytestmark = pytest.mark.django_db

SHELF = "/shelf/"
PLAN_JSON = "/shelf/plan.json"
PIN = "/shelf/pins/"
# Categories, pins, units sold, stock (two), products, SKUs, promotions, images: the plan;
# then session, user, permissions and messages of the request.
MAX_QUERIES = 14


@pytest.fixture
def store(db):
    return Storefront()


def codes(cards) -> list[str]:
    return [card.code for card in cards]


def test_each_product_lands_in_exactly_the_slot_the_structure_and_the_pins_give_it(store):
    plan = shelf_plan(page=None)
    home, food = plan.floors
    assert [(f.name, f.number) for f in plan.floors] == [("家电", 1), ("食品", 2)]

    assert codes(home.banner) == ["P-FLAG"]
    # The pin first, then traffic drivers by units sold; out of stock, delisted and
    # excluded ones never.
    assert codes(home.featured) == ["P-PIN", "P-HOT", "P-COLD"]
    assert home.featured[0].pin_id == store.pin_featured.pk
    kitchen, cleaning = home.shelves
    assert (kitchen.name, cleaning.name) == ("厨房电器", "清洁电器")
    # P-HOT sold more than P-BEST but is featured already: once per floor.
    assert codes(kitchen.best) == ["P-BEST"]
    assert kitchen.best[0].units_sold == 3
    assert codes(kitchen.new) == ["P-NEW"]
    assert cleaning.is_empty and home.empty_shelves == ["清洁电器"]
    assert home.hidden_pins == []

    assert codes(food.banner) == []
    assert codes(food.featured) == ["P-NUTS"]
    (snacks,) = food.shelves
    assert codes(snacks.best) == ["P-MIX"]
    assert codes(snacks.new) == ["P-DUO"]  # the bundle: two bags of ten make five
    assert [(s.pin.product.code, s.reason) for s in food.hidden_pins] == [
        ("P-GIFT", "no available stock")
    ]

    shown = {c.code for f in plan.floors for cards in _all_cards(f) for c in cards}
    assert not shown & {"P-EMPTY", "P-DELIST", "P-EXCL", "P-PLAIN", "P-GIFT"}
    statuses = {s.pin.product.code: (s.shown, s.reason) for s in plan.pins}
    assert statuses == {
        "P-PIN": (True, ""),
        "P-GIFT": (False, "no available stock"),
        "P-EXCL": (False, "excluded, never shown"),
    }


def _all_cards(floor):
    yield floor.banner
    yield floor.featured
    for shelf in floor.shelves:
        yield shelf.best
        yield shelf.new


def test_cards_carry_the_price_in_effect_and_the_main_image(store):
    sku = store.traffic_hot.skus.get()
    today = timezone.localdate()
    promotion = Promotion.objects.create(name="双十一", starts_on=today, ends_on=today)
    PromotionItem.objects.create(promotion=promotion, sku=sku, price=Decimal("79.00"))
    ProductImage.objects.create(product=store.traffic_hot, image="products/b.jpg", sort_order=2)
    ProductImage.objects.create(
        product=store.traffic_hot, image="products/a.jpg", thumbnail="products/a_thumb.jpg"
    )
    hot = next(c for c in shelf_plan().floors[0].featured if c.code == "P-HOT")
    assert (hot.price, hot.list_price, hot.promotion) == (
        Decimal("79.00"),
        Decimal("100.00"),
        "双十一",
    )
    assert hot.image_url.endswith("products/a_thumb.jpg")


def test_sales_older_than_the_window_or_cancelled_make_no_best_seller(store):
    sku = store.plain.skus.get()
    store.sell(sku, 50, days_ago=45)
    store.sell(sku, 50, status=OrderStatus.CANCELLED)
    cleaning = shelf_plan().floors[0].shelves[1]
    assert codes(cleaning.best) == []


def test_pins_beyond_the_slots_wait_and_say_so(store, monkeypatch):
    monkeypatch.setattr("staff.shelf.FEATURED_SLOTS", 1)
    services.shelf_pin_set(product=store.plain, kind=ShelfPinKind.PIN, slot=ShelfSlot.FEATURED)
    home = shelf_plan().floors[0]
    assert codes(home.featured) == ["P-PIN"]
    assert [(s.pin.product.code, s.reason) for s in home.hidden_pins] == [
        ("P-PLAIN", "the slot is full of earlier pins")
    ]


def test_a_pin_puts_a_product_on_its_own_shelf_even_without_sales(store):
    services.shelf_pin_set(product=store.plain, kind=ShelfPinKind.PIN, slot=ShelfSlot.BEST)
    cleaning = shelf_plan().floors[0].shelves[1]
    assert codes(cleaning.best) == ["P-PLAIN"]


def test_the_page_shows_the_floors_and_links_each_card_to_its_product_page(store, client_as):
    response = client_as(MERCHANDISER).get(SHELF)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="floor-{store.home.pk}"' in page
    assert reverse("staff:product", args=[store.traffic_hot.pk]) in page
    assert "坚果礼盒" in page and "no available stock" in page  # the hidden pin, said
    assert 'name="kind" value="exclude"' in page  # the merchandiser's buttons
    assert 'id="pin-form"' in page


def test_the_page_pages_floors_and_the_nav_links_every_floor(store, client_as, monkeypatch):
    monkeypatch.setattr("staff.shelf.FLOORS_PER_PAGE", 1)
    page = client_as(MERCHANDISER).get(SHELF, {"page": 2}).content.decode()
    assert "每日坚果" in page and "爆款电饭煲" not in page
    assert f'href="?page=1#floor-{store.home.pk}"' in page
    assert f'href="?page=2#floor-{store.food.pk}"' in page
    # A page out of range shows the nearest one; a malformed one the first.
    assert "每日坚果" in client_as(MERCHANDISER).get(SHELF, {"page": 99}).content.decode()
    assert "爆款电饭煲" in client_as(MERCHANDISER).get(SHELF, {"page": "x"}).content.decode()


@pytest.mark.parametrize("role", [MARKETER, SUPPORT, WAREHOUSE])
def test_read_only_roles_see_the_plan_without_buttons(store, client_as, role):
    response = client_as(role).get(SHELF)
    assert response.status_code == 200
    page = response.content.decode()
    assert "爆款电饭煲" in page
    assert 'id="pin-form"' not in page and "/shelf/pins/" not in page


def test_a_merchandiser_pins_by_code_and_the_product_comes_first_in_the_featured_slots(
    store, client_as
):
    client = client_as(MERCHANDISER)
    response = client.post(
        PIN, {"code": " P-PLAIN ", "kind": "pin", "slot": "featured", "note": "主推", "page": "1"}
    )
    assert response.status_code == 302
    pin = ShelfPin.objects.get(product=store.plain)
    assert (pin.kind, pin.slot, pin.note, pin.created_by.username) == (
        "pin",
        "featured",
        "主推",
        MERCHANDISER,
    )
    assert codes(shelf_plan().floors[0].featured) == ["P-PIN", "P-PLAIN", "P-HOT", "P-COLD"]
    followed = client.get(response["Location"])
    assert "P-PLAIN" in followed.content.decode()


def test_a_bad_code_says_so_and_keeps_what_was_typed(store, client_as):
    response = client_as(MERCHANDISER).post(
        PIN, {"code": "P-NOPE", "kind": "pin", "slot": "featured", "note": "留着的备注"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "No product has the code P-NOPE." in page
    assert 'value="P-NOPE"' in page and 'value="留着的备注"' in page
    assert ShelfPin.objects.count() == 3


def test_a_pin_without_a_slot_is_refused(store, client_as):
    response = client_as(MERCHANDISER).post(PIN, {"code": "P-PLAIN", "kind": "pin"})
    assert "Choose the slot to pin the product into." in response.content.decode()
    assert not ShelfPin.objects.filter(product=store.plain).exists()


def test_the_exclude_button_takes_a_product_off_the_shelf_and_unpin_brings_it_back(
    store, client_as
):
    client = client_as(MANAGER)
    response = client.post(
        PIN, {"product": store.traffic_hot.pk, "kind": "exclude", "page": "1", "floor": "7"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?page=1#floor-7")
    assert codes(shelf_plan().floors[0].featured) == ["P-PIN", "P-COLD"]
    pin = ShelfPin.objects.get(product=store.traffic_hot)
    assert client.post(f"/shelf/pins/{pin.pk}/delete/").status_code == 302
    assert codes(shelf_plan().floors[0].featured) == ["P-PIN", "P-HOT", "P-COLD"]
    # A product that is gone: a message, no error.
    response = client.post(PIN, {"product": 999_999, "kind": "pin", "slot": "featured"})
    assert response.status_code == 302
    assert client.post("/shelf/pins/999999/delete/").status_code == 404


def test_pinning_an_excluded_product_lifts_the_exclusion(store):
    services.shelf_pin_set(
        product=store.traffic_excluded, kind=ShelfPinKind.PIN, slot=ShelfSlot.FEATURED
    )
    assert ShelfPin.objects.filter(product=store.traffic_excluded).count() == 1
    assert codes(shelf_plan().floors[0].featured) == ["P-PIN", "P-EXCL", "P-HOT", "P-COLD"]


@pytest.mark.parametrize("role", [PURCHASER, WAREHOUSE, MARKETER])
def test_roles_without_the_change_permission_may_not_pin(store, client_as, role):
    client = client_as(role)
    assert client.post(PIN, {"code": "P-PLAIN", "kind": "pin", "slot": "best"}).status_code == 403
    assert client.post(f"/shelf/pins/{store.pin_featured.pk}/delete/").status_code == 403
    assert ShelfPin.objects.count() == 3


def test_the_plan_json_follows_the_documented_schema(store, client_as):
    response = client_as(MARKETER).get(PLAN_JSON)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"schema", "as_of", "floors"}
    assert data["schema"] == "jingxi.shelf/1"
    assert data["as_of"] == timezone.localdate().isoformat()
    assert [f["code"] for f in data["floors"]] == ["HOME", "FOOD"]
    floor = data["floors"][0]
    assert set(floor) == {"code", "name", "number", "banner", "featured", "shelves"}
    assert [s["code"] for s in floor["shelves"]] == ["KITCHEN", "CLEAN"]
    assert set(floor["shelves"][0]) == {"code", "name", "best", "new"}
    card = floor["featured"][0]
    assert card == {
        "code": "P-PIN",
        "name": "钉选吸尘器",
        "role": "regular",
        "pinned": True,
        "price": "100.00",
        "list_price": None,
        "promotion": None,
        "currency": "CNY",
        "image_url": None,
    }
    ProductImage.objects.create(product=store.pinned, image="products/pin.jpg")
    card = client_as(MARKETER).get(PLAN_JSON).json()["floors"][0]["featured"][0]
    assert card["image_url"] == "http://testserver/media/products/pin.jpg"


def test_the_plan_json_is_for_staff_who_read_products(store, client):
    assert client.get(PLAN_JSON).status_code == 302  # to the login page


def _grow(store, n: int) -> None:
    """Add ``n`` products of every kind to each floor, sold, new, pinned and with images."""
    for i in range(n):
        for leaf in (store.flagship.category, store.plain.category, store.nuts_traffic.category):
            for role in ProductRole.values:
                product = store.product(
                    f"G-{leaf.code}-{role}-{i}", f"商品{i}", leaf, role, sold=i + 1, is_new=i % 2
                )
                ProductImage.objects.create(product=product, image=f"products/{product.code}.jpg")
        services.shelf_pin_set(
            product=Product.objects.get(code=f"G-{store.plain.category.code}-regular-{i}"),
            kind=ShelfPinKind.PIN,
            slot=ShelfSlot.NEW,
        )
    CategoryFactory(name=f"新大类{n}", code=f"TOP-{n}")


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [SHELF, PLAN_JSON])
def test_the_page_and_the_json_cost_the_same_queries_whatever_the_size(
    store, client_as, django_assert_max_num_queries, url
):
    client = client_as(MERCHANDISER)
    client.get(url)  # the session and permission caches warm
    small = _count(client, url)
    _grow(store, 6)
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200
    assert _count(client, url) == small, small


def test_the_demo_pins_one_product_shown_one_waiting_for_stock_and_excludes_one(store):
    from staff import demo

    ShelfPin.objects.all().delete()
    assert demo._shelf_pins() == 3
    home = shelf_plan().floors[0]
    assert codes(home.featured)[:1] == ["P-BEST"]
    assert home.featured[0].pin_id is not None
    assert [(s.pin.product.code, s.reason) for s in home.hidden_pins] == [
        ("P-EMPTY", "no available stock")
    ]
    assert "P-COLD" not in codes(home.featured)
    assert ShelfPin.objects.get(product__code="P-COLD").kind == ShelfPinKind.EXCLUDE


def test_an_empty_catalogue_shows_an_empty_plan(client_as):
    plan = shelf_plan()
    assert (plan.floors, plan.pages, plan.pins) == ([], 1, [])
    assert "No major class yet" in client_as(MERCHANDISER).get(SHELF).content.decode()
    assert client_as(MERCHANDISER).get(PLAN_JSON).json()["floors"] == []
