"""Finance writes, one module per concern (``receivables``, ``payables``, ``month_end``);
the public names are re-exported here."""

from finance.services.payables import (  # noqa: F401
    BillLineInput,
    bill_approve,
    bill_cancel,
    bill_create,
    bill_draft_from_receipts,
    supplier_payment_record,
)
