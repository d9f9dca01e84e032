import pytest
from django.db import connection

from tests.factories import SKUFactory


@pytest.mark.django_db
def test_suite_runs_on_postgresql_with_a_valid_tree():
    sku = SKUFactory()
    assert connection.vendor == "postgresql"
    assert sku.product.category.is_leaf_node()
    assert sku.product.category.level == 2
