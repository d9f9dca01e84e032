"""Durable by default, fast in batches: a file of channel orders or a backorder run shares
one commit; a batch reports an order it cannot place and keeps the others."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Reservation
from orders import services
from orders.enums import OrderSource, OrderStatus
from orders.exceptions import InvalidOrderInput
from orders.models import SalesOrder
from tests.factories import SKUFactory
from tests.inventory.support import assert_ledger_agrees, columns, receive
from tests.orders.support import channel_order, line

ORDERS = 40


@contextmanager
def statements():
    """Collect every SQL statement the connection sends (savepoints included)."""
    sent: list[str] = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sent


def transactions_that_wrote(model, **filters) -> int:
    """Return how many (sub)transactions wrote the rows: PostgreSQL stamps each row with the
    id of the transaction, or of the savepoint, that inserted it (``xmin``)."""
    table = model._meta.db_table
    ids = list(model.objects.filter(**filters).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(DISTINCT xmin::text) FROM {table} WHERE id = ANY(%s)",
            [ids],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_imported_file_of_forty_orders_commits_once_without_a_savepoint_per_order(
    shops, tmp_path
):
    teas = [SKUFactory(code=f"TEA-{n}") for n in range(4)]
    for tea in teas:
        receive(tea, shops.site.pick_a, 100)
    rows = "".join(
        f"TMALL,TM1,TB{n:04d},buyer-{n},TEA-{n % 4},1,19.90,2026-11-11 00:{n % 60:02d}\n"
        + (f"TMALL,TM1,TB{n:04d},buyer-{n},TEA-{(n + 1) % 4},2,9.90,2026-11-11 00:{n % 60:02d}\n")
        for n in range(ORDERS)
    )
    path = tmp_path / "orders.csv"
    path.write_text(
        "channel,shop,order_number,customer,sku,quantity,unit_price,paid_at\n" + rows,
        encoding="utf-8",
    )

    with statements() as sent:
        call_command("import_orders", str(path), stdout=StringIO(), stderr=StringIO())

    savepoints = [sql for sql in sent if sql.startswith("SAVEPOINT")]
    assert SalesOrder.objects.filter(status=OrderStatus.ALLOCATED).count() == ORDERS
    assert Reservation.objects.count() == 2 * ORDERS
    assert transactions_that_wrote(Reservation) == 1
    assert transactions_that_wrote(SalesOrder) == 1
    # The import's and the batch's blocks inside the command's transaction; none per order.
    assert len(savepoints) <= 2
    assert sum(columns(tea, shops.site.warehouse)["reserved"] for tea in teas) == 3 * ORDERS
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_a_backorder_run_serves_many_waiting_orders_in_one_commit(shops):
    tea = SKUFactory(code="TEA-WAIT")
    waiting = [channel_order(shops.tmall, line(tea, 1), paid_minutes_ago=60 - n) for n in range(12)]
    receive(tea, shops.site.pick_a, 10)

    assert services.backorders_allocate() == 10

    served = [order.number for order in waiting[:10]]
    assert set(
        SalesOrder.objects.filter(status=OrderStatus.ALLOCATED).values_list("number", flat=True)
    ) == set(served)
    assert transactions_that_wrote(Reservation) == 1
    assert columns(tea, shops.site.warehouse)["reserved"] == 10
    assert_ledger_agrees()


def _given(shops, number, sku, quantity=1, minutes_ago=0, **kwargs):
    return services.ChannelOrderInput(
        shop=shops.tmall,
        number=number,
        lines=[line(sku, quantity, **kwargs)],
        paid_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
    )


def test_a_batch_reports_a_bad_order_and_keeps_the_others_with_their_reservations(shops):
    tea, retired = SKUFactory(code="TEA-OK"), SKUFactory(code="TEA-OLD", is_active=False)
    receive(tea, shops.site.pick_a, 10)

    outcomes = services.channel_orders_place(
        orders=[
            _given(shops, "TB-1", tea, 2),
            _given(shops, "TB-2", retired, 1),
            _given(shops, "", tea, 1),
            _given(shops, "TB-4", tea, 3),
        ]
    )

    assert [o.order.number if o.order else None for o in outcomes] == ["TB-1", None, None, "TB-4"]
    assert isinstance(outcomes[1].error, InvalidOrderInput)
    assert "TEA-OLD is not active" in str(outcomes[1].error)
    assert "order number" in str(outcomes[2].error)
    assert set(SalesOrder.objects.values_list("number", flat=True)) == {"TB-1", "TB-4"}
    assert columns(tea, shops.site.warehouse)["reserved"] == 5
    assert_ledger_agrees()


def test_a_batch_skips_an_order_whose_number_was_placed_meanwhile(shops):
    tea = SKUFactory(code="TEA-TWICE")
    receive(tea, shops.site.pick_a, 10)
    channel_order(shops.tmall, line(tea, 1), number="TB-9")

    outcomes = services.channel_orders_place(
        orders=[_given(shops, "TB-9", tea, 4), _given(shops, "TB-10", tea, 2)]
    )

    assert [(o.taken, o.order is not None) for o in outcomes] == [(True, False), (False, True)]
    assert SalesOrder.objects.get(number="TB-9").lines.get().quantity == 1
    assert columns(tea, shops.site.warehouse)["reserved"] == 3


def test_a_batch_serves_the_order_paid_first_when_stock_runs_short(shops):
    tea = SKUFactory(code="TEA-LAST")
    receive(tea, shops.site.pick_a, 1)

    late, early = services.channel_orders_place(
        orders=[_given(shops, "LATE", tea, 1, minutes_ago=1), _given(shops, "EARLY", tea, 1, 30)]
    )

    assert (early.order.status, late.order.status) == (OrderStatus.ALLOCATED, OrderStatus.PAID)
    assert late.order.lines.get().backordered == 1
    assert columns(tea, shops.site.warehouse)["reserved"] == 1
    assert_ledger_agrees()


def _relaxed(queries) -> bool:
    return any("synchronous_commit TO OFF" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_order_waits_for_the_flush_unless_async_commit_is_chosen(shops, settings):
    tea = SKUFactory(code="TEA-SAFE")
    receive(tea, shops.site.pick_a, 10)

    def place():
        return services.order_place(
            shop=shops.desk,
            lines=[line(tea, 1, unit_price=Decimal("9.90"))],
            source=OrderSource.STAFF,
            paid_at=timezone.now(),
        )

    with CaptureQueriesContext(connection) as by_default:
        place()
    settings.ORDERS_PLACE_ASYNC_COMMIT = True
    with CaptureQueriesContext(connection) as chosen:
        place()

    assert (_relaxed(by_default), _relaxed(chosen)) == (False, True)
    assert SalesOrder.objects.filter(status=OrderStatus.ALLOCATED).count() == 2


def test_a_batch_short_in_the_middle_serves_its_orders_as_if_placed_one_after_another(shops):
    tea = SKUFactory(code="TEA-SHORT")
    waiting = channel_order(shops.tmall, line(tea, 1), number="WAITING", paid_minutes_ago=120)
    receive(tea, shops.site.pick_a, 4)  # 4 on the shelf, 1 of them owed to WAITING

    outcomes = services.channel_orders_place(
        orders=[_given(shops, f"NEW-{n}", tea, 1, minutes_ago=10 - n) for n in range(5)]
        + [_given(shops, "EARLIER", tea, 1, minutes_ago=180)]
    )

    status = {o.order.number: o.order.status for o in outcomes}
    assert status == {
        "EARLIER": OrderStatus.ALLOCATED,  # paid before WAITING: served ahead of it
        "NEW-0": OrderStatus.ALLOCATED,
        "NEW-1": OrderStatus.ALLOCATED,
        "NEW-2": OrderStatus.PAID,  # the rest is owed to WAITING
        "NEW-3": OrderStatus.PAID,
        "NEW-4": OrderStatus.PAID,
    }
    assert SalesOrder.objects.get(pk=waiting.pk).status == OrderStatus.PAID
    assert columns(tea, shops.site.warehouse)["reserved"] == 3
    assert services.backorders_allocate() == 1  # the unit left goes to WAITING, paid first
    assert SalesOrder.objects.get(pk=waiting.pk).status == OrderStatus.ALLOCATED
    assert_ledger_agrees()


def test_a_batch_reserves_a_bundle_as_its_components_and_links_them_to_the_line(shops):
    from catalog.services import bundle_set_components
    from orders.models import LineReservation

    cup, pair = SKUFactory(code="CUP"), SKUFactory(code="CUP-PAIR")
    bundle_set_components(bundle=pair, components=[(cup, 2)])
    pair.refresh_from_db()
    receive(cup, shops.site.pick_a, 5)

    (outcome,) = services.channel_orders_place(
        orders=[
            services.ChannelOrderInput(
                shop=shops.tmall,
                number="SET-1",
                lines=[line(pair, 2), line(cup, 1)],
                paid_at=timezone.now(),
            )
        ]
    )

    assert outcome.order.status == OrderStatus.ALLOCATED
    held = LineReservation.objects.filter(line__order=outcome.order).select_related(
        "line", "reservation"
    )
    assert sorted(
        (h.line.line_no, h.reservation.quantity, h.reservation.bundle_id) for h in held
    ) == [
        (1, 4, pair.pk),
        (2, 1, None),
    ]
    assert columns(cup, shops.site.warehouse)["reserved"] == 5
    assert_ledger_agrees()
