"""The GeoPackage store's transaction: the primitives :mod:`geo.writes` runs on.

One ``BEGIN IMMEDIATE`` transaction on one connection: writers already take
turns, so :meth:`GeoPackageTransaction.lock` has nothing to do. Bulk writes
(many records at once) suspend the R-tree triggers of their layer and write
the R-tree rows directly; :meth:`GeoPackageTransaction.finish` puts the
triggers back and records the change in ``gpkg_contents`` before commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import ExitStack

from geo.ledger import Layer, get_layer, now_utc
from geo.store.base import Operation, PhotoData, Query
from geo.store.gpkg import schema, write
from geo.store.gpkg.photos import insert_photos
from geo.store.gpkg.rows import records_from_rows, select_list, where_clause
from geo.store.records import Record

__all__ = ["GeoPackageTransaction"]

#: From this many records on, a write goes around the R-tree triggers.
_BULK_ROWS = 64


class GeoPackageTransaction:
    """Primitive reads and writes inside one open SQLite write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._suspended = ExitStack()
        self._bulk: set[str] = set()  # layers written around their triggers
        self._touched: dict[str, list[tuple[float, float, float, float] | None]] = {}

    def lock(self, layer: Layer) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already made writers take turns."""

    def rows(self, layer: Layer, ids: Sequence[str]) -> dict[str, Record]:
        """Return the stored records among ``ids``, keyed by id."""
        if not ids:
            return {}
        return {fid: record for fid, (_, record) in write.fetch_by_ids(
            self._conn, layer, [str(i) for i in ids]).items()}

    def select(self, layer: Layer, query: Query) -> list[Record]:
        """Return the records matching ``query``'s ids and filters, ordered by id."""
        where, params = where_clause(layer, Query(filters=query.filters, ids=query.ids))
        statement = f'SELECT {select_list(layer)} FROM "{layer.name}"{where} ORDER BY "id"'
        rows = self._conn.execute(statement, params).fetchall()
        return [record for _, record in records_from_rows(layer, rows)]

    def insert(self, layer: Layer, records: Sequence[Record]) -> None:
        """Insert new records; their R-tree rows follow."""
        if records:
            write.insert_records(self._conn, layer, records, direct_rtree=self._go_bulk(
                layer, records))
            self._touch(layer, records)

    def update(self, layer: Layer, records: Sequence[Record]) -> None:
        """Overwrite stored records by id (every field and the geometry)."""
        if not records:
            return
        stored = write.fetch_by_ids(self._conn, layer, [r.fid for r in records])
        fids = [stored[r.fid][0] for r in records]
        write.update_records(self._conn, layer, fids, records,
                             direct_rtree=self._go_bulk(layer, records))
        self._touch(layer, records)

    def delete(self, layer: Layer, ids: Sequence[str]) -> None:
        """Delete stored records by id (the R-tree delete trigger stays in place)."""
        if not ids:
            return
        self._conn.execute(f'DELETE FROM "{layer.name}" WHERE "id" IN '
                           "(SELECT value FROM json_each(?))",
                           (json.dumps([str(i) for i in ids], ensure_ascii=False),))
        self._touched.setdefault(layer.name, [])

    def append_history(
        self,
        layer: Layer,
        operation: Operation,
        *,
        actor: str,
        at: str,
        before: Sequence[Record] | None,
        after: Sequence[Record] | None,
    ) -> None:
        """Append one ``zw_history`` row per record."""
        write.log_changes(self._conn, layer, operation, actor=actor, at=at,
                          before=before, after=after)

    def last_operations(self, layer: Layer, ids: Sequence[str]) -> dict[str, Operation]:
        """Return the last history operation of each of ``ids`` that has one."""
        if not ids:
            return {}
        statement = (
            "SELECT fid, operation FROM zw_history WHERE seq IN (SELECT max(seq) "
            "FROM zw_history WHERE layer = ? AND fid IN (SELECT value FROM json_each(?)) "
            "GROUP BY fid)"
        )
        wanted = json.dumps(sorted({str(i) for i in ids}), ensure_ascii=False)
        return dict(self._conn.execute(statement, (layer.name, wanted)).fetchall())

    def insert_photos(self, photos: Sequence[PhotoData]) -> None:
        """Store inspection photos (a taken photo id is a DuplicateIdError)."""
        if photos:
            insert_photos(self._conn, photos)

    def finish(self) -> None:
        """Restore suspended triggers and record each written layer in ``gpkg_contents``."""
        self._suspended.close()
        at = now_utc()
        for name, envelopes in self._touched.items():
            layer = get_layer(name)
            single = envelopes[0] if len(envelopes) == 1 and name not in self._bulk else None
            schema.touch_contents(self._conn, layer, at=at, envelope=single,
                                  recompute=single is None and bool(envelopes))

    def abandon(self) -> None:
        """Forget the suspended triggers (the rollback restores them)."""
        self._suspended.pop_all()

    def _go_bulk(self, layer: Layer, records: Sequence[Record]) -> bool:
        """Whether this write goes around the R-tree triggers (many records, spatial layer)."""
        if layer.name in self._bulk:
            return True
        if not layer.has_geometry or len(records) < _BULK_ROWS:
            return False
        self._suspended.enter_context(write.rtree_triggers_suspended(self._conn, layer))
        self._bulk.add(layer.name)
        return True

    def _touch(self, layer: Layer, records: Sequence[Record]) -> None:
        envelopes = self._touched.setdefault(layer.name, [])
        for record in records:
            geometry = record.geometry
            if geometry is None or geometry.is_empty:
                envelopes.append(None)
                continue
            minx, miny, maxx, maxy = geometry.bounds
            envelopes.append((minx, maxx, miny, maxy))
