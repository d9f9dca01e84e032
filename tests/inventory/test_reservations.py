import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import SKU
from catalog.services import bundle_set_components
from inventory import selectors, services
from inventory.exceptions import InsufficientStock, InvalidStockInput
from inventory.models import Reservation, StockLock
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, receive


def line(sku, quantity, order="SO-1"):
    return services.StockLine(sku, quantity, reference_type="sales_order", reference_id=order)


def test_reserving_moves_units_from_available_to_reserved(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 10)

    [reservation] = services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 4)])

    assert (reservation.quantity, reservation.reference_id) == (4, "SO-1")
    assert columns(sku, site.warehouse) | {"stock_status": None} == {
        "on_hand": 10,
        "reserved": 4,
        "locked": 0,
        "defective": 0,
        "available": 6,
        "stock_status": None,
    }
    assert_ledger_agrees()


def test_one_insufficient_stock_error_lists_every_short_line_and_reserves_nothing(site):
    enough, short, none = (
        SKUFactory(code="OK-1"),
        SKUFactory(code="SHORT-1"),
        SKUFactory(code="NONE-1"),
    )
    receive(enough, site.pick_a, 10)
    receive(short, site.pick_b, 3)

    with pytest.raises(InsufficientStock) as error:
        services.stock_reserve(
            warehouse=site.warehouse,
            lines=[line(enough, 5), line(short, 2), line(none, 1), line(short, 2)],
        )

    assert str(error.value) == (
        "Not enough stock available: SHORT-1 in SH: wanted 4, available 3; "
        "NONE-1 in SH: wanted 1, available 0."
    )
    assert [(s.sku, s.wanted, s.available) for s in error.value.shortfalls] == [
        (short, 4, 3),
        (none, 1, 0),
    ]
    assert columns(enough, site.warehouse)["reserved"] == 0
    assert not Reservation.objects.exists()


def test_release_gives_unpicked_units_back(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 10)
    reservations = services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 4)])

    assert services.stock_release(reservations=reservations) == 4
    assert services.stock_release(reservations=reservations) == 0
    assert columns(sku, site.warehouse)["available"] == 10
    assert_ledger_agrees()


def test_reservation_input_problems_are_listed_together(site):
    empty_bundle = SKUFactory(code="EMPTY-B", is_bundle=True)
    sku = SKUFactory(code="Q-1")

    with pytest.raises(InvalidStockInput) as error:
        services.stock_reserve(
            warehouse=site.warehouse, lines=[line(empty_bundle, 1), line(sku, 0)]
        )

    assert str(error.value) == (
        "EMPTY-B is a bundle without components. "
        "Q-1: the quantity must be a whole number above zero, not 0."
    )


@pytest.fixture
def gift_box(site):
    """A bundle of 2 cups and 1 teapot; cups 7 available, teapot 5 available."""
    cup, teapot = SKUFactory(code="CUP"), SKUFactory(code="POT")
    box = SKUFactory(code="BOX", warning_level=2)
    bundle_set_components(bundle=box, components=[(cup, 2), (teapot, 1)])
    receive(cup, site.pick_a, 7)
    receive(teapot, site.pick_b, 5)
    box.refresh_from_db()
    return box, cup, teapot


def test_a_bundle_is_available_as_many_times_as_its_scarcest_component_allows(site, gift_box):
    box, _cup, _teapot = gift_box

    assert selectors.bundle_available(bundle=box, warehouse=site.warehouse) == 3  # 7 // 2


def test_reserving_a_bundle_reserves_its_components(site, gift_box):
    box, cup, teapot = gift_box

    reservations = services.stock_reserve(warehouse=site.warehouse, lines=[line(box, 2)])

    assert {(r.sku, r.quantity, r.bundle) for r in reservations} == {
        (cup, 4, box),
        (teapot, 2, box),
    }
    assert selectors.bundle_available(bundle=box, warehouse=site.warehouse) == 1
    with pytest.raises(InsufficientStock) as error:
        services.stock_reserve(warehouse=site.warehouse, lines=[line(box, 2), line(cup, 1)])
    assert str(error.value) == (
        "Not enough stock available: CUP in SH: wanted 5, available 3 (component of BOX)."
    )


def test_sku_stock_columns_show_every_sku_and_bundle_in_one_query(
    site, gift_box, django_assert_num_queries
):
    box, cup, teapot = gift_box
    services.stock_transfer(sku=cup, from_slot=site.pick_a, to_slot=site.quarantine, quantity=1)
    services.stock_reserve(warehouse=site.warehouse, lines=[line(teapot, 1)])
    services.stock_lock(warehouse=site.warehouse, lines=[line(teapot, 2)], reason="大促")
    never = SKUFactory(code="NEVER")

    with django_assert_num_queries(1):
        rows = {
            sku.code: (
                sku.on_hand,
                sku.reserved,
                sku.locked,
                sku.defective,
                sku.available,
                sku.stock_status,
            )
            for sku in selectors.sku_stock_columns(
                SKU.objects.filter(pk__in=[box.pk, cup.pk, teapot.pk, never.pk]),
                warehouse=site.warehouse,
            )
        }

    assert rows == {
        "CUP": (7, 0, 0, 1, 6, "normal"),
        "POT": (5, 1, 2, 0, 2, "normal"),
        "BOX": (0, 0, 0, 0, 2, "warning"),  # min(6 // 2, 2 // 1), warning level 2
        "NEVER": (0, 0, 0, 0, 0, "out_of_stock"),
    }


def test_locked_stock_is_not_available_until_unlocked(site):
    sku = SKUFactory(code="LOCK-1")
    receive(sku, site.pick_a, 10)

    locks = services.stock_lock(warehouse=site.warehouse, lines=[line(sku, 6)], reason="双11 活动")
    assert columns(sku, site.warehouse)["available"] == 4
    with pytest.raises(InsufficientStock):
        services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 5)])

    assert services.stock_unlock(locks=locks) == 6
    assert columns(sku, site.warehouse)["available"] == 10
    assert StockLock.objects.get().released == 6
    assert_ledger_agrees()


def test_locking_needs_a_reason(site):
    sku = SKUFactory()
    with pytest.raises(InvalidStockInput) as error:
        services.stock_lock(warehouse=site.warehouse, lines=[line(sku, 1)], reason=" ")
    assert str(error.value) == "Give a reason."


def test_low_stock_lists_rows_at_or_below_the_warning_level(site):
    low, fine, out = (
        SKUFactory(code="LOW", warning_level=5),
        SKUFactory(code="FINE", warning_level=5),
        SKUFactory(code="OUT", warning_level=0),
    )
    receive(low, site.pick_a, 5)
    receive(fine, site.pick_b, 6)
    receive(out, site.pick_c, 1)
    services.stock_reserve(warehouse=site.warehouse, lines=[line(out, 1)])

    rows = [(row.sku.code, row.available, row.stock_status) for row in selectors.low_stock()]

    assert rows == [("OUT", 0, "out_of_stock"), ("LOW", 5, "warning")]


def test_backordered_quantity_is_kept_by_the_service_and_never_negative(site):
    sku = SKUFactory(code="BO-1")

    assert services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=3) == 3
    assert services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=-1) == 2
    with pytest.raises(InvalidStockInput) as error:
        services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=-5)
    assert str(error.value) == "BO-1 in SH has 2 backordered, not 5."


def test_a_reservation_leaves_the_units_waiting_backorders_are_owed(site):
    sku, other = SKUFactory(code="OWED-1"), SKUFactory(code="OWED-2")
    receive(sku, site.pick_a, 5)
    receive(other, site.pick_b, 5)
    services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=4)

    with pytest.raises(InsufficientStock) as error:
        services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 2), line(other, 1)])
    assert str(error.value) == (
        "Not enough stock available: OWED-1 in SH: wanted 2, available 1 "
        "(4 more promised to waiting backorders)."
    )
    services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 1)])
    assert columns(sku, site.warehouse)["reserved"] == 1
    assert columns(other, site.warehouse)["reserved"] == 0  # all or nothing


def test_demand_ahead_of_some_backorders_leaves_only_theirs(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 5)
    services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=4)

    with pytest.raises(InsufficientStock):
        services.stock_reserve(
            warehouse=site.warehouse, lines=[line(sku, 4)], backorders_ahead={sku.pk: 2}
        )
    services.stock_reserve(
        warehouse=site.warehouse, lines=[line(sku, 3)], backorders_ahead={sku.pk: 2}
    )
    assert columns(sku, site.warehouse)["available"] == 2


def test_a_lock_is_not_held_back_by_backorders(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 5)
    services.stock_backorder_change(warehouse=site.warehouse, sku=sku, change=5)

    services.stock_lock(warehouse=site.warehouse, lines=[line(sku, 3)], reason="11.11")
    assert columns(sku, site.warehouse)["locked"] == 3


def _relaxed(queries) -> bool:
    return any("synchronous_commit TO OFF" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_reservation_waits_for_the_flush_unless_async_commit_is_chosen(site, settings):
    """Durable by default; with INVENTORY_RESERVE_ASYNC_COMMIT only a reservation that is its
    own transaction skips the wait for the flush."""
    sku = SKUFactory()
    receive(sku, site.pick_a, 10)
    reserve = lambda: services.stock_reserve(warehouse=site.warehouse, lines=[line(sku, 1)])  # noqa: E731

    with CaptureQueriesContext(connection) as by_default:
        reserve()
    settings.INVENTORY_RESERVE_ASYNC_COMMIT = True
    with CaptureQueriesContext(connection) as standalone:
        reserve()
    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        reserve()

    assert (_relaxed(by_default), _relaxed(standalone), _relaxed(inside)) == (
        False,
        True,
        False,
    )
    assert columns(sku, site.warehouse)["reserved"] == 3


@pytest.mark.django_db(transaction=True)
def test_a_standalone_hold_of_one_sku_is_one_statement_and_still_all_or_nothing(site):
    cup = SKUFactory(code="ONE-CUP")
    pair = SKUFactory(code="CUP-PAIR")
    bundle_set_components(bundle=pair, components=[(cup, 2)])
    pair.refresh_from_db()
    receive(cup, site.pick_a, 7)

    with CaptureQueriesContext(connection) as queries:
        reservations = services.stock_reserve(
            warehouse=site.warehouse,
            lines=[line(pair, 2, "SO-7"), line(cup, 1, "SO-8")],
        )
    with pytest.raises(InsufficientStock) as error:
        services.stock_reserve(warehouse=site.warehouse, lines=[line(pair, 1), line(cup, 1)])
    locks = services.stock_lock(warehouse=site.warehouse, lines=[line(cup, 2)], reason="直播")

    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1 and "WITH taken AS (UPDATE" in writes[0]
    assert [
        (r.pk is not None, r.sku, r.quantity, r.bundle, r.reference_id) for r in reservations
    ] == [
        (True, cup, 4, pair, "SO-7"),
        (True, cup, 1, None, "SO-8"),
    ]
    assert str(error.value) == (
        "Not enough stock available: ONE-CUP in SH: wanted 3, available 2 (component of CUP-PAIR)."
    )
    assert Reservation.objects.filter(sku=cup).count() == 2
    assert StockLock.objects.get().pk == locks[0].pk
    assert columns(cup, site.warehouse) | {"stock_status": None} == {
        "on_hand": 7,
        "reserved": 5,
        "locked": 2,
        "defective": 0,
        "available": 0,
        "stock_status": None,
    }
    assert_ledger_agrees()
