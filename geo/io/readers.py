"""Read import files into a :class:`RawTable`: attributes plus raw geometry.

Readers do not validate the ledger model; they only turn a file into rows.
A row whose geometry cannot even be parsed keeps ``None`` geometry and a
``geometry_error`` so the importer can reject exactly that row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError, RowError
from geo.io.charsets import decode_text
from geo.io.columns import (
    LAT_COLUMNS,
    LON_COLUMNS,
    WKT_COLUMNS,
    canonical_columns,
    crs_labels_as_text,
)
from geo.io.more_readers import (
    layer_names,
    read_gpkg_rows,
    read_kml,
    read_xlsx,
    refuse_gpkg_view,
    table_from_frame,
)
from geo.io.safety import MAX_UNZIPPED_BYTES, check_content, check_zip
from geo.io.shapefiles import read_zipped_shapefiles
from geo.io.sheets import csv_rows, frame_from_rows

__all__ = ["RawTable", "check_input_path", "detect_format", "read_raw"]

_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shp",
    ".kml": "kml",
    ".xlsx": "xlsx",
}


@dataclass
class RawTable:
    """Rows read from a file, before any validation.

    ``attributes`` has canonical column names (see :mod:`geo.io.columns`),
    one row per record, values as read. ``geometries`` holds each row's
    geometry in the file's coordinates (None when the file has none);
    ``geometry_errors`` maps a 0-based row position to why it could not be
    parsed. ``crs_hint`` is a coordinate label the file itself declares.
    ``row_numbers`` gives each row the number a person finds it by (the
    sheet's row, the CSV line; by default 1, 2, ... in file order) and
    ``row_origins`` the file inside an archive each row came from, if several.
    ``numbers_as_text``: whether a number in a text field is the text it shows
    (a spreadsheet cell or a GIS file's numeric column, where grid ``12`` is
    typed as a number); False for JSON, whose strings and numbers are distinct
    and a number for a text field is refused.
    """

    attributes: pd.DataFrame
    geometries: list[BaseGeometry | None]
    geometry_errors: dict[int, str] = field(default_factory=dict)
    crs_hint: str | None = None
    row_numbers: list[int] | None = None
    row_origins: list[str] | None = None
    numbers_as_text: bool = True

    def row_number(self, pos: int) -> int:
        """Return the number of the row at 0-based position ``pos`` as the file numbers it."""
        return self.row_numbers[pos] if self.row_numbers is not None else pos + 1

    def row_error(self, pos: int, reason: str) -> RowError:
        """Return the rejection of the row at ``pos``, naming its file inside an archive."""
        if self.row_origins is not None:
            reason = f"{self.row_origins[pos]}: {reason}"
        return RowError(self.row_number(pos), reason)


def detect_format(path: Path) -> str:
    """Return the import format of ``path`` from its suffix.

    Raises
    ------
    InputError
        For a suffix Zonewatch does not import.
    """
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise InputError(f"{path.name}: unsupported file type {path.suffix!r}; expected {known}")
    return fmt


def check_input_path(path: Path) -> str:
    """Return the import format of ``path`` after checking it names a file to read.

    Raises
    ------
    InputError
        For a folder, a missing file or a suffix Zonewatch does not import.
    """
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file; name a file inside it")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return detect_format(path)


def read_raw(
    path: Path, *, layer: str | None = None, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES
) -> RawTable:
    """Read an import file into a RawTable.

    Formats: CSV, GeoJSON, GeoPackage, zipped Shapefile (``.zip``), KML and
    XLSX. The name decides the format and the first bytes must agree
    (:func:`geo.io.safety.check_content`) before any reader opens the file.
    Text is UTF-8 or GB18030, decided once per file
    (:func:`geo.io.charsets.decode_text`); a file nested deeper than the
    parsers can follow is refused, as is a malformed zip.

    Parameters
    ----------
    path : Path
        The file to read.
    layer : str, optional
        For a GeoPackage with several layers, the layer to read (defaults to
        a layer of that name, else the only layer).
    max_unzipped_bytes : int
        Largest total size a zip (Shapefile, XLSX) may unpack to.
    """
    fmt = check_input_path(path)
    check_content(path, fmt)
    if fmt in ("shp", "xlsx"):
        check_zip(path, max_unzipped_bytes=max_unzipped_bytes)
    try:
        if fmt == "shp":
            return read_zipped_shapefiles(path, max_unzipped_bytes=max_unzipped_bytes)
        reader = {"csv": _read_csv, "geojson": _read_geojson, "gpkg": _read_gpkg,
                  "kml": read_kml, "xlsx": read_xlsx}
        return reader[fmt](path, layer)
    except RecursionError:  # any reader, any parser: a file nested past Python's stack
        raise InputError(f"{path.name}: nested too deeply to read") from None


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


def _read_geojson(path: Path, layer: str | None) -> RawTable:
    try:
        doc = json.loads(decode_text(path.read_bytes(), name=path.name))
    except InputError:
        raise
    except ValueError as exc:  # JSONDecodeError, and integers past Python's 4300 digits
        raise InputError(f"{path.name}: not valid JSON ({exc})") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(f"{path.name}: expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise InputError(f"{path.name}: 'features' must be a list")
    rows, geometries, errors = [], [], {}
    for pos, feature in enumerate(features):
        props, geometry, error = _parse_feature(feature)
        rows.append(props)
        geometries.append(geometry)
        if error:
            errors[pos] = error
    frame = pd.DataFrame(rows, dtype=object)
    frame = crs_labels_as_text(frame.rename(columns=canonical_columns(frame.columns)))
    return RawTable(frame, geometries, errors, crs_hint=_geojson_crs(doc),
                    numbers_as_text=False)


def _parse_feature(feature: Any) -> tuple[dict[str, Any], BaseGeometry | None, str | None]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {}, None, "not a GeoJSON Feature"
    props = feature.get("properties")
    if props is not None and not isinstance(props, dict):
        return {}, None, "'properties' must be an object"
    props = dict(props or {})
    bad_name = next((k for k in props if not _is_unicode(k)), None)
    if bad_name is not None:
        return {}, None, f"property name {bad_name!r} is not valid Unicode"
    if feature.get("id") is not None and "id" not in props:
        props["id"] = feature["id"]
    if feature.get("geometry") is None:
        return props, None, "geometry is missing"
    try:
        return props, shape(feature["geometry"]), None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError,
            shapely.errors.ShapelyError) as exc:
        return props, None, f"unreadable geometry ({exc})"


def _is_unicode(text: str) -> bool:
    # JSON escapes can spell lone surrogates ("\ud800"), which no file or database can hold.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _geojson_crs(doc: dict[str, Any]) -> str | None:
    # Pre-RFC-7946 files may still carry a named crs member such as EPSG:4547.
    crs = doc.get("crs")
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        return None
    code = name.rsplit(":", 1)[-1]
    return None if code in ("CRS84", "4326") else f"EPSG:{code}"


def _read_gpkg(path: Path, layer: str | None) -> RawTable:
    names = layer_names(path, "GeoPackage")
    chosen = layer if layer in names else (names[0] if len(names) == 1 else None)
    if chosen is None:
        raise InputError(f"{path.name}: several layers ({', '.join(names)}); name one")
    refuse_gpkg_view(path, chosen)
    return table_from_frame(read_gpkg_rows(path, chosen))
