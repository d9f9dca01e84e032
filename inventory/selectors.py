"""Reads of inventory: stock columns, bundle availability, putaway and pick planning, low
stock, and the proof that stock levels agree with the ledger."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from catalog.models import SKU, BundleComponent
from inventory.enums import PICKABLE_SLOT_TYPES, SlotType, StockStatus
from inventory.exceptions import InvalidStockInput, Shortfall
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

# --- Stock columns ------------------------------------------------------------------------


def _available_expression():
    return F("on_hand") - F("reserved") - F("locked") - F("defective")


def _stock_sum(expression, warehouse: Warehouse | None, sku_ref: str = "pk") -> Subquery:
    rows = WarehouseStock.objects.filter(sku=OuterRef(sku_ref))
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    return Subquery(
        rows.order_by().values("sku").annotate(total=Sum(expression)).values("total"),
        output_field=BigIntegerField(),
    )


def sku_stock_columns(
    queryset: QuerySet[SKU] | None = None, *, warehouse: Warehouse | None = None
) -> QuerySet[SKU]:
    """Annotate SKUs with the stock columns, in one SQL statement whatever the list size.

    ``on_hand`` 实际, ``reserved`` 占有, ``locked`` 锁定, ``defective`` 次品, ``backordered``
    缺货, ``available`` 可发 and ``stock_status``. Without a warehouse the columns are totals
    over all warehouses. A bundle holds no stock: its available is the minimum over its
    components of (component available ÷ quantity per bundle), rounded down.
    """
    queryset = queryset if queryset is not None else SKU.objects.all()
    zero = Value(0, output_field=BigIntegerField())
    component_available = Coalesce(
        _stock_sum(_available_expression(), warehouse, sku_ref="component"), zero
    )
    bundle_available = Subquery(
        BundleComponent.objects.filter(bundle=OuterRef("pk"))
        .annotate(sets=Cast(component_available / F("quantity"), BigIntegerField()))
        .order_by()
        .values("bundle")
        .annotate(least=Min("sets"))
        .values("least"),
        output_field=BigIntegerField(),
    )
    columns = {
        name: Coalesce(_stock_sum(F(name), warehouse), zero)
        for name in ("on_hand", "reserved", "locked", "defective", "backordered")
    }
    return queryset.annotate(
        **columns,
        available=Case(
            When(is_bundle=True, then=Coalesce(bundle_available, zero)),
            default=Coalesce(_stock_sum(_available_expression(), warehouse), zero),
            output_field=BigIntegerField(),
        ),
        stock_status=_status_expression(),
    )


def _status_expression() -> Case:
    return Case(
        When(available__lte=0, then=Value(StockStatus.OUT_OF_STOCK)),
        When(available__lte=F("warning_level"), then=Value(StockStatus.WARNING)),
        default=Value(StockStatus.NORMAL),
        output_field=CharField(),
    )


def bundle_available(*, bundle: SKU, warehouse: Warehouse) -> int:
    """Return how many whole bundles the components' available stock makes up."""
    row = sku_stock_columns(SKU.objects.filter(pk=bundle.pk), warehouse=warehouse).values_list(
        "available", flat=True
    )
    return int(row.first() or 0)


def low_stock(*, warehouse: Warehouse | None = None) -> QuerySet[WarehouseStock]:
    """Return the stock rows at or below their SKU's warning level (预警值), lowest first.

    Feeds the low-stock alerts of the warehouse and purchaser dashboards.
    """
    rows = WarehouseStock.objects.annotate_available().filter(
        available__lte=F("sku__warning_level"), sku__is_active=True, sku__is_bundle=False
    )
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    return rows.select_related("sku", "warehouse").order_by("available", "sku__code", "warehouse")


def warehouse_stock_search(
    *, warehouse: Warehouse | None = None, status: str = "", query: str = ""
) -> QuerySet[WarehouseStock]:
    """Return the stock rows (SKU × warehouse) with their columns, filtered as a user asks.

    ``query`` matches the SKU code or name (contains) or its barcode (exactly).
    """
    rows = WarehouseStock.objects.annotate_available().select_related("sku", "warehouse")
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    if status:
        rows = rows.filter(stock_status=status)
    if query:
        rows = rows.filter(
            Q(sku__code__icontains=query) | Q(sku__name__icontains=query) | Q(sku__barcode=query)
        )
    return rows.order_by("sku__code", "warehouse__code")


# --- Slots ----------------------------------------------------------------------------------


def _held_volume(prefix: str = "") -> Sum:
    """Sum of on hand × SKU volume (mm³) over stock levels; SKUs without dimensions count 0."""

    def big(name: str) -> Cast:
        return Cast(Coalesce(f"{prefix}{name}", 0), BigIntegerField())

    return Sum(
        big("on_hand") * big("sku__length_mm") * big("sku__width_mm") * big("sku__height_mm"),
        output_field=BigIntegerField(),
    )


def slot_usage(*, slots: Sequence[Slot]) -> dict[int, tuple[int, int]]:
    """Return ``{slot id: (units, volume in mm³)}`` held now; SKUs without dimensions count 0."""
    rows = (
        StockLevel.objects.filter(slot__in=slots)
        .order_by()
        .values("slot")
        .annotate(units=Sum("on_hand"), volume=_held_volume())
    )
    usage = {slot.pk: (0, 0) for slot in slots}
    usage.update({row["slot"]: (row["units"] or 0, row["volume"] or 0) for row in rows})
    return usage


def slot_suggest_putaway(
    *, sku: SKU, warehouse: Warehouse, quantity: int, exclude: Sequence[Slot] = ()
) -> Slot | None:
    """Return the pick slot to put ``quantity`` units of ``sku`` away in, or None.

    First an active pick slot already holding the SKU, then an empty active pick slot; either
    must have room by units and by volume (the SKU's catalogue dimensions). Earliest on the
    pick route wins.
    """
    volume = quantity * (sku.volume_mm3 or 0)
    in_slot = "stock_levels__"
    slots = (
        Slot.objects.filter(warehouse=warehouse, is_active=True, slot_type=SlotType.PICK)
        .exclude(pk__in=[slot.pk for slot in exclude])
        .annotate(
            used_units=Coalesce(Sum(f"{in_slot}on_hand"), 0),
            used_volume=Coalesce(_held_volume(in_slot), Value(0, output_field=BigIntegerField())),
            sku_units=Coalesce(Sum(f"{in_slot}on_hand", filter=Q(stock_levels__sku=sku)), 0),
        )
        .filter(
            Q(capacity_units__isnull=True) | Q(capacity_units__gte=F("used_units") + quantity),
            Q(capacity_volume_mm3__isnull=True)
            | Q(capacity_volume_mm3__gte=F("used_volume") + volume),
        )
        .select_related("warehouse")
        .order_by("pick_sequence", "code")
    )
    return slots.filter(sku_units__gt=0).first() or slots.filter(used_units=0).first()


# --- Picking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PickAllocation:
    reservation: Reservation
    slot: Slot
    lot: Lot
    quantity: int


@dataclass(frozen=True)
class PickListLine:
    """What a picker takes from one slot: one SKU, merged over orders and lots."""

    slot: Slot
    sku: SKU
    quantity: int
    lots: tuple[tuple[Lot, int], ...]
    reservations: tuple[tuple[Reservation, int], ...]


@dataclass(frozen=True)
class PickList:
    """The walking list of a wave: lines in slot pick-sequence order."""

    warehouse: Warehouse
    lines: tuple[PickListLine, ...]

    @property
    def total_units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass
class PickPlan:
    warehouse: Warehouse
    allocations: list[PickAllocation] = field(default_factory=list)
    shortages: list[Shortfall] = field(default_factory=list)

    @property
    def pick_list(self) -> PickList:
        merged: dict[tuple[int, int], list[PickAllocation]] = defaultdict(list)
        for allocation in self.allocations:
            merged[allocation.slot.pk, allocation.reservation.sku_id].append(allocation)
        lines = []
        for allocations in merged.values():
            lots: dict[Lot, int] = defaultdict(int)
            reservations: dict[Reservation, int] = defaultdict(int)
            for allocation in allocations:
                lots[allocation.lot] += allocation.quantity
                reservations[allocation.reservation] += allocation.quantity
            first = allocations[0]
            lines.append(
                PickListLine(
                    slot=first.slot,
                    sku=first.reservation.sku,
                    quantity=sum(a.quantity for a in allocations),
                    lots=tuple(lots.items()),
                    reservations=tuple(reservations.items()),
                )
            )
        lines.sort(key=lambda line: (line.slot.pick_sequence, line.slot.code, line.sku.code))
        return PickList(warehouse=self.warehouse, lines=tuple(lines))


def pick_plan(*, warehouse: Warehouse, demands: Sequence[tuple[Reservation, int]]) -> PickPlan:
    """Allocate units to pick for each reservation: oldest lot first (FIFO), and within a lot
    pick slots before reserve before receiving, in pick-sequence order.

    Reservations are served in the order given; stock already picked (in packing slots),
    defective or in inactive slots is not pickable.
    """
    plan = PickPlan(warehouse=warehouse)
    sku_ids = {reservation.sku_id for reservation, _units in demands}
    type_rank = Case(
        *(When(slot__slot_type=kind, then=rank) for rank, kind in enumerate(PICKABLE_SLOT_TYPES)),
        output_field=IntegerField(),
    )
    levels = (
        StockLevel.objects.filter(
            sku_id__in=sku_ids,
            slot__warehouse=warehouse,
            slot__is_active=True,
            slot__slot_type__in=PICKABLE_SLOT_TYPES,
            on_hand__gt=0,
        )
        .select_related("slot__warehouse", "lot")
        .order_by("sku_id", "lot__received_at", "lot_id", type_rank, "slot__pick_sequence")
    )
    queues: dict[int, list[list]] = defaultdict(list)
    for level in levels:
        queues[level.sku_id].append([level, level.on_hand])
    wanted: dict[int, int] = defaultdict(int)
    short: dict[int, int] = defaultdict(int)
    skus: dict[int, SKU] = {}
    for reservation, units in demands:
        skus[reservation.sku_id] = reservation.sku
        wanted[reservation.sku_id] += units
        remaining = units
        for entry in queues[reservation.sku_id]:
            if remaining == 0:
                break
            take = min(entry[1], remaining)
            if take:
                entry[1] -= take
                remaining -= take
                plan.allocations.append(
                    PickAllocation(reservation, entry[0].slot, entry[0].lot, take)
                )
        short[reservation.sku_id] += remaining
    for sku_id, missing in short.items():
        if missing:
            plan.shortages.append(
                Shortfall(skus[sku_id], warehouse, wanted[sku_id], wanted[sku_id] - missing)
            )
    return plan


def pick_list_for_wave(*, reservations: Sequence[Reservation]) -> PickPlan:
    """Plan the picking of a wave of reservations (one warehouse) without moving anything.

    The plan is what ``stock_pick`` will do if stock does not change in between; its
    ``pick_list`` is the printable walking list and ``shortages`` what cannot be picked.
    """
    fresh = list(
        Reservation.objects.filter(pk__in=[r.pk for r in reservations])
        .select_related("sku", "warehouse")
        .order_by("pk")
    )
    if not fresh:
        raise InvalidStockInput([_("These reservations have nothing left to pick.")])
    demands = [(r, r.unpicked) for r in fresh if r.unpicked > 0]
    return pick_plan(warehouse=fresh[0].warehouse, demands=demands)


def reservations_to_pick(
    *, warehouse: Warehouse | None = None, ids: Sequence[int] = ()
) -> QuerySet[Reservation]:
    """Return open reservations with units left to pick: of a warehouse, or those listed."""
    rows = Reservation.objects.filter(quantity__gt=F("released") + F("picked"))
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    if ids:
        rows = rows.filter(pk__in=ids)
    return rows.order_by("pk")


def waves_to_pick() -> list[dict]:
    """Per active warehouse with work waiting: reservations and units left to pick."""
    unpicked = F("quantity") - F("released") - F("picked")
    return list(
        reservations_to_pick()
        .filter(warehouse__is_active=True)
        .order_by("warehouse__code")
        .values("warehouse", "warehouse__code", "warehouse__name")
        .annotate(reservations=Count("pk"), units=Sum(unpicked))
    )


# --- Integrity ------------------------------------------------------------------------------


def _fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def stock_integrity_mismatches() -> list[str]:
    """Recompute the stock caches from the ledger in SQL and return one line per mismatch.

    Checked: on hand per SKU × slot × lot; on hand and defective per SKU × warehouse; reserved
    against open reservations, locked against open locks; packing slots against picked,
    unshipped stock; and that each move's lot is of the move's SKU.
    """
    t = {
        "move": StockMove._meta.db_table,
        "level": StockLevel._meta.db_table,
        "stock": WarehouseStock._meta.db_table,
        "slot": Slot._meta.db_table,
        "warehouse": Warehouse._meta.db_table,
        "sku": SKU._meta.db_table,
        "lot": Lot._meta.db_table,
        "reservation": Reservation._meta.db_table,
        "pick": ReservationPick._meta.db_table,
        "lock": StockLock._meta.db_table,
    }
    lines: list[str] = []

    level_rows = _fetch(
        f"""
        SELECT sku.code, wh.code, slot.code, d.lot_id, d.ledger, d.cached
        FROM (
            SELECT sku_id, slot_id, lot_id, SUM(ledger) AS ledger, SUM(cached) AS cached
            FROM (
                SELECT sku_id, to_slot_id AS slot_id, lot_id, quantity AS ledger, 0 AS cached
                FROM {t["move"]} WHERE to_slot_id IS NOT NULL
                UNION ALL
                SELECT sku_id, from_slot_id, lot_id, -quantity, 0
                FROM {t["move"]} WHERE from_slot_id IS NOT NULL
                UNION ALL
                SELECT sku_id, slot_id, lot_id, 0, on_hand FROM {t["level"]}
            ) flows
            GROUP BY sku_id, slot_id, lot_id
            HAVING SUM(ledger) <> SUM(cached)
        ) d
        JOIN {t["sku"]} sku ON sku.id = d.sku_id
        JOIN {t["slot"]} slot ON slot.id = d.slot_id
        JOIN {t["warehouse"]} wh ON wh.id = slot.warehouse_id
        ORDER BY sku.code, wh.code, slot.code, d.lot_id
        """
    )
    for sku, warehouse, slot, lot, ledger, cached in level_rows:
        lines.append(
            _(
                "%(sku)s in %(warehouse)s/%(slot)s, lot %(lot)s: on hand %(cached)s, "
                "ledger %(ledger)s"
            )
            % {
                "sku": sku,
                "warehouse": warehouse,
                "slot": slot,
                "lot": lot,
                "cached": cached,
                "ledger": ledger,
            }
        )

    stock_rows = _fetch(
        f"""
        SELECT sku.code, wh.code, d.on_hand_ledger, d.on_hand, d.defective_ledger, d.defective,
               d.reserved_open, d.reserved, d.locked_open, d.locked
        FROM (
            SELECT sku_id, warehouse_id,
                   SUM(on_hand_ledger) AS on_hand_ledger, SUM(on_hand) AS on_hand,
                   SUM(defective_ledger) AS defective_ledger, SUM(defective) AS defective,
                   SUM(reserved_open) AS reserved_open, SUM(reserved) AS reserved,
                   SUM(locked_open) AS locked_open, SUM(locked) AS locked
            FROM (
                SELECT m.sku_id, s.warehouse_id, m.quantity AS on_hand_ledger, 0 AS on_hand,
                       CASE WHEN s.slot_type = %s THEN m.quantity ELSE 0 END
                           AS defective_ledger,
                       0 AS defective, 0 AS reserved_open, 0 AS reserved,
                       0 AS locked_open, 0 AS locked
                FROM {t["move"]} m JOIN {t["slot"]} s ON s.id = m.to_slot_id
                UNION ALL
                SELECT m.sku_id, s.warehouse_id, -m.quantity, 0,
                       CASE WHEN s.slot_type = %s THEN -m.quantity ELSE 0 END, 0, 0, 0, 0, 0
                FROM {t["move"]} m JOIN {t["slot"]} s ON s.id = m.from_slot_id
                UNION ALL
                SELECT sku_id, warehouse_id, 0, 0, 0, 0,
                       quantity - released - shipped, 0, 0, 0
                FROM {t["reservation"]}
                UNION ALL
                SELECT sku_id, warehouse_id, 0, 0, 0, 0, 0, 0, quantity - released, 0
                FROM {t["lock"]}
                UNION ALL
                SELECT sku_id, warehouse_id, 0, on_hand, 0, defective, 0, reserved, 0, locked
                FROM {t["stock"]}
            ) flows
            GROUP BY sku_id, warehouse_id
            HAVING SUM(on_hand_ledger) <> SUM(on_hand)
                OR SUM(defective_ledger) <> SUM(defective)
                OR SUM(reserved_open) <> SUM(reserved)
                OR SUM(locked_open) <> SUM(locked)
        ) d
        JOIN {t["sku"]} sku ON sku.id = d.sku_id
        JOIN {t["warehouse"]} wh ON wh.id = d.warehouse_id
        ORDER BY sku.code, wh.code
        """,
        [SlotType.QUARANTINE, SlotType.QUARANTINE],
    )
    columns = (
        (_("on hand"), _("ledger")),
        (_("defective"), _("ledger")),
        (_("reserved"), _("open reservations")),
        (_("locked"), _("open locks")),
    )
    for sku, warehouse, *values in stock_rows:
        for (column, source), (expected, cached) in zip(
            columns, zip(values[::2], values[1::2], strict=True), strict=True
        ):
            if expected != cached:
                lines.append(
                    _("%(sku)s in %(warehouse)s: %(column)s %(cached)s, %(source)s %(expected)s")
                    % {
                        "sku": sku,
                        "warehouse": warehouse,
                        "column": column,
                        "cached": cached,
                        "source": source,
                        "expected": expected,
                    }
                )

    packing_rows = _fetch(
        f"""
        SELECT sku.code, wh.code, slot.code, d.lot_id, d.level, d.picked
        FROM (
            SELECT slot_id, lot_id, SUM(level) AS level, SUM(picked) AS picked
            FROM (
                SELECT l.slot_id, l.lot_id, l.on_hand AS level, 0 AS picked
                FROM {t["level"]} l JOIN {t["slot"]} s ON s.id = l.slot_id
                WHERE s.slot_type = %s
                UNION ALL
                SELECT to_slot_id, lot_id, 0, quantity - shipped FROM {t["pick"]}
            ) flows
            GROUP BY slot_id, lot_id
            HAVING SUM(level) <> SUM(picked)
        ) d
        JOIN {t["lot"]} lot ON lot.id = d.lot_id
        JOIN {t["sku"]} sku ON sku.id = lot.sku_id
        JOIN {t["slot"]} slot ON slot.id = d.slot_id
        JOIN {t["warehouse"]} wh ON wh.id = slot.warehouse_id
        ORDER BY sku.code, wh.code, slot.code, d.lot_id
        """,
        [SlotType.PACKING],
    )
    for sku, warehouse, slot, lot, level, picked in packing_rows:
        lines.append(
            _(
                "%(sku)s in packing slot %(warehouse)s/%(slot)s, lot %(lot)s: on hand "
                "%(level)s, picked and not shipped %(picked)s"
            )
            % {
                "sku": sku,
                "warehouse": warehouse,
                "slot": slot,
                "lot": lot,
                "level": level,
                "picked": picked,
            }
        )

    for move_id, move_sku, lot_id, lot_sku in _fetch(
        f"""
        SELECT m.id, ms.code, l.id, ls.code
        FROM {t["move"]} m
        JOIN {t["lot"]} l ON l.id = m.lot_id
        JOIN {t["sku"]} ms ON ms.id = m.sku_id
        JOIN {t["sku"]} ls ON ls.id = l.sku_id
        WHERE l.sku_id <> m.sku_id
        ORDER BY m.id
        """
    ):
        lines.append(
            _("Stock move %(move)s moves %(sku)s but its lot %(lot)s is of %(lot_sku)s")
            % {"move": move_id, "sku": move_sku, "lot": lot_id, "lot_sku": lot_sku}
        )
    return lines


PROMOTION_REFERENCE = "promotion"


def promotion_locks() -> list[dict]:
    """Return the stock locked for promotions, one row per campaign, the latest first: its
    name (the lock's reason), when the stock was locked, SKUs, units locked and still held."""
    return list(
        StockLock.objects.filter(reference_type=PROMOTION_REFERENCE)
        .values("reason")
        .annotate(
            locked_at=Min("created_at"),
            skus=Count("sku", distinct=True),
            units=Sum("quantity"),
            held=Sum(F("quantity") - F("released")),
        )
        .order_by("-locked_at", "reason")
    )


# --- Product page and flow ----------------------------------------------------------------


def sku_stock_by_warehouse(sku_ids) -> list[WarehouseStock]:
    """Return the stock rows of the SKUs per warehouse with their ``available`` (可发),
    warehouse by code then SKU code; one query."""
    return list(
        WarehouseStock.objects.filter(sku_id__in=list(sku_ids))
        .annotate_available()
        .select_related("warehouse", "sku")
        .order_by("warehouse__code", "sku__code")
    )


def products_received_and_slotted(product_ids) -> tuple[set[int], set[int]]:
    """Return the ids of the products of which a lot was ever received, and of those a pick
    or reserve slot holds now; two queries."""
    product_ids = list(product_ids)
    received = set(
        Lot.objects.filter(sku__product_id__in=product_ids)
        .values_list("sku__product_id", flat=True)
        .distinct()
    )
    slotted = set(
        StockLevel.objects.filter(
            sku__product_id__in=product_ids,
            on_hand__gt=0,
            slot__slot_type__in=[SlotType.PICK, SlotType.RESERVE],
        )
        .values_list("sku__product_id", flat=True)
        .distinct()
    )
    return received, slotted


# --- Shelf plan ---------------------------------------------------------------------------


def products_available(products: QuerySet) -> dict[int, int]:
    """Return the available units (可发, all warehouses) of each of ``products`` (a Product
    queryset, read as a subquery) that has any, by product id, over its active SKUs; a
    bundle SKU counts the whole bundles its components make up. Two queries."""
    out: dict[int, int] = defaultdict(int)
    rows = (
        WarehouseStock.objects.filter(
            sku__product__in=products.values("pk"), sku__is_active=True, sku__is_bundle=False
        )
        .values("sku__product_id")
        .annotate(units=Sum(_available_expression()))
        .filter(units__gt=0)
        .order_by()
    )
    for product_id, units in rows.values_list("sku__product_id", "units"):
        out[product_id] += units
    # Bundles: each component's available, read per component row (bundles are few).
    components = (
        BundleComponent.objects.filter(
            bundle__product__in=products.values("pk"), bundle__is_active=True
        )
        .annotate(
            component_available=Coalesce(
                _stock_sum(_available_expression(), None, sku_ref="component"),
                Value(0, output_field=BigIntegerField()),
            )
        )
        .values_list("bundle_id", "bundle__product_id", "quantity", "component_available")
        .order_by()
    )
    sets: dict[tuple[int, int], int] = {}
    for bundle_id, product_id, quantity, available in components:
        made = available // quantity
        sets[product_id, bundle_id] = min(sets.get((product_id, bundle_id), made), made)
    for (product_id, _bundle_id), made in sets.items():
        if made > 0:
            out[product_id] += made
    return dict(out)
