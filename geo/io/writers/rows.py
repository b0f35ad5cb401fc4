"""Values as the exports write them: plain cells, RFC 7946 geometries, table rows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import shapely

GEOJSON_DECIMALS = 7

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

def _geometry_cells(geom: Any) -> list[Any]:
    if geom is None:
        return ["", "", ""]
    wkt = shapely.to_wkt(geom, rounding_precision=GEOJSON_DECIMALS, trim=True)
    if geom.geom_type == "Point":
        return [geom.x, geom.y, wkt]
    return ["", "", wkt]
