"""Writes for the GeoPackage store: bulk and single-row SQL, history.

Every function taking a connection runs inside the caller's ``BEGIN
IMMEDIATE`` transaction; the caller commits or rolls back.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import shapely

from geo.ledger import Layer
from geo.store.gpkg.rows import (
    encode_records,
    insert_sql,
    records_from_rows,
    select_list,
)
from geo.store.gpkg.schema import FID, GEOM, rtree_name
from geo.store.records import Record, history_rows

__all__ = [
    "fetch_by_ids",
    "insert_records",
    "log_changes",
    "rtree_triggers_suspended",
    "update_records",
]

_HISTORY_SQL = (
    "INSERT INTO zw_history (layer, fid, operation, actor, at, before, after) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


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
    rows = history_rows(layer, operation, actor=actor, at=at, before=before, after=after)
    conn.executemany(_HISTORY_SQL, rows)
