"""Finance writes, one module per concern (``receivables``, ``payables``, ``month_end``);
the public names are re-exported here."""

from finance.services.payables import (
    BillLineInput,
    bill_approve,
    bill_cancel,
    bill_create,
    bill_draft_from_receipts,
    supplier_payment_record,
)
from finance.services.receivables import (
    credit_note_from_return,
    credit_notes_issue,
    invoices_issue,
    payment_record,
)

__all__ = [
    "BillLineInput",
    "bill_approve",
    "bill_cancel",
    "bill_create",
    "bill_draft_from_receipts",
    "credit_note_from_return",
    "credit_notes_issue",
    "invoices_issue",
    "payment_record",
    "supplier_payment_record",
]
