"""Read import files into a :class:`~geo.io.table.RawTable`: one module per format.

Readers do not validate the ledger model; they only turn a file into rows.
A row whose geometry cannot even be parsed keeps ``None`` geometry and a
``geometry_error`` so the importer can reject exactly that row. This module
decides the format from the name (:func:`detect_format`) and dispatches
(:func:`read_raw`); ``csv``, ``geojson``, ``gpkg``, ``kml``, ``xlsx`` and
``shapefile`` read one format each, ``gdal`` holds what the GDAL-read ones share.

May import: ``geo.io.table``, ``geo.io.charsets``, ``geo.io.columns``,
``geo.io.safety``, ``geo.io.sheets``, ``geo.errors``; never a writer, the importer
or a store.
"""

from __future__ import annotations

from pathlib import Path

from geo.errors import InputError
from geo.io.readers.csv import _read_csv
from geo.io.readers.geojson import _read_geojson
from geo.io.readers.gpkg import _read_gpkg
from geo.io.readers.kml import read_kml
from geo.io.readers.shapefile import read_zipped_shapefiles
from geo.io.readers.xlsx import read_xlsx
from geo.io.safety import MAX_UNZIPPED_BYTES, check_content, check_zip
from geo.io.table import RawTable

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
