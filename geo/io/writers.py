"""Write frames to the formats planners and GIS tools read.

GeoJSON follows RFC 7946: lon/lat, no ``crs`` member, at most 7 decimals
(about 1 cm), exterior rings counter-clockwise. CSV is UTF-8 with a BOM so
Excel shows Chinese, with lon/lat for points and WKT for every geometry.
GeoPackage, FlatGeobuf, KML and zipped Shapefile go through GDAL (pyogrio).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeAlias

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geo.errors import InputError

__all__ = [
    "EXPORT_FORMATS",
    "export_frame",
    "feature_collection",
    "iter_features",
    "rfc7946_geometries",
    "write_csv",
    "write_geojson",
]

GEOJSON_DECIMALS = 7
Progress = Callable[[int, int], None]
#: A frame, or the pages of one: frames with the same columns, written one after another.
Frames: TypeAlias = pd.DataFrame | Iterable[pd.DataFrame]

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


def pages_of(frames: Frames) -> Iterator[pd.DataFrame]:
    """Yield ``frames`` itself when it is one frame, else each of its pages in turn."""
    if isinstance(frames, pd.DataFrame):
        yield frames
    else:
        yield from frames


def rfc7946_geometries(geometries: Any) -> np.ndarray:
    """Return geometries rounded to 7 decimals with counter-clockwise exterior rings."""
    geoms = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(geoms)
    out = geoms.copy()
    if present.any():
        fixed = shapely.orient_polygons(geoms[present], exterior_cw=False)
        out[present] = shapely.transform(fixed, lambda xy: np.round(xy, GEOJSON_DECIMALS))
    return out


def _plain(value: Any) -> Any:
    """Turn numpy/pandas scalars into JSON-friendly Python values."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _column_values(column: pd.Series) -> list[Any]:
    """Return a column as JSON-friendly Python values (whole column at once)."""
    values = column.tolist()
    kind = column.dtype.kind
    if kind in "iub":
        return values
    if kind == "f":
        return [v if math.isfinite(v) else None for v in values]
    if _JSON_SCALARS.issuperset(map(type, values)):
        return values  # text columns, the common case: nothing to convert
    return [_plain(v) for v in values]


def _geojson_geometries(frame: pd.DataFrame) -> list[dict[str, Any] | None]:
    if "geometry" not in frame:
        return [None] * len(frame)
    geoms = np.asarray(frame["geometry"].to_numpy(), dtype=object)
    if _all_points(geoms):
        # Points are most features: round their coordinates in one array and build
        # the dicts directly, without a round trip through shapely geometries.
        xy = np.round(shapely.get_coordinates(geoms), GEOJSON_DECIMALS).tolist()
        return [{"type": "Point", "coordinates": c} for c in xy]
    return [None if g is None else mapping(g) for g in rfc7946_geometries(geoms)]


def _all_points(geoms: np.ndarray) -> bool:
    """Whether every geometry is a non-empty Point (one coordinate pair each)."""
    return bool(len(geoms)) and bool(
        (shapely.get_type_id(geoms) == 0).all() and not shapely.is_empty(geoms).any()
    )


def iter_features(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Yield GeoJSON Feature dicts for each row (``id`` becomes the feature id)."""
    columns = [c for c in frame.columns if c not in ("geometry", "id")]
    values = {c: _column_values(frame[c]) for c in columns}
    ids = _column_values(frame["id"]) if "id" in frame else [None] * len(frame)
    rows = zip(*values.values(), strict=True) if columns else iter([()] * len(frame))
    geometries = _geojson_geometries(frame)
    for fid, geom, row in zip(ids, geometries, rows, strict=True):
        yield {
            "type": "Feature",
            "id": fid,
            "geometry": geom,
            "properties": dict(zip(columns, row, strict=True)),
        }


def feature_collection(frame: pd.DataFrame, **members: Any) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection dict for ``frame`` (extra top-level members)."""
    return {"type": "FeatureCollection", **members, "features": list(iter_features(frame))}


def write_geojson(
    frame: Frames, fp: TextIO, *, progress: Progress | None = None, total: int | None = None
) -> int:
    """Stream ``frame`` (or its pages) as an RFC 7946 FeatureCollection to ``fp``.

    Returns the feature count. ``progress(done, total)`` is called every
    thousand features when the total is known (``len(frame)`` for a frame).
    """
    fp.write('{"type": "FeatureCollection", "features": [\n')
    total = len(frame) if isinstance(frame, pd.DataFrame) else total
    count = 0
    for page in pages_of(frame):
        for feature in iter_features(page):
            fp.write(",\n" if count else "")
            fp.write(json.dumps(feature, ensure_ascii=False))
            count += 1
            if progress is not None and total and (count % 1000 == 0 or count == total):
                progress(count, total)
    fp.write("\n]}\n")
    return count


def _flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Join list values with ';' so tabular formats can hold them."""
    flat = frame.copy(deep=False)  # columns are replaced, never written into: no data copy
    for column in flat.columns:
        if column == "geometry":
            continue
        if flat[column].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
            flat[column] = flat[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
            )
    return flat


#: Columns the tabular exports add for the geometry (never neutralised as text).
GEOMETRY_COLUMNS = ("lon", "lat", "wkt")


def table_rows(frame: pd.DataFrame) -> tuple[list[str], Iterator[list[Any]]]:
    """Return the header and the rows of the tabular exports (CSV, XLSX).

    Attribute values come as plain Python values (lists joined with ``;``,
    missing values ``None``), then lon/lat for points and WKT for every
    geometry (:data:`GEOMETRY_COLUMNS`), so both formats carry the same values.
    """
    flat = _flat_frame(frame)
    columns = [c for c in flat.columns if c != "geometry"]
    has_geometry = "geometry" in flat
    geometries = rfc7946_geometries(flat["geometry"].to_numpy()) if has_geometry else None

    def rows() -> Iterator[list[Any]]:
        for pos, row in enumerate(flat[columns].to_numpy(dtype=object)):
            cells = [_plain(v) for v in row]
            if geometries is not None:
                cells.extend(_geometry_cells(geometries[pos]))
            yield cells

    return [*columns, *(GEOMETRY_COLUMNS if has_geometry else ())], rows()


def write_csv(frame: Frames, fp: TextIO) -> int:
    """Write ``frame`` (or its pages) as CSV with lon/lat and WKT columns; return the count.

    ``fp`` should be opened with ``encoding="utf-8-sig"`` and ``newline=""``.
    Text cells that a spreadsheet program would run as a formula get a
    leading apostrophe (:func:`geo.io.cells.csv_text`). The header comes
    from the first page.
    """
    from geo.io.cells import csv_text

    writer = csv.writer(fp)
    count = 0
    for number, page in enumerate(pages_of(frame)):
        header, rows = table_rows(page)
        text = [column not in GEOMETRY_COLUMNS for column in header]
        if number == 0:
            writer.writerow(header)
        for cells in rows:
            writer.writerow([csv_text(v) if t else v for v, t in zip(cells, text, strict=True)])
        count += len(page)
    return count


def _geometry_cells(geom: Any) -> list[Any]:
    if geom is None:
        return ["", "", ""]
    wkt = shapely.to_wkt(geom, rounding_precision=GEOJSON_DECIMALS, trim=True)
    if geom.geom_type == "Point":
        return [geom.x, geom.y, wkt]
    return ["", "", wkt]


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
        :func:`geo.io.shapefiles.write_shapefile`).
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
        from geo.io.xlsx import write_xlsx

        return write_xlsx(frame, path, sheet=layer_name)
    if fmt not in STREAMED_FORMATS and not isinstance(frame, pd.DataFrame):
        frame = _joined(list(frame))
    return _write_ogr(frame, path, fmt=fmt, layer_name=layer_name)


def _joined(pages: list[pd.DataFrame]) -> pd.DataFrame:
    return pages[0] if len(pages) == 1 else pd.concat(pages, ignore_index=True)


_OGR_DRIVERS = {"gpkg": "GPKG", "fgb": "FlatGeobuf", "kml": "KML", "shp": "ESRI Shapefile"}


def _write_ogr(frame: Frames, path: Path, *, fmt: str, layer_name: str) -> int:
    import pyogrio

    if fmt == "shp":
        from geo.io.shapefiles import write_shapefile

        assert isinstance(frame, pd.DataFrame)  # joined by export_frame
        return write_shapefile(_ogr_frame(frame, layer_name), path, layer_name=layer_name)
    path.unlink(missing_ok=True)
    count = 0
    for number, page in enumerate(pages_of(frame)):
        gdf = _ogr_frame(page, layer_name)
        pyogrio.write_dataframe(
            gdf, path, layer=layer_name, driver=_OGR_DRIVERS[fmt], append=number > 0
        )
        count += len(gdf)
    return count


def _ogr_frame(frame: pd.DataFrame, layer_name: str) -> Any:
    import geopandas as gpd

    flat = _flat_frame(frame)
    if "geometry" not in flat:
        raise InputError(f"layer {layer_name!r} has no geometry; export it as csv or xlsx")
    return gpd.GeoDataFrame(flat, geometry="geometry", crs="EPSG:4326")
