"""Permissions of orders that guard facts rather than models (see ``staff.roles``)."""

# Credit limit and payment terms of customers: finance and management only.
VIEW_CUSTOMER_CREDIT = "orders.view_customer_credit"
CREDIT_FIELDS = ("credit_limit", "payment_days")
