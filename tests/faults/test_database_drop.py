"""The database connection dropped in the middle of a write loses nothing and is retried.

Each test ends this process's PostgreSQL backend (``pg_terminate_backend`` from a second
connection) right after a chosen statement of a service has run, inside its transaction:
the service raises, nothing of it is stored, the stock ledger still agrees with the stock
levels, and the same call after reconnecting writes everything exactly once.
"""

import datetime as dt

import psycopg2
import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import Sum
from django.utils import timezone

from catalog import jobs
from catalog.models import SKU, Brand, Category, Product
from catalog.tasks import import_workbook
from inventory.models import Lot, Reservation, StockLevel, StockMove, WarehouseStock
from orders import services as order_services
from orders.enums import OrderSource
from orders.models import SalesOrder, SalesOrderLine
from purchasing import services as purchasing_services
from purchasing.models import PurchaseOrderLine, Receipt, ReceiptLine
from tests.catalog.test_workbook_import import row, workbook
from tests.factories import SKUFactory
from tests.faults.support import connection_dropped_after, reconnect
from tests.inventory.support import receive
from tests.orders.support import line
from tests.purchasing.support import offer, placed_order, supplier

pytestmark = pytest.mark.django_db(transaction=True)

# Django wraps driver errors; the bulk COPY path talks to psycopg2 directly.
DROPPED = (DatabaseError, psycopg2.Error)


def stock_snapshot() -> dict:
    """Every figure a half-written stock change would move."""
    return {
        "moves": StockMove.objects.count(),
        "ledger": StockMove.objects.aggregate(n=Sum("quantity"))["n"],
        "slot_on_hand": StockLevel.objects.aggregate(n=Sum("on_hand"))["n"],
        **WarehouseStock.objects.aggregate(
            on_hand=Sum("on_hand"), reserved=Sum("reserved"), backordered=Sum("backordered")
        ),
        "lots": Lot.objects.count(),
        "reservations": Reservation.objects.count(),
    }


def integrity_clean() -> str:
    """Run ``check_stock_integrity`` as an operator would; it raises on any mismatch."""
    from io import StringIO

    out = StringIO()
    call_command("check_stock_integrity", stdout=out)
    return out.getvalue()


def test_an_import_cut_off_mid_write_stores_nothing_and_its_retry_imports_once(admin_user):
    content = workbook([row(f"CUT-{n:03d}", f"P-{n // 2:03d}", brand="断线") for n in range(40)])
    job_id = jobs.job_create(
        content=content, kind="products", dry_run=False, create_categories=True, user=admin_user
    )
    before = (Category.objects.count(), Brand.objects.count(), Product.objects.count())

    # The tree's new categories are written; the brand insert is the last statement that runs.
    with (
        pytest.raises(DROPPED),
        connection_dropped_after(r'INSERT INTO "catalog_brand"') as cut,
    ):
        jobs.job_run(job_id)
    reconnect()

    assert cut.done
    after = (Category.objects.count(), Brand.objects.count(), Product.objects.count())
    assert after == before
    assert not SKU.objects.exists()
    assert jobs.job_get(job_id)["status"] == "running"  # not done: a retry runs it again

    assert jobs.job_run(job_id) == "done"
    assert SKU.objects.count() == 40
    assert Product.objects.count() == 20
    assert Brand.objects.filter(name="断线").count() == 1
    assert SKU.history.filter(history_type="+").count() == 40
    assert jobs.job_run(job_id) == "done"  # a third delivery changes nothing
    assert SKU.objects.count() == 40


def purchasing_snapshot(order) -> dict:
    return {
        **stock_snapshot(),
        "receipts": Receipt.objects.count(),
        "receipt_lines": ReceiptLine.objects.count(),
        "status": type(order).objects.get(pk=order.pk).status,
    }


def test_a_receipt_cut_off_after_its_stock_moves_stores_nothing_and_its_retry_receives_once(
    site,
):
    maker = supplier("CUT")
    shirt, socks = SKUFactory(code="CUT-SHIRT"), SKUFactory(code="CUT-SOCKS")
    offer(shirt, maker, "12.50")
    offer(socks, maker, "3.20")
    order = placed_order(maker, site.warehouse, [(shirt, 10), (socks, 20)])
    receive(shirt, site.pick_a, 5)  # stock that was there before
    lines = [
        purchasing_services.ReceiveLine(order_line, received=n, rejected=1, slot=site.receiving)
        for order_line, n in zip(
            PurchaseOrderLine.objects.filter(order=order).order_by("sku__code"),
            (10, 20),
            strict=True,
        )
    ]
    before = purchasing_snapshot(order)

    with (
        pytest.raises(DROPPED),
        connection_dropped_after(r'INSERT INTO "inventory_stockmove"') as cut,
    ):
        purchasing_services.purchase_order_receive(order=order, lines=lines)
    reconnect()

    assert cut.done
    assert purchasing_snapshot(order) == before
    integrity_clean()

    receipt = purchasing_services.purchase_order_receive(order=order, lines=lines)
    after = purchasing_snapshot(order)
    assert after["receipts"] == before["receipts"] + 1
    assert after["lots"] == before["lots"] + 2
    assert after["on_hand"] == before["on_hand"] + 9 + 19
    assert after["status"] == "partially_received"  # the rejected units are still open
    assert receipt.lines.count() == 2
    assert "OK" in integrity_clean()


def orders_snapshot() -> dict:
    return {
        **stock_snapshot(),
        "orders": SalesOrder.objects.count(),
        "order_lines": SalesOrderLine.objects.count(),
    }


def test_an_order_placement_cut_off_after_its_reservation_stores_nothing_and_its_retry_places_once(
    shops,
):
    tea, cup = SKUFactory(code="CUT-TEA"), SKUFactory(code="CUT-CUP")
    receive(tea, shops.site.pick_a, 5)
    receive(cup, shops.site.pick_b, 1)
    lines = [line(tea, 2), line(cup, 3)]  # one cup for three: that line waits as a backorder

    def place():
        return order_services.order_place(
            shop=shops.tmall,
            lines=lines,
            source=OrderSource.CHANNEL,
            number="TB-CUT-1",
            paid_at=timezone.now(),
        )

    before = orders_snapshot()
    with (
        pytest.raises(DROPPED),
        connection_dropped_after(r'INSERT INTO "inventory_reservation"') as cut,
    ):
        place()
    reconnect()

    assert cut.done
    assert orders_snapshot() == before
    integrity_clean()

    order = place()
    after = orders_snapshot()
    assert (after["orders"], after["order_lines"]) == (before["orders"] + 1, 2)
    assert after["reserved"] == before["reserved"] + 2
    assert after["backordered"] == before["backordered"] + 3
    assert SalesOrder.objects.filter(number="TB-CUT-1").count() == 1
    assert order.lines.count() == 2
    assert "OK" in integrity_clean()


def test_a_batch_of_channel_orders_cut_off_mid_write_stores_none_and_its_retry_places_each_once(
    shops,
):
    tea = SKUFactory(code="CUT-TEA")
    receive(tea, shops.site.pick_a, 10)
    paid = timezone.now() - dt.timedelta(minutes=5)
    batch = [
        order_services.ChannelOrderInput(
            shop=shops.tmall, number=f"TB-BATCH-{n}", lines=[line(tea, 3)], paid_at=paid
        )
        for n in range(4)
    ]
    before = orders_snapshot()

    # The orders and their lines are inserted; the cut falls before their reservations.
    with (
        pytest.raises(DROPPED),
        connection_dropped_after(r'INSERT INTO "orders_salesorderline"') as cut,
    ):
        order_services.channel_orders_place(orders=batch)
    reconnect()

    assert cut.done
    assert orders_snapshot() == before
    integrity_clean()

    outcomes = order_services.channel_orders_place(orders=batch)
    assert [(o.taken, o.error) for o in outcomes] == [(False, None)] * 4
    after = orders_snapshot()
    assert after["orders"] == before["orders"] + 4
    assert after["reserved"] == before["reserved"] + 9  # three orders whole, the fourth waits
    assert after["backordered"] == before["backordered"] + 3
    assert "OK" in integrity_clean()

    again = order_services.channel_orders_place(orders=batch)  # the platform sends them twice
    assert all(o.taken for o in again)
    assert orders_snapshot() == after


def test_an_import_task_cut_off_by_the_database_runs_again_and_imports_once(admin_user):
    content = workbook([row(f"TASK-{n:03d}", f"P-{n // 2:03d}", brand="重试") for n in range(10)])
    job_id = jobs.job_create(
        content=content, kind="products", dry_run=False, create_categories=True, user=admin_user
    )

    with connection_dropped_after(r'INSERT INTO "catalog_brand"') as cut:
        result = import_workbook.apply(args=[job_id], throw=False)

    assert cut.done
    assert result.get() == "done"  # the retry, on a new connection
    assert jobs.job_get(job_id)["status"] == "done"
    assert SKU.objects.count() == 10
    assert SKU.history.filter(history_type="+").count() == 10
