"""Random sequences of stock operations leave the stock caches equal to the ledger."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inventory import selectors, services
from inventory.enums import ReturnDisposition
from inventory.exceptions import InventoryError
from inventory.models import Reservation, StockLevel, WarehouseStock
from tests.factories import SKUFactory

SKUS = 2
STORAGE = ("receiving", "pick_a", "pick_b", "reserve", "quarantine")
quantity = st.integers(min_value=1, max_value=12)
sku_index = st.integers(min_value=0, max_value=SKUS - 1)
slot_name = st.sampled_from(STORAGE)
reservation_index = st.integers(min_value=0, max_value=20)

receipts = st.tuples(
    st.just("receive"), sku_index, slot_name, quantity, st.sampled_from(["1.00", "2.50", "3.75"])
)
operations = st.lists(
    st.one_of(
        receipts,
        receipts,  # twice as likely: most other operations need stock
        st.tuples(st.just("reserve"), sku_index, st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("pick"), reservation_index),
        st.tuples(st.just("ship"), reservation_index),
        st.tuples(st.just("release"), reservation_index),
        st.tuples(st.just("transfer"), sku_index, slot_name, slot_name, quantity),
        st.tuples(st.just("adjust"), sku_index, slot_name, st.integers(-8, 8).filter(bool)),
        st.tuples(
            st.just("return"), sku_index, quantity, st.sampled_from(ReturnDisposition.values)
        ),
        st.tuples(st.just("count"), sku_index, slot_name, st.integers(0, 15)),
    ),
    min_size=1,
    max_size=25,
)


def run(op, site, skus, reservations):
    name, *args = op
    pick_reservation = lambda i: [reservations[i % len(reservations)]]  # noqa: E731
    if name == "receive":
        sku, slot, units, cost = args
        services.stock_receive(
            slot=getattr(site, slot),
            lines=[services.ReceiptLine(skus[sku], units, Decimal(cost))],
        )
    elif name == "reserve":
        sku, units = args
        reservations.extend(
            services.stock_reserve(
                warehouse=site.warehouse, lines=[services.StockLine(skus[sku], units)]
            )
        )
    elif name in {"pick", "ship", "release"} and reservations:
        service = {
            "pick": services.stock_pick,
            "ship": services.stock_ship,
            "release": services.stock_release,
        }[name]
        service(reservations=pick_reservation(args[0]))
    elif name == "transfer":
        sku, source, target, units = args
        services.stock_transfer(
            sku=skus[sku],
            from_slot=getattr(site, source),
            to_slot=getattr(site, target),
            quantity=units,
        )
    elif name == "adjust":
        sku, slot, units = args
        services.stock_adjust(
            sku=skus[sku], slot=getattr(site, slot), quantity=units, reason="property test"
        )
    elif name == "return":
        sku, units, disposition = args
        services.stock_return(
            sku=skus[sku],
            warehouse=site.warehouse,
            quantity=units,
            disposition=disposition,
            unit_cost=Decimal("1.10"),
            restock_slot=site.pick_a,
        )
    elif name == "count":
        sku, slot, counted = args
        services.stock_count(lines=[services.CountLine(getattr(site, slot), skus[sku], counted)])


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_of_stock_operations_keeps_levels_equal_to_the_ledger(site, ops):
    with transaction.atomic():
        skus = [SKUFactory(code=f"PROP-{i}") for i in range(SKUS)]
        reservations: list[Reservation] = []
        for sku in skus:
            run(("receive", skus.index(sku), "pick_a", 10, "2.00"), site, skus, reservations)
        for op in ops:
            try:
                with transaction.atomic():
                    run(op, site, skus, reservations)
                event(f"{op[0]} done")
            except InventoryError as error:
                event(f"{op[0]} refused: {type(error).__name__}")  # refused whole

        assert selectors.stock_integrity_mismatches() == []
        assert not StockLevel.objects.filter(on_hand__lt=0).exists()
        stock = WarehouseStock.objects.annotate_available()
        assert not stock.filter(available__lt=0).exists()
        assert not stock.filter(reserved__gt=F("on_hand")).exists()
        transaction.set_rollback(True)
