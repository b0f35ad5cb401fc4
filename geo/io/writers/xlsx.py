"""Excel export: one sheet, a header row, lon/lat and WKT columns."""

from __future__ import annotations

from pathlib import Path

from geo.io.cells import xlsx_value
from geo.io.table import Frames, pages_of
from geo.io.writers.rows import table_rows


def write_xlsx(frame: Frames, path: Path, *, sheet: str) -> int:
    """Write ``frame`` (or its pages) to an .xlsx workbook with one sheet; return the row count.

    The columns are those of the CSV export (lon/lat for points, WKT for all
    geometries), so both formats carry the same values. Numbers stay
    numbers; text goes into explicit string cells, so a value such as
    ``=1+1`` is shown as written and never calculated
    (:func:`geo.io.cells.xlsx_value`).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["S1"], "name": ["=1+1"]})
    >>> write_xlsx(frame, Path(tempfile.mkdtemp()) / "x.xlsx", sheet="sources")
    1
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # rows go straight to disk: exports may be large
    ws = book.create_sheet(title=sheet[:31])
    count = 0
    for number, page in enumerate(pages_of(frame)):  # one page at a time: bounded memory
        header, rows = table_rows(page)
        if number == 0:
            ws.append([xlsx_value(ws, column) for column in header])
        for cells in rows:
            ws.append([xlsx_value(ws, None if v == "" else v) for v in cells])
        count += len(page)
    book.save(path)
    return count
