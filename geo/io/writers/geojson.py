"""GeoJSON export: RFC 7946 features, streamed page by page."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geo.io.table import Frames, pages_of
from geo.io.writers.rows import GEOJSON_DECIMALS, _plain, rfc7946_geometries

Progress = Callable[[int, int], None]

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
