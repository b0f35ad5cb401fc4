"""Readers for zipped Shapefiles, KML and XLSX, and the GeoPackage view guard.

Each is called by :func:`geo.io.readers.read_raw` only after the file's
first bytes were checked against its format (:mod:`geo.io.safety`). GDAL
(through pyogrio) opens only files inside Zonewatch's own temporary folder
or the path the caller gave, never a URL or connection string.
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.errors import InputError
from geo.io.columns import canonical_frame
from geo.io.safety import extract_zip

if TYPE_CHECKING:
    from geo.io.readers import RawTable

__all__ = [
    "read_kml",
    "read_xlsx",
    "read_zipped_shapefile",
    "refuse_gpkg_view",
    "table_from_frame",
]

_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_MAX_XLSX_ROWS = 1_000_000


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
    attributes = canonical_frame(attributes)
    return RawTable(attributes.reset_index(drop=True), geometries, {}, crs_hint=crs_hint)


def _read_with_gdal(path: Path, what: str, layer: str | None = None) -> Any:
    import pyogrio

    try:
        return pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore")
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable {what} ({exc})") from None


def read_zipped_shapefile(path: Path, *, max_unzipped_bytes: int) -> RawTable:
    """Read the one Shapefile inside a zip (checked, then extracted to a private folder)."""
    with tempfile.TemporaryDirectory(prefix="zonewatch-shp-") as folder:
        parts = extract_zip(path, Path(folder), suffixes=_SHAPEFILE_PARTS,
                            max_unzipped_bytes=max_unzipped_bytes)
        shps = [p for p in parts if p.suffix.lower() == ".shp"]
        if len(shps) != 1:
            raise InputError(f"{path.name}: expected one .shp in the zip, found {len(shps)}")
        with shps[0].open("rb") as handle:
            if handle.read(4) != b"\x00\x00\x27\x0a":  # Shapefile file code 9994
                raise InputError(f"{path.name}: {shps[0].name} is not a Shapefile")
        return table_from_frame(_read_with_gdal(shps[0], "Shapefile"))


def read_kml(path: Path, layer: str | None = None) -> RawTable:
    """Read every placemark of a KML file (all folders); KML is lon/lat WGS84."""
    import pyogrio

    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL raises several error types for a broken file
        raise InputError(f"{path.name}: not a readable KML file ({exc})") from None
    frames = [_read_with_gdal(path, "KML file", name) for name in names]
    frames = [f for f in frames if len(f)]
    if not frames:
        raise InputError(f"{path.name}: no placemarks")
    import geopandas as gpd

    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    return table_from_frame(merged, crs_hint="wgs84")


def read_xlsx(path: Path, layer: str | None = None) -> RawTable:
    """Read the first sheet of a workbook: a header row, then lon/lat or WKT rows."""
    from openpyxl import load_workbook

    from geo.io.readers import table_from_text_frame

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from None
    try:
        rows = list(_sheet_rows(book.worksheets[0], path))
    finally:
        book.close()
    if not rows:
        raise InputError(f"{path.name}: the first sheet is empty")
    header = [str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(rows[0])]
    body = [[_cell_text(v) for v in row] + [""] * (len(header) - len(row)) for row in rows[1:]]
    frame = pd.DataFrame([r[: len(header)] for r in body], columns=header, dtype=str)
    return table_from_text_frame(frame, path)


def _sheet_rows(sheet: Any, path: Path) -> Any:
    for count, row in enumerate(sheet.iter_rows(values_only=True)):
        if count > _MAX_XLSX_ROWS:
            raise InputError(f"{path.name}: more than {_MAX_XLSX_ROWS} rows")
        if any(v is not None and str(v).strip() for v in row):
            yield row


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
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
