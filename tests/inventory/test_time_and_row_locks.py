"""Stock services record the time a move happened (``at=``) and lend their row locks to
callers through ``stock_rows_lock``."""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from inventory import services
from inventory.enums import MoveKind
from inventory.models import Reservation, StockLock, StockMove, WarehouseStock
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, receive


def _day(days_ago: int, hour: int) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.mark.django_db
def test_a_sale_posted_with_past_times_shows_those_times_in_the_ledger(site):
    sku = SKUFactory()
    received, packed, shipped = _day(30, 9), _day(3, 15), _day(3, 17)
    receive(sku, site.pick_a, 5, received_at=received, at=received)
    held = services.stock_reserve(
        warehouse=site.warehouse, lines=[services.StockLine(sku, 2)], at=_day(3, 10)
    )
    services.stock_pick(reservations=held, to_slot=site.packing, at=packed)
    services.stock_ship(reservations=held, at=shipped)

    times = dict(StockMove.objects.filter(sku=sku).values_list("kind", "created_at"))
    assert times == {MoveKind.RECEIPT: received, MoveKind.PICK: packed, MoveKind.SHIP: shipped}
    assert Reservation.objects.get(pk=held[0].pk).created_at == _day(3, 10)
    assert_ledger_agrees()


@pytest.mark.django_db
def test_moves_and_locks_without_a_time_are_stamped_now(site):
    sku = SKUFactory()
    before = timezone.now()
    receive(sku, site.pick_a, 5)
    services.stock_adjust(sku=sku, slot=site.pick_a, quantity=-1, reason="broken")
    lock = services.stock_lock(
        warehouse=site.warehouse, lines=[services.StockLine(sku, 1)], reason="promotion"
    )[0]
    after = timezone.now()
    assert all(before <= t <= after for t in StockMove.objects.values_list("created_at", flat=True))
    assert before <= StockLock.objects.get(pk=lock.pk).created_at <= after


@pytest.mark.django_db
def test_count_adjust_scrap_transfer_and_return_take_the_time_given(site):
    from inventory.enums import ReturnDisposition

    sku = SKUFactory()
    receive(sku, site.pick_a, 10)
    when = _day(2, 11)
    services.stock_transfer(
        sku=sku, from_slot=site.pick_a, to_slot=site.pick_b, quantity=1, at=when
    )
    services.stock_adjust(sku=sku, slot=site.pick_a, quantity=-1, reason="lost", at=when)
    services.stock_scrap(sku=sku, slot=site.pick_a, quantity=1, reason="broken", at=when)
    services.stock_count(lines=[services.CountLine(site.pick_a, sku, 6)], at=when)
    services.stock_return(
        sku=sku,
        warehouse=site.warehouse,
        quantity=1,
        disposition=ReturnDisposition.SCRAP,
        at=when,
    )
    later = StockMove.objects.exclude(kind=MoveKind.RECEIPT)
    assert set(later.values_list("created_at", flat=True)) == {when}
    assert_ledger_agrees()


@pytest.mark.django_db
def test_stock_rows_lock_creates_the_missing_rows_of_a_warehouse(site):
    known, new = SKUFactory(), SKUFactory()
    receive(known, site.pick_a, 3)
    with transaction.atomic():
        services.stock_rows_lock(warehouse=site.warehouse, sku_ids=[new.pk, known.pk])
    rows = WarehouseStock.objects.filter(warehouse=site.warehouse).order_by("sku_id")
    assert [(row.sku_id, row.on_hand) for row in rows] == sorted([(known.pk, 3), (new.pk, 0)])


@pytest.mark.django_db(transaction=True)
def test_stock_rows_lock_holds_the_rows_until_the_caller_commits(site):
    sku = SKUFactory()
    receive(sku, site.pick_a, 3)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                services.stock_rows_lock(warehouse=site.warehouse, sku_ids={sku.pk})
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        with pytest.raises(OperationalError), transaction.atomic():
            list(
                WarehouseStock.objects.filter(sku=sku)
                .select_for_update(nowait=True)
                .values_list("pk")
            )
    finally:
        release.set()
        holder.join()
    with transaction.atomic():
        services.stock_rows_lock(warehouse=site.warehouse, sku_ids={sku.pk})


@pytest.mark.django_db
def test_reserving_many_requests_stops_at_the_first_short_one_and_holds_nothing_of_it(site):
    tea, cup = SKUFactory(code="TEA"), SKUFactory(code="CUP")
    receive(tea, site.pick_a, 5)
    receive(cup, site.pick_a, 1)
    services.stock_backorder_change(warehouse=site.warehouse, sku=tea, change=1)
    lines = services.StockLine

    result = services.stock_reserve_many(
        warehouse=site.warehouse,
        requests=[
            [lines(tea, 2, "so", "A")],
            [lines(tea, 1, "so", "B"), lines(cup, 1, "so", "B")],
            [lines(tea, 2, "so", "C")],  # 1 free: the 5th unit is owed to the backorder
            [lines(tea, 1, "so", "D")],
        ],
    )

    assert result.short == 2
    assert [
        [(r.sku, r.quantity, r.reference_id) for r in held] for held in result.reservations
    ] == [
        [(tea, 2, "A")],
        [(tea, 1, "B"), (cup, 1, "B")],
    ]
    assert Reservation.objects.filter(reference_id__in=["C", "D"]).count() == 0
    assert WarehouseStock.objects.get(sku=tea).reserved == 3
    assert WarehouseStock.objects.get(sku=cup).reserved == 1
    assert_ledger_agrees()
