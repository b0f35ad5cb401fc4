"""Excel export: one sheet, a header row, lon/lat and WKT columns."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from geo.io.writers import write_csv

__all__ = ["write_xlsx"]


def write_xlsx(frame: pd.DataFrame, path: Path, *, sheet: str) -> int:
    """Write ``frame`` to an .xlsx workbook with one sheet; return the row count.

    The columns are those of the CSV export (lon/lat for points, WKT for all
    geometries), so both formats carry the same values.
    """
    from openpyxl import Workbook

    buffer = io.StringIO()
    write_csv(frame, buffer)
    buffer.seek(0)
    table = pd.read_csv(buffer, dtype=str, keep_default_na=False)
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    ws.append(list(table.columns))
    numeric = {"lon", "lat", "distance_m", "radius_m", "version", "round"}
    for row in table.itertuples(index=False):
        ws.append([_cell(column, value, numeric) for column, value in zip(table.columns, row,
                                                                           strict=True)])
    book.save(path)
    return len(table)


def _cell(column: str, value: str, numeric: set[str]) -> object:
    if value == "":
        return None
    if column in numeric:
        try:
            return float(value) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            return value
    return value
