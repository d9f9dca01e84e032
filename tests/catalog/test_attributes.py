"""Typed attribute values: parsing with messages a user can act on, owners, clearing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog import services
from catalog.exceptions import AttributeValueInvalid
from catalog.models import AttributeValue, CategoryAttribute
from catalog.selectors import category_attributes
from tests.factories import (
    AttributeFactory,
    CategoryFactory,
    ProductFactory,
    SKUFactory,
    leaf_category,
)


def parse(raw, **attribute):
    """Return the one non-empty column that ``raw`` parses to for an unsaved attribute."""
    columns = services.attribute_value_parse(attribute=AttributeFactory.build(**attribute), raw=raw)
    filled = {k: v for k, v in columns.items() if v not in (None, "", [])}
    assert len(filled) <= 1
    return next(iter(filled.values()), None)


def error_of(raw, **attribute) -> str:
    with pytest.raises(AttributeValueInvalid) as error:
        parse(raw, **attribute)
    return str(error.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), (" -3 ", -3), ("1,000", 1000), ("7.0", 7), (5, 5), ("3件", 3), ("3 件", 3)],
)
def test_integer_accepts_whole_numbers_with_or_without_the_unit(raw, expected):
    assert parse(raw, name="件数", value_type="integer", unit="件") == expected


@pytest.mark.parametrize("raw", ["abc", "2.5", "Infinity", "NaN", "3 kg"])
def test_integer_refuses_what_is_not_a_whole_number(raw):
    message = error_of(raw, name="件数", value_type="integer", unit="件")

    assert message == f"件数: {raw} is not valid. Enter a whole number in 件."


def test_integer_refuses_numbers_beyond_what_can_be_stored():
    message = error_of("12345678901234567890", name="件数", value_type="integer")

    assert message == (
        "件数: 12345678901234567890 is not valid. Enter a whole number of at most 18 digits."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.5", Decimal("1.5")),
        ("1.5 kg", Decimal("1.5")),
        ("1.5KG", Decimal("1.5")),
        ("1,234.25", Decimal("1234.25")),
        (Decimal("0.000001"), Decimal("0.000001")),
        ("0", Decimal("0")),
    ],
)
def test_decimal_accepts_numbers_with_or_without_the_unit(raw, expected):
    assert parse(raw, name="重量", value_type="decimal", unit="kg") == expected


@pytest.mark.parametrize("raw", ["heavy", "1.5 lb", "NaN", "-Infinity", "1.5 kgs"])
def test_decimal_refuses_what_is_not_a_number_in_the_unit(raw):
    message = error_of(raw, name="重量", value_type="decimal", unit="kg")

    assert message == f"重量: {raw} is not valid. Enter a number in kg."


def test_decimal_without_a_unit_asks_for_a_plain_number():
    assert (
        error_of("x", name="系数", value_type="decimal") == "系数: x is not valid. Enter a number."
    )


def test_decimal_refuses_more_places_or_digits_than_are_stored_instead_of_rounding():
    assert error_of("1.1234567", name="重量", value_type="decimal", unit="kg") == (
        "重量: 1.1234567 is not valid. Enter at most 6 decimal places."
    )
    assert error_of("1000000000000", name="重量", value_type="decimal", unit="kg") == (
        "重量: 1000000000000 is not valid. Enter at most 12 digits before the decimal point."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("0", False),
        (True, True),
        (False, False),
    ],
)
def test_boolean_accepts_yes_and_no_in_chinese_and_english(raw, expected):
    assert parse(raw, name="含糖", value_type="boolean") is expected


def test_boolean_refuses_anything_else():
    assert error_of("也许", name="含糖", value_type="boolean") == (
        "含糖: 也许 is not valid. Enter yes or no (是 / 否)."
    )


def test_choice_accepts_only_an_option():
    assert parse("红", name="颜色", value_type="choice", options=["红", "蓝"]) == "红"
    assert error_of("紫", name="颜色", value_type="choice", options=["红", "蓝"]) == (
        "颜色: 紫 is not valid. Choose one of: 红; 蓝."
    )


def test_multi_choice_splits_on_semicolons_and_drops_repeats():
    options = ["红", "蓝", "绿"]

    assert parse("红; 蓝；红", name="颜色", value_type="multi_choice", options=options) == [
        "红",
        "蓝",
    ]
    assert parse(["绿", "红"], name="颜色", value_type="multi_choice", options=options) == [
        "绿",
        "红",
    ]


def test_a_refused_list_is_shown_as_the_user_would_type_it():
    message = error_of(["红", "紫"], name="颜色", value_type="multi_choice", options=["红"])

    assert message == "颜色: 红; 紫 is not valid. Not an option: 紫. Choose from: 红."


def test_multi_choice_names_the_values_that_are_not_options():
    message = error_of("红;紫;黑", name="颜色", value_type="multi_choice", options=["红", "蓝"])

    assert message == "颜色: 红;紫;黑 is not valid. Not an option: 紫; 黑. Choose from: 红; 蓝."


@pytest.mark.parametrize(
    "raw",
    ["2024-03-05", "2024/3/5", "2024.03.05", "2024年3月5日", dt.date(2024, 3, 5)],
)
def test_date_accepts_iso_and_common_chinese_forms(raw):
    assert parse(raw, name="上市日期", value_type="date") == dt.date(2024, 3, 5)


def test_date_accepts_a_datetime_from_a_spreadsheet():
    assert parse(dt.datetime(2024, 3, 5, 8, 30), name="上市日期", value_type="date") == dt.date(
        2024, 3, 5
    )


@pytest.mark.parametrize("raw", ["2024-02-30", "next week", "5/3/2024"])
def test_date_refuses_anything_else(raw):
    assert error_of(raw, name="上市日期", value_type="date") == (
        f"上市日期: {raw} is not valid. Enter a date as YYYY-MM-DD."
    )


def test_text_keeps_the_text_trimmed():
    assert parse("  手工制作 ", name="工艺", value_type="text") == "手工制作"


@pytest.mark.django_db
def test_values_are_stored_on_a_product_or_a_sku_and_shown_with_their_unit():
    sku = SKUFactory()
    weight = AttributeFactory(name="重量", value_type="decimal", unit="kg")
    colour = AttributeFactory(name="颜色", value_type="choice", options=["红", "蓝"])

    on_product = services.attribute_value_set(attribute=weight, raw="1.50", product=sku.product)
    on_sku = services.attribute_value_set(attribute=colour, raw="红", sku=sku)

    assert on_product.display_value == "1.5 kg"
    assert on_sku.display_value == "红"
    assert list(sku.product.attribute_values.all()) == [on_product]
    assert list(sku.attribute_values.all()) == [on_sku]


@pytest.mark.django_db
def test_setting_a_value_again_replaces_it():
    product = ProductFactory()
    pieces = AttributeFactory(value_type="integer")

    services.attribute_value_set(attribute=pieces, raw="3", product=product)
    services.attribute_value_set(attribute=pieces, raw="4", product=product)

    assert AttributeValue.objects.get(attribute=pieces, product=product).value == 4


@pytest.mark.django_db
def test_false_and_zero_are_values_not_blanks():
    product = ProductFactory()
    sugar = AttributeFactory(value_type="boolean")
    pieces = AttributeFactory(value_type="integer")

    assert services.attribute_value_set(attribute=sugar, raw="否", product=product).is_filled
    assert services.attribute_value_set(attribute=pieces, raw="0", product=product).is_filled


@pytest.mark.django_db
@pytest.mark.parametrize("empty", ["", "   ", None, []])
def test_an_empty_value_clears_the_attribute(empty):
    product = ProductFactory()
    colour = AttributeFactory(value_type="multi_choice", options=["红", "蓝"])
    services.attribute_value_set(attribute=colour, raw="红;蓝", product=product)

    assert services.attribute_value_set(attribute=colour, raw=empty, product=product) is None

    assert not AttributeValue.objects.filter(attribute=colour).exists()


@pytest.mark.django_db
def test_an_invalid_value_leaves_the_stored_one_alone():
    product = ProductFactory()
    pieces = AttributeFactory(value_type="integer")
    services.attribute_value_set(attribute=pieces, raw="3", product=product)

    with pytest.raises(AttributeValueInvalid):
        services.attribute_value_set(attribute=pieces, raw="three", product=product)

    assert AttributeValue.objects.get(attribute=pieces).value == 3


@pytest.mark.django_db
def test_a_value_needs_exactly_one_owner_in_the_service():
    sku = SKUFactory()
    attribute = AttributeFactory()

    with pytest.raises(ValueError, match="exactly one of product or sku"):
        services.attribute_value_set(attribute=attribute, raw="x", product=sku.product, sku=sku)
    with pytest.raises(ValueError, match="exactly one of product or sku"):
        services.attribute_value_set(attribute=attribute, raw="x")


@pytest.mark.django_db
def test_a_value_with_both_owners_is_refused_by_full_clean_and_the_database():
    sku = SKUFactory()
    value = AttributeValue(
        attribute=AttributeFactory(), product=sku.product, sku=sku, value_text="x"
    )

    with pytest.raises(ValidationError) as error:
        value.full_clean()
    assert error.value.messages == ["A value belongs to a product or to a SKU, not both."]

    with pytest.raises(IntegrityError, match="catalog_attribute_value_one_owner"):
        value.save()


@pytest.mark.django_db
def test_a_second_value_of_one_attribute_on_one_owner_is_refused_by_the_database():
    sku = SKUFactory()
    attribute = AttributeFactory()
    AttributeValue.objects.create(attribute=attribute, product=sku.product, value_text="a")
    AttributeValue.objects.create(attribute=attribute, sku=sku, value_text="b")

    with (
        pytest.raises(IntegrityError, match="catalog_attribute_value_unique_product"),
        transaction.atomic(),
    ):
        AttributeValue.objects.create(attribute=attribute, product=sku.product, value_text="c")
    with pytest.raises(IntegrityError, match="catalog_attribute_value_unique_sku"):
        AttributeValue.objects.create(attribute=attribute, sku=sku, value_text="d")


@pytest.mark.django_db
def test_category_attributes_lists_inherited_attributes_once_ancestors_first():
    product = ProductFactory()
    leaf = product.category
    origin, flavour, size = AttributeFactory.create_batch(3)
    CategoryAttribute.objects.create(category=leaf.parent.parent, attribute=origin)
    CategoryAttribute.objects.create(category=leaf, attribute=origin, is_required=True)
    CategoryAttribute.objects.create(category=leaf, attribute=flavour)
    CategoryAttribute.objects.create(category=leaf.parent, attribute=size)

    links = category_attributes(leaf)

    assert [link.attribute for link in links] == [origin, size, flavour]
    assert [link.is_required for link in links] == [True, False, False]


@pytest.mark.django_db
def test_category_attributes_follow_a_category_moved_since_it_was_loaded():
    leaf = leaf_category()
    origin, size = AttributeFactory.create_batch(2)
    CategoryAttribute.objects.create(category=leaf.parent.parent, attribute=origin)
    elsewhere = CategoryFactory(parent=CategoryFactory())
    CategoryAttribute.objects.create(category=elsewhere, attribute=size)

    services.category_update(category=leaf, parent=elsewhere)

    assert [link.attribute for link in category_attributes(leaf)] == [size]
