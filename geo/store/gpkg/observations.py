"""Hourly readings in the GeoPackage store: the ``observations`` table.

A plain SQLite table ``WITHOUT ROWID`` whose primary key (station_id, time)
is also the index range reads walk. It is not registered in
``gpkg_contents`` (GIS tools list only the ledger layers). ``time`` is
ISO 8601 UTC text (``2026-11-03T00:00:00Z``), which sorts as time does.

An upsert is one ``BEGIN IMMEDIATE`` transaction: the rows go into a
temporary table first, which counts the hours already stored (updated) in
one join, then one ``INSERT ... ON CONFLICT DO UPDATE`` writes them all.
Its commit moves the store's change token like any other write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import pandas as pd

from geo.store.observation_rows import (
    OBSERVATION_COLUMNS,
    READING_COLUMNS,
    ObservationRow,
    check_unique_keys,
    observation_frame,
)

__all__ = ["OBSERVATIONS_DDL", "GeoPackageObservations"]

Connect = Callable[..., AbstractContextManager[sqlite3.Connection]]

#: Idempotent DDL: an old file gets the table when the store opens.
OBSERVATIONS_DDL = (
    """CREATE TABLE IF NOT EXISTS observations (
        station_id TEXT NOT NULL, time TEXT NOT NULL,
        pm25 REAL, pm10 REAL, so2 REAL, no2 REAL, o3 REAL, co REAL, wd_deg REAL, ws_ms REAL,
        PRIMARY KEY (station_id, time)) WITHOUT ROWID""",
)

_COLUMNS = ", ".join(OBSERVATION_COLUMNS)
_MARKS = ", ".join("?" for _ in OBSERVATION_COLUMNS)
_STAGE = "zw_observations_stage"
_STAGE_DDL = (f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (station_id TEXT NOT NULL, "
              "time TEXT NOT NULL, pm25 REAL, pm10 REAL, so2 REAL, no2 REAL, o3 REAL, co REAL, "
              "wd_deg REAL, ws_ms REAL, PRIMARY KEY (station_id, time)) WITHOUT ROWID")
_SET = ", ".join(f"{c} = excluded.{c}" for c in READING_COLUMNS)


class GeoPackageObservations:
    """The :class:`geo.store.base.ObservationBook` of a GeoPackage store.

    Parameters
    ----------
    transaction : callable
        The store's ``_tx(write_lock=...)``: one SQLite transaction per call.
    """

    def __init__(self, transaction: Connect) -> None:
        self._tx = transaction

    def upsert(self, rows: Sequence[ObservationRow], *, dry_run: bool = False) -> tuple[int, int]:
        """Insert or overwrite hours by (station, time); return (inserted, updated).

        ``dry_run`` counts without writing. Each station and hour may appear
        once (else ValidationError, nothing written).
        """
        check_unique_keys(rows)
        if not rows:
            return 0, 0
        with self._tx(write_lock=not dry_run) as conn:
            conn.execute(_STAGE_DDL)
            conn.execute(f"DELETE FROM {_STAGE}")
            conn.executemany(f"INSERT INTO {_STAGE} ({_COLUMNS}) VALUES ({_MARKS})", rows)
            updated = conn.execute(
                f"SELECT count(*) FROM {_STAGE} s JOIN observations o "
                "ON o.station_id = s.station_id AND o.time = s.time").fetchone()[0]
            if not dry_run:
                # "WHERE true": SQLite's parser needs it between SELECT and ON CONFLICT
                conn.execute(f"INSERT INTO observations ({_COLUMNS}) SELECT {_COLUMNS} "
                             f"FROM {_STAGE} WHERE true ON CONFLICT (station_id, time) "
                             f"DO UPDATE SET {_SET}")
            conn.execute(f"DELETE FROM {_STAGE}")  # a failure's rollback empties it too
        return len(rows) - int(updated), int(updated)

    def read(
        self, station_id: str, *, start: str | None = None, end: str | None = None
    ) -> pd.DataFrame:
        """Return a station's hours with ``start <= time < end`` (UTC ISO text), by time."""
        where, params = ["station_id = ?"], [str(station_id)]
        if start is not None:
            where.append("time >= ?")
            params.append(start)
        if end is not None:
            where.append("time < ?")
            params.append(end)
        statement = (f"SELECT {_COLUMNS} FROM observations WHERE {' AND '.join(where)} "
                     "ORDER BY time")
        with self._tx(write_lock=False) as conn:
            rows = conn.execute(statement, params).fetchall()
        return observation_frame(rows)

    def count(self, station_id: str | None = None) -> int:
        """Return how many hours are stored (of one station, or of all)."""
        with self._tx(write_lock=False) as conn:
            if station_id is None:
                row = conn.execute("SELECT count(*) FROM observations").fetchone()
            else:
                row = conn.execute("SELECT count(*) FROM observations WHERE station_id = ?",
                                   (str(station_id),)).fetchone()
        return int(row[0])
