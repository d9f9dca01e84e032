"""Many buyers at once for the last units, on PostgreSQL: exactly the available units are
reserved; channel orders backorder the rest, staff orders are refused."""

import threading

import pytest
from django.db import connection

from inventory.models import WarehouseStock
from orders.enums import OrderStatus
from orders.exceptions import OrderRefused
from orders.models import SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, receive
from tests.orders.support import channel_order, line, staff_order

BUYERS = 30
UNITS = 10


def race(place) -> list[str]:
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []

    def buy(n: int) -> None:
        try:
            start.wait()
            outcomes.append(place(n).status)
        except OrderRefused as refused:
            assert refused.short_lines[0].wanted == 1
            outcomes.append("refused")
        except Exception as error:  # any other failure is the test's failure
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_channel_orders_racing_for_the_last_units_reserve_exactly_them_and_backorder_the_rest(
    shops,
):
    sku = SKUFactory(code="HOT-1")
    receive(sku, shops.site.pick_a, UNITS)
    outcomes = race(lambda n: channel_order(shops.tmall, line(sku, 1), number=f"TB-{n}"))
    assert sorted(outcomes) == sorted(
        [OrderStatus.ALLOCATED] * UNITS + [OrderStatus.PAID] * (BUYERS - UNITS)
    )
    assert SalesOrder.objects.count() == BUYERS  # every platform sale kept
    assert columns(sku, shops.site.warehouse)["reserved"] == UNITS
    assert columns(sku, shops.site.warehouse)["available"] == 0
    assert WarehouseStock.objects.get(sku=sku).backordered == BUYERS - UNITS
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_staff_orders_racing_for_the_last_units_are_refused_once_they_are_gone(shops):
    sku = SKUFactory(code="HOT-2")
    receive(sku, shops.site.pick_a, UNITS)
    outcomes = race(lambda n: staff_order(shops.desk, line(sku, 1)))
    assert sorted(outcomes) == sorted(
        [OrderStatus.ALLOCATED] * UNITS + ["refused"] * (BUYERS - UNITS)
    )
    assert SalesOrder.objects.count() == UNITS  # refused orders left nothing behind
    assert columns(sku, shops.site.warehouse)["reserved"] == UNITS
    assert WarehouseStock.objects.get(sku=sku).backordered == 0
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_orders_short_of_each_others_skus_neither_fail_nor_drift(shops):
    """Lines in both orders of two scarce SKUs: reservations, backorders and retries after
    a deadlock leave every order placed and the stock columns agreeing with the orders."""
    from django.db.models import Sum

    from orders.models import SalesOrderLine

    a, b = SKUFactory(code="RACE-A"), SKUFactory(code="RACE-B")
    receive(a, shops.site.pick_a, 6)
    receive(b, shops.site.pick_b, 6)

    def place(n: int):
        first, second = (a, b) if n % 2 else (b, a)
        return channel_order(shops.tmall, line(first, 1), line(second, 1), number=f"X-{n}")

    outcomes = race(place)
    assert not [o for o in outcomes if o not in (OrderStatus.ALLOCATED, OrderStatus.PAID)]
    for sku, site_sku in ((a, "RACE-A"), (b, "RACE-B")):
        lines = SalesOrderLine.objects.filter(sku=sku)
        waiting = lines.aggregate(n=Sum("backordered"))["n"]
        assert columns(sku, shops.site.warehouse)["reserved"] == BUYERS - waiting, site_sku
        assert WarehouseStock.objects.get(sku=sku).backordered == waiting
        assert columns(sku, shops.site.warehouse)["reserved"] == 6
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_an_order_aborted_by_a_deadlock_is_placed_again(shops, monkeypatch):
    from django.db import OperationalError

    from orders.services import placement

    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    real, calls = placement._order_place, []

    class Deadlock(Exception):
        pgcode = "40P01"  # what psycopg2 reports for PostgreSQL's deadlock_detected

    def deadlocks_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real(**kwargs)

    monkeypatch.setattr(placement, "_order_place", deadlocks_once)
    order = channel_order(shops.tmall, line(sku, 1))
    assert len(calls) == 2 and order.status == OrderStatus.ALLOCATED


RECEIPT_RACES = 5
NEW_BUYERS = 8


@pytest.mark.django_db(transaction=True)
def test_new_orders_racing_a_receipt_never_take_the_stock_an_earlier_paid_order_waits_for(shops):
    """An order paid two hours ago waits for 2 units; 3 arrive while 8 new orders for 1 unit
    each are placed. Whatever the interleaving, the waiting order is served first and exactly
    one new order gets the spare unit, race after race."""
    for race_no in range(RECEIPT_RACES):
        sku = SKUFactory(code=f"OWED-{race_no}")
        waiting = channel_order(
            shops.tmall, line(sku, 2), number=f"OLD-{race_no}", paid_minutes_ago=120
        )
        assert waiting.status == OrderStatus.PAID
        start = threading.Barrier(NEW_BUYERS + 1)
        outcomes: list[str] = []

        def act(n: int, sku=sku, race_no=race_no, start=start, outcomes=outcomes) -> None:
            try:
                start.wait()
                if n == NEW_BUYERS:
                    receive(sku, shops.site.pick_a, 3)
                    outcomes.append("received")
                else:
                    order = channel_order(shops.tmall, line(sku, 1), number=f"N-{race_no}-{n}")
                    outcomes.append(order.status)
            except Exception as error:  # any other failure is the test's failure
                outcomes.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=act, args=(n,)) for n in range(NEW_BUYERS + 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not [o for o in outcomes if o not in ("received", *OrderStatus.values)], outcomes
        from orders import services

        services.backorders_allocate()
        waiting.refresh_from_db()
        assert waiting.status == OrderStatus.ALLOCATED, f"race {race_no}: {outcomes}"
        new_orders = SalesOrder.objects.filter(number__startswith=f"N-{race_no}-")
        assert sorted(new_orders.values_list("status", flat=True)) == sorted(
            [OrderStatus.ALLOCATED] + [OrderStatus.PAID] * (NEW_BUYERS - 1)
        ), f"race {race_no}: {outcomes}"
        assert columns(sku, shops.site.warehouse)["reserved"] == 3
        assert WarehouseStock.objects.get(sku=sku).backordered == NEW_BUYERS - 1
    assert_ledger_agrees()
