"""Demo purchasing: every supplier type, offers, orders in every state with receipts (late,
rejected), restock suggestions and late orders for the purchaser; the ledger still agrees."""

from io import StringIO

import pytest
from django.db import transaction
from django.utils import translation

from catalog.demo import seed_catalog
from inventory import selectors as inventory_selectors
from inventory.demo import seed_stock
from purchasing import reports, selectors
from purchasing.demo import purchasing_reset, seed_purchasing
from purchasing.enums import PurchaseOrderStatus, SupplierType
from purchasing.models import PurchaseOrder, ReceiptLine, Supplier, SupplierOffer


@pytest.fixture(scope="class")
def tiny(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
        translation.override("en"),
    ):
        seed_catalog(scale="tiny")
        seed_stock(scale="tiny", seed=42)
        out = StringIO()
        counts = seed_purchasing(scale="tiny", seed=42, stdout=out)
        yield counts, out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.usefixtures("db")
class TestTinyDemoPurchasing:
    def test_suppliers_of_all_four_types_named_after_olist_sellers(self, tiny):
        assert set(Supplier.objects.values_list("supplier_type", flat=True)) == set(
            SupplierType.values
        )
        assert Supplier.objects.filter(code__startswith="SUP-").count() == 8
        assert SupplierOffer.objects.filter(valid_to__isnull=False).exists()  # some expired

    def test_orders_in_every_state_with_receipts_late_and_rejected(self, tiny):
        counts, out = tiny
        states = set(PurchaseOrder.objects.values_list("status", flat=True))
        assert states == set(PurchaseOrderStatus.values)
        assert ReceiptLine.objects.filter(rejected_quantity__gt=0).exists()
        assert selectors.late_orders().exists()
        assert counts["receipts"] >= 4 and "Suppliers, offers and purchase orders" in out

    def test_the_purchaser_has_restock_suggestions_and_the_ledger_agrees(self, tiny):
        assert len(reports.suggestions()) > 0
        assert inventory_selectors.stock_integrity_mismatches() == []
        scores = [c.score for c in selectors.supplier_scorecards().values()]
        assert len(set(scores)) > 2  # suppliers differ

    def test_seeding_again_is_skipped_and_reset_empties_purchasing(self, tiny):
        out = StringIO()
        assert seed_purchasing(scale="tiny", stdout=out) == {}
        assert "skipped" in out.getvalue()
        with transaction.atomic():
            purchasing_reset()
            assert not Supplier.objects.exists() and not PurchaseOrder.objects.exists()
            transaction.set_rollback(True)
