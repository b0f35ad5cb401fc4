"""A station's hours or days as a downloaded table: JSON cells, CSV and XLSX alike.

The readings routes (:mod:`api.routes.observations`, :mod:`api.routes.air`)
answer ``f=csv`` and ``f=xlsx`` with the same columns as their JSON; station
ids are text, never a formula (``geo.io.cells``).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd
from fastapi import Response

from api.responses import report_file_response
from geo.io.cells import csv_text, xlsx_value

__all__ = ["plain_cell", "table_file_response"]


def plain_cell(value: Any) -> Any:
    """Return a cell as JSON: None for missing or NaN, Python scalars for numpy ones.

    Examples
    --------
    >>> plain_cell(np.float64("nan")), plain_cell(np.int64(3))
    (None, 3)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def table_file_response(fmt: str, name: str, table: pd.DataFrame, *, sheet: str) -> Response:
    """Answer ``table`` as ``name.csv`` (UTF-8 with BOM) or ``name.xlsx`` (one sheet)."""
    return report_file_response(fmt, name, csv_text=lambda: _csv(table),
                                write_xlsx=lambda buffer: _xlsx(table, buffer, sheet))


def _csv(table: pd.DataFrame) -> str:
    safe = table.assign(station_id=[csv_text(s) for s in table["station_id"]])
    return "\ufeff" + safe.to_csv(index=False)


def _xlsx(table: pd.DataFrame, buffer: io.BytesIO, sheet_name: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        sheet.append([xlsx_value(sheet, plain_cell(v)) for v in row])
    book.save(buffer)
