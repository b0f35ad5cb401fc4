"""Readers for KML and XLSX, GDAL frames, and the GeoPackage view guard.

Each is called by :func:`geo.io.readers.read_raw` only after the file's
first bytes were checked against its format (:mod:`geo.io.safety`). GDAL
(through pyogrio) opens only files inside Zonewatch's own temporary folder
or the path the caller gave, never a URL or connection string.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.errors import InputError
from geo.io.columns import canonical_frame, count_known, crs_labels_as_text
from geo.io.safety import ZIP_ERRORS
from geo.io.sheets import HEADER_SCAN_ROWS, NumberedRow, find_header, frame_from_rows

if TYPE_CHECKING:
    from geo.io.readers import RawTable

__all__ = [
    "layer_names",
    "read_gpkg_rows",
    "read_kml",
    "read_with_gdal",
    "read_xlsx",
    "refuse_gpkg_view",
    "table_from_frame",
]

_MAX_XLSX_ROWS = 1_000_000
#: What openpyxl raises while it streams a malformed sheet: the zip's errors, XML
#: syntax errors (``SyntaxError`` is the base of both ElementTree's and lxml's),
#: and its own conversions of cell values.
_XLSX_ERRORS: tuple[type[Exception], ...] = (*ZIP_ERRORS, SyntaxError, ValueError, KeyError,
                                             TypeError)


def table_from_frame(frame: Any, crs_hint: str | None = None) -> RawTable:
    """Return the RawTable of a GeoDataFrame read by GDAL, with canonical columns.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        What pyogrio read.
    crs_hint : str, optional
        The coordinate label to assume; by default the frame's own EPSG code
        when it is not lon/lat.
    """
    from geo.io.readers import RawTable

    if crs_hint is None and frame.crs is not None and frame.crs.to_epsg() not in (None, 4326):
        crs_hint = f"EPSG:{frame.crs.to_epsg()}"
    geometries = list(frame.geometry)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    attributes = crs_labels_as_text(canonical_frame(attributes))
    return RawTable(attributes.reset_index(drop=True), geometries, {}, crs_hint=crs_hint)


def layer_names(path: Path, what: str) -> list[str]:
    """Return the layer names GDAL sees in ``path``; InputError naming ``what`` if unreadable."""
    import pyogrio

    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable {what} ({exc})") from None


def read_with_gdal(path: Path, what: str, layer: str | None = None, **options: Any) -> Any:
    """Read one layer of ``path`` with GDAL; InputError naming ``what`` if it cannot.

    ``options`` go to :func:`pyogrio.read_dataframe` (``max_features``, ``sql`` ...).
    """
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore", **options)
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable {what} ({exc})") from None


def read_gpkg_rows(path: Path, layer: str) -> Any:
    """Read every row of the GeoPackage table ``layer``, as many as the table holds.

    GDAL reads as many features as ``gpkg_ogr_contents.feature_count`` says,
    a cache that other programs leave stale; the table's own ``COUNT(*)``
    decides instead, and a read that still comes back short is refused.

    Raises
    ------
    InputError
        When the file cannot be read or fewer rows come back than the table has.
    """
    quoted = '"' + layer.replace('"', '""') + '"'  # a table name refuse_gpkg_view checked
    counted = read_with_gdal(path, "GeoPackage", sql=f"SELECT COUNT(*) AS n FROM {quoted}",
                             read_geometry=False)
    rows = int(counted.iloc[0, 0])
    frame = read_with_gdal(path, "GeoPackage", layer, max_features=rows)
    if len(frame) != rows:
        raise InputError(f"{path.name}: layer {layer!r} holds {rows} rows but {len(frame)} "
                         f"could be read")
    return frame


def read_kml(path: Path, layer: str | None = None) -> RawTable:
    """Read every placemark of a KML file (all folders); KML is lon/lat WGS84.

    The record id is the placemark's ExtendedData ``id`` (where Zonewatch's
    export puts the ledger id, and which GDAL renames ``id2``), else the
    Placemark's own ``id`` attribute unless GDAL made it up (``layer.N``).
    """
    names = layer_names(path, "KML file")
    read = ((read_with_gdal(path, "KML file", name), name) for name in names)
    # Google Earth writes empty folders: a layer of no placemarks adds nothing.
    frames = [_kml_frame(frame, name) for frame, name in read if len(frame)]
    if not frames:
        raise InputError(f"{path.name}: no placemarks")
    import geopandas as gpd

    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    return table_from_frame(merged, crs_hint="wgs84")


# Columns GDAL's KML reader adds for KML's own elements; dropped when they say nothing.
_KML_DEFAULTS = {"description": (), "timestamp": (), "begin": (), "end": (),
                 "altitudeMode": (), "tessellate": (-1,), "extrude": (0,),
                 "visibility": (-1,), "drawOrder": (), "icon": ()}


def _kml_frame(frame: Any, layer: str) -> Any:
    generated = re.compile(rf"{re.escape(layer)}\.\d+")
    placemark = frame["id"] if "id" in frame else pd.Series(None, index=frame.index)
    placemark = placemark.map(lambda v: None if _blank(v) or generated.fullmatch(str(v)) else v)
    extended = frame["id2"] if "id2" in frame else pd.Series(None, index=frame.index)
    frame = frame.drop(columns=[c for c in ("id2",) if c in frame])
    frame["id"] = [p if _blank(e) else e for e, p in zip(extended, placemark, strict=True)]
    empty = [c for c, defaults in _KML_DEFAULTS.items()
             if c in frame and all(_blank(v) or v in defaults for v in frame[c])]
    return frame.drop(columns=empty)


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is a value
        return False


def read_xlsx(path: Path, layer: str | None = None) -> RawTable:
    """Read the sheet holding the table: a header row, then lon/lat or WKT rows.

    Title rows above the header are skipped and rows keep the sheet's own
    numbers (:mod:`geo.io.sheets`). In a workbook of several sheets, the one
    named ``layer`` wins, else the only sheet whose header names known
    fields; with several such sheets the import is refused, naming them.
    """
    from openpyxl import load_workbook

    from geo.io.readers import table_from_text_frame

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


def refuse_gpkg_view(path: Path, layer: str) -> None:
    """Refuse a GeoPackage layer that is a view, not a table.

    The file is opened read-only and immutable: nothing in it runs, no
    journal is created; only its catalogue is read.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            row = conn.execute(
                "SELECT type FROM sqlite_master WHERE name = ?", (layer,)
            ).fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{path.name}: not a readable GeoPackage ({exc})") from None
    if row is None or row[0] != "table":
        raise InputError(f"{path.name}: layer {layer!r} is not a table (views are not imported)")
