"""Celery tasks of finance: thin, idempotent wrappers around services."""

from celery import shared_task

from finance.services import receivables


@shared_task(name="finance.invoices_issue")
def invoices_issue() -> dict[str, int]:
    """Invoice the credit orders shipped by today, then credit their refunded returns.

    Runs daily (``CELERY_BEAT_SCHEDULE``); safe to run twice: an order is invoiced once, a
    return credited once. A return that cannot be credited (its refund is more than the
    invoice has outstanding) is left for finance and counted.
    """
    invoices = receivables.invoices_issue()
    notes, problems = receivables.credit_notes_issue()
    return {"invoices": len(invoices), "credit notes": len(notes), "left": len(problems)}
