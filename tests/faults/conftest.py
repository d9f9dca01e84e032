from tests.orders.conftest import shops, site  # noqa: F401  (the warehouse and its shops)
