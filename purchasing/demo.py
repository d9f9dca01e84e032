"""Demo purchasing (``seed_demo`` hook): suppliers of all four types, one per olist seller,
re-labelled as companies of Chinese trade hubs (``catalog.demo_identities``: 深圳 for
electronics, 义乌 for daily goods …), offers near the SKUs' cost from suppliers of their 大类,
and purchase orders in every state with their receipts (some late, some with rejected
units), so the purchaser's dashboard has restock suggestions
and late orders to show and the scorecards differ.

Runs after the inventory demo (INSTALLED_APPS order). Orders go through
``purchasing.services`` and the goods through the inventory services with their clock set to
the receipt date, so the ledger still agrees. Deterministic for a seed.
"""

import csv
import datetime as dt
import random
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from catalog.demo_identities import supplier_identity
from catalog.models import SKU, Category
from inventory.enums import SlotType
from inventory.models import Slot, Warehouse, WarehouseStock
from purchasing import services
from purchasing.enums import PurchaseOrderStatus, SupplierType
from purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierOffer,
)

OLIST_SELLERS = Path("olist-sample") / "olist_sellers_dataset.csv"
SUPPLIERS = {"tiny": 8, "small": 16, "medium": 32, "large": 48}
ORDERS = {"tiny": 14, "small": 36, "medium": 80, "large": 120}
# A supplier's price for a SKU, as a share of the SKU's cost price: near it, as the cost
# price was set from these quotes.
OFFER_COST_SPREAD = (0.95, 1.05)
# Order states in rotation, so every state appears at every scale.
STATES = (
    PurchaseOrderStatus.RECEIVED,
    PurchaseOrderStatus.ORDERED,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
    PurchaseOrderStatus.CLOSED,
    PurchaseOrderStatus.DRAFT,
    PurchaseOrderStatus.RECEIVED,
    PurchaseOrderStatus.CANCELLED,
)
CENT = Decimal("0.01")


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _sellers(limit: int) -> list[dict[str, str]]:
    path = Path(settings.DATA_DIR) / OLIST_SELLERS
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["seller_id"])
    return rows[:limit]


class _Loader:
    def __init__(self, *, scale: str, seed: int):
        self.rng = random.Random(seed)
        self.scale = scale
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.counts: dict[str, int] = defaultdict(int)

    def at(self, days_ago: int, hour: int = 10) -> dt.datetime:
        day = self.today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz)

    def suppliers(self) -> list[Supplier]:
        types = list(SupplierType.values)
        rows = []
        self.tops_of: dict[str, set[str]] = {}
        for index, seller in enumerate(_sellers(SUPPLIERS[self.scale])):
            kind = types[index % len(types)]
            who = supplier_identity(seller["seller_id"], supplier_type=kind, index=index)
            code = f"SUP-{seller['seller_id'][:6].upper()}"
            self.tops_of[code] = set(who["tops"].split(","))
            rows.append(
                Supplier(
                    code=code,
                    name=who["name"],
                    supplier_type=kind,
                    contact_name=who["contact_name"],
                    phone=who["phone"],
                    email=f"sales{index + 1:02d}@supplier.example",
                    address=who["address"],
                    payment_terms_days=self.rng.choice((15, 30, 30, 45, 60)),
                    created_at=self.at(400),
                )
            )
        self.counts["suppliers"] = len(rows)
        return Supplier.objects.bulk_create(rows)

    def offers(self, suppliers: list[Supplier], skus: list[SKU]) -> dict[int, list[SupplierOffer]]:
        rows = []
        valid_from = self.today - dt.timedelta(days=365)
        top_names = dict(Category.objects.filter(level=0).values_list("tree_id", "name"))
        tree_of = dict(
            SKU.objects.filter(pk__in=[sku.pk for sku in skus]).values_list(
                "pk", "product__category__tree_id"
            )
        )
        for sku in skus:
            # Suppliers of the SKU's 大类 first (an electronics maker does not sell tea).
            top = top_names.get(tree_of.get(sku.pk), "")
            fitting = [s for s in suppliers if top in self.tops_of.get(s.code, ())]
            pool = fitting if len(fitting) >= 3 else suppliers
            chosen = self.rng.sample(pool, min(len(pool), self.rng.choice((1, 2, 2, 3))))
            preferred = self.rng.random() < 0.15
            for position, supplier in enumerate(chosen):
                cost = (sku.cost_price * Decimal(self.rng.uniform(*OFFER_COST_SPREAD))).quantize(
                    CENT
                )
                common = {
                    "supplier": supplier,
                    "sku": sku,
                    "supplier_sku_code": f"{supplier.code[-3:]}-{sku.code}",
                    "min_order_quantity": self.rng.choice((1, 1, 6, 12, 24)),
                    "pack_multiple": self.rng.choice((1, 1, 1, 6, 12)),
                    "lead_time_days": self.rng.randint(3, 21),
                }
                rows.append(
                    SupplierOffer(
                        **common,
                        unit_cost=cost,
                        valid_from=valid_from,
                        is_preferred=preferred and position == 0,
                    )
                )
                if self.rng.random() < 0.1:  # an older, cheaper offer that has expired
                    rows.append(
                        SupplierOffer(
                            **common,
                            unit_cost=(cost * Decimal("0.9")).quantize(CENT),
                            valid_from=valid_from - dt.timedelta(days=365),
                            valid_to=valid_from - dt.timedelta(days=1),
                        )
                    )
        created = bulk_create_with_history(rows, SupplierOffer, batch_size=1000)
        self.counts["supplier offers"] = len(created)
        current: dict[int, list[SupplierOffer]] = defaultdict(list)
        for offer in SupplierOffer.objects.filter(valid_to__isnull=True).select_related(
            "supplier", "sku"
        ):
            current[offer.supplier_id].append(offer)
        return current

    def orders(self, offers: dict[int, list[SupplierOffer]], warehouses: list[Warehouse]) -> None:
        receiving = {
            slot.warehouse_id: slot
            for slot in Slot.objects.filter(slot_type=SlotType.RECEIVING).select_related(
                "warehouse"
            )
        }
        stocked = set(WarehouseStock.objects.values_list("warehouse_id", "sku_id"))
        suppliers = sorted(offers, key=lambda pk: offers[pk][0].supplier.code)
        # Two suppliers deliver badly: late and with rejects; their score drops.
        sloppy = set(suppliers[1::5])
        for number in range(ORDERS[self.scale]):
            state = STATES[number % len(STATES)]
            supplier_id = suppliers[number % len(suppliers)]
            warehouse = warehouses[number % len(warehouses)]
            candidates = [o for o in offers[supplier_id] if (warehouse.pk, o.sku_id) in stocked]
            if not candidates:
                continue
            picked = self.rng.sample(candidates, min(len(candidates), self.rng.randint(1, 4)))
            ordered_days_ago = self.rng.randint(3, 80)
            lines = []
            for offer in picked:
                wanted = self.rng.randint(10, 60)
                lead = offer.lead_time_days
                expected = self.at(ordered_days_ago).date() + dt.timedelta(days=lead)
                lines.append(
                    services.OrderLineInput(
                        sku=offer.sku, quantity=offer.order_quantity(wanted), expected_date=expected
                    )
                )
            order = services.purchase_order_create(
                supplier=picked[0].supplier, warehouse=warehouse, lines=lines
            )
            PurchaseOrder.objects.filter(pk=order.pk).update(
                created_at=self.at(ordered_days_ago + 1)
            )
            self.counts["purchase orders"] += 1
            if state == PurchaseOrderStatus.DRAFT:
                continue
            if state == PurchaseOrderStatus.CANCELLED:
                services.purchase_order_cancel(order=order)
                continue
            services.purchase_order_place(order=order, at=self.at(ordered_days_ago))
            if state == PurchaseOrderStatus.ORDERED:
                continue
            self.receive(
                order,
                receiving[warehouse.pk],
                ordered_days_ago,
                partial=state == PurchaseOrderStatus.PARTIALLY_RECEIVED,
                sloppy=supplier_id in sloppy,
            )
            if state == PurchaseOrderStatus.CLOSED:
                services.purchase_order_close(order=order)

    def receive(self, order, slot, ordered_days_ago: int, *, partial: bool, sloppy: bool) -> None:
        lines = list(order.lines.select_related("sku").order_by("pk"))
        latest = max(line.expected_date for line in lines)
        delay = self.rng.randint(2, 9) if sloppy else self.rng.choice((-2, -1, 0, 0, 1))
        day = min(latest + dt.timedelta(days=delay), self.today)
        days_ago = max((self.today - day).days, 0)
        days_ago = min(days_ago, ordered_days_ago)
        when = self.at(days_ago, hour=15)
        receive_lines = []
        for index, line in enumerate(lines):
            received = line.quantity
            if partial and index == 0:
                received = max(1, line.quantity // 2)
            rejected = 0
            if sloppy or self.rng.random() < 0.15:
                rejected = min(received, self.rng.randint(1, max(1, received // 10)))
            receive_lines.append(
                services.ReceiveLine(line, received=received, rejected=rejected, slot=slot)
            )
        services.purchase_order_receive(order=order, lines=receive_lines, received_at=when)
        self.counts["receipts"] += 1
        self.counts["rejected units"] += sum(line.rejected for line in receive_lines)
        # A complete order still short of rejected units gets the replacement a week later.
        order.refresh_from_db()
        if not partial and order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED:
            replacement = [
                services.ReceiveLine(r.order_line, received=r.rejected, slot=slot)
                for r in receive_lines
                if r.rejected
            ]
            later = min(days_ago, max(days_ago - 7, 0))
            services.purchase_order_receive(
                order=order, lines=replacement, received_at=self.at(later, hour=16)
            )
            self.counts["receipts"] += 1


def seed_purchasing(*, scale: str, seed: int = 42, stdout=None) -> dict[str, int]:
    """Load demo suppliers, offers and orders unless a supplier exists."""
    if Supplier.objects.exists():
        _say(stdout, _("Suppliers exist already: demo purchasing skipped."))
        return {}
    warehouses = list(Warehouse.objects.order_by("code"))
    sku_ids = set(WarehouseStock.objects.values_list("sku_id", flat=True))
    skus = list(SKU.objects.filter(pk__in=sku_ids, cost_price__isnull=False).order_by("code"))
    if not warehouses or not skus:
        _say(stdout, _("No demo stock: demo purchasing skipped."))
        return {}
    started = time.monotonic()
    loader = _Loader(scale=scale, seed=seed)
    with transaction.atomic():
        suppliers = loader.suppliers()
        offers = loader.offers(suppliers, skus)
        loader.orders(offers, warehouses)
    _say(
        stdout,
        _("  Suppliers, offers and purchase orders (%(seconds).1f s)")
        % {"seconds": time.monotonic() - started},
    )
    return dict(loader.counts)


def purchasing_reset() -> None:
    """Delete all purchasing data, children first."""
    with transaction.atomic():
        ReceiptLine.objects.all().delete()
        Receipt.objects.all().delete()
        PurchaseOrderLine.history.model.objects.all().delete()
        PurchaseOrderLine.objects.all().delete()
        PurchaseOrder.objects.all().delete()
        SupplierOffer.history.model.objects.all().delete()
        SupplierOffer.objects.all().delete()
        Supplier.objects.all().delete()


# --- Hooks for the seed_demo command ----------------------------------------------------


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    return seed_purchasing(scale=scale, seed=seed, stdout=stdout)


def demo_reset() -> None:
    purchasing_reset()
