"""In-memory snapshots of GeoPackage layers, reused while the file is unchanged.

Radius queries and priority flags over 1e5 sources cannot afford to read and
decode every row per request. :class:`LayerCache` keeps one generation: the
frames of a few layers (read together in one transaction), an STRtree of
their geometries' boxes, and the last few priority results, all tagged with the change token
seen *before* the read. Any commit changes the token, and the next request
builds a new generation; the old one is dropped, so memory holds at most one
snapshot per layer.

The change token
----------------
* a counter bumped after every write transaction of this store (any thread);
* ``PRAGMA data_version`` on a private connection: SQLite changes it whenever
  *another* connection commits, in this process or any other (a second
  store, a second ``zonewatch``, QGIS or GDAL). It catches what file times
  can miss: a WAL reused after a checkpoint keeps its size, and mtimes can
  tick coarsely;
* ``os.stat`` of the ``.gpkg`` and its ``-wal`` (mtime_ns, size, inode):
  catches the file being replaced by another one under the same name.

Reading the token costs a few microseconds. A token read before the data is
never newer than the data, so a commit racing with a rebuild costs one more
rebuild, never a stale answer.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import shapely

from geo.errors import StoreError
from geo.ledger import Layer
from geo.store.records import NUMPY_DTYPES

__all__ = ["LayerCache", "Snapshot", "copy_out", "tidy_dtypes"]

Token = tuple[Any, ...]
Loader = Callable[[Sequence[str]], Mapping[str, pd.DataFrame]]

_MAX_MEMOS = 4  # priority results kept per generation (one per radius_m asked)


@dataclass(frozen=True)
class Snapshot:
    """One layer as read at one change token, with an R-tree of its geometries' boxes.

    ``geometries`` and ``ids`` are the frame's columns as arrays (None for
    layers without geometry), kept so radius queries can narrow and measure
    without slicing the whole frame first; ``index`` finds rows by id.
    """

    frame: pd.DataFrame
    tree: shapely.STRtree | None  # None for layers without geometry
    index: pd.Index
    geometries: np.ndarray | None = None
    ids: np.ndarray | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Snapshot:
        """Snapshot a store frame (the tree is built once, here)."""
        ids = frame["id"].to_numpy(dtype=object)
        geoms = getattr(frame, "geometry", None)
        if geoms is None:
            return cls(frame, None, pd.Index(ids))
        geometries = np.asarray(geoms.values, dtype=object)
        return cls(frame, shapely.STRtree(geometries), pd.Index(ids), geometries, ids)

    def candidates(self, box: tuple[float, float, float, float] | None) -> np.ndarray:
        """Positions of rows whose bounding box intersects ``box``, ascending (all when None)."""
        if box is None or self.tree is None:
            return np.arange(len(self.frame))
        return np.sort(self.tree.query(shapely.box(*box)))  # the tree answers unordered

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Positions of the rows with these ids, ascending (id order); unknown ids are skipped."""
        # ids are unique in a layer, so the index's hash table answers each in O(1)
        found = self.index.get_indexer([str(i) for i in ids])
        return np.unique(found[found >= 0])


@dataclass
class _Generation:
    token: Token
    layers: dict[str, Snapshot]
    memos: dict[Any, pd.DataFrame] = field(default_factory=dict)


class LayerCache:
    """Snapshots of ``layers`` of one GeoPackage, rebuilt when anything commits.

    Parameters
    ----------
    path : Path
        The ``.gpkg`` file.
    layers : sequence of str
        The layers snapshotted together (one read transaction).
    load : callable
        ``load(names)`` returns ``{name: frame}`` read in one transaction.

    Thread-safe: readers share an immutable generation; one thread at a time
    rebuilds it.
    """

    def __init__(self, path: Path, layers: Sequence[str], load: Loader) -> None:
        self.path = Path(path)
        self.layers = tuple(layers)
        self._load = load
        self._wal = Path(f"{self.path}-wal")
        self._lock = threading.Lock()  # guards the counter and the watcher connection
        self._build_lock = threading.Lock()
        self._writes = 0
        self._watcher: sqlite3.Connection | None = None
        self._generation: _Generation | None = None

    def note_write(self) -> None:
        """Record that this store committed a write (call after COMMIT)."""
        with self._lock:
            self._writes += 1

    def token(self) -> Token:
        """Return the current change token (see the module docstring)."""
        with self._lock:
            writes = self._writes
            try:
                if self._watcher is None:
                    self._watcher = sqlite3.connect(
                        self.path, isolation_level=None, check_same_thread=False
                    )
                version = self._watcher.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise StoreError(f"GeoPackage {str(self.path)!r} failed: {exc}") from exc
        return writes, version, _stat(self.path), _stat(self._wal)

    @overload
    def snapshots(self, *, wait: Literal[True] = ...) -> dict[str, Snapshot]: ...

    @overload
    def snapshots(self, *, wait: bool) -> dict[str, Snapshot] | None: ...

    def snapshots(self, *, wait: bool = True) -> dict[str, Snapshot] | None:
        """Return the current snapshots of every cached layer.

        With ``wait=False`` return None instead of waiting while another
        thread rebuilds (the caller then answers without the cache).
        """
        generation = self._current(wait=wait)
        return None if generation is None else generation.layers

    def memo(
        self, key: Any, compute: Callable[[dict[str, Snapshot]], pd.DataFrame]
    ) -> pd.DataFrame:
        """Return ``compute(snapshots)`` for ``key``, computed once per generation.

        The caller gets a copy, shallow under pandas copy-on-write (the only
        mode since pandas 3): edits to it never reach the kept frame.
        """
        generation = self._current(wait=True)
        assert generation is not None  # wait=True always yields a generation
        found = generation.memos.get(key)
        if found is None:
            found = compute(generation.layers)
            with self._lock:
                if len(generation.memos) >= _MAX_MEMOS:
                    generation.memos.pop(next(iter(generation.memos)))
                generation.memos[key] = found
        return copy_out(found)

    def close(self) -> None:
        """Drop the snapshots and close the watcher connection."""
        with self._lock:
            watcher, self._watcher = self._watcher, None
            self._generation = None
        if watcher is not None:
            watcher.close()

    def _current(self, *, wait: bool) -> _Generation | None:
        generation = self._generation
        if generation is not None and generation.token == self.token():
            return generation
        if not self._build_lock.acquire(blocking=wait):
            return None
        try:
            token = self.token()  # read before the data: never newer than what we load
            generation = self._generation
            if generation is None or generation.token != token:
                frames = self._load(self.layers)
                layers = {name: Snapshot.of(frames[name]) for name in self.layers}
                generation = _Generation(token, layers)
                self._generation = generation
            return generation
        finally:
            self._build_lock.release()


def copy_out(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a kept frame that the caller may edit freely.

    Shallow under pandas copy-on-write (the only mode since pandas 3): an
    edit copies the touched column then, and never reaches the kept frame.
    """
    return frame.copy(deep=not _copy_on_write())


def _copy_on_write() -> bool:
    """Whether pandas copies shared data before an edit (always from pandas 3)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return pd.get_option("mode.copy_on_write") is True


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def tidy_dtypes(layer: Layer, frame: pd.DataFrame) -> pd.DataFrame:
    """Give numeric and boolean fields the dtypes a fresh read of these rows has.

    A store frame keeps ``int``/``float``/``bool`` fields as numpy columns
    when no row is NULL and as object columns (with None) otherwise; a subset
    of a snapshot may have lost its NULLs, so its dtypes are recomputed.
    """
    for f in layer.fields:
        dtype = NUMPY_DTYPES.get(f.kind)
        if dtype is None or f.name not in frame.columns:
            continue
        column = frame[f.name]
        if column.dtype == object and not column.isna().any():
            frame[f.name] = column.astype(dtype)
    return frame
