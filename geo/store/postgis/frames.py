"""Conversions for the PostGIS store: rows to frames and features, records to rows.

Frames leave the store in the shape :mod:`geo.store.base` documents; frames
arriving at :meth:`write_frame` become records in :mod:`geo.store.records`
(validated row by row, as for the GeoPackage store) before anything touches
the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.ledger import Feature, Layer, get_layer
from geo.store.base import HistoryEntry
from geo.store.records import typed_column

__all__ = [
    "history_entry",
    "row_to_feature",
    "rows_to_frame",
]


# -- reading ---------------------------------------------------------------


def rows_to_frame(
    layer: Layer, rows: list[tuple[Any, ...]], extra: Sequence[tuple[str, str]] = ()
) -> pd.DataFrame:
    """Build the frame for rows read with :func:`geo.store.postgis.sql.select_list`.

    ``extra`` names (and kinds of) columns that follow the geometry in each
    row, such as ``("distance_m", "float")``.
    """
    names = list(layer.field_names)
    width = len(names) + (1 if layer.has_geometry else 0) + len(extra)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    data = {name: typed_column(columns[i], layer.field(name).kind) for i, name in enumerate(names)}
    frame = pd.DataFrame(data)
    if layer.has_geometry:
        wkb = np.array(columns[len(names)], dtype=object)
        geometry = gpd.GeoSeries(shapely.from_wkb(wkb), crs="EPSG:4326")
        frame = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    for offset, (name, kind) in enumerate(extra, start=width - len(extra)):
        frame[name] = typed_column(columns[offset], kind)
    return frame


def row_to_feature(layer: Layer, row: tuple[Any, ...]) -> Feature:
    """Build a Feature from one row read with :func:`geo.store.postgis.sql.select_list`."""
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
