from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.enums import MoveKind
from inventory.exceptions import StockMoveImmutable
from inventory.models import StockMove
from tests.factories import SKUFactory
from tests.inventory.support import receive

MESSAGE = (
    "Stock moves cannot be changed or deleted; post a correcting move (adjustment or "
    "transfer) instead."
)


@pytest.fixture
def move(site):
    receive(SKUFactory(), site.receiving, 5)
    return StockMove.objects.get()


def test_saving_a_posted_stock_move_again_is_refused(move):
    move.quantity = 50
    with pytest.raises(StockMoveImmutable) as error:
        move.save()
    assert str(error.value) == MESSAGE
    assert StockMove.objects.get().quantity == 5


def test_deleting_a_stock_move_is_refused(move):
    with pytest.raises(StockMoveImmutable):
        move.delete()
    assert StockMove.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda: StockMove.objects.all().update(quantity=1),
        lambda: StockMove.objects.all().delete(),
        lambda: StockMove.objects.bulk_update(list(StockMove.objects.all()), ["quantity"]),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_bulk_changes_of_stock_moves_are_refused(move, change):
    with pytest.raises(StockMoveImmutable), transaction.atomic():
        change()
    assert StockMove.objects.get().quantity == 5


def test_a_new_move_with_the_pk_of_a_posted_one_does_not_overwrite_it(move):
    copy = StockMove.objects.get()
    copy._state.adding = True
    copy.quantity = 99
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert StockMove.objects.get().quantity == 5


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE inventory_stockmove SET quantity = 1",
        "DELETE FROM inventory_stockmove",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_delete_stock_moves(move, sql):
    with (
        pytest.raises(IntegrityError, match="append-only ledger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert StockMove.objects.get().quantity == 5


def test_the_raw_update_path_of_the_orm_is_stopped_by_the_trigger(move):
    with pytest.raises(IntegrityError), transaction.atomic():
        field = StockMove._meta.get_field("quantity")
        StockMove.objects.filter(pk=move.pk)._update([(field, None, 1)])


def test_the_database_checks_that_a_move_has_the_slots_its_kind_needs(move, site):
    bad = StockMove(
        kind=MoveKind.RECEIPT,
        sku_id=move.sku_id,
        lot=move.lot,
        from_slot=site.receiving,
        to_slot=site.pick_a,
        quantity=1,
        unit_cost=Decimal("1"),
    )
    with pytest.raises(IntegrityError, match="slots_match_kind"), transaction.atomic():
        bad.save()


def test_the_database_refuses_a_move_of_zero_units(move, site):
    bad = StockMove(
        kind=MoveKind.RECEIPT,
        sku_id=move.sku_id,
        lot=move.lot,
        to_slot=site.pick_a,
        quantity=0,
        unit_cost=Decimal("1"),
    )
    with pytest.raises(IntegrityError, match="quantity_positive"), transaction.atomic():
        bad.save()
