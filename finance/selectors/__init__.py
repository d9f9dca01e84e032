"""Finance reads, one module per concern: ``receivables`` (invoices, ageing, overdue
customers) and ``payables`` (bills, ageing, approval queue). Each concern has its own ageing
row types, so they are imported by module: ``from finance.selectors import receivables``."""
