"""Finance writes, one module per concern (``receivables``, ``payables``, ``month_end``);
the public names are re-exported here."""
