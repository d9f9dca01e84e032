"""Writes to orders. Every function is keyword-only, atomic and raises orders errors.

Stock is held and moved only through ``inventory.services``: an order line reserves its SKU
(a bundle line its components) with ``stock_reserve``; a line that cannot be reserved waits
as a backorder (缺货), counted in inventory's ``backordered`` column through
``stock_backorder_change``; ``backorders_allocate`` serves waiting lines in paid-time order
when stock comes in. Inventory never calls orders: receipts and adjustments are noticed by
the periodic ``orders.tasks.backorders_allocate`` task, returns by the return service.

An order row is locked (``SELECT … FOR UPDATE``) by every transition, so two transitions of
one order never interleave; stock rows are then locked by inventory in its fixed order.

One module per concern; callers import the services from this package:

- ``listings``: channel listings and the order lines waiting for them
- ``placement``: placing orders (one, or a batch of channel orders in one transaction),
  payment
- ``allocation``: reserving stock, backorders and their allocation runs
- ``fulfilment``: waves, packing check, shipping, delivery, cancellation
- ``returns``: returns (RMA)
- ``promotions``: promotions' stock locks and their release
- ``credit``: credit terms: placing on credit, credit hold and its release, settlement
- ``inquiries``: inquiries (咨询) and their link to the orders they turned into
- ``shared``: private helpers the modules above share
"""

from orders.services.allocation import backorders_allocate
from orders.services.credit import buys_on_credit, order_credit_release, order_credit_settle
from orders.services.fulfilment import (
    expected_items,
    order_cancel,
    order_complete,
    order_deliver,
    order_ship,
    packing_check,
    wave_pick,
)
from orders.services.inquiries import inquiries_link_orders, inquiry_record
from orders.services.listings import listing_resolve, listing_upsert
from orders.services.placement import (
    ChannelOrderInput,
    ChannelOrderOutcome,
    OrderLineInput,
    channel_orders_place,
    order_pay,
    order_place,
)
from orders.services.promotions import (
    ended_promotions_release,
    promotion_delete,
    promotion_end,
    promotion_lock_stock,
    promotion_release_stock,
)
from orders.services.returns import ReturnLineInput, return_create

__all__ = [
    "ChannelOrderInput",
    "ChannelOrderOutcome",
    "OrderLineInput",
    "ReturnLineInput",
    "backorders_allocate",
    "buys_on_credit",
    "channel_orders_place",
    "ended_promotions_release",
    "expected_items",
    "inquiries_link_orders",
    "inquiry_record",
    "listing_resolve",
    "listing_upsert",
    "order_cancel",
    "order_complete",
    "order_credit_release",
    "order_credit_settle",
    "order_deliver",
    "order_pay",
    "order_place",
    "order_ship",
    "packing_check",
    "promotion_delete",
    "promotion_end",
    "promotion_lock_stock",
    "promotion_release_stock",
    "return_create",
    "wave_pick",
]
