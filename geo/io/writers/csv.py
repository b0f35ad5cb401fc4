"""CSV export: UTF-8 with a BOM, lon/lat and WKT columns, formulas neutralised."""

from __future__ import annotations

import csv
from typing import TextIO

from geo.io.cells import csv_text
from geo.io.table import Frames, pages_of
from geo.io.writers.rows import GEOMETRY_COLUMNS, table_rows


def write_csv(frame: Frames, fp: TextIO) -> int:
    """Write ``frame`` (or its pages) as CSV with lon/lat and WKT columns; return the count.

    ``fp`` should be opened with ``encoding="utf-8-sig"`` and ``newline=""``.
    Text cells that a spreadsheet program would run as a formula get a
    leading apostrophe (:func:`geo.io.cells.csv_text`). The header comes
    from the first page.
    """
    writer = csv.writer(fp)
    count = 0
    for number, page in enumerate(pages_of(frame)):
        header, rows = table_rows(page)
        text = [column not in GEOMETRY_COLUMNS for column in header]
        if number == 0:
            writer.writerow(header)
        for cells in rows:
            writer.writerow([csv_text(v) if t else v for v, t in zip(cells, text, strict=True)])
        count += len(page)
    return count
