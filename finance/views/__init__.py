"""Finance pages, one module per concern (prices, receivables, payables, reports)."""
