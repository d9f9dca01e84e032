"""Read-only foreign keys in the admin link to the related object only for staff who may open
it; others see its name as text, never a link that answers 403."""

import re

import pytest
from django.urls import reverse

from inventory.models import StockMove


def _slot_links(html: str) -> list[str]:
    return re.findall(r'href="(/admin/inventory/slot/\d+/change/)"', html)


@pytest.mark.django_db
def test_a_stock_move_links_its_slot_only_for_roles_that_may_open_slots(client_as):
    from tests.staff.support import build_world

    build_world()
    move = StockMove.objects.filter(to_slot__isnull=False).order_by("pk").first()
    url = reverse("admin:inventory_stockmove_change", args=[move.pk])

    purchaser = client_as("purchaser").get(url)
    assert purchaser.status_code == 200
    assert _slot_links(purchaser.content.decode()) == []
    assert move.to_slot.code in purchaser.content.decode()

    manager = client_as("manager")
    links = _slot_links(manager.get(url).content.decode())
    assert links, "the manager may open slots and gets the link"
    assert all(manager.get(link).status_code == 200 for link in links)
