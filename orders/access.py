"""Permissions of orders that guard facts rather than models (see ``staff.roles``)."""

# Credit limit and payment terms of customers: finance and management only.
VIEW_CUSTOMER_CREDIT = "orders.view_customer_credit"
CREDIT_FIELDS = ("credit_limit", "payment_days")

# The steps of an order's fulfilment, each its own permission on ``SalesOrder`` (granted by
# ``staff.roles.STEP_ACCESS``): support takes orders, finance confirms payment, the warehouse
# picks, packs and ships. ``change_salesorder`` only edits an order's note in the admin.
CONFIRM_PAYMENT = "orders.confirm_payment"
PICK_ORDER = "orders.pick_order"
PACK_ORDER = "orders.pack_order"
SHIP_ORDER = "orders.ship_order"
CANCEL_ORDER = "orders.cancel_order"
COMPLETE_ORDER = "orders.complete_order"
