"""Promotions' stock locks (库存锁定): locked through inventory's lock services, released
when the promotion ends, is ended early or is deleted.

A promotion's locks carry ``reference_type`` promotion, ``reference_id`` the promotion's id
and ``reason`` its name: stock pages and panels show the name, never the id.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import StockLock
from orders.exceptions import InvalidOrderInput
from orders.models import Promotion


def promotion_locks(promotion: Promotion) -> list[StockLock]:
    """Return the stock locks of a promotion, open or released."""
    return list(
        StockLock.objects.filter(
            reference_type=inventory_selectors.PROMOTION_REFERENCE,
            reference_id=str(promotion.pk),
        ).order_by("pk")
    )


def promotion_lock_stock(*, promotion: Promotion, user=None) -> list[StockLock]:
    """Lock each item's ``lock_quantity`` in the promotion's ``lock_warehouse``, all or
    nothing; items already locked are skipped, so running it twice locks once. Return the
    new locks. An ended promotion locks nothing; no warehouse is a bad input."""
    if promotion.ends_on < timezone.localdate():
        return []
    items = [item for item in promotion.items.select_related("sku") if item.lock_quantity > 0]
    if not items:
        return []
    if promotion.lock_warehouse_id is None:
        raise InvalidOrderInput([_("Choose the warehouse to lock the stock in.")])
    with transaction.atomic():
        Promotion.objects.select_for_update().filter(pk=promotion.pk).first()
        locked = {lock.sku_id for lock in promotion_locks(promotion)}
        lines = [
            inventory_services.StockLine(
                sku=item.sku,
                quantity=item.lock_quantity,
                reference_type=inventory_selectors.PROMOTION_REFERENCE,
                reference_id=str(promotion.pk),
            )
            for item in items
            if item.sku_id not in locked
        ]
        if not lines:
            return []
        return inventory_services.stock_lock(
            warehouse=promotion.lock_warehouse, lines=lines, reason=promotion.name, user=user
        )


def promotion_release_stock(*, promotion: Promotion, user=None) -> int:
    """Release the promotion's open locks; return the units released (0 the second time)."""
    open_locks = [lock for lock in promotion_locks(promotion) if lock.open_quantity > 0]
    if not open_locks:
        return 0
    return inventory_services.stock_unlock(locks=open_locks, user=user)


def promotion_end(*, promotion: Promotion, on: dt.date | None = None, user=None) -> int:
    """End a promotion early: its last day becomes ``on`` (today by default, never before
    its first day) and its stock is released; return the units released."""
    on = on or timezone.localdate()
    with transaction.atomic():
        if on < promotion.ends_on:
            promotion.ends_on = max(on, promotion.starts_on)
            promotion.save(update_fields=["ends_on"])
        return promotion_release_stock(promotion=promotion, user=user)


def promotion_delete(*, promotion: Promotion, user=None) -> int:
    """Release a promotion's stock and delete it; return the units released. A promotion
    that order lines name cannot be deleted (``ProtectedError``); end it instead."""
    with transaction.atomic():
        units = promotion_release_stock(promotion=promotion, user=user)
        promotion.delete()
    return units


def ended_promotions_release(*, today: dt.date | None = None) -> int:
    """Release the locks of every promotion whose last day is past; return the units.
    Idempotent: a released lock holds nothing more to release."""
    today = today or timezone.localdate()
    open_ids: Sequence[str] = (
        StockLock.objects.filter(
            reference_type=inventory_selectors.PROMOTION_REFERENCE,
            released__lt=F("quantity"),
        )
        .values_list("reference_id", flat=True)
        .distinct()
    )
    ids = [int(value) for value in open_ids if value.isdigit()]
    units = 0
    for promotion in Promotion.objects.filter(pk__in=ids, ends_on__lt=today):
        units += promotion_release_stock(promotion=promotion)
    return units
