"""The PostGIS store: the ledger in a PostgreSQL schema with PostGIS.

One table per layer (``id`` text primary key, typed fields, ``geom``
``geometry(Geometry, 4326)`` with GiST indexes on ``geom`` and on
``geom::geography``) and an append-only ``history`` table written in the
same transaction as every change. Radius queries and priority flags run in
the database on the WGS84 spheroid (see :mod:`geo.store.postgis.radius`).

One connection serves the store, guarded by a lock, so a store object can
be shared by the threads of a web server; every public method is one
transaction.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo.errors import (
    DuplicateIdError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from geo.geodesy import check_radius_m
from geo.ledger import DEFAULT_RADIUS_M, LAYERS, Feature, Layer, get_layer
from geo.priority import split_closed
from geo.store.base import HistoryEntry, Query
from geo.store.postgis import radius
from geo.store.postgis.accounts import PostGISAccounts
from geo.store.postgis.frames import history_entry, row_to_feature, rows_to_frame
from geo.store.postgis.observations import OBSERVATION_CHANGES, PostGISObservations
from geo.store.postgis.photos import PostGISPhotos
from geo.store.postgis.sql import (
    HISTORY,
    ISO_UTC,
    create_statements,
    select_list,
    table,
    where_clause,
)
from geo.store.postgis.tokens import PostGISTokens
from geo.store.postgis.tx import PostGISTransaction
from geo.store.records import (
    check_paging,
)

__all__ = ["PostGISStore"]

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_FLAG_COLUMNS = (("distance_m", "float"),)


def _redact(url: str) -> str:
    """Return ``url`` as connection info with any password hidden."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable URL>"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo("", **params)


class PostGISStore:
    """A ledger in one PostgreSQL schema.

    Parameters
    ----------
    url : str
        A libpq URL such as
        ``postgresql://postgres@/zonewatch?host=/var/run/postgresql``.
    schema : str, default "zonewatch"
        The schema holding the tables (letters, digits and ``_``).

    Examples
    --------
    >>> store = PostGISStore("postgresql://postgres@/zonewatch_test")  # doctest: +SKIP
    >>> store.init_schema()  # doctest: +SKIP
    """

    def __init__(self, url: str, *, schema: str = "zonewatch") -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
            raise ValidationError(
                f"schema {schema!r} is not a plain identifier (letters, digits, _)",
                field="schema",
            )
        self.url = url
        self.schema = schema
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self.tokens = PostGISTokens(self._tx, schema)
        self.accounts = PostGISAccounts(self._tx, schema)
        self.photos = PostGISPhotos(self._tx, schema)
        self.observations = PostGISObservations(self._tx, schema)

    # -- connection and transactions ------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                where = _redact(self.url)
                raise StoreError(f"cannot connect to PostGIS at {where}: {exc}") from exc
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        """Run the block in one transaction; map database errors to ours."""
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    yield conn
            except psycopg.errors.UniqueViolation as exc:
                raise DuplicateIdError(f"id already exists: {exc.diag.message_detail}") from exc
            except psycopg.errors.UndefinedTable as exc:
                raise StoreError(
                    f"PostGIS store {self.schema!r} has no such table ({exc}); "
                    "call init_schema() first"
                ) from exc
            except psycopg.errors.DataError as exc:
                raise ValidationError(f"value refused by the database: {exc}") from exc
            except psycopg.Error as exc:
                raise StoreError(f"PostGIS store {self.schema!r} failed: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[PostGISTransaction]:
        """Run the block as one transaction; see :mod:`geo.writes`."""
        with self._tx() as conn:
            yield PostGISTransaction(conn, self.schema)

    def _table(self, layer: Layer) -> sql.Identifier:
        return table(self.schema, layer.name)

    # -- schema ------------------------------------------------------------

    def init_schema(self) -> None:
        """Create the schema, every layer's table and indexes, and the history."""
        with self._tx() as conn:
            # Concurrent CREATE OR REPLACE of the same trigger would collide.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"zonewatch:{self.schema}"])
            self._ensure_postgis(conn)
            for statement in create_statements(self.schema, list(LAYERS.values())):
                conn.execute(statement)

    def _ensure_postgis(self, conn: psycopg.Connection[Any]) -> None:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            return
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise StoreError(
                f"database {_redact(self.url)} lacks the postgis extension and it could "
                f"not be created ({exc}); run scripts/pg-setup.sh or CREATE EXTENSION postgis"
            ) from exc

    def drop_schema(self) -> None:
        """Drop the whole schema with its tables and history (tests, resets)."""
        with self._tx() as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )

    def close(self) -> None:
        """Close the connection; the store reconnects if used again."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- reading -------------------------------------------------------------

    def is_empty(self) -> bool:
        """Return True when the store holds no sources and no stations."""
        return self.count("sources") == 0 and self.count("stations") == 0

    def count(self, layer: str, *, query: Query | None = None) -> int:
        """Return how many features of ``layer`` match ``query`` (ignoring paging)."""
        target = get_layer(layer)
        where, params = where_clause(target, query or Query())
        statement = sql.SQL("SELECT count(*) FROM {}").format(self._table(target)) + where
        with self._tx() as conn:
            row = conn.execute(statement, params).fetchone()
        return int(row[0]) if row else 0

    def read(self, layer: str, *, query: Query | None = None) -> pd.DataFrame:
        """Return matching features as a (Geo)DataFrame ordered by ``id``."""
        target = get_layer(layer)
        query = query or Query()
        where, params = where_clause(target, query)
        statement = (
            sql.SQL("SELECT {} FROM {}").format(select_list(target), self._table(target))
            + where
            + sql.SQL(' ORDER BY "id" COLLATE "C"')
            + _paging(query, params)
        )
        with self._tx() as conn:
            rows = conn.cursor(binary=True).execute(statement, params).fetchall()
        return rows_to_frame(target, rows)

    def get(self, layer: str, fid: str) -> Feature:
        """Return one feature; raise NotFoundError if absent."""
        target = get_layer(layer)
        with self._tx() as conn:
            return self._fetch(conn, target, fid)

    def _fetch(
        self, conn: psycopg.Connection[Any], layer: Layer, fid: str, *, lock: bool = False
    ) -> Feature:
        statement = sql.SQL('SELECT {} FROM {} WHERE "id" = %s{}').format(
            select_list(layer), self._table(layer), sql.SQL(" FOR UPDATE" if lock else "")
        )
        row = conn.cursor(binary=True).execute(statement, [str(fid)]).fetchone()
        if row is None:
            raise NotFoundError(f"no feature {fid!r} in layer {layer.name!r}")
        return row_to_feature(layer, row)

    def history(self, layer: str, fid: str) -> list[HistoryEntry]:
        """Return the changes to one feature, oldest first (empty if none)."""
        target = get_layer(layer)
        return self._history("", "fid = %s ORDER BY seq", [target.name, str(fid)])

    def history_until(self, layer: str, until: str) -> list[HistoryEntry]:
        """Return, per feature of ``layer``, its last change at or before ``until``."""
        target = get_layer(layer)
        return self._history(
            'DISTINCT ON (fid COLLATE "C") ',
            'at <= %s::timestamptz ORDER BY fid COLLATE "C", seq DESC',
            [target.name, str(until)],
        )

    def _history(self, distinct: str, tail: str, params: list[Any]) -> list[HistoryEntry]:
        """Return the history entries ``WHERE layer = %s AND <tail>`` (both fixed SQL here)."""
        statement = sql.SQL(
            "SELECT {distinct}seq, layer, fid, operation, actor, "
            "to_char(at AT TIME ZONE 'UTC', {iso}), before, after "
            "FROM {history} WHERE layer = %s AND {tail}"
        ).format(
            distinct=sql.SQL(distinct),
            iso=sql.Literal(ISO_UTC),
            history=table(self.schema, HISTORY),
            tail=sql.SQL(tail),
        )
        with self._tx() as conn:
            rows = conn.execute(statement, params).fetchall()
        return [history_entry(row) for row in rows]

    def change_token(self) -> Hashable:
        """Return the size and last sequence number of the history, and the readings' count.

        Every change writes a history row in its own transaction, so any
        commit changes one of the two; the count also catches a transaction
        that took a lower ``seq`` but committed after a higher one. Imports
        of hourly readings write no history: each draws from the
        ``observation_changes`` sequence instead.
        """
        statement = sql.SQL(
            "SELECT count(*), max(seq), (SELECT last_value + is_called::int FROM {}) FROM {}"
        ).format(table(self.schema, OBSERVATION_CHANGES), table(self.schema, HISTORY))
        with self._tx() as conn:
            row = conn.execute(statement).fetchone()
        return (int(row[0]), row[1], int(row[2])) if row else (0, None, 0)

    # -- radius ----------------------------------------------------------------

    def within(self, layer: str, lon: float, lat: float, *, radius_m: float) -> pd.DataFrame:
        """Return features within ``radius_m`` (geodesic) of (lon, lat), nearest first.

        The frame is the layer's frame plus ``distance_m``: the minimum
        distance on the WGS84 spheroid, in metres; ties are ordered by id.
        """
        target = get_layer(layer)
        if not target.has_geometry:
            raise ValidationError(f"layer {target.name!r} has no geometry for a radius query")
        x, y = radius.check_point(lon, lat)
        r = check_radius_m(radius_m)
        params = {"lon": x, "lat": y, "radius_m": r, "wide_m": radius.widened(r)}
        with self._tx() as conn:
            statement = radius.within_sql(self.schema, target)
            rows = conn.cursor(binary=True).execute(statement, params).fetchall()
        return rows_to_frame(target, rows, extra=_FLAG_COLUMNS)

    def flag_priority(
        self, *, radius_m: float | None = None, ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Flag every source against every station, in the database.

        Returns one row per source ordered by ``id``: ``id``, ``priority``
        (not closed, inside some station's radius), ``recheck`` (closed,
        inside), ``nearest_station``, ``distance_m``
        (to the nearest station, spheroid) and ``stations`` (ids of the
        stations covering it, nearest first). ``radius_m`` overrides every
        station's own radius; ``ids`` keeps only those sources (and only
        they are measured).
        """
        r = None if radius_m is None else check_radius_m(radius_m)
        with self._tx() as conn:
            # The planner's cost for ST_Distance triggers JIT, which costs more than it saves.
            conn.execute("SET LOCAL jit = off")
            largest = r
            if largest is None:
                row = conn.execute(radius.largest_radius_sql(self.schema)).fetchone()
                largest = float(row[0]) if row else DEFAULT_RADIUS_M
            params = {"radius_m": r, "wide_m": radius.widened(largest),
                      "ids": None if ids is None else [str(i) for i in ids]}
            rows = conn.execute(radius.flag_sql(self.schema), params).fetchall()
        return _flags_frame(rows)


def _paging(query: Query, params: list[Any]) -> sql.SQL:
    params.extend(check_paging(query))  # LIMIT NULL is no limit
    return sql.SQL(" LIMIT %s OFFSET %s")


def _flags_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    ids, inside, status, nearest, distance, stations = (
        list(col) for col in (zip(*rows, strict=True) if rows else [()] * 6)
    )
    flags = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype=object),
            "priority": pd.Series(inside, dtype=bool),
            "nearest_station": pd.Series(nearest, dtype=object),
            # NaN, not None, without stations: the column stays numeric.
            "distance_m": pd.Series(distance, dtype="float64"),
            "stations": pd.Series([list(s) for s in stations], dtype=object),
        }
    )
    return split_closed(flags, pd.Series(status, dtype=object))
