"""The map's data, kept gzip-compressed while the ledger is unchanged.

Building ``/map/data.json`` for 1e5 sources reads and flags every source and
serialises ~14 MB of JSON: over a second per request. Every officer who opens
the map asks for the same few answers, and the ledger changes far less often
than it is looked at, so :class:`MapDataCache` keeps each answer as gzip bytes
tagged with the store's change token, and builds it again once anything has
been committed.

The change token
----------------
A value read on a private connection that changes whenever anything may have
been committed. It is read *before* the data, so a commit racing with a build
costs one more build, never a stale answer.

* GeoPackage: SQLite's ``PRAGMA data_version`` changes whenever any other
  connection commits (this service, the CLI, QGIS); the file's stats catch
  it being replaced by another file.
* PostGIS: ``pg_current_snapshot()`` — the transaction ids still running and
  the next one to be given out. Only writing transactions get an id, so the
  snapshot changes when any write starts or ends on the server (any
  database: more rebuilds than needed on a busy server, never fewer), and
  not for the reads that build the answer.

The store interface has no such token (yet); with one, this module would ask
the store instead of watching its file or server itself.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from geo.store.base import Store
from geo.store.gpkg import GeoPackageStore
from geo.store.postgis import PostGISStore
from maps.data import MapFilter, map_data

__all__ = ["MapDataCache", "MapDataBody"]

_GZIP_LEVEL = 1  # 6x faster than level 6 for 12 % more bytes: the first answer after an edit waits
_MAX_ENTRIES = 8  # answers kept (one per filter and datum); ~2 MB each at 1e5 sources


@dataclass(frozen=True)
class MapDataBody:
    """One answer of ``/map/data.json``: its gzip bytes and a validator."""

    gzipped: bytes
    etag: str  # weak: the same JSON whether sent compressed or not

    def plain(self) -> bytes:
        """Return the uncompressed JSON (for the rare client without gzip)."""
        return gzip.decompress(self.gzipped)


class MapDataCache:
    """Answers of ``/map/data.json`` for one store, reused while it is unchanged.

    Parameters
    ----------
    store : Store
        The ledger; answers are kept for GeoPackage and PostGIS stores (whose
        changes can be seen cheaply), built on every call for any other.

    Thread-safe: one build at a time; readers of a kept answer never wait.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._watch = _watch(store)
        self._entries: OrderedDict[Hashable, tuple[Hashable, MapDataBody]] = OrderedDict()
        self._lock = threading.Lock()  # guards _entries
        self._build_lock = threading.Lock()  # one build at a time: the same answer once

    def body(self, flt: MapFilter, *, datum: str) -> MapDataBody:
        """Return the answer for ``flt`` in ``datum``, built only if the store changed."""
        if self._watch is None:
            return _build(self.store, flt, datum)
        key = (tuple(sorted(flt.as_params().items())), datum)
        found = self._kept(key, self._watch.token())
        if found is not None:
            return found
        with self._build_lock:
            token = self._watch.token()  # before the data: never newer than what is read
            found = self._kept(key, token)
            if found is None:
                found = _build(self.store, flt, datum)
                self._keep(key, token, found)
        return found

    def _kept(self, key: Hashable, token: Hashable) -> MapDataBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != token:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def _keep(self, key: Hashable, token: Hashable, body: MapDataBody) -> None:
        with self._lock:
            self._entries[key] = (token, body)
            self._entries.move_to_end(key)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)


def _build(store: Store, flt: MapFilter, datum: str) -> MapDataBody:
    data = map_data(store, flt, datum=datum)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    gzipped = gzip.compress(text, compresslevel=_GZIP_LEVEL, mtime=0)  # mtime=0: same bytes
    return MapDataBody(gzipped, f'W/"{hashlib.sha256(gzipped).hexdigest()[:32]}"')


def _watch(store: Store) -> _FileWatch | _ServerWatch | None:
    if isinstance(store, GeoPackageStore):
        return _FileWatch(store.path)
    if isinstance(store, PostGISStore):
        return _ServerWatch(store.url)
    return None


class _ServerWatch:
    """The change token of a PostgreSQL server (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None

    def token(self) -> Hashable:
        """Return the server's current snapshot; a new object (never equal) if unreachable."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = psycopg.connect(self.url, autocommit=True)
                row = self._conn.execute("SELECT pg_current_snapshot()::text").fetchone()
            except psycopg.Error:
                return object()  # build without keeping: the store reports the real error
        return row[0] if row else object()


class _FileWatch:
    """The change token of a GeoPackage file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._wal = Path(f"{self.path}-wal")
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._inode: int | None = None

    def token(self) -> Hashable:
        """Return the file's change token; a new object (never equal) while it is missing."""
        with self._lock:
            try:
                main, wal = os.stat(self.path), _stat_or_none(self._wal)
            except FileNotFoundError:
                return object()  # connecting would create an empty file
            if self._conn is None or main.st_ino != self._inode:  # a new file, same name
                if self._conn is not None:
                    self._conn.close()
                self._conn = sqlite3.connect(self.path, isolation_level=None,
                                             check_same_thread=False)
                self._inode = main.st_ino
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return version, (main.st_ino, main.st_mtime_ns, main.st_size), wal


def _stat_or_none(path: Path) -> tuple[int, int] | None:
    """Modification time and size of a file that may be absent (the WAL between sessions)."""
    with contextlib.suppress(FileNotFoundError):
        found = os.stat(path)
        return found.st_mtime_ns, found.st_size
    return None
