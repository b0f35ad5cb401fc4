"""CSV files, and any table of text cells with lon/lat or WKT columns (CSV, XLSX)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError
from geo.io.charsets import decode_text
from geo.io.columns import (
    LAT_COLUMNS,
    LON_COLUMNS,
    WKT_COLUMNS,
    canonical_columns,
)
from geo.io.sheets import csv_rows, frame_from_rows
from geo.io.table import RawTable


def _read_csv(path: Path, layer: str | None) -> RawTable:
    # Rows are numbered by file line, and title lines above the header are skipped.
    text = decode_text(path.read_bytes(), name=path.name)
    frame, numbers, _ = frame_from_rows(csv_rows(text, path=path), path=path, what="CSV file")
    return table_from_text_frame(frame, path, what="CSV file", row_numbers=numbers)

def table_from_text_frame(
    frame: pd.DataFrame, path: Path, *, what: str, row_numbers: list[int] | None = None
) -> RawTable:
    """Return the RawTable of a frame of text cells with lon/lat or WKT columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table under its header row, every cell text.
    path : Path
        The file, for messages.
    what : str
        How messages name the table: ``"CSV file"``, ``"XLSX sheet '台账'"``.
    row_numbers : list of int, optional
        Each row's own number in the file (see :attr:`RawTable.row_numbers`).
    """
    frame = frame.rename(columns=canonical_columns(frame.columns))
    _refuse_duplicate_columns(frame, path)
    geometries, errors, used = _csv_geometries(frame, path, what)
    return RawTable(frame.drop(columns=used), geometries, errors, row_numbers=row_numbers)

def _refuse_duplicate_columns(frame: pd.DataFrame, path: Path) -> None:
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise InputError(f"{path.name}: columns given twice: {', '.join(duplicated)}")

def _first_present(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in frame.columns), None)

def _csv_geometries(
    frame: pd.DataFrame, path: Path, what: str
) -> tuple[list[BaseGeometry | None], dict[int, str], list[str]]:
    lon_col = _first_present(frame, LON_COLUMNS)
    lat_col = _first_present(frame, LAT_COLUMNS)
    wkt_col = _first_present(frame, WKT_COLUMNS)
    if wkt_col is None and (lon_col is None or lat_col is None):
        found = ", ".join(map(str, frame.columns)) or "none"
        raise InputError(
            f"{path.name}: the {what} needs lon/lat columns (lon, lat or 经度, 纬度) or a "
            f"WKT column (wkt) in its header row; columns found: {found}"
        )
    geometries: list[BaseGeometry | None] = []
    errors: dict[int, str] = {}
    for pos in range(len(frame)):
        wkt = frame[wkt_col].iat[pos].strip() if wkt_col else ""
        try:
            if wkt:
                geometries.append(shapely.from_wkt(wkt))
            else:
                geometries.append(_point_from_text(frame, pos, lon_col, lat_col))
        except (ValueError, shapely.errors.ShapelyError) as exc:
            geometries.append(None)
            errors[pos] = str(exc)
    used = [c for c in (lon_col, lat_col, wkt_col) if c is not None]
    return geometries, errors, used

def _point_from_text(
    frame: pd.DataFrame, pos: int, lon_col: str | None, lat_col: str | None
) -> BaseGeometry:
    if lon_col is None or lat_col is None:
        raise ValueError("no WKT and no lon/lat columns")
    lon_text, lat_text = frame[lon_col].iat[pos].strip(), frame[lat_col].iat[pos].strip()
    if not lon_text or not lat_text:
        raise ValueError("lon/lat missing")
    try:
        return shapely.Point(float(lon_text), float(lat_text))
    except ValueError:
        raise ValueError(f"lon/lat {lon_text!r}, {lat_text!r} are not numbers") from None
