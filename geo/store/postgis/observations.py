"""Hourly readings in the PostGIS store: the ``observations`` table.

``time`` is ``timestamptz`` and the primary key (station_id, time) is the
B-tree range reads walk. An upsert is one transaction: ``COPY`` into a
temporary table (dropped at commit), one join counts the hours already
stored (updated), one ``INSERT ... ON CONFLICT DO UPDATE`` writes them all.

The store's change token reads the history; an upsert writes none, so it
draws a number from the sequence ``observation_changes`` instead, which the
token reads too (a rolled-back draw only costs caches one extra rebuild).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from geo.store.observation_rows import (
    OBSERVATION_COLUMNS,
    READING_COLUMNS,
    ObservationRow,
    check_unique_keys,
    observation_frame,
)

__all__ = ["OBSERVATIONS", "OBSERVATION_CHANGES", "PostGISObservations", "observations_ddl"]

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
OBSERVATIONS = "observations"
OBSERVATION_CHANGES = "observation_changes"
_ISO_HOUR = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
_STAGE = sql.Identifier("zw_observations_stage")


def observations_ddl(schema: str) -> list[sql.Composed]:
    """Return the idempotent DDL of the table and its change sequence."""
    readings = ", ".join(f"{c} double precision" for c in READING_COLUMNS)
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (station_id text COLLATE \"C\" NOT NULL, "
                "time timestamptz NOT NULL, " + readings + ", "
                "PRIMARY KEY (station_id, time))").format(sql.Identifier(schema, OBSERVATIONS)),
        sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(
            sql.Identifier(schema, OBSERVATION_CHANGES)),
    ]


def _columns(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


class PostGISObservations:
    """The :class:`geo.store.base.ObservationBook` of a PostGIS store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx()``: one transaction per call, database errors mapped.
    schema : str
        The store's schema.
    """

    def __init__(self, transaction: Connect, schema: str) -> None:
        self._tx = transaction
        self._table = sql.Identifier(schema, OBSERVATIONS)
        self._changes = f'"{schema}"."{OBSERVATION_CHANGES}"'  # schema: a plain identifier

    def upsert(self, rows: Sequence[ObservationRow], *, dry_run: bool = False) -> tuple[int, int]:
        """Insert or overwrite hours by (station, time); return (inserted, updated).

        ``dry_run`` counts without writing. Each station and hour may appear
        once (else ValidationError, nothing written).
        """
        check_unique_keys(rows)
        if not rows:
            return 0, 0
        with self._tx() as conn:
            self._stage(conn, rows)
            found = conn.execute(sql.SQL(
                "SELECT count(*) FROM {} s JOIN {} o USING (station_id, time)").format(
                    _STAGE, self._table)).fetchone()
            updated = int(found[0]) if found else 0
            if not dry_run:
                self._merge(conn)
        return len(rows) - updated, updated

    def _stage(self, conn: psycopg.Connection[Any], rows: Sequence[ObservationRow]) -> None:
        conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
            _STAGE, self._table))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            _STAGE, _columns(OBSERVATION_COLUMNS))
        with conn.cursor().copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _merge(self, conn: psycopg.Connection[Any]) -> None:
        update = sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in READING_COLUMNS)
        conn.execute(sql.SQL(
            "INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} "
            "ON CONFLICT (station_id, time) DO UPDATE SET {update}").format(
                table=self._table, cols=_columns(OBSERVATION_COLUMNS), stage=_STAGE,
                update=update))
        conn.execute("SELECT nextval(%s::regclass)", [self._changes])

    def read(
        self, station_id: str, *, start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Return a station's hours with ``start <= time < end`` (UTC ISO text), by time."""
        where = [sql.SQL("station_id = %s")]
        params: list[Any] = [str(station_id)]
        if start is not None:
            where.append(sql.SQL("time >= %s::timestamptz"))
            params.append(start)
        if end is not None:
            where.append(sql.SQL("time < %s::timestamptz"))
            params.append(end)
        statement = sql.SQL(
            "SELECT station_id, to_char(time AT TIME ZONE 'UTC', {iso}), {readings} FROM {t} "
            "WHERE {where} ORDER BY time").format(
                iso=sql.Literal(_ISO_HOUR), readings=_columns(READING_COLUMNS), t=self._table,
                where=sql.SQL(" AND ").join(where))
        with self._tx() as conn:
            rows = conn.execute(statement, params).fetchall()
        return observation_frame(rows)

    def count(self, station_id: str | None = None) -> int:
        """Return how many hours are stored (of one station, or of all)."""
        statement = sql.SQL("SELECT count(*) FROM {}").format(self._table)
        params: list[Any] = []
        if station_id is not None:
            statement += sql.SQL(" WHERE station_id = %s")
            params.append(str(station_id))
        with self._tx() as conn:
            row = conn.execute(statement, params).fetchone()
        return int(row[0]) if row else 0
