"""XLSX workbooks: the one sheet holding a table, streamed with openpyxl."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from geo.errors import InputError
from geo.io.columns import count_known
from geo.io.readers.csv import table_from_text_frame
from geo.io.safety import ZIP_ERRORS
from geo.io.sheets import HEADER_SCAN_ROWS, NumberedRow, find_header, frame_from_rows
from geo.io.table import RawTable

_MAX_XLSX_ROWS = 1_000_000

#: What openpyxl raises while it streams a malformed sheet: the zip's errors, XML
#: syntax errors (``SyntaxError`` is the base of both ElementTree's and lxml's),
#: and its own conversions of cell values.
_XLSX_ERRORS: tuple[type[Exception], ...] = (*ZIP_ERRORS, SyntaxError, ValueError, KeyError,
                                             TypeError)

def read_xlsx(path: Path, layer: str | None = None) -> RawTable:
    """Read the sheet holding the table: a header row, then lon/lat or WKT rows.

    Title rows above the header are skipped and rows keep the sheet's own
    numbers (:mod:`geo.io.sheets`). In a workbook of several sheets, the one
    named ``layer`` wins, else the only sheet whose header names known
    fields; with several such sheets the import is refused, naming them.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:  # read-only workbooks unzip and parse each sheet while its rows are read
        sheet = _table_sheet(book, path, layer)
        what = f"sheet {sheet.title!r}"
        frame, numbers, _ = frame_from_rows(_sheet_rows(sheet, path), path=path, what=what)
    except InputError:
        raise
    except _XLSX_ERRORS as exc:
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    finally:
        book.close()
    return table_from_text_frame(frame, path, what=what, row_numbers=numbers)

def _table_sheet(book: Any, path: Path, layer: str | None) -> Any:
    sheets = book.worksheets
    if len(sheets) == 1:
        return sheets[0]
    named = [s for s in sheets if layer is not None and s.title.strip().lower() == layer]
    if named:
        return named[0]
    tables = [s for s in sheets if _has_header(s, path)]
    if len(tables) == 1:
        return tables[0]
    if not tables:
        names = ", ".join(repr(s.title) for s in sheets)
        raise InputError(f"{path.name}: no sheet has a header row naming known fields "
                         f"(名称, 经度, 纬度 or name, lon, lat ...); sheets: {names}")
    names = ", ".join(repr(s.title) for s in tables)
    raise InputError(f"{path.name}: several sheets hold a table ({names}); keep one, "
                     f"or name the one to import {layer!r}")

def _has_header(sheet: Any, path: Path) -> bool:
    rows = list(itertools.islice(_sheet_rows(sheet, path), HEADER_SCAN_ROWS))
    return bool(rows) and count_known(rows[find_header(rows)][1]) >= 2

def _sheet_rows(sheet: Any, path: Path) -> Iterator[NumberedRow]:
    """Yield each non-empty row as text cells, with its row number in the sheet."""
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > _MAX_XLSX_ROWS:
            raise InputError(f"{path.name}: more than {_MAX_XLSX_ROWS} rows")
        cells = [_cell_text(v) for v in row]
        if any(c.strip() for c in cells):
            yield number, cells

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # the cell shows grid 12, never "12.0"
    return str(value)
