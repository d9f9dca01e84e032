import threading

import pytest
from django.db import connection

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, receive

BUYERS = 50


@pytest.mark.django_db(transaction=True)
def test_reserve_never_oversells_when_fifty_buyers_race_for_ten_units(site):
    sku = SKUFactory(code="HOT-1")
    receive(sku, site.pick_a, 10)
    start = threading.Barrier(BUYERS)
    outcomes: list[str] = []

    def buy(n: int) -> None:
        try:
            start.wait()
            services.stock_reserve(
                warehouse=site.warehouse,
                lines=[services.StockLine(sku, 1, "sales_order", f"SO-{n}")],
            )
            outcomes.append("reserved")
        except InsufficientStock as error:
            assert error.shortfalls[0].wanted == 1
            outcomes.append("short")
        except Exception as error:  # any other failure is the test's failure
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["reserved"] * 10 + ["short"] * 40
    assert columns(sku, site.warehouse)["reserved"] == 10
    assert columns(sku, site.warehouse)["available"] == 0
    assert Reservation.objects.filter(sku=sku).count() == 10
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_concurrent_multi_line_reservations_and_moves_neither_deadlock_nor_drift(site):
    a, b = SKUFactory(code="RACE-A"), SKUFactory(code="RACE-B")
    receive(a, site.pick_a, 100)
    receive(b, site.pick_b, 100)
    workers = 12
    start = threading.Barrier(workers)
    failures: list[str] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for round_ in range(5):
                first, second = (a, b) if (n + round_) % 2 else (b, a)
                reservations = services.stock_reserve(
                    warehouse=site.warehouse,
                    lines=[services.StockLine(first, 1), services.StockLine(second, 1)],
                )
                if n % 3 == 0:
                    services.stock_transfer(
                        sku=first, from_slot=first_slot(first), to_slot=site.reserve, quantity=1
                    )
                if n % 2 == 0:
                    services.stock_pick(reservations=reservations)
                    services.stock_ship(reservations=reservations)
                else:
                    services.stock_release(reservations=reservations)
        except Exception as error:
            failures.append(repr(error))
        finally:
            connection.close()

    def first_slot(sku):
        return site.pick_a if sku == a else site.pick_b

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    shipped_each = 5 * len(range(0, workers, 2))
    assert columns(a, site.warehouse)["on_hand"] == 100 - shipped_each
    assert columns(a, site.warehouse)["reserved"] == 0
    assert_ledger_agrees()
