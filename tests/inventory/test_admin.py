import pytest
from django.urls import reverse

from inventory import services
from inventory.models import (
    Lot,
    Reservation,
    Slot,
    StockLevel,
    StockLock,
    StockMove,
    Warehouse,
    WarehouseStock,
)
from tests.factories import SKUFactory
from tests.inventory.support import receive

MODELS = [Warehouse, Slot, Lot, StockMove, StockLevel, WarehouseStock, Reservation, StockLock]


@pytest.fixture
def stocked(site):
    sku = SKUFactory(code="ADM-1")
    receive(sku, site.pick_a, 4)
    services.stock_reserve(warehouse=site.warehouse, lines=[services.StockLine(sku, 1)])
    services.stock_lock(warehouse=site.warehouse, lines=[services.StockLine(sku, 1)], reason="x")
    return sku


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_inventory_list_opens_for_a_superuser(admin_client, stocked, model):
    url = reverse(f"admin:inventory_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_the_ledger_cannot_be_edited_from_the_admin(admin_client, stocked):
    move = StockMove.objects.get()
    assert admin_client.get(reverse("admin:inventory_stockmove_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:inventory_stockmove_change", args=[move.pk]), {"quantity": 9}
    )
    assert response.status_code == 403
    assert StockMove.objects.get().quantity == 4


def test_the_stock_list_shows_available(admin_client, stocked):
    response = admin_client.get(reverse("admin:inventory_warehousestock_changelist"))
    assert b'<td class="field-available">2</td>' in response.content
