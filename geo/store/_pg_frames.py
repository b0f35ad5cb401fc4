"""Conversions for the PostGIS store: rows to frames and features, frames to records.

Frames leave the store in the shape :mod:`geo.store.base` documents; frames
arriving at :meth:`write_frame` pass through :func:`geo.ledger.validate_record`
row by row before anything touches the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DuplicateIdError, ValidationError
from geo.ledger import SYSTEM_FIELDS, Feature, Layer, get_layer, validate_record
from geo.store.base import HistoryEntry

__all__ = [
    "Record",
    "copy_rows",
    "history_entry",
    "new_id",
    "prepare_records",
    "row_to_feature",
    "rows_to_frame",
]

_MAX_REPORTED = 5


class Record(NamedTuple):
    """One validated row ready to be written."""

    fid: str
    properties: dict[str, Any]
    geometry: BaseGeometry | None


def new_id(layer: Layer) -> str:
    """Return a fresh id such as ``S-1a2b3c4d5e6f`` for ``layer``."""
    return f"{layer.id_prefix}-{uuid.uuid4().hex[:12]}"


def clean_id(value: Any) -> str | None:
    """Return ``value`` as a stripped id, or None when it is blank or missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


# -- reading ---------------------------------------------------------------


def _column(values: Sequence[Any], kind: str) -> pd.Series:
    """Typed column: numpy int/float/bool when complete, else objects with None."""
    complete = all(v is not None for v in values)
    if complete and kind in ("int", "float", "bool"):
        dtype = {"int": "int64", "float": "float64", "bool": "bool"}[kind]
        return pd.Series(values, dtype=dtype)
    return pd.Series(values, dtype=object)


def rows_to_frame(
    layer: Layer, rows: list[tuple[Any, ...]], extra: Sequence[tuple[str, str]] = ()
) -> pd.DataFrame:
    """Build the frame for rows read with :func:`_pg_sql.select_list`.

    ``extra`` names (and kinds of) columns that follow the geometry in each
    row, such as ``("distance_m", "float")``.
    """
    names = list(layer.field_names)
    width = len(names) + (1 if layer.has_geometry else 0) + len(extra)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    data = {name: _column(columns[i], layer.field(name).kind) for i, name in enumerate(names)}
    frame = pd.DataFrame(data)
    if layer.has_geometry:
        wkb = np.array(columns[len(names)], dtype=object)
        geometry = gpd.GeoSeries(shapely.from_wkb(wkb), crs="EPSG:4326")
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    for offset, (name, kind) in enumerate(extra, start=width - len(extra)):
        frame[name] = _column(columns[offset], kind)
    return frame


def row_to_feature(layer: Layer, row: tuple[Any, ...]) -> Feature:
    """Build a Feature from one row read with :func:`_pg_sql.select_list`."""
    names = layer.field_names
    properties = {name: row[i] for i, name in enumerate(names) if name != "id"}
    geometry = shapely.from_wkb(row[len(names)]) if layer.has_geometry else None
    return Feature(id=row[0], properties=properties, geometry=geometry)


def history_entry(row: tuple[Any, ...]) -> HistoryEntry:
    """Build a HistoryEntry from a row of the history table."""
    seq, layer_name, fid, operation, actor, at, before, after = row
    layer = get_layer(layer_name)
    return HistoryEntry(
        seq=seq,
        layer=layer_name,
        fid=fid,
        operation=operation,
        actor=actor,
        at=at,
        before=_normalise_snapshot(layer, before),
        after=_normalise_snapshot(layer, after),
    )


def _normalise_snapshot(layer: Layer, snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """Give a stored snapshot the field order, types and WKT spelling of the rest of geo.

    jsonb sorts keys and turns 3000.0 into 3000; PostGIS writes "POINT(1 2)"
    where shapely writes "POINT (1 2)".
    """
    if snapshot is None:
        return None
    stored = snapshot.get("properties") or {}
    properties = {}
    for name in layer.field_names:
        if name in stored:
            value = stored[name]
            is_float = layer.field(name).kind == "float" and isinstance(value, int | float)
            properties[name] = float(value) if is_float else value
    geometry = snapshot.get("geometry")
    if geometry:
        geometry = shapely.to_wkt(shapely.from_wkt(geometry), rounding_precision=-1)
    return {"properties": properties, "geometry": geometry}


# -- writing ---------------------------------------------------------------


def prepare_records(layer: Layer, frame: pd.DataFrame) -> list[Record]:
    """Validate every row of ``frame``; raise for the first bad rows, write nothing.

    Raises
    ------
    ValidationError
        Naming the 1-based row numbers and what is wrong with them.
    DuplicateIdError
        When the frame itself repeats an id.
    """
    attributes, geometries = _split_frame(layer, frame)
    records: list[Record] = []
    problems: list[tuple[int, ValidationError]] = []
    for pos, (attrs, geometry) in enumerate(zip(attributes, geometries, strict=True)):
        try:
            records.append(_prepare_row(layer, attrs, geometry))
        except ValidationError as exc:
            problems.append((pos + 1, exc))
    if problems:
        raise _rows_rejected(problems, len(frame))
    _check_unique(records)
    return records


def _split_frame(
    layer: Layer, frame: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    geometry_name = _geometry_column(frame)
    names = [c for c in frame.columns if c != geometry_name and c not in SYSTEM_FIELDS]
    columns = [_python_values(frame[name]) for name in names]
    attributes: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    for name, values in zip(names, columns, strict=True):
        for attrs, value in zip(attributes, values, strict=True):
            attrs[str(name)] = value
    if geometry_name is None:
        return attributes, [None] * len(frame)
    series = frame[geometry_name]
    if isinstance(series, gpd.GeoSeries) and series.crs is not None and not _is_lonlat(series):
        series = series.to_crs("EPSG:4326")
    geometries = [g if isinstance(g, BaseGeometry) else None for g in series]
    return attributes, geometries


def _geometry_column(frame: pd.DataFrame) -> str | None:
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return str(frame._geometry_column_name)
    return "geometry" if "geometry" in frame.columns else None


def _is_lonlat(series: gpd.GeoSeries) -> bool:
    # CGCS2000 (EPSG:4490) and WGS84 agree to centimetres: no transformation.
    return series.crs.to_epsg() in (4326, 4490)


def _python_values(series: pd.Series) -> list[Any]:
    values = series.astype(object)
    return values.where(series.notna(), None).tolist()


def _prepare_row(layer: Layer, attrs: dict[str, Any], geometry: BaseGeometry | None) -> Record:
    fid = clean_id(attrs.pop("id", None)) or new_id(layer)
    if not layer.has_geometry and geometry is not None:
        raise ValidationError(f"layer {layer.name!r} has no geometry", field="geometry")
    clean, geometry, _ = validate_record(layer, attrs, geometry)
    return Record(fid, clean, geometry)


def _rows_rejected(problems: list[tuple[int, ValidationError]], total: int) -> ValidationError:
    shown = "; ".join(f"row {row}: {exc}" for row, exc in problems[:_MAX_REPORTED])
    more = len(problems) - _MAX_REPORTED
    tail = f"; and {more} more" if more > 0 else ""
    message = f"{len(problems)} of {total} row(s) invalid, nothing written: {shown}{tail}"
    return ValidationError(message, field=problems[0][1].field)


def _check_unique(records: list[Record]) -> None:
    seen: set[str] = set()
    repeated: list[str] = []
    for record in records:
        if record.fid in seen:
            repeated.append(record.fid)
        seen.add(record.fid)
    if repeated:
        raise DuplicateIdError(f"the frame repeats id(s) {', '.join(map(repr, repeated[:5]))}")


def copy_rows(layer: Layer, records: list[Record], *, at: str) -> list[list[Any]]:
    """Return rows in table column order, version 1, geometry as hex EWKB."""
    hexes: list[Any] = [None] * len(records)
    if layer.has_geometry:
        geoms = shapely.set_srid(np.array([r.geometry for r in records], dtype=object), 4326)
        hexes = list(shapely.to_wkb(geoms, hex=True, include_srid=True))
    rows = []
    for record, ewkb in zip(records, hexes, strict=True):
        system = {"id": record.fid, "version": 1, "updated_at": at}
        row = [system[n] if n in system else record.properties[n] for n in layer.field_names]
        if layer.has_geometry:
            row.append(ewkb)
        rows.append(row)
    return rows
