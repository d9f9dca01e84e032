"""Permissions of finance that guard steps rather than models (see ``staff.roles``)."""

# Approving a supplier bill for payment, after its three-way match: finance alone.
APPROVE_BILL = "finance.approve_supplierbill"
