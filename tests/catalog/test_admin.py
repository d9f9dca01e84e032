"""The catalog admin as staff use it: lists stay fast, bad input gets a clear error and the
database keeps what it had."""

import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CheckboxInput, FileInput
from django.urls import reverse
from PIL import Image

from catalog import services
from catalog.models import (
    SKU,
    Attribute,
    AttributeValue,
    Brand,
    BundleComponent,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
)
from tests.factories import (
    AttributeFactory,
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    SKUFactory,
    leaf_category,
)

pytestmark = pytest.mark.django_db


# --- Helpers ------------------------------------------------------------------------------


def url(model, view: str, *args) -> str:
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


def form_data(response) -> dict:
    """Return what a browser would post back for the admin form in ``response``, unchanged."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, FileInput):
                continue
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def add_row(data: dict, prefix: str, **fields) -> None:
    """Add one new row to the inline formset ``prefix`` of posted ``data``."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


def png(name: str = "red.png", size=(400, 300)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def leaf():
    return leaf_category(name="保温杯")


def complete_product(category, **kwargs) -> Product:
    """Return a product that may be listed: priced SKU, image and a selling point."""
    product = ProductFactory(category=category, **kwargs)
    SKUFactory(product=product)
    services.product_set_selling_points(product=product, points=["保温 12 小时"])
    services.product_image_add(product=product, upload=png())
    return product


# --- Every page answers -------------------------------------------------------------------


def catalog_model_admins():
    return [(m, ma) for m, ma in admin.site._registry.items() if m._meta.app_label == "catalog"]


def test_every_catalog_admin_page_answers_for_a_superuser(admin_client, leaf):
    bundle = SKUFactory(product=complete_product(leaf))
    services.bundle_set_components(bundle=bundle, components=[(SKUFactory(), 2)])
    AttributeFactory()
    registered = catalog_model_admins()
    assert {m.__name__ for m, _ in registered} >= {
        "Category",
        "Brand",
        "Product",
        "SKU",
        "Attribute",
    }

    for model, _model_admin in registered:
        obj = model.objects.order_by("pk").first()
        assert obj is not None, model
        pages = [url(model, "changelist"), url(model, "add"), url(model, "change", obj.pk)]
        pages.append(url(model, "history", obj.pk))
        pages.append(url(model, "delete", obj.pk))
        for page in pages:
            response = admin_client.get(page)
            assert response.status_code == 200, page


def test_the_admin_is_branded_jingxi(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "精细 Jingxi" in response.content.decode()


# --- Lists keep a constant number of queries ---------------------------------------------

MAX_CHANGELIST_QUERIES = 15


def seed_categories(n: int) -> str:
    top = CategoryFactory(name=f"家居{n}")
    middles = [CategoryFactory(parent=top) for _ in range(max(1, n // 20))]
    for i in range(n - 1 - len(middles)):
        CategoryFactory(parent=middles[i % len(middles)], name=f"小类{n}-{i}")
    ProductFactory(category=Category.objects.filter(level=2).first())
    return f"小类{n}-0"


def seed_products(n: int) -> str:
    category = leaf_category()
    required = AttributeFactory(value_type="integer", use_web_display=True)
    variant = AttributeFactory(value_type="text", use_variant=True)
    CategoryAttribute.objects.create(category=category, attribute=required, is_required=True)
    CategoryAttribute.objects.create(category=category, attribute=variant, is_required=True)
    brand = BrandFactory()
    for i in range(n):
        product = ProductFactory(category=category, brand=brand, name=f"商品{n}-{i}", is_new=True)
        sku = SKUFactory(product=product)
        services.product_set_selling_points(product=product, points=["卖点"])
        services.attribute_value_set(attribute=required, raw="3", product=product)
        services.attribute_value_set(attribute=variant, raw="红", sku=sku)
        if i < 3:
            services.product_image_add(product=product, upload=png())
    return f"商品{n}-0"


def seed_skus(n: int) -> str:
    products = [ProductFactory(category=leaf_category()) for _ in range(3)]
    for i in range(n):
        SKUFactory(product=products[i % 3], code=f"SK{n}-{i:04d}")
    return f"SK{n}-0000"


def seed_brands(n: int) -> str:
    for i in range(n):
        BrandFactory(name=f"品牌{n}-{i}")
    ProductFactory(brand=BrandFactory(name=f"品牌{n}-0"))
    return f"品牌{n}-0"


def seed_attributes(n: int) -> str:
    for i in range(n):
        AttributeFactory(name=f"属性{n}-{i}", value_type="choice", options=["a", "b"])
    return f"属性{n}-0"


@pytest.mark.parametrize(
    ("model", "seed"),
    [
        (Category, seed_categories),
        (Product, seed_products),
        (SKU, seed_skus),
        (Attribute, seed_attributes),
        (Brand, seed_brands),
    ],
    ids=["category", "product", "sku", "attribute", "brand"],
)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, model, seed
):
    counts = []
    for batch in (10, 190):  # 10 rows, then 200
        shown = seed(batch)
        with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES) as queries:
            response = admin_client.get(url(model, "changelist") + "?all=")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == model.objects.count()
        assert shown in response.content.decode()
        counts.append(len(queries))
    assert model.objects.count() == 200
    assert counts[0] == counts[1]


def test_product_list_shows_category_path_completeness_tags_and_thumbnail(admin_client, leaf):
    product = complete_product(leaf, is_famous=True)
    ProductFactory(category=leaf, code="P-DRAFT")

    response = admin_client.get(url(Product, "changelist"))

    page = response.content.decode()
    assert product.category.path in page.replace("&gt;", ">")
    assert "100%" in page
    assert "Famous (名)" in page
    assert "_thumb.jpg" in page


def test_product_list_filters_by_top_category_and_tag(admin_client, leaf):
    ProductFactory(category=leaf, code="P-IN-TREE", is_new=True)
    ProductFactory(code="P-ELSEWHERE", is_new=True)
    top = leaf.get_root()

    page = admin_client.get(url(Product, "changelist") + f"?category={top.pk}&tag=new")

    assert "P-IN-TREE" in page.content.decode()
    assert "P-ELSEWHERE" not in page.content.decode()


def test_product_search_finds_a_product_by_sku_barcode(admin_client, leaf):
    sku = SKUFactory(product=ProductFactory(category=leaf, code="P-SCAN"))
    ProductFactory(category=leaf, code="P-OTHER")

    page = admin_client.get(url(Product, "changelist") + f"?q={sku.barcode}").content.decode()

    assert "P-SCAN" in page
    assert "P-OTHER" not in page


def test_category_list_shows_levels_and_own_and_subtree_product_counts(admin_client, leaf):
    ProductFactory.create_batch(2, category=leaf)
    top = leaf.get_root()

    response = admin_client.get(url(Category, "changelist"))

    rows = {c.pk: c for c in response.context["cl"].result_list}
    assert (rows[top.pk].product_count, rows[top.pk].total_product_count) == (0, 2)
    assert (rows[leaf.pk].product_count, rows[leaf.pk].total_product_count) == (2, 2)
    page = response.content.decode()
    assert "Major class (大类)" in page and "Minor class (小类)" in page


# --- SKUs: constraint violations are form errors ------------------------------------------


@pytest.fixture
def sku_add_data(admin_client, leaf):
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(SKU, "add")))
    data.update(product=str(product.pk), code="S-NEW", retail_price="59.00")
    return data


def test_sku_add_refuses_a_negative_price(admin_client, sku_add_data):
    sku_add_data["retail_price"] = "-1"

    response = admin_client.post(url(SKU, "add"), sku_add_data)

    assert response.status_code == 200
    assert "Retail price cannot be negative." in response.content.decode()
    assert not SKU.objects.filter(code="S-NEW").exists()


def test_sku_add_refuses_a_duplicate_code(admin_client, sku_add_data):
    SKUFactory(code="S-NEW")

    response = admin_client.post(url(SKU, "add"), sku_add_data)

    assert response.status_code == 200
    assert "SKU with this SKU code already exists" in response.content.decode()
    assert SKU.objects.filter(code="S-NEW").count() == 1


def test_sku_add_names_the_expected_check_digit_of_a_bad_barcode(admin_client, sku_add_data):
    sku_add_data["barcode"] = "6901234567891"  # the check digit should be 2

    response = admin_client.post(url(SKU, "add"), sku_add_data)

    assert response.status_code == 200
    assert "wrong check digit: expected 2" in response.content.decode()
    assert not SKU.objects.filter(code="S-NEW").exists()


def test_sku_saved_with_distribution_above_retail_gets_a_warning_not_an_error(
    admin_client, sku_add_data
):
    sku_add_data["distribution_price"] = "80.00"

    response = admin_client.post(url(SKU, "add"), sku_add_data, follow=True)

    assert SKU.objects.get(code="S-NEW").distribution_price == Decimal("80.00")
    assert any("above retail price" in m for m in shown_messages(response))


def test_sku_price_history_is_visible(admin_client):
    sku = SKUFactory(retail_price=Decimal("10.00"))
    sku.retail_price = Decimal("12.50")
    sku.save()

    page = admin_client.get(url(SKU, "history", sku.pk)).content.decode()

    assert "12.50" in page and "10.00" in page


def test_bundle_page_shows_its_cost_from_the_components(admin_client):
    bundle = SKUFactory()
    cup = SKUFactory(cost_price=Decimal("20.00"))
    lid = SKUFactory(cost_price=Decimal("3.50"))
    services.bundle_set_components(bundle=bundle, components=[(cup, 2), (lid, 1)])

    page = admin_client.get(url(SKU, "change", bundle.pk)).content.decode()

    assert "43.50" in page


def test_bundle_component_that_is_itself_a_bundle_is_refused_in_the_inline(admin_client):
    bundle, inner = SKUFactory(), SKUFactory()
    services.bundle_set_components(bundle=inner, components=[(SKUFactory(), 1)])
    data = form_data(admin_client.get(url(SKU, "change", bundle.pk)))
    add_row(data, "components", component=str(inner.pk), quantity="1")

    response = admin_client.post(url(SKU, "change", bundle.pk), data)

    assert response.status_code == 200
    assert f"{inner.code} is itself a bundle" in response.content.decode()
    assert not BundleComponent.objects.filter(bundle=bundle).exists()


def test_bundle_components_are_saved_through_the_bundle_service(admin_client):
    bundle, cup = SKUFactory(), SKUFactory()
    data = form_data(admin_client.get(url(SKU, "change", bundle.pk)))
    add_row(data, "components", component=str(cup.pk), quantity="2")

    response = admin_client.post(url(SKU, "change", bundle.pk), data)

    assert response.status_code == 302
    bundle.refresh_from_db()
    assert bundle.is_bundle
    assert list(bundle.components.values_list("component", "quantity")) == [(cup.pk, 2)]


# --- Products ------------------------------------------------------------------------------


def test_product_add_refuses_a_category_that_is_not_a_leaf(admin_client, leaf):
    data = form_data(admin_client.get(url(Product, "add")))
    data.update(code="P-NEW", name="保温杯 A", category=str(leaf.parent_id), role="regular")

    response = admin_client.post(url(Product, "add"), data)

    assert response.status_code == 200
    assert "choose a leaf category" in response.content.decode()
    assert not Product.objects.filter(code="P-NEW").exists()


def test_product_category_select_shows_the_tree_but_offers_only_leaves(admin_client, leaf):
    page = admin_client.get(url(Product, "add")).content.decode()

    assert f'<option value="{leaf.parent_id}" disabled>' in page
    assert f'<option value="{leaf.pk}">' in page


def test_product_change_page_query_count_does_not_grow_with_attribute_rows(
    admin_client, django_assert_max_num_queries, leaf
):
    product = ProductFactory(category=leaf)
    counts = []
    for rows in (1, 12):
        while product.attribute_values.count() < rows:
            services.attribute_value_set(attribute=AttributeFactory(), raw="x", product=product)
        with django_assert_max_num_queries(25) as queries:
            response = admin_client.get(url(Product, "change", product.pk))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_product_add_on_a_leaf_is_saved_as_typed(admin_client, leaf):
    data = form_data(admin_client.get(url(Product, "add")))
    data.update(code="P-NEW", name="保温杯 A", category=str(leaf.pk), role="image")
    add_row(data, "selling_points", sort_order="0", text="保温 12 小时")

    response = admin_client.post(url(Product, "add"), data)

    assert response.status_code == 302
    product = Product.objects.get(code="P-NEW")
    assert (product.category, product.role, product.status) == (leaf, "image", "draft")
    assert list(product.selling_points.values_list("text", flat=True)) == ["保温 12 小时"]


def test_a_new_product_cannot_start_listed_and_is_not_created(admin_client, leaf):
    data = form_data(admin_client.get(url(Product, "add")))
    data.update(code="P-NEW", name="保温杯 A", category=str(leaf.pk), status="listed")
    add_row(data, "skus", code="S-NEW", retail_price="59.00", is_active="on")

    response = admin_client.post(url(Product, "add"), data)

    assert response.status_code == 200
    assert "cannot go from Draft to Listed" in response.content.decode()
    assert not Product.objects.filter(code="P-NEW").exists()
    assert not SKU.objects.filter(code="S-NEW").exists()


def test_a_new_product_can_start_ready(admin_client, leaf):
    data = form_data(admin_client.get(url(Product, "add")))
    data.update(code="P-NEW", name="保温杯 A", category=str(leaf.pk), status="ready")

    response = admin_client.post(url(Product, "add"), data)

    assert response.status_code == 302
    assert Product.objects.get(code="P-NEW").status == "ready"


def test_listing_an_incomplete_product_names_what_is_missing_and_changes_nothing(
    admin_client, leaf
):
    product = ProductFactory(category=leaf, name="旧名字")
    SKUFactory(product=product)
    services.product_set_status(product=product, status="ready")
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    data.update(status="listed", name="新名字")

    response = admin_client.post(url(Product, "change", product.pk), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "cannot be listed until it is complete" in page
    assert "main image" in page and "selling points" in page
    assert 'value="新名字"' in page  # what the user typed is kept
    product.refresh_from_db()
    assert (product.status, product.name) == ("ready", "旧名字")


def test_a_forbidden_status_transition_is_a_form_error(admin_client, leaf):
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    data["status"] = "delisted"

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 200
    assert "cannot go from Draft to Delisted" in response.content.decode()
    assert Product.objects.get(pk=product.pk).status == "draft"


def test_listing_counts_the_image_and_selling_point_added_in_the_same_submit(admin_client, leaf):
    product = ProductFactory(category=leaf)
    SKUFactory(product=product)
    services.product_set_status(product=product, status="ready")
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    data["status"] = "listed"
    add_row(data, "selling_points", sort_order="0", text="双层真空")
    add_row(data, "images", image=png(), alt_text="正面", sort_order="0")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).status == "listed"


def test_product_change_page_shows_completeness_per_scope_with_missing_items(admin_client, leaf):
    product = ProductFactory(category=leaf)
    SKUFactory(product=product, cost_price=None)

    page = admin_client.get(url(Product, "change", product.pk)).content.decode()

    assert "Web listing" in page and "Warehouse" in page and "Finance" in page
    assert "main image" in page
    assert "cost price of" in page


def test_an_invalid_attribute_value_is_shown_on_its_row(admin_client, leaf):
    product = ProductFactory(category=leaf)
    capacity = AttributeFactory(name="容量", value_type="integer", unit="ml")
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(data, "attribute_values", attribute=str(capacity.pk), value="abc")

    response = admin_client.post(url(Product, "change", product.pk), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "容量: abc is not valid." in page
    assert "Enter a whole number" in page
    assert 'value="abc"' in page
    assert not AttributeValue.objects.filter(product=product).exists()


def test_a_typed_attribute_value_is_stored_in_its_column_and_shown_back(admin_client, leaf):
    product = ProductFactory(category=leaf)
    capacity = AttributeFactory(name="容量", value_type="decimal", unit="ml")
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(data, "attribute_values", attribute=str(capacity.pk), value="1,500.50")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 302
    value = AttributeValue.objects.get(product=product, attribute=capacity)
    assert value.value_decimal == Decimal("1500.50")
    page = admin_client.get(url(Product, "change", product.pk)).content.decode()
    assert 'value="1500.5"' in page


def test_the_same_attribute_twice_is_refused(admin_client, leaf):
    product = ProductFactory(category=leaf)
    colour = AttributeFactory(name="颜色")
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(data, "attribute_values", attribute=str(colour.pk), value="红")
    add_row(data, "attribute_values", attribute=str(colour.pk), value="蓝")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 200
    assert "颜色 is given twice" in response.content.decode()
    assert not AttributeValue.objects.filter(product=product).exists()


def test_a_file_that_is_not_an_image_is_refused(admin_client, leaf):
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    fake = SimpleUploadedFile("photo.png", b"not really a picture", content_type="image/png")
    add_row(data, "images", image=fake, alt_text="", sort_order="0")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert "valid image" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


def test_an_image_above_the_size_limit_is_refused_with_the_limit(admin_client, leaf, settings):
    settings.CATALOG_IMAGE_MAX_BYTES = 1024
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(data, "images", image=png(size=(600, 600)), alt_text="", sort_order="0")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 200
    assert "the limit is 1 KB" in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()


def test_a_png_upload_gets_a_thumbnail_shown_on_the_page(admin_client, leaf):
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(data, "images", image=png(), alt_text="正面", sort_order="0")

    response = admin_client.post(url(Product, "change", product.pk), data)

    assert response.status_code == 302
    image = ProductImage.objects.get(product=product)
    assert image.thumbnail.name.endswith("_thumb.jpg")
    with Image.open(image.thumbnail.path) as thumb:
        assert max(thumb.size) <= 160
    page = admin_client.get(url(Product, "change", product.pk)).content.decode()
    assert image.thumbnail.url in page


def test_product_sku_inline_warns_about_distribution_above_retail(admin_client, leaf):
    product = ProductFactory(category=leaf)
    data = form_data(admin_client.get(url(Product, "change", product.pk)))
    add_row(
        data,
        "skus",
        code="S-INLINE",
        retail_price="10.00",
        distribution_price="12.00",
        is_active="on",
    )

    response = admin_client.post(url(Product, "change", product.pk), data, follow=True)

    assert SKU.objects.filter(code="S-INLINE", product=product).exists()
    assert any("above retail price" in m for m in shown_messages(response))


def test_list_action_lists_complete_products_and_names_the_incomplete_ones(admin_client, leaf):
    complete = complete_product(leaf)
    incomplete = ProductFactory(category=leaf)
    for product in (complete, incomplete):
        services.product_set_status(product=product, status="ready")

    response = admin_client.post(
        url(Product, "changelist"),
        {"action": "mark_listed", "_selected_action": [complete.pk, incomplete.pk]},
        follow=True,
    )

    assert Product.objects.get(pk=complete.pk).status == "listed"
    assert Product.objects.get(pk=incomplete.pk).status == "ready"
    assert any(incomplete.code in m and "main image" in m for m in shown_messages(response))


# --- Category tree ------------------------------------------------------------------------


def test_category_under_a_minor_class_is_refused_by_the_depth_limit(admin_client, leaf):
    data = form_data(admin_client.get(url(Category, "add")))
    data.update(name="太深了", code="C-DEEP", parent=str(leaf.pk), sort_order="0")

    response = admin_client.post(url(Category, "add"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "limited to 3 levels" in page
    assert 'value="太深了"' in page
    assert not Category.objects.filter(code="C-DEEP").exists()


def test_category_add_goes_through_the_tree_service(admin_client, leaf):
    middle = leaf.parent
    colour = AttributeFactory()
    data = form_data(admin_client.get(url(Category, "add") + f"?parent={middle.pk}"))
    data.update(name="焖烧杯", code="C-NEW", sort_order="0")
    add_row(data, "category_attributes", attribute=str(colour.pk), is_required="on", sort_order="0")

    response = admin_client.post(url(Category, "add"), data)

    assert response.status_code == 302
    category = Category.objects.get(code="C-NEW")
    assert (category.parent, category.level) == (middle, 2)
    assert category.category_attributes.get().attribute == colour
    Category.objects.rebuild()  # mptt renumbers from parent links: nothing may change
    assert Category.objects.get(pk=category.pk).lft == category.lft


def test_moving_a_subtree_below_the_depth_limit_is_refused(admin_client, leaf):
    middle = leaf.parent
    other_middle = CategoryFactory(parent=middle.parent)
    data = form_data(admin_client.get(url(Category, "change", middle.pk)))
    data["parent"] = str(other_middle.pk)

    response = admin_client.post(url(Category, "change", middle.pk), data)

    assert response.status_code == 200
    assert "limited to 3 levels" in response.content.decode()
    assert Category.objects.get(pk=middle.pk).parent_id == other_middle.parent_id


def test_moving_a_minor_class_to_another_middle_class(admin_client, leaf):
    ProductFactory(category=leaf)
    other_middle = CategoryFactory(parent=leaf.get_root())
    data = form_data(admin_client.get(url(Category, "change", leaf.pk)))
    data["parent"] = str(other_middle.pk)

    response = admin_client.post(url(Category, "change", leaf.pk), data)

    assert response.status_code == 302
    assert Category.objects.get(pk=leaf.pk).parent == other_middle
    page = admin_client.get(url(Category, "changelist")).context["cl"].result_list
    assert {c.pk: c.total_product_count for c in page}[other_middle.pk] == 1


def test_deleting_categories_deletes_leaves_first_and_refuses_those_with_products(
    admin_client, leaf
):
    middle = leaf.parent
    ProductFactory(category=CategoryFactory(parent=middle))

    response = admin_client.post(
        url(Category, "changelist"),
        {"action": "delete_selected", "_selected_action": [leaf.pk], "post": "yes"},
        follow=True,
    )

    assert not Category.objects.filter(pk=leaf.pk).exists()
    assert any("Deleted 1 category" in m for m in shown_messages(response))


# --- Attributes ---------------------------------------------------------------------------


def test_attribute_options_are_edited_one_per_line(admin_client):
    data = form_data(admin_client.get(url(Attribute, "add")))
    data.update(
        code="colour",
        name="颜色",
        value_type="choice",
        options_text="红\n 蓝 \n\n红\n白",
        display_priority="10",
        use_web_filter="on",
    )

    response = admin_client.post(url(Attribute, "add"), data)

    assert response.status_code == 302
    attribute = Attribute.objects.get(code="colour")
    assert attribute.options == ["红", "蓝", "白"]
    assert attribute.uses == {"web_filter"}
    page = admin_client.get(url(Attribute, "change", attribute.pk)).content.decode()
    assert "红\n蓝\n白" in page
