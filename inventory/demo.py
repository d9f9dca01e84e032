"""Demo stock: two warehouses with slots sized from the SKUs' real dimensions, FIFO lots
received over the past year, and a year of sales shipped from them (``seed_demo`` hook).

Each sale is reserved under the order number its platform gave it (``catalog.demo_identities``),
so the orders demo finds its channel from that number. A SKU sells only after its launch and
is received before it sells; a few SKUs stop selling months ago (slow movers) or long ago
(dead stock), so the slow-mover report has every class and action to show. Promotions of
the shopping calendar (``promotion_calendar``) lock stock under their names: past ones
locked and released, current and coming ones still held.

Everything goes through ``inventory.services``, so the ledger, the stock levels and the
stock columns agree (``check_stock_integrity`` passes after seeding). The services stamp
the time of each move; to post a year of history the seeder passes it (``at=``): the date
of each receipt and shipping day. The sales are the olist
order items, their products mapped onto our SKUs by a stable hash and their dates shifted to
end yesterday. Deterministic for a seed.
"""

import csv
import datetime as dt
import hashlib
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.demo_identities import channel_of_order, channel_order_number
from catalog.enums import ProductRole
from catalog.models import SKU
from inventory import selectors, services
from inventory.enums import SlotType
from inventory.models import (
    Lot,
    Reservation,
    ReservationPick,
    Slot,
    StockLevel,
    StockLock,
    StockMove,
    Warehouse,
    WarehouseStock,
)

# SKUs put in stock and olist order lines shipped, per seed_demo scale.
STOCKED_SKUS = {"tiny": 40, "small": 200, "medium": 1_000, "large": 2_000}
SHIPPED_LINES = {"tiny": 150, "small": 1_200, "medium": 3_000, "large": 4_000}
# Shipping days are batched: one reserve → pick → ship per warehouse every few days.
SHIP_EVERY_DAYS = 7
# Purchase orders arrive weekly.
RECEIPT_EVERY_DAYS = 7
HISTORY_DAYS = 365

WAREHOUSES = (
    ("SH1", "上海一号仓", "上海市青浦区华新镇华志路 1 号"),
    ("GZ1", "广州仓", "广州市白云区太和镇 8 号"),
)
# Standard pick bins (mm): a pick slot gets the smallest that holds its SKU's pick stock.
BINS_MM = ((300, 200, 150), (400, 300, 200), (600, 400, 400), (1200, 800, 1000))
SLOTS_PER_SHELF = 4
SHELVES_PER_AISLE = 10
# Pick zones of nine aisles each; D is the reserve zone.
PICK_ZONES = "ABCEFGHJK"

# A SKU's first sale comes at least this long after its launch (its first lot arrives between).
FIRST_SALE_AFTER_LAUNCH_DAYS = 14
# Shares of the stocked SKUs that stopped selling: dead stock (no sale for over
# INVENTORY_SLOW_DEAD_DAYS) and slow movers (none for a few months); at least MIN_QUIET each.
DEAD_SHARE, SLOW_SHARE, MIN_QUIET = 0.04, 0.08, 2
# Units a receipt's cost may differ from the SKU's cost price (suppliers round, freight varies).
LOT_COST_SPREAD = (0.97, 1.03)

OLIST_ITEMS = Path("olist-sample") / "olist_order_items_dataset.csv"
OLIST_ORDERS = Path("olist-sample") / "olist_orders_dataset.csv"
ORDER_REFERENCE = "sales_order"


@dataclass(frozen=True)
class Promotion:
    """A campaign of the Chinese shopping calendar, as the demo dates it around today."""

    name: str
    start: dt.date
    end: dt.date
    discount: Decimal  # off the retail price, as a fraction

    @property
    def label(self) -> str:
        return f"{self.name}（{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}）"


# name, (start month, day), (end month, day), discount off retail.
PROMOTION_CALENDAR = (
    ("年货节", (1, 5), (1, 20), "0.10"),
    ("38女王节", (3, 1), (3, 8), "0.10"),
    ("618大促", (6, 1), (6, 18), "0.15"),
    ("99划算节", (9, 1), (9, 9), "0.08"),
    ("双11预热", (10, 20), (10, 31), "0.05"),
    ("双11狂欢节", (11, 1), (11, 11), "0.20"),
    ("双12年终盛典", (12, 1), (12, 12), "0.12"),
)
PROMOTION_LOOKAHEAD_DAYS = 120


def promotion_calendar(today: dt.date) -> list[Promotion]:
    """Return the campaigns of the past year and the next months, oldest first."""
    promotions = []
    for year in (today.year - 1, today.year, today.year + 1):
        for name, (m1, d1), (m2, d2), discount in PROMOTION_CALENDAR:
            start, end = dt.date(year, m1, d1), dt.date(year, m2, d2)
            if end >= today - dt.timedelta(days=HISTORY_DAYS) and start <= today + dt.timedelta(
                days=PROMOTION_LOOKAHEAD_DAYS
            ):
                promotions.append(Promotion(name, start, end, Decimal(discount)))
    return sorted(promotions, key=lambda promotion: promotion.start)


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode(), usedforsecurity=False).digest()[:8], "big")


@dataclass(frozen=True)
class _Sale:
    when: dt.datetime
    order_id: str
    sku: SKU
    warehouse: Warehouse


def _olist_sales(
    *,
    skus: list[SKU],
    warehouses: dict[SKU, list[Warehouse]],
    limit: int,
    today: dt.date,
    quiet_since: dict[int, int] | None = None,
) -> list[_Sale]:
    """Return up to ``limit`` order lines of the last year, each one unit of one of ``skus``.

    A product maps to a SKU by a stable hash; where that SKU was not launched yet, or has
    been quiet since the line's date (``quiet_since``: SKU id → days ago), the next SKU in
    the list takes the line, so the history keeps its dates and quantities.
    """
    quiet_since = quiet_since or {}
    data_dir = Path(settings.DATA_DIR)
    with (data_dir / OLIST_ORDERS).open(encoding="utf-8", newline="") as handle:
        placed = {
            row["order_id"]: dt.datetime.fromisoformat(row["order_purchase_timestamp"])
            for row in csv.DictReader(handle)
            if row["order_purchase_timestamp"] and row["order_status"] != "canceled"
        }
    with (data_dir / OLIST_ITEMS).open(encoding="utf-8", newline="") as handle:
        items = [
            (placed[row["order_id"]], row["order_id"], row["order_item_id"], row["product_id"])
            for row in csv.DictReader(handle)
            if row["order_id"] in placed
        ]
    if not items:
        return []
    latest = max(item[0] for item in items)
    shift = dt.datetime.combine(today - dt.timedelta(days=1), latest.time()) - latest
    start = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time())
    items = sorted(
        (placed_at + shift, order, line, product)
        for placed_at, order, line, product in items
        if placed_at + shift >= start
    )
    # Evenly spaced over the whole year, up to yesterday: slicing every n-th item and then
    # cutting at ``limit`` dropped the latest months (the restock report's demand window).
    if len(items) > limit:
        items = [items[index * len(items) // limit] for index in range(limit)]
    tz = timezone.get_current_timezone()
    launched = {sku.pk: timezone.localtime(sku.created_at).date() for sku in skus}
    after_launch = dt.timedelta(days=FIRST_SALE_AFTER_LAUNCH_DAYS)
    sales = []
    for placed_at, order, _line, product in items:
        day = placed_at.date()
        days_ago = (today - day).days
        first = _stable(product) % len(skus)
        for probe in range(len(skus)):
            sku = skus[(first + probe) % len(skus)]
            if launched[sku.pk] + after_launch <= day and days_ago > quiet_since.get(sku.pk, -1):
                break
        else:
            continue
        options = warehouses[sku]
        warehouse = options[_stable(order) % len(options)]
        channel = channel_of_order(order)
        number = channel_order_number(order, channel=channel, placed=day)
        sales.append(_Sale(placed_at.replace(tzinfo=tz), number, sku, warehouse))
    return sales


def _weekly(days_ago: int) -> int:
    """Round back to the weekly delivery day, so a lot never arrives after its sales."""
    return -(-days_ago // RECEIPT_EVERY_DAYS) * RECEIPT_EVERY_DAYS


def _bin_for(volume_mm3: int) -> int | None:
    for length, width, height in BINS_MM:
        if length * width * height >= volume_mm3:
            return length * width * height
    return None


class _StockLoader:
    def __init__(self, *, scale: str, seed: int, stdout):
        self.rng = random.Random(seed)
        self.scale = scale
        self.stdout = stdout
        self.counts: dict[str, int] = defaultdict(int)
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()

    def stage(self, label: str, started: float) -> None:
        _say(self.stdout, f"  {label} ({time.monotonic() - started:.1f} s)")

    def at(self, days_ago: int, hour: int = 9) -> dt.datetime:
        day = self.today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz)

    def choose_skus(self) -> list[SKU]:
        candidates = list(
            SKU.objects.select_related("product")
            .filter(
                is_active=True,
                is_bundle=False,
                cost_price__isnull=False,
                length_mm__isnull=False,
                width_mm__isnull=False,
                height_mm__isnull=False,
            )
            .order_by("code")
        )
        # A fifth of the catalogue at most, so a small catalogue gets a small warehouse; the
        # sales shrink in proportion.
        wanted = min(STOCKED_SKUS[self.scale], max(len(candidates) // 5, min(len(candidates), 20)))
        self.sales_limit = SHIPPED_LINES[self.scale] * wanted // STOCKED_SKUS[self.scale]
        chosen = self.rng.sample(candidates, wanted)
        # Every role in stock, so margins and slow-mover actions per role have rows to show.
        for role in ProductRole.values:
            if not any(sku.product.role == role for sku in chosen):
                extra = [sku for sku in candidates if sku.product.role == role]
                chosen += self.rng.sample(extra, min(len(extra), MIN_QUIET))
        return sorted(chosen, key=lambda sku: sku.code)

    def choose_quiet(self, skus: list[SKU]) -> dict[int, int]:
        """Pick the SKUs that stopped selling; return SKU id → days ago of their last sale.

        Dead stock stopped over INVENTORY_SLOW_DEAD_DAYS ago, slow movers two to five months
        ago; the slow ones include an image and a traffic product (their actions differ).
        """
        dead_days = settings.INVENTORY_SLOW_DEAD_DAYS
        old = [s for s in skus if (self.today - s.created_at.date()).days > dead_days + 60]
        self.rng.shuffle(old)
        n_dead = max(MIN_QUIET, round(len(skus) * DEAD_SHARE))
        n_slow = max(MIN_QUIET, round(len(skus) * SLOW_SHARE))
        slow = [s for s in old if s.product.role == ProductRole.IMAGE][:1]
        slow += [s for s in old if s.product.role == ProductRole.TRAFFIC][:1]
        slow += [s for s in old if s not in slow][: max(0, n_slow - len(slow))]
        dead = [s for s in old if s not in slow][:n_dead]
        no_sale = settings.INVENTORY_SLOW_NO_SALE_DAYS
        quiet = {s.pk: self.rng.randint(no_sale + 10, dead_days - 30) for s in slow}
        quiet.update({s.pk: self.rng.randint(dead_days + 20, dead_days + 60) for s in dead})
        return quiet

    def build_warehouses(self, skus: list[SKU]) -> None:
        self.warehouses = Warehouse.objects.bulk_create(
            [Warehouse(code=code, name=name, address=address) for code, name, address in WAREHOUSES]
        )
        main, south = self.warehouses
        # Every SKU is stocked in Shanghai; about a third in Guangzhou too.
        self.stocked = {sku: [main] for sku in skus}
        for sku in skus:
            if self.rng.random() < 0.35:
                self.stocked[sku].append(south)

    def build_slots(self, receipts: dict[int, list[tuple[Warehouse, SKU, int]]]) -> None:
        """Create the slots; each pick slot gets the smallest standard bin that holds all the
        SKU's planned receipts by its real dimensions (the largest bin when none does)."""
        planned: dict[tuple[Warehouse, SKU], int] = defaultdict(int)
        for lines in receipts.values():
            for warehouse, sku, units in lines:
                planned[warehouse, sku] += units
        largest = BINS_MM[-1][0] * BINS_MM[-1][1] * BINS_MM[-1][2]
        self.received_into_pick: dict[tuple[Warehouse, SKU], int] = defaultdict(int)
        self.slots: dict[tuple[Warehouse, str], Slot] = {}
        self.pick_slot: dict[tuple[Warehouse, SKU], Slot] = {}
        self.pick_units: dict[tuple[Warehouse, SKU], int] = {}
        rows = []
        for warehouse in self.warehouses:
            fixed = (
                ("R-01-01-1", SlotType.RECEIVING, 0),
                ("T-01-01-1", SlotType.RETURNS, 900_000),
                ("Q-01-01-1", SlotType.QUARANTINE, 900_010),
                ("P-01-01-1", SlotType.PACKING, 900_020),
            )
            for code, slot_type, sequence in fixed:
                slot = Slot(
                    warehouse=warehouse,
                    code=code,
                    zone=code[0],
                    slot_type=slot_type,
                    pick_sequence=sequence,
                )
                self.slots[warehouse, slot_type] = slot
                rows.append(slot)
            here = [sku for sku, stocked in self.stocked.items() if warehouse in stocked]
            for index, sku in enumerate(here):
                aisle, rest = divmod(index, SLOTS_PER_SHELF * SHELVES_PER_AISLE)
                zone = PICK_ZONES[aisle // 9]
                shelf, level = divmod(rest, SLOTS_PER_SHELF)
                # Pickers walk up one aisle and back down the next: a snake route.
                position = shelf if aisle % 2 == 0 else SHELVES_PER_AISLE - 1 - shelf
                capacity = _bin_for(max(1, planned[warehouse, sku]) * sku.volume_mm3) or largest
                units = capacity // sku.volume_mm3
                slot = Slot(
                    warehouse=warehouse,
                    code=f"{zone}-{aisle % 9 + 1:02d}-{shelf + 1:02d}-{level + 1}",
                    zone=zone,
                    slot_type=SlotType.PICK,
                    pick_sequence=(aisle * SHELVES_PER_AISLE + position) * 10 + level,
                    capacity_volume_mm3=capacity,
                )
                self.pick_slot[warehouse, sku] = slot
                self.pick_units[warehouse, sku] = units
                rows.append(slot)
            reserve = Slot(
                warehouse=warehouse,
                code="D-01-01-1",
                zone="D",
                slot_type=SlotType.RESERVE,
                pick_sequence=800_000,
            )
            self.slots[warehouse, SlotType.RESERVE] = reserve
            rows.append(reserve)
        Slot.objects.bulk_create(rows)
        self.counts["warehouses"] += len(self.warehouses)
        self.counts["slots"] += len(rows)

    def plan_receipts(self, sales: list[_Sale]) -> dict[int, list[tuple[Warehouse, SKU, int]]]:
        """Return receipt lines by days ago; each lot covers the sales until the next one.

        Most SKUs end above their warning level, some at or below it, a few sold out.
        """
        demand: dict[tuple[Warehouse, SKU], list[int]] = defaultdict(list)
        for sale in sales:
            demand[sale.warehouse, sale.sku].append((self.today - sale.when.date()).days)
        receipts: dict[int, list[tuple[Warehouse, SKU, int]]] = defaultdict(list)
        for sku, warehouses in self.stocked.items():
            for warehouse in warehouses:
                sold = sorted(demand[warehouse, sku], reverse=True)  # oldest first
                draw = self.rng.random()
                if draw < 0.05 and sku.pk not in self.quiet:
                    final = 0
                elif draw < 0.15:
                    final = self.rng.randint(1, max(1, sku.warning_level))
                else:
                    final = self.rng.randint(sku.warning_level + 5, sku.warning_level * 4 + 60)
                # The first lot arrives after the launch and before the first sale.
                age = (self.today - sku.created_at.date()).days
                oldest = min(self.rng.randint(20, HISTORY_DAYS), age - RECEIPT_EVERY_DAYS)
                oldest = max(sold[0] + 1 if sold else 1, oldest)
                lot_count = self.rng.randint(1, 2)
                days = sorted(
                    {
                        _weekly(day)
                        for day in [oldest]
                        + [self.rng.randint(1, oldest) for _n in range(lot_count - 1)]
                    },
                    reverse=True,
                )
                for position, day in enumerate(days):
                    until = days[position + 1] if position + 1 < len(days) else -1
                    units = sum(1 for sold_day in sold if until < sold_day <= day)
                    if position == len(days) - 1:
                        units += final
                    if units:
                        receipts[day].append((warehouse, sku, units))
        return receipts

    def receive(self, day: int, lines: list[tuple[Warehouse, SKU, int]]) -> None:
        by_warehouse: dict[Warehouse, list[tuple[SKU, int]]] = defaultdict(list)
        for warehouse, sku, units in lines:
            by_warehouse[warehouse].append((sku, units))
        for warehouse, receipt in by_warehouse.items():
            reference = f"PO-{self.at(day):%Y%m%d}-{warehouse.code}"
            moves = services.stock_receive(
                slot=self.slots[warehouse, SlotType.RECEIVING],
                lines=[
                    services.ReceiptLine(
                        sku=sku,
                        quantity=units,
                        unit_cost=(
                            sku.cost_price * Decimal(self.rng.uniform(*LOT_COST_SPREAD))
                        ).quantize(Decimal("0.01")),
                    )
                    for sku, units in receipt
                ],
                received_at=self.at(day),
                at=self.at(day),
                source_reference=reference,
                reference_type="purchase_order",
                reference_id=reference,
            )
            self.counts["lots"] += len(moves)
        for warehouse, receipt in by_warehouse.items():
            for sku, units in receipt:
                self.put_away(warehouse, sku, units, at=self.at(day, hour=14))

    def put_away(self, warehouse: Warehouse, sku: SKU, units: int, *, at: dt.datetime) -> None:
        """Fill the SKU's pick slot up to its bin; the rest goes to the reserve zone."""
        slot = self.pick_slot[warehouse, sku]
        # Units ever put in bound what the slot holds, so the bin never overflows.
        room = self.pick_units[warehouse, sku] - self.received_into_pick[warehouse, sku]
        to_pick = max(0, min(units, room))
        receiving = self.slots[warehouse, SlotType.RECEIVING]
        if to_pick:
            services.stock_putaway(
                sku=sku, from_slot=receiving, to_slot=slot, quantity=to_pick, at=at
            )
            self.received_into_pick[warehouse, sku] += to_pick
        if units - to_pick:
            services.stock_putaway(
                sku=sku,
                from_slot=receiving,
                to_slot=self.slots[warehouse, SlotType.RESERVE],
                quantity=units - to_pick,
                at=at,
            )

    def ship(self, day: int, sales: list[_Sale], *, reserve_only: bool = False) -> list:
        by_warehouse: dict[Warehouse, list[_Sale]] = defaultdict(list)
        for sale in sales:
            by_warehouse[sale.warehouse].append(sale)
        reservations = []
        for warehouse, lines in sorted(by_warehouse.items(), key=lambda item: item[0].code):
            held = services.stock_reserve(
                warehouse=warehouse,
                lines=[
                    services.StockLine(
                        sku=sale.sku,
                        quantity=1,
                        reference_type=ORDER_REFERENCE,
                        reference_id=sale.order_id,
                    )
                    for sale in lines
                ],
                at=self.at(day, hour=10),
            )
            self.counts["reservations"] += len(held)
            reservations += held
            if reserve_only:
                continue
            services.stock_pick(
                reservations=held,
                to_slot=self.slots[warehouse, SlotType.PACKING],
                at=self.at(day, hour=15),
            )
            services.stock_ship(reservations=held, at=self.at(day, hour=17))
            self.counts["shipped units"] += len(lines)
        return reservations

    def run_history(self, sales: list[_Sale], receipts) -> None:
        batches: dict[int, list[_Sale]] = defaultdict(list)
        for sale in sales:
            days_ago = (self.today - sale.when.date()).days
            batches[max(1, days_ago - days_ago % SHIP_EVERY_DAYS)].append(sale)
        events = sorted({*receipts, *batches}, reverse=True)
        for day in events:
            if day in receipts:
                self.receive(day, receipts[day])
            if day in batches:
                self.ship(day, batches[day])

    def todays_orders(self, skus: list[SKU]) -> None:
        """Reserve a wave of today's orders, left unpicked for the pick list."""
        main = self.warehouses[0]
        available = dict(
            WarehouseStock.objects.annotate_available()
            .filter(warehouse=main, available__gte=30)
            .values_list("sku_id", "available")
        )
        in_stock = [sku for sku in skus if sku.pk in available]
        orders = []
        numbers = [self.todays_number(n) for n in range(min(12, len(in_stock)) + 1)]
        for number in numbers[:-1]:
            for sku in self.rng.sample(in_stock, min(2, len(in_stock))):
                orders.append(_Sale(self.at(0), number, sku, main))
        # Two lines of one SKU in different orders merge into one pick-list line.
        if in_stock:
            orders.append(_Sale(self.at(0), numbers[-1], in_stock[0], main))
        self.ship(0, orders, reserve_only=True)

    def todays_number(self, index: int) -> str:
        key = f"today-{self.today}-{index}"
        channel = channel_of_order(key)
        if channel == "DIST":  # the distributor desk's orders are typed in, not today's wave
            channel = "TMALL"
        return channel_order_number(key, channel=channel, placed=self.today)

    def defects_and_locks(self, skus: list[SKU]) -> None:
        main = self.warehouses[0]
        by_id = {sku.pk: sku for sku in skus}
        # Orders for sold-out SKUs wait as backorders (缺货).
        sold_out = (
            WarehouseStock.objects.annotate_available()
            .filter(warehouse=main, available__lte=0)
            .order_by("sku__code")
            .values_list("sku_id", flat=True)[:5]
        )
        for sku_id in sold_out:
            services.stock_backorder_change(
                warehouse=main, sku=by_id[sku_id], change=self.rng.randint(1, 5)
            )
            self.counts["backordered SKUs"] += 1
        rows = (
            WarehouseStock.objects.annotate_available()
            .filter(warehouse=main, available__gte=20)
            .order_by("sku__code")
            .values_list("sku_id", flat=True)
        )
        ids = list(rows)
        for sku_id in ids[:5]:
            sku = by_id[sku_id]
            pick = self.pick_slot[main, sku]
            in_pick = selectors.slot_usage(slots=[pick])[pick.pk][0]
            services.stock_transfer(
                sku=sku,
                from_slot=pick if in_pick >= 2 else self.slots[main, SlotType.RESERVE],
                to_slot=self.slots[main, SlotType.QUARANTINE],
                quantity=2,
                reason=_("Damaged in transit"),
                at=self.at(0, hour=8),
            )
            self.counts["defective units"] += 2
        self.promotion_locks(main, [by_id[sku_id] for sku_id in ids[5:]])

    def promotion_locks(self, warehouse: Warehouse, skus: list[SKU]) -> None:
        """Lock stock for each campaign under its name: a week before it starts, released when
        it ends; a current or coming campaign still holds its stock."""
        for index, promotion in enumerate(promotion_calendar(self.today)):
            chosen = skus[index * 3 % max(1, len(skus)) :][:3] or skus[:3]
            if not chosen:
                return
            locked_at = max(
                promotion.start - dt.timedelta(days=7), self.today - dt.timedelta(days=HISTORY_DAYS)
            )
            locked_at = min(locked_at, self.today)
            clock = dt.datetime.combine(locked_at, dt.time(8), tzinfo=self.tz)
            locks = services.stock_lock(
                warehouse=warehouse,
                lines=[
                    services.StockLine(
                        sku=sku,
                        quantity=5,
                        reference_type=selectors.PROMOTION_REFERENCE,
                        reference_id=f"{promotion.name}-{promotion.start:%Y}",
                    )
                    for sku in chosen
                ],
                reason=promotion.label,
                at=clock,
            )
            self.counts["stock locks"] += len(locks)
            if promotion.end < self.today:
                services.stock_unlock(locks=locks)


def seed_stock(*, scale: str, seed: int = 42, stdout=None) -> dict[str, int]:
    """Load the demo stock unless a warehouse exists; return the rows created per kind."""
    if Warehouse.objects.exists():
        _say(
            stdout,
            _("Warehouses exist already: demo stock skipped (use --reset to load it again)."),
        )
        return {}
    loader = _StockLoader(scale=scale, seed=seed, stdout=stdout)
    with transaction.atomic():
        started = time.monotonic()
        skus = loader.choose_skus()
        if not skus:
            _say(stdout, _("No SKUs with cost and dimensions: demo stock skipped."))
            return {}
        loader.build_warehouses(skus)
        loader.quiet = loader.choose_quiet(skus)
        sales = _olist_sales(
            skus=skus,
            warehouses=loader.stocked,
            limit=loader.sales_limit,
            today=loader.today,
            quiet_since=loader.quiet,
        )
        receipts = loader.plan_receipts(sales)
        loader.build_slots(receipts)
        loader.stage(
            _("Warehouses and %(count)d slots sized from the SKUs' dimensions")
            % {"count": loader.counts["slots"]},
            started,
        )
        started = time.monotonic()
        loader.run_history(sales, receipts)
        loader.stage(
            _("A year of receipts and shipments: %(lots)d lots, %(units)d units shipped")
            % {"lots": loader.counts["lots"], "units": loader.counts["shipped units"]},
            started,
        )
        started = time.monotonic()
        loader.defects_and_locks(skus)
        loader.todays_orders(skus)
        loader.stage(_("Defective units, promotion locks and today's orders"), started)
    return dict(loader.counts)


# The inventory tables, children first.
INVENTORY_MODELS = (
    ReservationPick,
    Reservation,
    StockLock,
    StockMove,
    StockLevel,
    WarehouseStock,
    Lot,
    Slot,
    Warehouse,
)


def stock_reset() -> None:
    """Delete all inventory data, the append-only ledger included.

    PostgreSQL: one TRUNCATE (the ledger's trigger refuses DELETE, not TRUNCATE). SQLite: the
    ledger's triggers are dropped around the DELETEs and created again in the same
    transaction, so a failure leaves them in place.
    """
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in INVENTORY_MODELS]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of rows written earlier in this transaction must
            # fire first: TRUNCATE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            return
        trigger = _trigger_migration() if connection.vendor == "sqlite" else None
        if trigger is not None:
            for statement in trigger.SQLITE_BACKWARD:
                cursor.execute(statement)
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        if trigger is not None:
            for statement in trigger.SQLITE_FORWARD:
                cursor.execute(statement)


def _trigger_migration():
    import importlib

    return importlib.import_module("inventory.migrations.0002_stockmove_immutable_trigger")


# --- Hooks for the seed_demo command ----------------------------------------------------


def demo_seed(*, scale: str, seed: int, stdout=None) -> dict[str, int]:
    return seed_stock(scale=scale, seed=seed, stdout=stdout)


def demo_reset() -> None:
    stock_reset()
