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

    from orders import services

    sku = SKUFactory()
    receive(sku, shops.site.pick_a, 5)
    real, calls = services._order_place, []

    class Deadlock(Exception):
        pgcode = "40P01"  # what psycopg2 reports for PostgreSQL's deadlock_detected

    def deadlocks_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return real(**kwargs)

    monkeypatch.setattr(services, "_order_place", deadlocks_once)
    order = channel_order(shops.tmall, line(sku, 1))
    assert len(calls) == 2 and order.status == OrderStatus.ALLOCATED
