"""Write frames to the formats planners and GIS tools read: one module per format.

GeoJSON follows RFC 7946: lon/lat, no ``crs`` member, at most 7 decimals
(about 1 cm), exterior rings counter-clockwise. CSV is UTF-8 with a BOM so
Excel shows Chinese, with lon/lat for points and WKT for every geometry.
GeoPackage, FlatGeobuf, KML and zipped Shapefile go through GDAL (pyogrio).
This module holds the format table and the dispatch (:func:`export_frame`);
``geojson``, ``csv``, ``xlsx``, ``gdal`` and ``shapefile`` write, ``rows`` holds the
values they share.

May import: ``geo.io.table``, ``geo.io.cells``, ``geo.errors``; never a reader,
the importer or a store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.io.table import Frames, pages_of
from geo.io.writers.csv import write_csv
from geo.io.writers.gdal import _write_ogr
from geo.io.writers.geojson import Progress, feature_collection, iter_features, write_geojson
from geo.io.writers.rows import rfc7946_geometries
from geo.io.writers.shapefile import check_shapefile_target, shapefile_paths, write_shapefile
from geo.io.writers.xlsx import write_xlsx

__all__ = [
    "EXPORT_FORMATS",
    "STREAMED_FORMATS",
    "Frames",
    "Progress",
    "check_shapefile_target",
    "export_frame",
    "feature_collection",
    "iter_features",
    "pages_of",
    "rfc7946_geometries",
    "shapefile_paths",
    "write_csv",
    "write_geojson",
    "write_shapefile",
    "write_xlsx",
]

#: Export format name -> (file suffix, media type).
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "geojson": (".geojson", "application/geo+json"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "fgb": (".fgb", "application/flatgeobuf"),
    "kml": (".kml", "application/vnd.google-earth.kml+xml"),
    "shp": (".zip", "application/zip"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

#: Formats written page by page (bounded memory); the others need the whole layer at once.
STREAMED_FORMATS = ("geojson", "csv", "xlsx", "gpkg")

def export_frame(
    frame: Frames,
    path: Path,
    *,
    fmt: str,
    layer_name: str,
    progress: Progress | None = None,
    total: int | None = None,
) -> int:
    """Write ``frame`` to ``path`` in format ``fmt``; return the feature count.

    Parameters
    ----------
    frame : DataFrame or iterable of DataFrame
        Store-format frame (a GeoDataFrame in EPSG:4326 for spatial layers),
        or its pages in order: :data:`STREAMED_FORMATS` write them one at a
        time, the others join them first.
    path : Path
        Output file (for ``shp``, a ``.zip`` holding the shapefile set, or a
        ``.shp`` with its companion files beside it; see
        :func:`geo.io.writers.shapefile.write_shapefile`).
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    layer_name : str
        Layer name inside multi-layer formats (GeoPackage, KML).
    progress : callable, optional
        ``progress(done, total)`` while writing GeoJSON.
    total : int, optional
        The number of features in all pages (known for one frame).
    """
    if fmt not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        raise InputError(f"unknown export format {fmt!r}; expected one of: {known}")
    if fmt == "geojson":
        with path.open("w", encoding="utf-8") as fp:
            return write_geojson(frame, fp, progress=progress, total=total)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fp:
            return write_csv(frame, fp)
    if fmt == "xlsx":
        return write_xlsx(frame, path, sheet=layer_name)
    if fmt not in STREAMED_FORMATS and not isinstance(frame, pd.DataFrame):
        frame = _joined(list(frame))
    return _write_ogr(frame, path, fmt=fmt, layer_name=layer_name)

def _joined(pages: list[pd.DataFrame]) -> pd.DataFrame:
    return pages[0] if len(pages) == 1 else pd.concat(pages, ignore_index=True)
