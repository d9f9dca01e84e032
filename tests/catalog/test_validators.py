"""Barcodes and product images: refused with a reason, accepted ones stored with a thumbnail."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services
from catalog.exceptions import ProductImageInvalid
from catalog.models import ProductImage
from catalog.validators import ean13_check_digit, validate_ean13, validate_product_image
from tests.factories import ProductFactory, SKUFactory


def ean13_message(value) -> str:
    with pytest.raises(ValidationError) as error:
        validate_ean13(value)
    return error.value.messages[0]


@pytest.mark.parametrize("barcode", ["4006381333931", "6901234567892", "0000000000000"])
def test_valid_ean13_barcodes_pass(barcode):
    validate_ean13(barcode)


def test_the_check_digit_follows_the_ean13_weights():
    assert ean13_check_digit("400638133393") == 1
    assert ean13_check_digit("690123456789") == 2


def test_a_wrong_check_digit_names_the_expected_digit():
    assert ean13_message("4006381333932") == (
        "Barcode 4006381333932 has a wrong check digit: expected 1."
    )


@pytest.mark.parametrize(
    ("barcode", "length"), [("400638133393", 12), ("40063813339310", 14), ("", 0)]
)
def test_a_wrong_length_is_refused_with_the_length_found(barcode, length):
    assert ean13_message(barcode) == (
        f"Barcode {barcode} has {length} characters; an EAN-13 barcode has exactly 13 digits."
    )


@pytest.mark.parametrize(
    "barcode", ["40063813339AB", "4006381 33393", "４００６３８１３３３９３１"]
)
def test_letters_spaces_and_full_width_digits_are_refused(barcode):
    assert ean13_message(barcode) == (
        f"Barcode {barcode} may contain only the digits 0-9 (EAN-13)."
    )


@pytest.mark.django_db
def test_a_sku_with_a_bad_barcode_does_not_pass_full_clean():
    sku = SKUFactory.build(product=ProductFactory(), barcode="4006381333932")

    with pytest.raises(ValidationError) as error:
        sku.full_clean()

    assert error.value.message_dict["barcode"] == [
        "Barcode 4006381333932 has a wrong check digit: expected 1."
    ]


def image_bytes(image_format: str = "PNG", size=(400, 300), mode="RGB", color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("image_format", "name"),
    [("PNG", "a.png"), ("JPEG", "a.jpg"), ("WEBP", "a.webp"), ("GIF", "a.gif")],
)
def test_allowed_image_formats_pass(image_format, name):
    validate_product_image(upload(name, image_bytes(image_format)))


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name():
    with pytest.raises(ValidationError) as error:
        validate_product_image(upload("photo.jpg", b"%PDF-1.4 not really a photo"))

    assert error.value.messages == ["The file is not an image Jingxi can read."]


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_a_cut_off_image_is_refused(image_format):
    content = image_bytes(image_format)

    with pytest.raises(ValidationError, match="not an image Jingxi can read"):
        validate_product_image(upload("cut.img", content[: len(content) // 2]))


def test_an_image_format_that_is_not_allowed_is_refused_naming_the_allowed_ones():
    with pytest.raises(ValidationError) as error:
        validate_product_image(upload("a.bmp", image_bytes("BMP")))

    assert error.value.messages == ["Image format BMP is not allowed; use JPEG, PNG, WEBP, GIF."]


def test_an_image_over_the_size_limit_is_refused_with_both_sizes(settings):
    settings.CATALOG_IMAGE_MAX_BYTES = 10 * 1024
    content = image_bytes("PNG") + b"\0" * (10 * 1024)

    with pytest.raises(ValidationError) as error:
        validate_product_image(upload("big.png", content))

    assert error.value.messages == [
        f"The image is {-(-len(content) // 1024)} KB; the limit is 10 KB."
    ]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("limit", [1_000, 8_000])
def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded(monkeypatch, limit):
    # Pillow itself refuses above twice its limit and only warns between once and twice.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)

    with pytest.raises(ValidationError) as error:
        validate_product_image(upload("bomb.png", image_bytes("PNG", size=(100, 100))))

    assert error.value.messages == [
        f"The image has too many pixels; the limit is {limit:,} pixels in all."
    ]


def test_validation_leaves_the_upload_readable_from_where_it_was():
    file = upload("a.png", image_bytes("PNG"))

    validate_product_image(file)

    assert file.tell() == 0
    assert file.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_product_image_add_stores_the_image_and_a_jpeg_thumbnail(settings):
    product = ProductFactory()

    image = services.product_image_add(
        product=product, upload=upload("photo.png", image_bytes("PNG", size=(800, 400)))
    )

    image.refresh_from_db()
    assert image.image.name == f"products/{product.pk}/photo.png"
    with Image.open(image.thumbnail) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (160, 80)
    assert image.thumbnail.name.endswith("photo_thumb.jpg")


@pytest.mark.django_db
def test_images_are_numbered_in_the_order_they_are_added():
    product = ProductFactory()

    first = services.product_image_add(product=product, upload=upload("1.png", image_bytes()))
    second = services.product_image_add(product=product, upload=upload("2.png", image_bytes()))

    assert (first.sort_order, second.sort_order) == (0, 1)
    assert list(product.images.all()) == [first, second]


@pytest.mark.django_db
def test_a_transparent_image_gets_a_white_not_black_thumbnail():
    product = ProductFactory()
    transparent = image_bytes("PNG", mode="RGBA", color=(0, 0, 0, 0))

    image = services.product_image_add(product=product, upload=upload("logo.png", transparent))

    with Image.open(image.thumbnail) as thumbnail:
        assert thumbnail.convert("RGB").getpixel((0, 0)) >= (250, 250, 250)


@pytest.mark.django_db
def test_a_photo_taken_sideways_gets_an_upright_thumbnail():
    product = ProductFactory()
    photo = Image.new("RGB", (400, 200), "blue")
    exif = photo.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", exif=exif)

    image = services.product_image_add(product=product, upload=upload("p.jpg", buffer.getvalue()))

    with Image.open(image.thumbnail) as thumbnail:
        assert thumbnail.size == (80, 160)


@pytest.mark.django_db
def test_product_image_add_refuses_a_bad_file_and_stores_nothing():
    product = ProductFactory()

    with pytest.raises(ProductImageInvalid) as error:
        services.product_image_add(product=product, upload=upload("x.png", b"hello"))

    assert str(error.value) == "The file is not an image Jingxi can read."
    assert not ProductImage.objects.exists()


@pytest.mark.django_db
def test_full_clean_of_a_product_image_runs_the_image_validator():
    image = ProductImage(product=ProductFactory(), image=upload("x.png", b"hello"))

    with pytest.raises(ValidationError) as error:
        image.full_clean()

    assert error.value.message_dict["image"] == ["The file is not an image Jingxi can read."]
