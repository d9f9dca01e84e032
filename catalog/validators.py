"""Validators for catalog fields: barcodes and uploaded images."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError


def ean13_check_digit(first_twelve: str) -> int:
    """Return the EAN-13 check digit for the first twelve digits."""
    total = sum(map(int, first_twelve[0::2])) + 3 * sum(map(int, first_twelve[1::2]))
    return (10 - total % 10) % 10


def validate_ean13(value: str) -> None:
    """Reject anything that is not 13 digits with a correct EAN-13 check digit."""
    value = str(value)
    if len(value) != 13:
        raise ValidationError(
            _(
                "Barcode %(value)s has %(length)d characters; "
                "an EAN-13 barcode has exactly 13 digits."
            ),
            code="ean13_format",
            params={"value": value, "length": len(value)},
        )
    # str.isdigit() alone also accepts full-width and other non-ASCII digits.
    if not (value.isascii() and value.isdigit()):
        raise ValidationError(
            _("Barcode %(value)s may contain only the digits 0-9 (EAN-13)."),
            code="ean13_format",
            params={"value": value},
        )
    expected = ean13_check_digit(value[:12])
    if int(value[12]) != expected:
        raise ValidationError(
            _("Barcode %(value)s has a wrong check digit: expected %(expected)d."),
            code="ean13_check_digit",
            params={"value": value, "expected": expected},
        )


def validate_product_image(upload) -> None:
    """Accept only real images of an allowed format and size (checked by Pillow, not the name).

    The image is decoded once, so that a file cut off mid-way is refused here rather than when
    its thumbnail is made; images with more pixels than Pillow's ``MAX_IMAGE_PIXELS`` are
    refused before that, since a small file can unpack into gigabytes.
    """
    limit = settings.CATALOG_IMAGE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The image is %(size)d KB; the limit is %(limit)d KB."),
            code="image_too_large",
            # Round the size up so that a file just over the limit never reads as equal to it.
            params={"size": -(-upload.size // 1024), "limit": limit // 1024},
        )
    too_many_pixels = ValidationError(
        _("The image has too many pixels; the limit is %(limit)s pixels in all."),
        code="image_too_many_pixels",
        params={"limit": f"{Image.MAX_IMAGE_PIXELS:,}"},
    )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        with Image.open(upload) as image:
            image_format = image.format
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                raise too_many_pixels
            image.verify()
        # verify() checks structure only (a cut-off JPEG passes); decoding finds the rest.
        upload.seek(position)
        with Image.open(upload) as image:
            image.load()
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("The file is not an image Jingxi can read."), code="image_unreadable"
        ) from exc
    finally:
        upload.seek(position)
    if image_format not in settings.CATALOG_IMAGE_FORMATS:
        raise ValidationError(
            _("Image format %(format)s is not allowed; use %(allowed)s."),
            code="image_format",
            params={"format": image_format, "allowed": ", ".join(settings.CATALOG_IMAGE_FORMATS)},
        )
