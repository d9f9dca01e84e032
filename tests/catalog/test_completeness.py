"""Completeness per scope, and the product lifecycle that listing depends on."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from catalog import services
from catalog.exceptions import InvalidStatusTransition, ProductNotListable
from catalog.models import CategoryAttribute, Product
from catalog.selectors import (
    Completeness,
    completeness_prefetch,
    product_completeness,
    products_completeness,
)
from tests.factories import AttributeFactory, ProductFactory, SKUFactory


def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("main.png", buffer.getvalue(), content_type="image/png")


def web_ready_product(sku_code: str = "S1", **kwargs) -> Product:
    """Return a product with an image, selling points and one priced SKU."""
    product = ProductFactory(**kwargs)
    services.product_image_add(product=product, upload=png_upload())
    services.product_set_selling_points(product=product, points=["好喝", "便宜"])
    SKUFactory(product=product, code=sku_code, retail_price="9.90")
    return product


def require(category, attribute, *, required=True) -> CategoryAttribute:
    return CategoryAttribute.objects.create(
        category=category, attribute=attribute, is_required=required
    )


@pytest.mark.django_db
def test_a_bare_product_misses_image_selling_points_and_a_sku_for_the_web():
    product = ProductFactory()

    web = product_completeness(product=product)["web"]

    assert web.missing == ["main image", "selling points", "at least one active SKU"]
    assert web.percent == 0


@pytest.mark.django_db
def test_a_product_without_skus_is_not_complete_for_any_team():
    product = ProductFactory()

    scopes = product_completeness(product=product)

    assert scopes["warehouse"].missing == ["at least one active SKU"]
    assert scopes["finance"].missing == ["at least one active SKU"]
    assert scopes["warehouse"].percent == scopes["finance"].percent == 0


@pytest.mark.django_db
def test_each_scope_names_what_it_misses():
    product = web_ready_product()
    SKUFactory(product=product, code="S2", retail_price=None, barcode=None, weight_g=None)

    scopes = product_completeness(product=product)

    assert scopes["web"].missing == ["retail price of S2"]
    assert scopes["warehouse"].missing == ["barcode of S2", "weight of S2"]
    assert scopes["finance"].missing == [
        "distribution price of S1",
        "cost price of S1",
        "retail price of S2",
        "distribution price of S2",
        "cost price of S2",
    ]


@pytest.mark.django_db
def test_a_web_ready_product_is_complete_for_the_web():
    product = web_ready_product()

    scopes = product_completeness(product=product)

    assert scopes["web"].missing == []
    assert scopes["web"].percent == 100
    assert scopes["warehouse"].percent == 100
    assert scopes["finance"].percent == 50


def test_percent_rounds_down_so_that_only_a_complete_product_shows_100():
    almost = Completeness("web")
    for n in range(200):
        almost.need(f"item {n}", n != 0)

    assert almost.percent == 99
    assert Completeness("web").percent == 100


@pytest.mark.django_db
def test_inactive_skus_do_not_count_and_bundles_need_no_warehouse_data():
    product = web_ready_product()
    SKUFactory(product=product, code="OLD", retail_price=None, is_active=False)
    SKUFactory(product=product, code="BOX", is_bundle=True, barcode=None, weight_g=None)

    scopes = product_completeness(product=product)

    assert scopes["web"].missing == []
    assert scopes["warehouse"].missing == []


@pytest.mark.django_db
def test_required_attributes_are_inherited_from_ancestor_categories():
    product = web_ready_product()
    leaf = product.category
    origin = AttributeFactory(name="产地", use_web_display=True)
    shelf_life = AttributeFactory(name="保质期", use_warehouse=True)
    optional = AttributeFactory(name="口味", use_web_display=True)
    require(leaf.parent.parent, origin)
    require(leaf.parent, shelf_life)
    require(leaf, optional, required=False)

    scopes = product_completeness(product=product)

    assert scopes["web"].missing == ["产地"]
    assert scopes["warehouse"].missing == ["保质期"]

    services.attribute_value_set(attribute=origin, raw="杭州", product=product)
    services.attribute_value_set(attribute=shelf_life, raw="12 个月", product=product)

    scopes = product_completeness(product=product)
    assert scopes["web"].percent == scopes["warehouse"].percent == 100


@pytest.mark.django_db
def test_an_attribute_attached_at_two_levels_is_required_once():
    product = web_ready_product()
    origin = AttributeFactory(name="产地", use_web_display=True)
    require(product.category.parent.parent, origin, required=False)
    require(product.category.parent, origin)
    require(product.category, origin)

    web = product_completeness(product=product)["web"]

    assert web.missing == ["产地"]
    assert web.required == 5


@pytest.mark.django_db
def test_attributes_without_a_team_use_count_for_the_web_and_finance_uses_for_finance():
    product = web_ready_product()
    plain = AttributeFactory(name="备注")
    tax = AttributeFactory(name="税率", use_finance=True)
    require(product.category, plain)
    require(product.category, tax)

    scopes = product_completeness(product=product)

    assert scopes["web"].missing == ["备注"]
    assert "税率" in scopes["finance"].missing
    assert "税率" not in scopes["web"].missing


@pytest.mark.django_db
def test_variant_attributes_are_required_on_every_sku():
    product = web_ready_product()
    SKUFactory(product=product, code="S2")
    colour = AttributeFactory(name="颜色", value_type="choice", options=["红", "蓝"])
    colour.use_variant = True
    colour.save()
    require(product.category, colour)
    # A variant value on the product does not stand in for the SKUs' values.
    services.attribute_value_set(attribute=colour, raw="红", product=product)
    services.attribute_value_set(attribute=colour, raw="红", sku=product.skus.get(code="S1"))

    web = product_completeness(product=product)["web"]

    assert web.missing == ["颜色 (S2)"]


@pytest.mark.django_db
def test_completeness_of_a_list_takes_the_same_queries_for_two_or_twenty_products():
    def queries_for(count: int) -> int:
        products = [web_ready_product(sku_code=f"{count}-{n}") for n in range(count)]
        origin = AttributeFactory(use_web_display=True)
        for product in products:
            require(product.category, origin)
        ids = [p.pk for p in products]
        with CaptureQueriesContext(connection) as captured:
            listed = list(completeness_prefetch(Product.objects.filter(pk__in=ids)))
            result = products_completeness(listed)
        assert len(result) == count
        return len(captured)

    assert queries_for(2) == queries_for(20)


# --- Lifecycle ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_an_incomplete_product_is_refused_naming_what_is_missing():
    product = ProductFactory(status="ready")
    SKUFactory(product=product, code="S1", retail_price=None)

    with pytest.raises(ProductNotListable) as error:
        services.product_set_status(product=product, status="listed")

    assert error.value.missing == ["main image", "selling points", "retail price of S1"]
    assert str(error.value) == (
        "The product cannot be listed until it is complete. "
        "Missing: main image; selling points; retail price of S1."
    )
    assert product.status == "ready"
    product.refresh_from_db()
    assert product.status == "ready"


@pytest.mark.django_db
def test_a_complete_product_goes_through_its_whole_lifecycle():
    product = web_ready_product()

    for status in ["ready", "listed", "delisted", "listed", "delisted", "ready", "draft"]:
        returned = services.product_set_status(product=product, status=status)
        assert returned.status == product.status == status
        assert Product.objects.get(pk=product.pk).status == status
    assert product.history.count() == 8


@pytest.mark.django_db
def test_set_status_returns_the_given_product_as_stored():
    product = web_ready_product()

    returned = services.product_set_status(product=product, status="ready")

    assert returned is product
    assert product.updated_at == Product.objects.get(pk=product.pk).updated_at


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        ("draft", "listed", "A product cannot go from Draft to Listed."),
        ("draft", "delisted", "A product cannot go from Draft to Delisted."),
        ("listed", "draft", "A product cannot go from Listed to Draft."),
        ("listed", "ready", "A product cannot go from Listed to Ready."),
        ("delisted", "draft", "A product cannot go from Delisted to Draft."),
        ("ready", "archived", "A product cannot go from Ready to archived."),
    ],
)
def test_forbidden_transitions_are_refused_and_change_nothing(current, target, message):
    product = web_ready_product(status=current)

    with pytest.raises(InvalidStatusTransition) as error:
        services.product_set_status(product=product, status=target)

    assert str(error.value) == message
    product.refresh_from_db()
    assert product.status == current


@pytest.mark.django_db
def test_relisting_a_delisted_product_checks_completeness_again():
    product = web_ready_product(status="delisted")
    product.images.all().delete()

    with pytest.raises(ProductNotListable, match=r"Missing: main image\.$"):
        services.product_set_status(product=product, status="listed")


@pytest.mark.django_db
def test_setting_the_current_status_again_is_a_no_op():
    product = ProductFactory(status="listed")

    services.product_set_status(product=product, status="listed")

    product.refresh_from_db()
    assert product.status == "listed"
