"""Files in and out: import files read into rows, the ledger written to GIS formats.

Modules: ``table`` (the row types readers and writers share), ``readers/`` and
``writers/`` (one module per format, dispatch in each ``__init__``), ``importer``
(rows checked against the ledger model and written all-or-nothing), ``columns``
(header names and their aliases), ``sheets`` (header rows of CSV and XLSX tables),
``cells`` (spreadsheet cells that never run as formulas), ``charsets`` (one text
encoding per file) and ``safety`` (first bytes, zip limits).

May import: ``geo.ledger``, ``geo.errors``, ``geo.crs``, ``geo.writes`` and
``geo.store`` (the importer only); readers never import writers nor the reverse.
"""
