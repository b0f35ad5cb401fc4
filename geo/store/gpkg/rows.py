"""Conversions for the GeoPackage store: SQL rows, frames, features, history JSON, queries.

Rows are read with :func:`select_list` (``fid``, every field in layer order,
then ``geom`` for spatial layers) and written with :func:`insert_sql`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ValidationError
from geo.ledger import Feature, Layer
from geo.store.base import Query
from geo.store.gpkg.binary import decode_geometries, encode_geometries
from geo.store.gpkg.schema import FID, GEOM, SRS_ID, rtree_name
from geo.store.records import Record, check_bbox, typed_column, whole_number

__all__ = [
    "encode_records",
    "feature_from_row",
    "frame_from_rows",
    "insert_sql",
    "select_list",
    "records_from_rows",
    "where_clause",
]

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _q(name: str) -> str:
    return f'"{name}"'


def select_list(layer: Layer) -> str:
    """Return the column list every read uses: fid, fields, geometry."""
    columns = [FID, *layer.field_names] + ([GEOM] if layer.has_geometry else [])
    return ", ".join(map(_q, columns))


def insert_sql(layer: Layer) -> str:
    """Return the INSERT statement matching :func:`encode_records` rows."""
    columns = [FID, *layer.field_names] + ([GEOM] if layer.has_geometry else [])
    holders = ", ".join("?" * len(columns))
    return f'INSERT INTO "{layer.name}" ({", ".join(map(_q, columns))}) VALUES ({holders})'


def encode_records(
    layer: Layer, records: Sequence[Record], fids: Sequence[int | None]
) -> list[tuple[Any, ...]]:
    """Return SQL parameter rows: fid, fields in layer order, then the geometry blob."""
    names = [n for n in layer.field_names if n != "id"]
    rows = [
        (fid, r.fid, *[r.properties.get(n) for n in names])
        for r, fid in zip(records, fids, strict=True)
    ]
    if not layer.has_geometry:
        return rows
    blobs = encode_geometries([r.geometry for r in records], srs_id=SRS_ID)
    return [(*row, blob) for row, blob in zip(rows, blobs, strict=True)]


def _typed(value: Any, kind: str) -> Any:
    # SQLite gives 0/1 for BOOLEAN and may hand back an int from a REAL column.
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    return value


def records_from_rows(layer: Layer, rows: Sequence[Sequence[Any]]) -> list[tuple[int, Record]]:
    """Return ``(fid, Record)`` pairs for rows read with :func:`select_list`."""
    names = layer.field_names
    kinds = [f.kind for f in layer.fields]
    geoms = decode_geometries([row[-1] for row in rows]) if layer.has_geometry else None
    out = []
    for pos, row in enumerate(rows):
        values = [_typed(v, k) for v, k in zip(row[1 : len(names) + 1], kinds, strict=True)]
        props = dict(zip(names[1:], values[1:], strict=True))
        geometry = geoms[pos] if geoms is not None else None
        out.append((int(row[0]), Record(values[0], props, geometry)))
    return out


def feature_from_row(layer: Layer, row: Sequence[Any]) -> Feature:
    """Build a Feature from one row read with :func:`select_list`."""
    _, record = records_from_rows(layer, [row])[0]
    return Feature(id=record.fid, properties=record.properties, geometry=record.geometry)


def _column(values: Sequence[Any], kind: str) -> pd.Series:
    typed = [_typed(v, kind) for v in values] if kind in ("bool", "float") else values
    return typed_column(typed, kind)


def frame_from_rows(layer: Layer, rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Return the store-format (Geo)DataFrame for rows read with :func:`select_list`."""
    width = 1 + len(layer.fields) + (1 if layer.has_geometry else 0)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    data = {f.name: _column(columns[i + 1], f.kind) for i, f in enumerate(layer.fields)}
    frame = pd.DataFrame(data)
    if not layer.has_geometry:
        return frame
    geometry = gpd.GeoSeries(decode_geometries(columns[-1]), crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


# -- queries -----------------------------------------------------------------


def where_clause(layer: Layer, query: Query) -> tuple[str, list[Any]]:
    """Return ``WHERE ...`` (or ``""``) and its parameters.

    The bbox part is the R-tree envelope test only; callers refine it with
    an exact intersection test.
    """
    parts: list[str] = []
    params: list[Any] = []
    if query.ids is not None:
        parts.append('"id" IN (SELECT value FROM json_each(?))')
        params.append(json.dumps([str(i) for i in query.ids], ensure_ascii=False))
    if query.bbox is not None:
        if not layer.has_geometry:
            raise ValidationError(
                f"layer {layer.name!r} has no geometry to filter by bbox", field="bbox"
            )
        parts.append(
            f'"{FID}" IN (SELECT id FROM "{rtree_name(layer)}" '
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)"
        )
        minx, miny, maxx, maxy = check_bbox(query.bbox)
        params.extend([maxx, minx, maxy, miny])
    for name, value in query.filters.items():
        condition, values = _filter_condition(layer, name, value)
        parts.append(condition)
        params.extend(values)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def _filter_condition(layer: Layer, name: str, value: Any) -> tuple[str, list[Any]]:
    f = layer.field(name)
    wanted = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    present = [_filter_value(name, f.kind, v) for v in wanted if v is not None]
    column = _q(name)
    tests = [f"{column} IN (SELECT value FROM json_each(?))"] if present else []
    if len(present) < len(wanted):
        tests.append(f"{column} IS NULL")
    if not tests:
        return "0", []  # "any of" an empty list matches nothing
    params = [json.dumps(present, ensure_ascii=False)] if present else []
    return "(" + " OR ".join(tests) + ")", params


def _filter_value(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "bool":
            return int(_to_bool(value))
        if kind == "int":
            return whole_number(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"filter {name}={value!r} is not a valid {kind} ({exc})", field=name
        ) from None
    return str(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")
