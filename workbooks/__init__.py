"""Reading and writing xlsx workbooks and bulk loading rows into PostgreSQL.

Used by every app's imports, exports and reports; imports no domain app (import-linter
keeps it the lowest layer). See docs/workbooks.md.
"""
