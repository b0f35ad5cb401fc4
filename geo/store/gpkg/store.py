"""The embedded ledger: one GeoPackage 1.3 file written with the standard ``sqlite3``.

The file is a plain GeoPackage that GDAL and QGIS open: every layer of
:data:`geo.ledger.LAYERS` is a table registered in ``gpkg_contents``
(``features`` with an R-tree spatial index, ``attributes`` for
inspections), geometries are GeoPackage blobs in EPSG:4326. Each feature
table has an integer primary key ``fid`` (GDAL's feature id) and a unique
text column ``id`` (the ledger id the rest of Zonewatch uses).

How it behaves
--------------
* WAL journal: readers never wait for a writer; writes start with ``BEGIN
  IMMEDIATE`` so read-then-write transactions cannot deadlock, and a
  single-record edit appends a few pages to the WAL instead of rewriting the
  file. ``synchronous=FULL``: a committed change survives a crash or power
  loss, an interrupted one leaves the last committed state.
* One connection per thread (the store is shared by a web server's worker
  threads); :meth:`GeoPackageStore.close` closes them all.
* Every change, single or bulk, appends to ``zw_history`` in the same
  transaction. ``zw_history`` and ``zw_meta`` are not registered in
  ``gpkg_contents``, so GIS tools list only the ledger layers.
* Edits made by GDAL or QGIS keep the R-tree current (the standard triggers)
  but are not in the history: the history records Zonewatch's own writes.
  Don't edit the file with GDAL *in the same process* while the store is
  open: SQLite's POSIX locks are per process, and GDAL links its own SQLite.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.errors import (
    DuplicateIdError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from geo.geodesy import search_box
from geo.ledger import Feature, Layer, get_layer
from geo.store.base import HistoryEntry, Query
from geo.store.gpkg import schema
from geo.store.gpkg.accounts import GeoPackageAccounts
from geo.store.gpkg.binary import decode_geometries
from geo.store.gpkg.cache import LayerCache, Snapshot, copy_out, tidy_dtypes
from geo.store.gpkg.observations import GeoPackageObservations
from geo.store.gpkg.photos import GeoPackagePhotos
from geo.store.gpkg.rows import feature_from_row, frame_from_rows, select_list, where_clause
from geo.store.gpkg.tokens import GeoPackageTokens
from geo.store.gpkg.tx import GeoPackageTransaction
from geo.store.records import (
    check_paging,
)

__all__ = ["GeoPackageStore"]

_CACHED_LAYERS = ("sources", "stations")  # kept in memory for radius and priority queries
_Box = tuple[float, float, float, float]


class GeoPackageStore:
    """A ledger in one GeoPackage file.

    Parameters
    ----------
    path : Path
        The ``.gpkg`` file; created (with its schema) by :meth:`init_schema`.

    Examples
    --------
    >>> import tempfile
    >>> store = GeoPackageStore(Path(tempfile.mkdtemp()) / "ledger.gpkg")
    >>> store.init_schema()
    >>> store.is_empty()
    True
    >>> store.close()
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._generation = 0
        self._cache = LayerCache(self.path, _CACHED_LAYERS, self._load_layers)
        self.tokens = GeoPackageTokens(self._tx)
        self.accounts = GeoPackageAccounts(self._tx)
        self.photos = GeoPackagePhotos(self._tx)
        self.observations = GeoPackageObservations(self._tx)

    # -- connections and transactions -----------------------------------------

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            conn = schema.connect(self.path)
            with self._lock:
                self._connections.append(conn)
                local.conn, local.generation = conn, self._generation
        return local.conn

    @contextmanager
    def _tx(self, *, write_lock: bool) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction; map SQLite errors to StoreError."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE" if write_lock else "BEGIN")
            yield conn
            conn.execute("COMMIT")
            if write_lock:  # after COMMIT: a snapshot never outlives the data it shows
                self._cache.note_write()
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._store_error(exc) from exc
            raise

    @contextmanager
    def transaction(self) -> Iterator[GeoPackageTransaction]:
        """Run the block as one write transaction (``BEGIN IMMEDIATE``); see :mod:`geo.writes`."""
        with self._tx(write_lock=True) as conn:
            tx = GeoPackageTransaction(conn)
            try:
                yield tx
            except BaseException:
                tx.abandon()
                raise
            tx.finish()

    def _store_error(self, exc: sqlite3.Error) -> Exception:
        text = str(exc)
        if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in text and ".id" in text:
            return DuplicateIdError(f"id already exists ({text})")
        hint = "; call init_schema() first" if "no such table" in text else ""
        return StoreError(f"GeoPackage {self.url!r} failed: {text}{hint}")

    def init_schema(self) -> None:
        """Create the GeoPackage tables, every layer, R-trees and history (idempotent).

        A new file's header is checkpointed into the file at once, so GDAL
        (QGIS) opening it while this store holds it sees a GeoPackage.
        """
        with self._tx(write_lock=True) as conn:
            fresh = not schema.header_is_set(conn)
            schema.set_header(conn)
            schema.init_schema(conn)
        # GDAL reads the header from the file itself, not the WAL: checkpoint it
        # there, only for a new file (so opening a busy store never waits on readers).
        if fresh:
            try:
                self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as exc:
                raise self._store_error(exc) from exc

    def change_token(self) -> Hashable:
        """Return a value that differs once anything was committed to the file.

        SQLite's ``data_version`` on a private connection (commits by other
        connections and processes), this store's own write count, and the
        stats of the file and its WAL (the file replaced by another).
        """
        return self._cache.token()

    def close(self) -> None:
        """Close every connection; the store reconnects if used again."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._generation += 1
        for conn in connections:
            conn.close()
        self._cache.close()

    # -- reading ----------------------------------------------------------------

    def is_empty(self) -> bool:
        """Return True when the store holds no sources and no stations."""
        return self.count("sources") == 0 and self.count("stations") == 0

    def count(self, layer: str, *, query: Query | None = None) -> int:
        """Return how many features of ``layer`` match ``query`` (paging ignored)."""
        target = get_layer(layer)
        query = query or Query()
        with self._tx(write_lock=False) as conn:
            if query.bbox is not None:
                return len(self._bbox_fids(conn, target, query))
            where, params = where_clause(target, query)
            row = conn.execute(f'SELECT count(*) FROM "{target.name}"{where}', params).fetchone()
        return int(row[0])

    def read(self, layer: str, *, query: Query | None = None) -> pd.DataFrame:
        """Return matching features as a (Geo)DataFrame ordered by ``id``.

        A ``bbox`` selects features whose geometry intersects the box: the
        R-tree finds candidates, shapely decides exactly.
        """
        target = get_layer(layer)
        query = query or Query()
        limit, offset = _paging(query)
        cached = self._read_cached(target, query)
        if cached is not None:
            return cached
        with self._tx(write_lock=False) as conn:
            if query.bbox is None:
                where, params = where_clause(target, query)
                statement = (
                    f'SELECT {select_list(target)} FROM "{target.name}"{where} '
                    'ORDER BY "id" LIMIT ? OFFSET ?'
                )
                rows = conn.execute(statement, [*params, limit, offset]).fetchall()
            else:
                fids = self._bbox_fids(conn, target, query)
                page = fids[offset:] if limit < 0 else fids[offset : offset + limit]
                rows = self._rows_by_fid(conn, target, page)
        return frame_from_rows(target, rows)

    def _read_cached(self, layer: Layer, query: Query) -> pd.DataFrame | None:
        """Answer a read of a cached layer by ids and paging from the snapshot.

        None (read the file) for other layers, for bbox and field filters,
        or while another thread rebuilds the snapshot.
        """
        if layer.name not in _CACHED_LAYERS or query.bbox is not None or query.filters:
            return None
        snapshots = self._cache.snapshots(wait=False)
        if snapshots is None:
            return None
        snapshot = snapshots[layer.name]
        limit, offset = _paging(query)
        if query.ids is None and limit < 0 and offset == 0:
            return copy_out(snapshot.frame)  # the whole layer: no rows to pick
        rows = np.arange(len(snapshot.frame)) if query.ids is None else snapshot.positions(
            query.ids)
        rows = rows[offset:] if limit < 0 else rows[offset : offset + limit]
        return tidy_dtypes(layer, snapshot.frame.iloc[rows].reset_index(drop=True))

    def _bbox_fids(self, conn: sqlite3.Connection, layer: Layer, query: Query) -> list[int]:
        where, params = where_clause(layer, query)
        statement = f'SELECT "fid", "geom" FROM "{layer.name}"{where} ORDER BY "id"'
        rows = conn.execute(statement, params).fetchall()
        if not rows:
            return []
        geoms = decode_geometries([row[1] for row in rows])
        box = shapely.box(*query.bbox)  # type: ignore[misc]
        hits = shapely.intersects(geoms, box)
        return [row[0] for row, hit in zip(rows, hits, strict=True) if hit]

    def _rows_by_fid(
        self, conn: sqlite3.Connection, layer: Layer, fids: list[int]
    ) -> list[tuple[Any, ...]]:
        statement = (
            f'SELECT {select_list(layer)} FROM "{layer.name}" '
            'WHERE "fid" IN (SELECT value FROM json_each(?)) ORDER BY "id"'
        )
        return conn.execute(statement, (json.dumps(fids),)).fetchall()

    def get(self, layer: str, fid: str) -> Feature:
        """Return one feature; raise NotFoundError if absent."""
        target = get_layer(layer)
        with self._tx(write_lock=False) as conn:
            return self._fetch(conn, target, fid)

    def _fetch(self, conn: sqlite3.Connection, layer: Layer, fid: str) -> Feature:
        statement = f'SELECT {select_list(layer)} FROM "{layer.name}" WHERE "id" = ?'
        row = conn.execute(statement, (str(fid),)).fetchone()
        if row is None:
            raise NotFoundError(f"no feature {fid!r} in layer {layer.name!r}")
        return feature_from_row(layer, row)

    def history(self, layer: str, fid: str) -> list[HistoryEntry]:
        """Return the changes to one feature, oldest first (empty if none)."""
        target = get_layer(layer)
        statement = (
            "SELECT seq, layer, fid, operation, actor, at, before, after FROM zw_history "
            "WHERE layer = ? AND fid = ? ORDER BY seq"
        )
        with self._tx(write_lock=False) as conn:
            rows = conn.execute(statement, (target.name, str(fid))).fetchall()
        return [_history_entry(row) for row in rows]

    def history_until(self, layer: str, until: str) -> list[HistoryEntry]:
        """Return, per feature of ``layer``, its last change at or before ``until``."""
        target = get_layer(layer)
        statement = (
            "SELECT seq, layer, fid, operation, actor, at, before, after FROM zw_history "
            "WHERE seq IN (SELECT max(seq) FROM zw_history WHERE layer = ? AND at <= ? "
            "GROUP BY fid) ORDER BY fid"
        )
        with self._tx(write_lock=False) as conn:
            rows = conn.execute(statement, (target.name, str(until))).fetchall()
        return [_history_entry(row) for row in rows]

    # -- radius -------------------------------------------------------------------------

    def within(self, layer: str, lon: float, lat: float, *, radius_m: float) -> pd.DataFrame:
        """Return features within ``radius_m`` (geodesic) of (lon, lat), nearest first.

        A box that surely holds the circle narrows the layer: for sources and
        stations in the in-memory snapshot (rebuilt whenever anything commits
        to the file, see :mod:`geo.store.gpkg.cache`), otherwise — other
        layers, or while another thread rebuilds the snapshot — with the
        R-tree. :func:`geo.radius.within` measures exactly and adds
        ``distance_m``. Numeric fields have the dtypes a fresh read of the
        returned rows has.
        """
        from geo import radius

        target = get_layer(layer)
        if not target.has_geometry:
            raise ValidationError(f"layer {target.name!r} has no geometry for a radius query")
        box = search_box(lon, lat, radius_m)
        cached = self._cache.snapshots(wait=False) if target.name in _CACHED_LAYERS else None
        if cached is None:
            frame = radius.within(self._read_box(target, box), lon, lat, radius_m=radius_m)
            return tidy_dtypes(target, frame)
        snapshot = cached[target.name]
        rows = snapshot.candidates(box)
        assert snapshot.geometries is not None and snapshot.ids is not None  # spatial layer
        found, distance = radius.within_positions(
            snapshot.geometries[rows], snapshot.ids[rows], lon, lat, radius_m=radius_m
        )
        # one slice of the frame, for the hits only (a few hundred of ~1e5 rows)
        frame = snapshot.frame.iloc[rows[found]].reset_index(drop=True)
        frame["distance_m"] = distance
        return tidy_dtypes(target, frame)

    def _read_box(self, layer: Layer, box: _Box | None) -> pd.DataFrame:
        with self._tx(write_lock=False) as conn:
            where, params = where_clause(layer, Query(bbox=box)) if box else ("", [])
            statement = f'SELECT {select_list(layer)} FROM "{layer.name}"{where} ORDER BY "id"'
            return frame_from_rows(layer, conn.execute(statement, params).fetchall())

    def flag_priority(
        self, *, radius_m: float | None = None, ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Flag every source against every station with :func:`geo.radius.flag_priority`.

        One row per source ordered by ``id``: ``id``, ``priority``, ``recheck``
        (:func:`geo.priority.split_closed`), ``nearest_station``,
        ``distance_m``, ``stations``; ``radius_m``
        overrides every station's own radius; ``ids`` keeps only those
        sources. Computed for all sources once per state of the file and
        radius (the in-memory snapshot), then picked and copied out.
        """
        from geo import radius
        from geo.priority import split_closed

        def compute(snapshots: Mapping[str, Snapshot]) -> pd.DataFrame:
            sources, stations = snapshots["sources"].frame, snapshots["stations"].frame
            inside = radius.flag_priority(sources, stations, radius_m=radius_m).to_frame()
            flags = split_closed(inside, sources["status"])
            # indexed by id: picking a page's rows costs a hash look-up each
            return flags.set_axis(pd.Index(flags["id"].to_numpy()), axis=0)

        try:
            key = None if radius_m is None else float(radius_m)
        except (TypeError, ValueError):
            # the engine names the bad radius
            return compute(self._cache.snapshots()).reset_index(drop=True)
        flags = self._cache.memo(("flags", key), compute)
        if ids is not None:
            found = flags.index.get_indexer([str(i) for i in ids])
            flags = flags.iloc[np.unique(found[found >= 0])]
        return flags.reset_index(drop=True)

    def _load_layers(self, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Read whole layers in one transaction (the snapshot loader)."""
        with self._tx(write_lock=False) as conn:
            return {name: self._read_all(conn, get_layer(name)) for name in names}

    def _read_all(self, conn: sqlite3.Connection, layer: Layer) -> pd.DataFrame:
        statement = f'SELECT {select_list(layer)} FROM "{layer.name}" ORDER BY "id"'
        return frame_from_rows(layer, conn.execute(statement).fetchall())


# -- helpers ------------------------------------------------------------------------------


def _paging(query: Query) -> tuple[int, int]:
    limit, offset = check_paging(query)
    return (-1 if limit is None else limit), offset  # SQLite: LIMIT -1 is no limit


def _history_entry(row: tuple[Any, ...]) -> HistoryEntry:
    seq, layer, fid, operation, actor, at, before, after = row
    return HistoryEntry(
        seq=int(seq),
        layer=layer,
        fid=fid,
        operation=operation,
        actor=actor,
        at=at,
        before=None if before is None else json.loads(before),
        after=None if after is None else json.loads(after),
    )
