"""Products and SKUs: creation, selling points, tags, prices and their database constraints."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog import services
from catalog.models import SKU, Product
from tests.factories import ProductFactory, SKUFactory, leaf_category


@pytest.mark.django_db
def test_product_create_stores_tags_and_selling_points_in_order():
    product = services.product_create(
        code="P1",
        name="西湖龙井",
        category=leaf_category(),
        role="image",
        tags=["famous", "quality"],
        selling_points=["明前采摘", "  ", "", "手工炒制 "],
    )

    product.refresh_from_db()
    assert product.status == "draft"
    assert product.role == "image"
    assert product.selection_tags == ["famous", "quality"]
    assert [p.text for p in product.selling_points.all()] == ["明前采摘", "手工炒制"]


@pytest.mark.django_db
def test_product_create_refuses_an_unknown_role_or_tag_and_stores_nothing():
    category = leaf_category()

    with pytest.raises(ValidationError) as error:
        services.product_create(code="P1", name="茶", category=category, role="hero")
    assert "role" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.product_create(code="P2", name="茶", category=category, tags=["new", "cheap"])
    assert error.value.message_dict == {
        "tags": ["Unknown selection tag: cheap; use famous, special, quality, new."]
    }

    assert not Product.objects.exists()


@pytest.mark.django_db
def test_selling_points_are_replaced_as_a_whole():
    product = ProductFactory()
    services.product_set_selling_points(product=product, points=["一", "二", "三"])

    services.product_set_selling_points(product=product, points=["三", "一"])

    assert [(p.sort_order, p.text) for p in product.selling_points.all()] == [(0, "三"), (1, "一")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("retail_price", "Retail price cannot be negative."),
        ("distribution_price", "Distribution price cannot be negative."),
        ("cost_price", "Cost price cannot be negative."),
    ],
)
def test_negative_prices_are_refused_by_full_clean_and_by_the_database(field, message):
    sku = SKUFactory.build(product=ProductFactory(), **{field: Decimal("-0.01")})

    with pytest.raises(ValidationError) as error:
        sku.full_clean()
    assert error.value.message_dict == {field: [message]}

    with pytest.raises(IntegrityError, match=f"catalog_sku_{field}_non_negative"):
        sku.save()


@pytest.mark.django_db
def test_a_negative_price_written_past_the_model_is_refused_by_the_database():
    sku = SKUFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        SKU.objects.filter(pk=sku.pk).update(cost_price=Decimal("-1"))

    sku.refresh_from_db()
    assert sku.cost_price is None


@pytest.mark.django_db
def test_zero_and_missing_prices_are_allowed():
    sku = SKUFactory.build(
        product=ProductFactory(), retail_price=Decimal("0"), cost_price=None, distribution_price=0
    )

    sku.full_clean()
    sku.save()


@pytest.mark.django_db
def test_price_warnings_name_the_sku_and_both_prices():
    sku = SKUFactory.build(
        code="S1",
        retail_price=Decimal("10.00"),
        distribution_price=Decimal("12.00"),
        cost_price=Decimal("11.50"),
    )

    assert services.sku_price_warnings(sku=sku) == [
        "S1: distribution price 12.00 is above retail price 10.00.",
        "S1: cost price 11.50 is above retail price 10.00.",
    ]
    assert services.sku_price_warnings(sku=SKUFactory.build(retail_price=None)) == []


@pytest.mark.django_db
def test_price_changes_are_kept_in_the_history():
    sku = SKUFactory(retail_price=Decimal("10.00"))

    sku.retail_price = Decimal("12.00")
    sku.save()

    assert [h.retail_price for h in sku.history.order_by("history_date")] == [
        Decimal("10.00"),
        Decimal("12.00"),
    ]
