"""The corners of the admin and the pages where fuzzing found 500s: each now answers with a
message, a form error, a redirect or a 404, and changes nothing."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule

from catalog.models import SKU
from orders.models import SalesOrder
from purchasing.models import PurchaseOrder, SupplierOffer

BIG = "9" * 20


@pytest.fixture
def root(world, db) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="root"))
    return client


@pytest.fixture
def manager(world, db) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.users["manager"])
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_autocomplete_with_a_non_numeric_page_or_term_answers_without_a_500(manager):
    url = reverse("admin:autocomplete")
    base = {"app_label": "catalog", "model_name": "bundlecomponent", "field_name": "component"}
    for extra in ({"term": "abc", "page": "abc"}, {"term": BIG}, {"term": "x" * 10_000}):
        response = manager.get(url, base | extra)
        assert response.status_code in (200, 404), extra
    bad_field = manager.get(url, base | {"field_name": "abc", "term": "1"})
    assert bad_field.status_code == 403


@pytest.mark.parametrize("selected", ["abc", BIG, "-1 OR 1=1"])
def test_an_admin_action_on_a_non_numeric_selection_says_so_and_does_nothing(
    world, manager, selected
):
    order = world.objects[SalesOrder]
    status = order.status
    response = manager.post(
        reverse("admin:orders_salesorder_changelist"),
        {"action": "cancel", "_selected_action": [str(order.pk), selected]},
        follow=True,
    )
    assert response.status_code == 200
    assert "The selection names a record that does not exist: nothing done." in messages_of(
        response
    )
    order.refresh_from_db()
    assert order.status == status


def test_deleting_a_non_numeric_selection_deletes_nothing(world, manager):
    count = SKU.objects.count()
    response = manager.post(
        reverse("admin:catalog_sku_changelist"),
        {"action": "delete_selected", "_selected_action": ["abc"], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200 and SKU.objects.count() == count


def test_a_crontab_minute_of_minus_one_is_a_form_error(manager):
    count = CrontabSchedule.objects.count()
    fields = {"hour": "*", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*"}
    response = manager.post(
        reverse("admin:django_celery_beat_crontabschedule_add"),
        fields | {"minute": "-1", "timezone": "UTC"},
    )
    assert response.status_code == 200
    assert "minute" in response.context["adminform"].form.errors
    assert CrontabSchedule.objects.count() == count


def test_a_ten_thousand_character_time_zone_is_a_form_error(manager):
    count = CrontabSchedule.objects.count()
    fields = {"minute": "0", "hour": "*", "day_of_month": "*", "month_of_year": "*"}
    response = manager.post(
        reverse("admin:django_celery_beat_crontabschedule_add"),
        fields | {"day_of_week": "*", "timezone": "Asia/" + "X" * 10_000},
    )
    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors
    assert CrontabSchedule.objects.count() == count


@pytest.mark.parametrize(
    "query",
    [
        {"placed_at__year": BIG},
        {"placed_at__year": "2024", "placed_at__month": BIG},
        {"placed_at__year": "2024", "placed_at__month": "2", "placed_at__day": "31"},
        {"placed_at__year": "0"},
        {"placed_at__year": "abc"},
    ],
)
def test_a_date_drill_down_beyond_the_calendar_is_a_wrong_filter(manager, query):
    url = reverse("admin:orders_salesorder_changelist")
    response = manager.get(url, query)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_a_year_filter_out_of_range_on_any_changelist_is_a_wrong_filter(manager):
    for url in (
        reverse("admin:catalog_sku_changelist"),
        reverse("admin:axes_accesslog_changelist"),
    ):
        for key in ("created_at__year", "attempt_time__month", "x__day"):
            response = manager.get(url, {key: BIG})
            assert response.status_code == 302 and response["Location"].endswith("?e=1"), key


@pytest.mark.parametrize("version", ["abc", BIG, "-1"])
def test_a_history_record_that_cannot_exist_is_not_found(world, manager, version):
    sku = world.sku
    response = manager.get(f"/admin/catalog/sku/{sku.pk}/history/{version}/")
    assert response.status_code == 404
    response = manager.get(f"/admin/catalog/sku/abc/history/{version}/")
    assert response.status_code == 404


def test_a_twenty_digit_quantity_on_restock_is_a_message_and_orders_nothing(world, manager):
    offer = world.objects[SupplierOffer]
    key = f"{offer.sku_id}:{PurchaseOrder.objects.first().warehouse_id}:{offer.pk}"
    count = PurchaseOrder.objects.count()
    url = reverse("purchasing:restock")
    response = manager.post(url, {"selected": [key], f"quantity-{key}": BIG}, follow=True)
    assert response.status_code == 200
    assert any("quantity must be a whole number above zero" in m for m in messages_of(response))
    huge_key = f"{BIG}:{BIG}:{BIG}"
    response = manager.post(
        url, {"selected": [huge_key], f"quantity-{huge_key}": "3", "orders_seen": BIG}, follow=True
    )
    assert response.status_code == 200
    assert "A selected suggestion has no offer or no quantity." in messages_of(response)
    assert PurchaseOrder.objects.count() == count


@pytest.mark.parametrize(
    "url",
    ["/?q=a%00b", "/orders/?q=a%00b", "/admin/catalog/sku/?q=a%00b", "/inventory/stock/?q=%00"],
)
def test_a_nul_character_in_a_query_is_a_bad_request(manager, url):
    assert manager.get(url).status_code == 400


def test_a_nul_character_in_a_form_is_a_bad_request_and_saves_nothing(world, manager):
    sku = world.sku
    name = sku.name
    url = reverse("admin:catalog_sku_change", args=[sku.pk])
    response = manager.post(url, {"name": "bad\x00name", "code": sku.code})
    assert response.status_code == 400
    sku.refresh_from_db()
    assert sku.name == name


def test_a_nul_character_in_a_login_is_a_bad_request(db):
    response = Client().post(reverse("login"), {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400


def test_an_ordinary_action_and_drill_down_still_work(world, manager):
    order = world.objects[SalesOrder]
    response = manager.post(
        reverse("admin:orders_salesorder_changelist"),
        {"action": "cancel", "_selected_action": [str(order.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "The selection names a record" not in " ".join(messages_of(response))
    year = order.placed_at.year
    response = manager.get(reverse("admin:orders_salesorder_changelist"), {"placed_at__year": year})
    assert response.status_code == 200 and order.number in response.content.decode()


@pytest.mark.parametrize("object_id", ["abc", BIG])
def test_the_history_of_a_record_that_cannot_exist_is_not_found(manager, object_id):
    assert manager.get(f"/admin/catalog/product/{object_id}/history/").status_code == 404


def test_a_cut_short_return_form_is_a_message_and_receives_nothing(world, login):
    order = world.objects[SalesOrder]
    client = login("support")
    url = reverse("orders:order_return", args=[order.pk])
    returns = order.returns.count()
    response = client.post(url, {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert order.returns.count() == returns
    response = client.post(url, {"note": "x"})
    assert response.status_code == 200 and order.returns.count() == returns


@pytest.mark.parametrize("page", ["change", "delete"])
def test_an_empty_to_field_is_a_bad_request_not_a_500(world, root, page):
    sku = world.objects[SKU]
    url = reverse(f"admin:catalog_sku_{page}", args=[sku.pk])
    assert root.get(url, {"_to_field": ""}).status_code == 400
    assert root.post(url, {"_to_field": ""}).status_code == 400
    assert SKU.objects.filter(pk=sku.pk).exists()
