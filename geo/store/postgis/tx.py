"""The PostGIS store's transaction: the primitives :mod:`geo.writes` runs on.

Single records go through plain statements, many at once through ``COPY``
(into the table, or into a temporary table that an ``UPDATE ... FROM``
reads). Rows read for a change are locked (``FOR UPDATE``) unless the whole
layer is (:meth:`PostGISTransaction.lock`, for bulk writes).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import sql

from geo.ledger import Layer
from geo.store.base import Operation, PhotoData, Query
from geo.store.postgis.frames import row_to_feature
from geo.store.postgis.photos import insert_photos
from geo.store.postgis.sql import HISTORY, insert_columns, select_list, table, where_clause
from geo.store.records import Record, history_rows

__all__ = ["PostGISTransaction"]

#: From this many records on, a write goes through COPY.
_BULK_ROWS = 64
_HISTORY_COLUMNS = ("layer", "fid", "operation", "actor", "at", "before", "after")
_stages = itertools.count()


class PostGISTransaction:
    """Primitive reads and writes inside one open PostgreSQL transaction."""

    def __init__(self, conn: psycopg.Connection[Any], schema: str) -> None:
        self._conn = conn
        self._schema = schema
        self._locked: set[str] = set()

    def _table(self, layer: Layer) -> sql.Identifier:
        return table(self._schema, layer.name)

    def lock(self, layer: Layer) -> None:
        """Make other writers of ``layer`` wait until commit (readers never wait)."""
        if layer.name not in self._locked:
            self._conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                self._table(layer)))
            self._locked.add(layer.name)

    def rows(self, layer: Layer, ids: Sequence[str]) -> dict[str, Record]:
        """Return the stored records among ``ids``, keyed by id, locked until commit."""
        if not ids:
            return {}
        lock = "" if layer.name in self._locked else " FOR UPDATE"
        statement = sql.SQL('SELECT {} FROM {} WHERE "id" = ANY(%s::text[]){}').format(
            select_list(layer), self._table(layer), sql.SQL(lock))
        found = self._conn.cursor(binary=True).execute(statement, [[str(i) for i in ids]])
        return {str(r.fid): r for r in map(lambda row: _record(layer, row), found.fetchall())}

    def select(self, layer: Layer, query: Query) -> list[Record]:
        """Return the records matching ``query``'s ids and filters, ordered by id."""
        where, params = where_clause(layer, Query(filters=query.filters, ids=query.ids))
        statement = (sql.SQL("SELECT {} FROM {}").format(select_list(layer), self._table(layer))
                     + where + sql.SQL(' ORDER BY "id" COLLATE "C"'))
        rows = self._conn.cursor(binary=True).execute(statement, params).fetchall()
        return [_record(layer, row) for row in rows]

    def insert(self, layer: Layer, records: Sequence[Record]) -> None:
        """Insert new records (a taken id fails the transaction as a DuplicateIdError)."""
        if not records:
            return
        rows = table_rows(layer, records)
        if len(rows) >= _BULK_ROWS:
            self._copy(self._table(layer), insert_columns(layer), rows)
            return
        holders = sql.SQL(", ").join([sql.Placeholder()] * len(rows[0]))
        statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            self._table(layer), insert_columns(layer), holders)
        self._conn.cursor().executemany(statement, rows)

    def update(self, layer: Layer, records: Sequence[Record]) -> None:
        """Overwrite every field and the geometry of stored records, by id."""
        if not records:
            return
        names = [n for n in layer.field_names if n != "id"]
        names += ["geom"] if layer.has_geometry else []
        rows = table_rows(layer, records)
        if len(rows) < _BULK_ROWS:
            assignments = sql.SQL(", ").join(
                sql.SQL("{} = %s{}").format(sql.Identifier(n),
                                            sql.SQL("::geometry" if n == "geom" else ""))
                for n in names)
            statement = sql.SQL('UPDATE {} SET {} WHERE "id" = %s').format(
                self._table(layer), assignments)
            self._conn.cursor().executemany(statement, [[*row[1:], row[0]] for row in rows])
            return
        stage = self._stage(layer, rows)
        assignments = sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(sql.Identifier(n))
                                         for n in names)
        self._conn.execute(sql.SQL('UPDATE {} AS t SET {} FROM {} AS s WHERE t."id" = s."id"')
                           .format(self._table(layer), assignments, stage))

    def delete(self, layer: Layer, ids: Sequence[str]) -> None:
        """Delete stored records by id."""
        if ids:
            self._conn.execute(sql.SQL('DELETE FROM {} WHERE "id" = ANY(%s::text[])').format(
                self._table(layer)), [[str(i) for i in ids]])

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
        """Append one history row per record (:func:`geo.store.records.history_rows`)."""
        rows = history_rows(layer, operation, actor=actor, at=at, before=before, after=after)
        if not rows:
            return
        columns = sql.SQL(", ").join(map(sql.Identifier, _HISTORY_COLUMNS))
        history = table(self._schema, HISTORY)
        if len(rows) >= _BULK_ROWS:
            self._copy(history, columns, rows)
            return
        statement = sql.SQL("INSERT INTO {} ({}) VALUES (%s, %s, %s, %s, %s::timestamptz, "
                            "%s::jsonb, %s::jsonb)").format(history, columns)
        self._conn.cursor().executemany(statement, rows)

    def insert_photos(self, photos: Sequence[PhotoData]) -> None:
        """Store inspection photos (a taken photo id is a DuplicateIdError)."""
        if photos:
            insert_photos(self._conn, self._schema, photos)

    def last_operations(self, layer: Layer, ids: Sequence[str]) -> dict[str, Operation]:
        """Return the last history operation of each of ``ids`` that has one."""
        if not ids:
            return {}
        statement = sql.SQL(
            "SELECT DISTINCT ON (fid) fid, operation FROM {} "
            "WHERE layer = %s AND fid = ANY(%s::text[]) ORDER BY fid, seq DESC"
        ).format(table(self._schema, HISTORY))
        found = self._conn.execute(statement, [layer.name, sorted({str(i) for i in ids})])
        return {str(fid): op for fid, op in found.fetchall()}

    def _copy(
        self, target: sql.Composable, columns: sql.Composable, rows: Sequence[Sequence[Any]]
    ) -> None:
        with self._conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)
        ) as pipe:
            for row in rows:
                pipe.write_row(row)

    def _stage(self, layer: Layer, rows: list[list[Any]]) -> sql.Identifier:
        """Copy ``rows`` into a new temporary table shaped like the layer's; return its name."""
        stage = sql.Identifier(f"_zw_stage_{next(_stages)}")
        self._conn.execute(
            sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                stage, self._table(layer)
            )
        )
        self._copy(stage, insert_columns(layer), rows)
        return stage


def table_rows(layer: Layer, records: Sequence[Record]) -> list[list[Any]]:
    """Return records as rows in table column order (id first), geometry as hex EWKB."""
    hexes: list[Any] = [None] * len(records)
    if layer.has_geometry:
        geoms = shapely.set_srid(np.array([r.geometry for r in records], dtype=object), 4326)
        hexes = list(shapely.to_wkb(geoms, hex=True, include_srid=True))
    rows = []
    for record, ewkb in zip(records, hexes, strict=True):
        row = [record.fid, *[record.properties.get(n) for n in layer.field_names[1:]]]
        if layer.has_geometry:
            row.append(ewkb)
        rows.append(row)
    return rows


def _record(layer: Layer, row: tuple[Any, ...]) -> Record:
    feature = row_to_feature(layer, row)
    return Record(str(feature.id), feature.properties, feature.geometry)
