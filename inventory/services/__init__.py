"""Writes to inventory. Every function is keyword-only, atomic and raises inventory errors.

Every change of stock posts immutable ``StockMove`` rows and updates ``StockLevel`` and
``WarehouseStock`` with ``F()`` expressions in the same transaction.

Locking: a service that changes the stock of SKUs in a warehouse first locks their
``WarehouseStock`` rows ordered by (warehouse, SKU), then any slots whose capacity it checks
ordered by id. Stock levels, reservations and picks of a SKU in a warehouse are read and
written only under that row lock, so checks made after taking it hold until commit, and the
fixed order rules out deadlocks. Reserving and locking, the hot paths, take the same row lock
through one conditional ``UPDATE`` per SKU instead of a ``SELECT … FOR UPDATE``. CHECK
constraints back all of it: on hand ≥ 0 and reserved + locked ≤ on hand − defective.
Other apps that must hold several stock rows at once take them through ``stock_rows_lock``;
only inventory creates or locks ``WarehouseStock`` rows.

Services that post moves or holds take ``at``, the time of the move (default: now), so a
move can be recorded at the time it happened (history loaded by the demo seeder).

One module per concern; callers import the services from this package:

- ``ledger``: locking stock rows and posting moves (shared by every module below)
- ``receipts``: receiving, putaway, transfers
- ``adjustments``: adjustments and scrap
- ``holds``: reservations, locks, the backordered column
- ``fulfilment``: picking, putting back, shipping
- ``returns``: customer returns
- ``counts``: cycle counts
- ``checks``: the input checks the modules above share
"""

from inventory.services.adjustments import stock_adjust, stock_scrap
from inventory.services.counts import CountLine, CountVariance, VarianceReport, stock_count
from inventory.services.fulfilment import (
    ConsumedLot,
    Shipment,
    stock_pick,
    stock_ship,
    stock_unpick,
)
from inventory.services.holds import (
    ReservedPrefix,
    StockLine,
    stock_backorder_change,
    stock_lock,
    stock_release,
    stock_reserve,
    stock_reserve_many,
    stock_unlock,
)
from inventory.services.ledger import stock_rows_lock
from inventory.services.receipts import (
    ReceiptLine,
    stock_putaway,
    stock_receive,
    stock_transfer,
)
from inventory.services.returns import stock_return

__all__ = [
    "ConsumedLot",
    "CountLine",
    "CountVariance",
    "ReceiptLine",
    "ReservedPrefix",
    "Shipment",
    "StockLine",
    "VarianceReport",
    "stock_adjust",
    "stock_backorder_change",
    "stock_count",
    "stock_lock",
    "stock_pick",
    "stock_putaway",
    "stock_receive",
    "stock_release",
    "stock_reserve",
    "stock_reserve_many",
    "stock_return",
    "stock_rows_lock",
    "stock_scrap",
    "stock_ship",
    "stock_transfer",
    "stock_unlock",
    "stock_unpick",
]
