"""Writes for the GeoPackage store: frames to records, bulk and single-row SQL, history.

Every function taking a connection runs inside the caller's ``BEGIN
IMMEDIATE`` transaction; the caller commits or rolls back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import DuplicateIdError, ValidationError
from geo.ledger import SYSTEM_FIELDS, Layer, validate_record
from geo.store._gpkg_rows import (
    Record,
    clean_id,
    encode_records,
    insert_sql,
    new_id,
    records_from_rows,
    select_list,
    snapshot_jsons,
)
from geo.store._gpkg_schema import FID, GEOM, rtree_name

__all__ = [
    "delete_all",
    "fetch_by_ids",
    "insert_records",
    "log_changes",
    "prepare_records",
    "rtree_triggers_suspended",
    "stamp",
    "update_records",
]

_MAX_REPORTED = 5
_HISTORY_SQL = (
    "INSERT INTO zw_history (layer, fid, operation, actor, at, before, after) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


# -- frames to validated records ----------------------------------------------


def prepare_records(layer: Layer, frame: pd.DataFrame) -> list[Record]:
    """Validate every row of ``frame`` with :func:`geo.ledger.validate_record`.

    Raises
    ------
    ValidationError
        Naming up to five bad rows (1-based) and what is wrong; nothing is written.
    DuplicateIdError
        When the frame repeats an id.
    """
    attributes, geometries = _split_frame(layer, frame)
    records: list[Record] = []
    problems: list[tuple[int, ValidationError]] = []
    for pos, (attrs, geometry) in enumerate(zip(attributes, geometries, strict=True)):
        try:
            fid = clean_id(attrs.pop("id", None)) or new_id(layer)
            clean, geometry, _ = validate_record(layer, attrs, geometry)
            records.append(Record(fid, clean, geometry))
        except ValidationError as exc:
            problems.append((pos + 1, exc))
    if problems:
        shown = "; ".join(f"row {row}: {exc}" for row, exc in problems[:_MAX_REPORTED])
        more = len(problems) - _MAX_REPORTED
        tail = f"; and {more} more" if more > 0 else ""
        raise ValidationError(
            f"{len(problems)} of {len(frame)} row(s) invalid, nothing written: {shown}{tail}",
            field=problems[0][1].field,
        )
    _refuse_repeats(records)
    return records


def _split_frame(
    layer: Layer, frame: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    geometry_name = _geometry_column(frame)
    names = [c for c in frame.columns if c != geometry_name and c not in SYSTEM_FIELDS]
    attributes: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    for name in names:
        series = frame[name]
        values = series.astype(object).where(series.notna(), None).tolist()
        for attrs, value in zip(attributes, values, strict=True):
            attrs[str(name)] = value
    if geometry_name is None:
        return attributes, [None] * len(frame)
    series = frame[geometry_name]
    if isinstance(series, gpd.GeoSeries) and series.crs is not None:
        # CGCS2000 (EPSG:4490) and WGS84 agree to centimetres: no transformation.
        if series.crs.to_epsg() not in (4326, 4490):
            series = series.to_crs("EPSG:4326")
    geometries = [g if isinstance(g, BaseGeometry) else None for g in series]
    return attributes, geometries


def _geometry_column(frame: pd.DataFrame) -> str | None:
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns:
        return str(frame._geometry_column_name)
    return "geometry" if "geometry" in frame.columns else None


def _refuse_repeats(records: Sequence[Record]) -> None:
    seen: set[str] = set()
    repeated: list[str] = []
    for record in records:
        if record.fid in seen:
            repeated.append(record.fid)
        seen.add(record.fid)
    if repeated:
        shown = ", ".join(map(repr, repeated[:_MAX_REPORTED]))
        raise DuplicateIdError(f"the frame repeats id(s) {shown}; each id may appear once")


def stamp(record: Record, *, version: int, at: str) -> Record:
    """Return ``record`` with the store's ``version`` and ``updated_at``."""
    return record._replace(properties={**record.properties, "version": version, "updated_at": at})


# -- SQL ----------------------------------------------------------------------------


def fetch_by_ids(
    conn: sqlite3.Connection, layer: Layer, ids: Sequence[str]
) -> dict[str, tuple[int, Record]]:
    """Return the stored ``(fid, record)`` among ``ids``, keyed by id."""
    statement = (
        f'SELECT {select_list(layer)} FROM "{layer.name}" '
        'WHERE "id" IN (SELECT value FROM json_each(?))'
    )
    rows = conn.execute(statement, (json.dumps(list(ids), ensure_ascii=False),)).fetchall()
    return {record.fid: (fid, record) for fid, record in records_from_rows(layer, rows)}


@contextmanager
def rtree_triggers_suspended(conn: sqlite3.Connection, layer: Layer) -> Iterator[None]:
    """Drop the R-tree triggers that call ``ST_*`` and restore them afterwards.

    For bulk writes: calling Python functions five times per row costs more
    than writing the R-tree rows directly. DDL is transactional in SQLite, so
    a rollback or a crash restores the triggers with everything else; on
    success the exact trigger text found (ours or GDAL's) is put back.
    """
    if not layer.has_geometry:
        yield
        return
    names = [
        f"{rtree_name(layer)}_{s}" for s in ("insert", "update1", "update2", "update6", "update7")
    ]
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
        f"({', '.join('?' * len(names))})",
        names,
    ).fetchall()
    for name, _ in found:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in found:
        conn.execute(sql)


def _rtree_rows(fids: Sequence[int], records: Sequence[Record]) -> list[tuple[Any, ...]]:
    bounds = shapely.bounds(np.array([r.geometry for r in records], dtype=object))
    # R-tree column order is minx, maxx, miny, maxy.
    return [(fid, b[0], b[2], b[1], b[3]) for fid, b in zip(fids, bounds.tolist(), strict=True)]


def insert_records(
    conn: sqlite3.Connection, layer: Layer, records: Sequence[Record], *, direct_rtree: bool
) -> None:
    """Insert stamped records.

    ``direct_rtree``: also write their R-tree rows (only inside
    :func:`rtree_triggers_suspended`); otherwise the triggers do it.
    """
    if not records:
        return
    first = _next_fid(conn, layer)
    fids = range(first, first + len(records))
    conn.executemany(insert_sql(layer), encode_records(layer, records, fids))
    if layer.has_geometry and direct_rtree:
        conn.executemany(
            f'INSERT INTO "{rtree_name(layer)}" VALUES (?, ?, ?, ?, ?)', _rtree_rows(fids, records)
        )


def _next_fid(conn: sqlite3.Connection, layer: Layer) -> int:
    # Explicit fids let the R-tree rows be written without reading them back;
    # AUTOINCREMENT's sqlite_sequence keeps ids of deleted rows from coming back.
    row = conn.execute(
        f"""SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
                   coalesce((SELECT max("{FID}") FROM "{layer.name}"), 0))""",
        (layer.name,),
    ).fetchone()
    return int(row[0]) + 1


def update_records(
    conn: sqlite3.Connection,
    layer: Layer,
    fids: Sequence[int],
    records: Sequence[Record],
    *,
    direct_rtree: bool,
) -> None:
    """Overwrite every field and the geometry of stored records, by fid.

    ``direct_rtree`` as for :func:`insert_records`.
    """
    if not records:
        return
    names = [n for n in layer.field_names if n != "id"] + ([GEOM] if layer.has_geometry else [])
    assignments = ", ".join(f'"{n}" = ?' for n in names)
    statement = f'UPDATE "{layer.name}" SET {assignments} WHERE "{FID}" = ?'
    rows = [(*row[2:], row[0]) for row in encode_records(layer, records, fids)]
    conn.executemany(statement, rows)
    if layer.has_geometry and direct_rtree:
        conn.executemany(
            f'INSERT OR REPLACE INTO "{rtree_name(layer)}" VALUES (?, ?, ?, ?, ?)',
            _rtree_rows(fids, records),
        )


def delete_all(conn: sqlite3.Connection, layer: Layer, *, actor: str, at: str) -> int:
    """Empty the layer, logging a delete for every feature; return how many."""
    rows = conn.execute(f'SELECT {select_list(layer)} FROM "{layer.name}"').fetchall()
    records = [record for _, record in records_from_rows(layer, rows)]
    conn.execute(f'DELETE FROM "{layer.name}"')
    log_changes(conn, layer, "delete", actor=actor, at=at, before=records, after=None)
    return len(records)


def log_changes(
    conn: sqlite3.Connection,
    layer: Layer,
    operation: str,
    *,
    actor: str,
    at: str,
    before: Sequence[Record] | None,
    after: Sequence[Record] | None,
) -> None:
    """Append one history row per record (``before``/``after`` aligned by position)."""
    side = before if before is not None else after
    if not side:
        return
    empty = [None] * len(side)
    before_json = snapshot_jsons(layer, before) if before is not None else empty
    after_json = snapshot_jsons(layer, after) if after is not None else empty
    conn.executemany(
        _HISTORY_SQL,
        [
            (layer.name, r.fid, operation, str(actor), at, b, a)
            for r, b, a in zip(side, before_json, after_json, strict=True)
        ],
    )
