"""GeoJSON files: features to rows, geometries parsed one by one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError
from geo.io.charsets import decode_text
from geo.io.columns import (
    canonical_columns,
    crs_labels_as_text,
)
from geo.io.table import RawTable


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
