"""The price in effect (promotion > distributor tier > retail), placement priced by it, and the
price-change page. Figures are worked out by hand in the comments."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import SKU
from catalog.selectors import price_changes, sku_price_history
from orders import services
from orders.enums import PriceType
from orders.exceptions import InvalidOrderInput
from orders.models import Customer, Promotion, PromotionItem, Shop
from orders.pricing import PriceBook, price_for, prices_for
from tests.factories import SKUFactory
from tests.inventory.support import receive
from tests.orders.support import channel_order, line, staff_order
from tests.sqlite import sqlite_migrated, sqlite_run

D = Decimal
NOV_30, DEC_1, DEC_12, DEC_13 = (
    dt.date(2026, m, d) for m, d in ((11, 30), (12, 1), (12, 12), (12, 13))
)


def promotion(name, first, last, *items, channel=None, shop=None) -> Promotion:
    """A promotion of ``items``: (sku, fixed price or None, percent off or None)."""
    made = Promotion.objects.create(
        name=name, channel=channel, shop=shop, starts_on=first, ends_on=last
    )
    for sku, price, percent in items:
        PromotionItem.objects.create(promotion=made, sku=sku, price=price, percent_off=percent)
    return made


@pytest.fixture
def distributor(db) -> Customer:
    return Customer.objects.create(
        code="D001", name="杭州优品商贸", kind="distributor", price_tier=PriceType.DISTRIBUTION
    )


def test_a_promotion_applies_from_its_first_to_its_last_day_both_included(shops):
    sku = SKUFactory(retail_price=D("99.00"))
    double12 = promotion(
        "双12年终大促", DEC_1, DEC_12, (sku, D("79.00"), None), channel=shops.tmall.channel
    )
    tmall = shops.tmall.channel
    assert price_for(sku, None, tmall, on=NOV_30).unit_price == D("99.00")
    on_first = price_for(sku, None, tmall, on=DEC_1)
    assert (on_first.unit_price, on_first.price_type, on_first.promotion) == (
        D("79.00"),
        PriceType.PROMOTION,
        double12,
    )
    assert price_for(sku, None, tmall, on=DEC_12).promotion == double12
    after = price_for(sku, None, tmall, on=DEC_13)
    assert (after.unit_price, after.price_type, after.promotion) == (
        D("99.00"),
        PriceType.RETAIL,
        None,
    )


def test_a_channel_promotion_covers_its_channel_a_shop_promotion_only_its_shop(shops):
    sku = SKUFactory(retail_price=D("99.00"))
    tmall = shops.tmall.channel
    second = Shop.objects.create(
        channel=tmall, code="TM2", name="天猫专营店", warehouse=shops.site.warehouse
    )
    everywhere = promotion("新品尝鲜价", DEC_1, DEC_12, (sku, D("89.00"), None))
    channel_wide = promotion("天猫大促", DEC_1, DEC_12, (sku, D("79.00"), None), channel=tmall)
    flagship = promotion(
        "旗舰店专享", DEC_1, DEC_12, (sku, D("69.00"), None), channel=tmall, shop=shops.tmall
    )
    # Through the flagship shop every promotion covers the sale: the lowest, 69.00, wins.
    assert price_for(sku, shop=shops.tmall, on=DEC_1).promotion == flagship
    # Another Tmall shop: the channel's 79.00, not the flagship's 69.00.
    assert price_for(sku, shop=second, on=DEC_1).promotion == channel_wide
    assert price_for(sku, None, tmall, on=DEC_1).unit_price == D("79.00")
    # The staff desk is another channel: only the all-channel 89.00.
    desk = price_for(sku, shop=shops.desk, on=DEC_1)
    assert (desk.unit_price, desk.promotion) == (D("89.00"), everywhere)
    # No channel named: the all-channel promotion only.
    assert price_for(sku, on=DEC_1).promotion == everywhere


def test_a_percentage_off_is_rounded_half_up_to_the_cent(shops):
    a = SKUFactory(retail_price=D("99.90"))
    b = SKUFactory(retail_price=D("10.00"))
    c = SKUFactory(retail_price=D("19.90"))
    promotion(
        "抖音直播专场",
        DEC_1,
        DEC_12,
        (a, None, D("15")),  # 99.90 × 0.85 = 84.915 → 84.92 (half-up; half-even keeps .92 too)
        (b, None, D("33.35")),  # 10.00 × 0.6665 = 6.665 → 6.67 (half-even would give 6.66)
        (c, None, D("50")),  # 19.90 × 0.5 = 9.95 exactly
    )
    quotes = prices_for([a, b, c], on=DEC_1)
    assert [quotes[s.pk].unit_price for s in (a, b, c)] == [D("84.92"), D("6.67"), D("9.95")]
    assert {quotes[s.pk].price_type for s in (a, b, c)} == {PriceType.PROMOTION}


def test_a_distributor_pays_its_tier_unless_a_promotion_is_as_low_or_lower(shops, distributor):
    cheap, tie, dear = (
        SKUFactory(retail_price=D("100.00"), distribution_price=D("70.00")) for _n in range(3)
    )
    sale = promotion(
        "年终大促",
        DEC_1,
        DEC_12,
        (cheap, D("65.00"), None),  # below the distribution price: the promotion wins
        (tie, D("70.00"), None),  # equal: the promotion wins, the line names the campaign
        (dear, D("75.00"), None),  # above: the distributor keeps its 70.00
    )
    quotes = prices_for([cheap, tie, dear], distributor, on=DEC_1)
    assert (quotes[cheap.pk].unit_price, quotes[cheap.pk].promotion) == (D("65.00"), sale)
    assert (quotes[tie.pk].unit_price, quotes[tie.pk].price_type) == (
        D("70.00"),
        PriceType.PROMOTION,
    )
    assert (quotes[dear.pk].unit_price, quotes[dear.pk].price_type, quotes[dear.pk].promotion) == (
        D("70.00"),
        PriceType.DISTRIBUTION,
        None,
    )
    # A retail buyer of the dear SKU gets the 75.00 promotion price (below its 100.00).
    assert price_for(dear, shops.customer, on=DEC_1).unit_price == D("75.00")


def test_without_a_promotion_a_distributor_without_a_distribution_price_pays_retail(
    shops, distributor
):
    sku = SKUFactory(retail_price=D("100.00"), distribution_price=None)
    quote = price_for(sku, distributor, on=DEC_1)
    assert (quote.unit_price, quote.price_type, quote.promotion) == (
        D("100.00"),
        PriceType.RETAIL,
        None,
    )
    assert price_for(SKUFactory(retail_price=None, distribution_price=None), on=DEC_1) is None


def test_of_several_promotions_the_lowest_price_wins_and_a_stale_one_above_retail_never(shops):
    sku = SKUFactory(retail_price=D("50.00"))
    promotion("A", DEC_1, DEC_12, (sku, D("45.00"), None))
    lowest = promotion("B", DEC_1, DEC_12, (sku, None, D("20")))  # 50.00 × 0.8 = 40.00
    assert price_for(sku, on=DEC_1).promotion == lowest
    other = SKUFactory(retail_price=D("30.00"))
    promotion("stale", DEC_1, DEC_12, (other, D("35.00"), None))
    assert price_for(other, on=DEC_1).price_type == PriceType.RETAIL


def test_quoting_many_skus_takes_the_same_queries_as_quoting_three(
    shops, django_assert_num_queries
):
    skus = [SKUFactory(retail_price=D("10.00") + n) for n in range(30)]
    promotion("大促", DEC_1, DEC_12, *((sku, None, D("10")) for sku in skus))
    with django_assert_num_queries(1):  # the promotion items of the SKUs and days
        prices_for(skus[:3], on=DEC_1)
    with django_assert_num_queries(1):
        quotes = prices_for(skus, on=DEC_1)
    assert quotes[skus[29].pk].unit_price == D("35.10")  # 39.00 × 0.9
    with django_assert_num_queries(2):  # by id: the SKUs, then their promotion items
        prices_for([sku.pk for sku in skus], shops.customer, shops.tmall.channel, DEC_1)
    book = PriceBook(skus, first_day=DEC_1, last_day=DEC_13)
    with django_assert_num_queries(0):
        assert book.quote(skus[0], on=DEC_13).unit_price == D("10.00")
    with pytest.raises(ValueError):
        book.quote(skus[0], on=NOV_30)


def test_placing_an_order_takes_the_price_in_effect_and_names_the_promotion(shops):
    today = timezone.localdate()
    sku = SKUFactory(retail_price=D("99.00"), distribution_price=D("70.00"))
    plain = SKUFactory(retail_price=D("20.00"))
    receive(sku, shops.site.pick_a, 10)
    receive(plain, shops.site.pick_b, 10)
    live = promotion(
        "双12年终大促",
        today - dt.timedelta(days=1),
        today + dt.timedelta(days=1),
        (sku, D("79.00"), None),
        channel=shops.tmall.channel,
    )
    order = channel_order(shops.tmall, line(sku, 2), line(plain, 1))
    promoted, regular = order.lines.order_by("line_no")
    assert (promoted.unit_price, promoted.price_type, promoted.promotion) == (
        D("79.00"),
        PriceType.PROMOTION,
        live,
    )
    assert promoted.amount == D("158.00")  # 2 × 79.00
    assert (regular.unit_price, regular.price_type, regular.promotion) == (
        D("20.00"),
        PriceType.RETAIL,
        None,
    )
    # Yesterday, before the campaign, the same line sold at retail.
    before = staff_order(
        shops.tmall,
        line(sku, 1),
        placed_at=timezone.now() - dt.timedelta(days=2),
    )
    assert (before.lines.get().unit_price, before.lines.get().promotion) == (D("99.00"), None)
    # A price given is kept; a chosen "promotion" type names the campaign in effect.
    given = channel_order(
        shops.tmall, line(sku, 1, price_type=PriceType.PROMOTION, unit_price=D("75.00"))
    )
    assert (given.lines.get().unit_price, given.lines.get().promotion) == (D("75.00"), live)
    # The staff desk is not in the campaign's channel: retail.
    desk = staff_order(shops.desk, line(sku, 1))
    assert (desk.lines.get().unit_price, desk.lines.get().promotion) == (D("99.00"), None)


def test_a_batch_of_channel_orders_prices_each_order_on_its_own_day(shops):
    today = timezone.localdate()
    sku = SKUFactory(retail_price=D("99.00"))
    receive(sku, shops.site.pick_a, 10)
    live = promotion(
        "抖音直播专场", today, today, (sku, None, D("10")), channel=shops.tmall.channel
    )
    now = timezone.now()
    outcomes = services.channel_orders_place(
        orders=[
            services.ChannelOrderInput(
                shop=shops.tmall,
                number=number,
                lines=[line(sku, 1)],
                placed_at=placed,
                paid_at=placed,
            )
            for number, placed in (("TB1", now), ("TB2", now - dt.timedelta(days=3)))
        ]
    )
    today_line = outcomes[0].order.lines.get()
    earlier_line = outcomes[1].order.lines.get()
    assert (today_line.unit_price, today_line.promotion) == (D("89.10"), live)  # 99.00 × 0.9
    assert (earlier_line.unit_price, earlier_line.promotion) == (D("99.00"), None)


def test_a_promotion_type_without_a_campaign_in_effect_is_refused(shops):
    sku = SKUFactory(retail_price=D("99.00"))
    with pytest.raises(InvalidOrderInput, match="give the unit price"):
        staff_order(shops.desk, line(sku, 1, price_type=PriceType.PROMOTION))


# --- Price history ------------------------------------------------------------------------


def _at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour))


def _change(sku, when, user=None, **prices):
    for name, value in prices.items():
        setattr(sku, name, D(value))
    sku._history_date = when
    sku._history_user = user
    sku.save()


@pytest.fixture
def priced(db):
    """A SKU created on 1 Nov at 100.00 / 80.00 / 50.00, then changed three times."""
    editor = User.objects.create_user("editor", first_name="李", last_name="")
    sku = SKUFactory(code="CUP-1", name="保温杯 500ml", retail_price=D("100.00"))
    SKU.history.filter(id=sku.pk).update(history_date=_at(1, 9))
    sku.distribution_price, sku.cost_price = D("80.00"), D("50.00")
    sku._history_date = _at(1)
    sku.save()  # a second record on creation day; it changes distribution and cost
    _change(sku, _at(5), editor, retail_price="89.00")
    _change(sku, _at(10), editor, cost_price="52.50")
    _change(sku, _at(20), editor, retail_price="95.00", distribution_price="76.00")
    return sku


def test_price_history_lists_who_changed_which_price_from_what_to_what(priced):
    changes = price_changes(sku_price_history(sku_ids=[priced.pk]))
    assert [(c.changed_at.day, c.field, c.old, c.new) for c in changes] == [
        (20, "retail_price", D("89.00"), D("95.00")),
        (20, "distribution_price", D("80.00"), D("76.00")),
        (10, "cost_price", D("50.00"), D("52.50")),
        (5, "retail_price", D("100.00"), D("89.00")),
        (1, "distribution_price", None, D("80.00")),
        (1, "cost_price", None, D("50.00")),
    ]
    assert changes[0].user.username == "editor"
    # From the 6th: the 20th's change still knows the 89.00 set on the 5th (LAG before the
    # period filter), and a name-only save is no price change.
    priced.name = "保温杯 500ml 星空蓝"
    priced._history_date = _at(25)
    priced.save()
    period = sku_price_history(fields=("retail_price",), since=_at(6, 0), until=_at(26, 0))
    assert [(c.old, c.new) for c in price_changes(period, ("retail_price",))] == [
        (D("89.00"), D("95.00"))
    ]


def test_price_history_runs_on_sqlite(tmp_path):
    _database, env = sqlite_migrated(tmp_path)
    result = sqlite_run(
        env,
        """
from decimal import Decimal
from catalog import services as catalog_services
from catalog.models import SKU, Product
from catalog.selectors import price_changes, sku_price_history
top = catalog_services.category_create(name="大类", code="C0")
middle = catalog_services.category_create(name="中类", code="C1", parent=top)
leaf = catalog_services.category_create(name="小类", code="C2", parent=middle)
product = Product.objects.create(code="P1", name="商品", category=leaf)
sku = SKU.objects.create(product=product, code="S1", retail_price=Decimal("10.00"))
sku.retail_price = Decimal("12.50"); sku.save()
sku.cost_price = Decimal("6.00"); sku.save()
print([(c.field, str(c.old), str(c.new)) for c in price_changes(sku_price_history(query="S1"))])
""",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "[('cost_price', 'None', '6.00'), ('retail_price', '10.00', '12.50')]"
    )


def test_the_price_change_page_shows_finance_the_cost_changes(priced, as_role):
    page = as_role("finance").get(reverse("finance:prices"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "52.50" in body and "+2.50" in body  # the cost change of the 10th: 50.00 → 52.50
    assert "-11.00" in body  # retail 100.00 → 89.00 on the 5th


def test_a_role_without_cost_access_sees_no_cost_change(priced, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    auditor = User.objects.create_user("auditor", password="x-Pw-4711-jx")
    auditor.user_permissions.add(
        Permission.objects.get(content_type__app_label="catalog", codename="view_historicalsku")
    )
    client = Client()
    client.force_login(auditor)
    body = client.get(reverse("finance:prices")).content.decode()
    assert "89.00" in body and "76.00" in body
    assert "52.50" not in body and "50.00" not in body
    # Asking for cost changes by the URL shows no cost either.
    body = client.get(reverse("finance:prices"), {"field": "cost_price"}).content.decode()
    assert "52.50" not in body
    workbook = client.get(reverse("finance:prices"), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.values)
    assert len(rows) == 1 + 4  # header + retail ×2, distribution ×2: no cost row
    assert all(row[4] != 50 and row[5] != D("52.5") for row in rows[1:])


def test_the_price_change_page_filters_and_exports(priced, as_role, django_assert_max_num_queries):
    client = as_role("finance")
    for n in range(5):
        _change(SKUFactory(retail_price=D("10.00")), _at(15), retail_price=f"{11 + n}.00")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("finance:prices"))
    assert page.status_code == 200
    body = client.get(
        reverse("finance:prices"),
        {"q": "CUP-1", "field": "retail_price", "since": "2026-11-06", "until": "2026-11-30"},
    ).content.decode()
    assert "95.00" in body and "100.00" not in body  # only the 20th's retail change
    workbook = client.get(reverse("finance:prices"), {"q": "CUP-1", "format": "xlsx"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.values)
    assert rows[0][:6] == ("Changed at", "SKU", "Name", "Price", "Old price", "New price")
    assert rows[1][1:7] == ("CUP-1", "保温杯 500ml", "retail price", 89, 95, 6)
    assert len(rows) == 1 + 6


def test_the_price_change_page_is_refused_to_the_warehouse(priced, as_role):
    assert as_role("warehouse").get(reverse("finance:prices")).status_code == 403
    bad = as_role("finance").get(
        reverse("finance:prices"), {"since": "2026-11-20", "until": "2026-11-01"}
    )
    assert "The period ends before it starts." in bad.content.decode()
