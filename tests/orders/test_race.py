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
