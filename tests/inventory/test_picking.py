from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import selectors, services
from inventory.enums import MoveKind
from inventory.exceptions import InvalidStockInput, PickShortage
from inventory.models import StockMove
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, in_slot, receive


def reserve(site, *lines):
    return services.stock_reserve(
        warehouse=site.warehouse,
        lines=[
            services.StockLine(sku, n, reference_type="sales_order", reference_id=order)
            for order, sku, n in lines
        ],
    )


def days_ago(n):
    return timezone.now() - timedelta(days=n)


def test_a_wave_pick_list_walks_slots_in_pick_sequence_and_merges_orders_per_slot(site):
    x, y = SKUFactory(code="X"), SKUFactory(code="Y")
    old_x = receive(x, site.pick_c, 4, received_at=days_ago(10))
    new_x = receive(x, site.pick_a, 10, received_at=days_ago(1))
    receive(y, site.pick_b, 10)
    wave = reserve(site, ("SO-1", x, 3), ("SO-1", y, 2), ("SO-2", x, 4), ("SO-3", y, 1))
    so1_x, so1_y, so2_x, so3_y = wave

    preview = selectors.pick_list_for_wave(reservations=wave).pick_list
    picked = services.stock_pick(reservations=wave)

    assert picked == preview
    assert [(line.slot.code, line.sku.code, line.quantity) for line in picked.lines] == [
        ("A-01-01-1", "X", 3),  # newer lot, after the older one ran out
        ("A-01-02-1", "Y", 3),  # SO-1 and SO-3 merged
        ("A-02-01-1", "X", 4),  # oldest lot first, although last on the route
    ]
    assert picked.lines[0].lots == ((new_x, 3),)
    assert picked.lines[2].lots == ((old_x, 4),)
    assert dict(picked.lines[1].reservations) == {so1_y: 2, so3_y: 1}
    assert dict(picked.lines[2].reservations) == {so1_x: 3, so2_x: 1}
    assert picked.total_units == 10
    assert in_slot(x, site.packing) == 7 and in_slot(y, site.packing) == 3
    assert columns(x, site.warehouse) | {"stock_status": None} == {
        "on_hand": 14,
        "reserved": 7,
        "locked": 0,
        "defective": 0,
        "available": 7,
        "stock_status": None,
    }
    assert_ledger_agrees()


def test_shipping_consumes_lots_oldest_first_at_their_own_cost(site):
    sku = SKUFactory()
    first = receive(sku, site.pick_b, 4, "5.00", received_at=days_ago(30))
    second = receive(sku, site.reserve, 5, "6.00", received_at=days_ago(20))
    third = receive(sku, site.pick_a, 10, "7.50", received_at=days_ago(10))
    reservations = reserve(site, ("SO-9", sku, 12))

    services.stock_pick(reservations=reservations)
    shipment = services.stock_ship(reservations=reservations)

    # 4 × 5.00 + 5 × 6.00 + 3 × 7.50
    assert shipment.total_cost == Decimal("72.50")
    assert shipment.cost_by_lot() == {
        first: Decimal("20.00"),
        second: Decimal("30.00"),
        third: Decimal("22.50"),
    }
    ships = StockMove.objects.filter(kind=MoveKind.SHIP)
    assert sum(m.cost for m in ships) == Decimal("72.50")
    assert {m.reference_id for m in ships} == {"SO-9"}
    assert columns(sku, site.warehouse)["on_hand"] == 7
    assert columns(sku, site.warehouse)["reserved"] == 0
    assert in_slot(sku, site.packing) == 0
    reservations[0].refresh_from_db()
    assert (reservations[0].picked, reservations[0].shipped, reservations[0].open_quantity) == (
        12,
        12,
        0,
    )
    assert_ledger_agrees()


def test_picking_stops_with_every_shortage_when_pickable_slots_hold_too_little(site):
    a, b = SKUFactory(code="PA"), SKUFactory(code="PB")
    receive(a, site.pick_a, 5)
    receive(b, site.pick_b, 5)
    receive(b, site.returns, 2)  # awaiting disposition: on hand but not pickable
    wave = reserve(site, ("SO-1", a, 5), ("SO-1", b, 7))
    site.pick_a.is_active = False
    site.pick_a.save()

    with pytest.raises(PickShortage) as error:
        services.stock_pick(reservations=wave)

    assert str(error.value) == (
        "Not enough stock in pickable slots: PA in SH: to pick 5, pickable 0; PB in SH: to "
        "pick 7, pickable 5. Put received or returned stock away first."
    )
    assert not StockMove.objects.filter(kind=MoveKind.PICK).exists()


def test_pick_and_ship_refuse_what_cannot_be_done(site):
    sku = SKUFactory(code="S-1")
    receive(sku, site.pick_a, 5)
    reservations = reserve(site, ("SO-1", sku, 2))

    with pytest.raises(InvalidStockInput) as error:
        services.stock_ship(reservations=reservations)
    assert str(error.value) == (
        f"Reservation {reservations[0].pk} (S-1) has nothing picked to ship."
    )
    with pytest.raises(InvalidStockInput) as error:
        services.stock_pick(reservations=reservations, to_slot=site.pick_b)
    assert str(error.value) == "Pick into an active packing slot of SH, not SH/A-01-02-1."

    services.stock_pick(reservations=reservations)
    with pytest.raises(InvalidStockInput) as error:
        services.stock_pick(reservations=reservations)
    assert str(error.value) == "These reservations have nothing left to pick."


def test_releasing_a_picked_reservation_keeps_the_picked_units_reserved(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 5)
    [reservation] = reserve(site, ("SO-1", sku, 3))
    services.stock_pick(reservations=[reservation])

    assert services.stock_release(reservations=[reservation]) == 0
    assert columns(sku, site.warehouse)["reserved"] == 3


def test_unpick_puts_picked_goods_back_where_they_came_from_and_releases_them(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 5)
    held = services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(sku, 3)])
    services.stock_pick(reservations=held, to_slot=site.packing)
    assert services.stock_unpick(reservations=held, reason="取消") == 3
    assert in_slot(sku, site.packing) == 0 and in_slot(sku, site.pick_a) == 5
    assert columns(sku, site.warehouse)["reserved"] == 0
    assert services.stock_unpick(reservations=held) == 0  # safe to run twice
    assert_ledger_agrees()
