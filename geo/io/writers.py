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
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

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


def _column_values(column: pd.Series) -> list[Any]:
    """Return a column as JSON-friendly Python values (whole column at once)."""
    values = column.tolist()
    kind = column.dtype.kind
    if kind in "iub":
        return values
    if kind == "f":
        return [v if math.isfinite(v) else None for v in values]
    return [_plain(v) for v in values]


def _geojson_geometries(frame: pd.DataFrame) -> list[dict[str, Any] | None]:
    if "geometry" not in frame:
        return [None] * len(frame)
    geoms = rfc7946_geometries(frame["geometry"].to_numpy())
    if len(geoms) and (shapely.get_type_id(geoms) == 0).all():
        # Points are most features; building their dicts directly is ~3x faster.
        return [{"type": "Point", "coordinates": xy} for xy in
                shapely.get_coordinates(geoms).tolist()]
    return [None if g is None else mapping(g) for g in geoms]


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


def write_geojson(frame: pd.DataFrame, fp: TextIO, *, progress: Progress | None = None) -> int:
    """Stream ``frame`` as an RFC 7946 FeatureCollection to ``fp``; return the count."""
    fp.write('{"type": "FeatureCollection", "features": [\n')
    total = len(frame)
    count = 0
    for count, feature in enumerate(iter_features(frame), start=1):
        if count > 1:
            fp.write(",\n")
        fp.write(json.dumps(feature, ensure_ascii=False))
        if progress is not None and (count % 1000 == 0 or count == total):
            progress(count, total)
    fp.write("\n]}\n")
    return count


def _flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Join list values with ';' so tabular formats can hold them."""
    flat = frame.copy()
    for column in flat.columns:
        if column == "geometry":
            continue
        if flat[column].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
            flat[column] = flat[column].map(
                lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
            )
    return flat


def write_csv(frame: pd.DataFrame, fp: TextIO) -> int:
    """Write ``frame`` as CSV with lon/lat (points) and WKT columns; return the count.

    ``fp`` should be opened with ``encoding="utf-8-sig"`` and ``newline=""``.
    """
    flat = _flat_frame(frame)
    columns = [c for c in flat.columns if c != "geometry"]
    has_geometry = "geometry" in flat
    writer = csv.writer(fp)
    writer.writerow([*columns, *(["lon", "lat", "wkt"] if has_geometry else [])])
    geometries = rfc7946_geometries(flat["geometry"].to_numpy()) if has_geometry else None
    for pos, row in enumerate(flat[columns].to_numpy(dtype=object)):
        cells = ["" if _plain(v) is None else _plain(v) for v in row]
        if geometries is not None:
            cells.extend(_geometry_cells(geometries[pos]))
        writer.writerow(cells)
    return len(flat)


def _geometry_cells(geom: Any) -> list[Any]:
    if geom is None:
        return ["", "", ""]
    wkt = shapely.to_wkt(geom, rounding_precision=GEOJSON_DECIMALS, trim=True)
    if geom.geom_type == "Point":
        return [geom.x, geom.y, wkt]
    return ["", "", wkt]


def export_frame(
    frame: pd.DataFrame,
    path: Path,
    *,
    fmt: str,
    layer_name: str,
    progress: Progress | None = None,
) -> int:
    """Write ``frame`` to ``path`` in format ``fmt``; return the feature count.

    Parameters
    ----------
    frame : DataFrame
        Store-format frame (a GeoDataFrame in EPSG:4326 for spatial layers).
    path : Path
        Output file (for ``shp``, a ``.zip`` holding the shapefile set).
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    layer_name : str
        Layer name inside multi-layer formats (GeoPackage, KML).
    """
    if fmt not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        raise InputError(f"unknown export format {fmt!r}; expected one of: {known}")
    if fmt == "geojson":
        with path.open("w", encoding="utf-8") as fp:
            return write_geojson(frame, fp, progress=progress)
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fp:
            return write_csv(frame, fp)
    if fmt == "xlsx":
        from geo.io.xlsx import write_xlsx

        return write_xlsx(frame, path, sheet=layer_name)
    return _write_ogr(frame, path, fmt=fmt, layer_name=layer_name)


_OGR_DRIVERS = {"gpkg": "GPKG", "fgb": "FlatGeobuf", "kml": "KML", "shp": "ESRI Shapefile"}


def _write_ogr(frame: pd.DataFrame, path: Path, *, fmt: str, layer_name: str) -> int:
    import geopandas as gpd
    import pyogrio

    flat = _flat_frame(frame)
    if "geometry" not in flat:
        raise InputError(f"layer {layer_name!r} has no geometry; export it as csv or xlsx")
    gdf = gpd.GeoDataFrame(flat, geometry="geometry", crs="EPSG:4326")
    if fmt == "shp":
        return _write_shapefile_zip(gdf, path, layer_name=layer_name)
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(gdf, path, layer=layer_name, driver=_OGR_DRIVERS[fmt])
    return len(gdf)


def _write_shapefile_zip(gdf: Any, path: Path, *, layer_name: str) -> int:
    import pyogrio

    with tempfile.TemporaryDirectory(prefix="zonewatch-shp-") as tmp:
        # Shapefiles hold one geometry type; mixed layers are split per type.
        for geom_type, part in gdf.groupby(gdf.geom_type):
            single = gdf.geom_type.nunique() == 1
            name = layer_name if single else f"{layer_name}_{str(geom_type).lower()}"
            target = Path(tmp) / f"{name}.shp"
            pyogrio.write_dataframe(
                part, target, driver="ESRI Shapefile", encoding="UTF-8", promote_to_multi=True
            )
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(Path(tmp).iterdir()):
                archive.write(member, member.name)
    return len(gdf)
