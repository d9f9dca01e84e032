"""Finance writes, one module per concern (``receivables``, ``payables``, ``month_end``);
the public names are re-exported here."""

from finance.services.receivables import (
    credit_note_from_return,
    credit_notes_issue,
    invoices_issue,
    payment_record,
)

__all__ = [
    "credit_note_from_return",
    "credit_notes_issue",
    "invoices_issue",
    "payment_record",
]
