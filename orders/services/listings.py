"""Channel listings (多店铺商品对应): a shop's platform codes mapped to our SKUs."""

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import SKU
from orders.enums import (
    ListingStatus,
    OrderStatus,
)
from orders.exceptions import InvalidOrderInput
from orders.models import (
    ChannelListing,
    SalesOrder,
    SalesOrderLine,
    Shop,
)
from orders.services.allocation import _allocate, _serialise_allocation, _settle_status
from orders.services.shared import User, _locked


def listing_upsert(
    *,
    shop: Shop,
    platform_sku_code: str,
    merchant_code: str = "",
    platform_item_code: str = "",
    title: str = "",
) -> ChannelListing:
    """Create or update a shop's listing; match it on the merchant code (商家编码) when it
    names one of our SKU codes. A listing matched already keeps its SKU."""
    code = (platform_sku_code or "").strip()
    if not code:
        raise InvalidOrderInput([_("Give the platform SKU code of the listing.")])
    with transaction.atomic():
        listing, _created = ChannelListing.objects.select_for_update().get_or_create(
            shop=shop, platform_sku_code=code
        )
        listing.merchant_code = merchant_code.strip() or listing.merchant_code
        listing.platform_item_code = platform_item_code.strip() or listing.platform_item_code
        listing.title = title.strip() or listing.title
        if listing.sku_id is None and listing.merchant_code:
            sku = SKU.objects.filter(code=listing.merchant_code).first()
            if sku is not None:
                listing.sku, listing.status = sku, ListingStatus.MATCHED
        listing.save()
        if listing.sku_id is not None:
            _lines_waiting_for(listing)
    return listing


def listing_resolve(*, listing: ChannelListing, sku: SKU, user: User = None) -> int:
    """Map an unmatched listing to ``sku``; the order lines waiting for it take the SKU and
    are reserved (or backordered). Return the order lines that were waiting."""
    with transaction.atomic():
        listing = ChannelListing.objects.select_for_update().get(pk=listing.pk)
        if listing.sku_id is not None and listing.sku_id != sku.pk:
            raise InvalidOrderInput(
                [
                    _("Listing %(code)s is matched to %(sku)s already.")
                    % {"code": listing.platform_sku_code, "sku": listing.sku.code}
                ]
            )
        listing.sku, listing.status = sku, ListingStatus.MATCHED
        listing.save(update_fields=["sku", "status"])
        return _lines_waiting_for(listing, user=user)


def _lines_waiting_for(listing: ChannelListing, *, user: User = None) -> int:
    _serialise_allocation()
    waiting = list(
        SalesOrderLine.objects.filter(
            order__shop_id=listing.shop_id,
            platform_code=listing.platform_sku_code,
            sku__isnull=True,
        ).values_list("order_id", flat=True)
    )
    for order_id in sorted(set(waiting)):
        order = _locked(SalesOrder(pk=order_id))
        lines = list(order.lines.filter(platform_code=listing.platform_sku_code, sku__isnull=True))
        for line in lines:
            line.sku = listing.sku
            line.save(update_fields=["sku"])
        if order.status == OrderStatus.PAID:
            _allocate(order, lines, refuse=False, user=user)
            _settle_status(order)
    return len(waiting)


def _resolve_codes(shop: Shop, codes: set[str]) -> dict[str, SKU | None]:
    """Return the SKU each channel code stands for (None: waiting for its listing).

    A code without a listing gets one: matched when it is one of our SKU codes (the merchant
    code the shop filled in), else unmatched, queued for staff to resolve.
    """
    listings = {
        listing.platform_sku_code: listing
        for listing in ChannelListing.objects.filter(
            shop=shop, platform_sku_code__in=codes
        ).select_related("sku")
    }
    missing = codes - set(listings)
    if missing:
        skus = {sku.code: sku for sku in SKU.objects.filter(code__in=missing)}
        ChannelListing.objects.bulk_create(
            [
                ChannelListing(
                    shop=shop,
                    platform_sku_code=code,
                    merchant_code=code if code in skus else "",
                    sku=skus.get(code),
                    status=ListingStatus.MATCHED if code in skus else ListingStatus.UNMATCHED,
                )
                for code in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        listings |= {
            listing.platform_sku_code: listing
            for listing in ChannelListing.objects.filter(
                shop=shop, platform_sku_code__in=missing
            ).select_related("sku")
        }
    return {code: listings[code].sku for code in codes}
