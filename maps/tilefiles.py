"""Read map tiles from a local MBTiles or PMTiles (v3) file, for offices with no internet.

Two containers, one interface (:class:`TileFile`): ``tile(z, x, y)`` answers
the stored bytes of one XYZ tile (y counted from the north, as Leaflet asks)
or None. The file's kind is found from its first bytes, never its name.

- **MBTiles** (SQLite): table ``tiles`` counts rows from the south (TMS), so
  ``y`` is flipped; table ``metadata`` gives ``format``, ``bounds``,
  ``minzoom``/``maxzoom``, ``name``, ``attribution`` and, for vector tiles,
  ``json`` with ``vector_layers``.
- **PMTiles v3**: a 127-byte header, a root directory and leaf directories of
  varint-coded entries (internal compression none or gzip), tiles addressed by
  a tile id along the Hilbert curve of each zoom level.

A file is opened once and kept while its modification time and size stay the
same (:func:`open_tile_file`): replacing the file on disk takes effect on the
next request, with no restart.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import struct
import threading
import zlib
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from geo.errors import StoreError

__all__ = ["Tile", "TileFile", "TileFileError", "TileFileInfo", "open_tile_file", "tile_id"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PMTILES_MAGIC = b"PMTiles"
_GZIP_MAGIC = b"\x1f\x8b"
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
               "avif": "image/avif", "pbf": "application/vnd.mapbox-vector-tile"}
# names MBTiles writers use for the same formats
_FORMAT_ALIASES = {"jpeg": "jpg", "mvt": "pbf", **{name: name for name in MEDIA_TYPES}}


class TileFileError(StoreError):
    """A basemap file is missing, unreadable, damaged or neither MBTiles nor PMTiles."""


@dataclass(frozen=True)
class TileFileInfo:
    """What a tile file holds, from its metadata (MBTiles) or header and metadata (PMTiles)."""

    path: str
    container: str  # "mbtiles" or "pmtiles"
    tile_format: str  # "png", "jpg", "webp", "avif" or "pbf" (Mapbox vector tiles)
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north in degrees
    name: str = ""
    attribution: str = ""
    vector_layers: tuple[str, ...] = ()

    @property
    def vector(self) -> bool:
        """True for vector tiles (drawn in the browser), False for images."""
        return self.tile_format == "pbf"

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` of one tile."""
        return MEDIA_TYPES[self.tile_format]


@dataclass(frozen=True)
class Tile:
    """One stored tile: its bytes as stored, their type and their compression, if any."""

    data: bytes
    media_type: str
    encoding: str | None = None  # "gzip" for a gzip-compressed vector tile


class TileFile(ABC):
    """An open tile file; safe to share between threads."""

    info: TileFileInfo

    @abstractmethod
    def _read(self, z: int, x: int, y: int) -> bytes | None: ...

    def tile(self, z: int, x: int, y: int) -> Tile | None:
        """Return tile ``z/x/y`` (XYZ, y from the north), or None if the file has none there.

        An address outside the pyramid (``x`` or ``y`` not below ``2**z``) has no tile either.

        Raises
        ------
        TileFileError
            The file cannot be read any more or is damaged where the tile should be.
        """
        if not (0 <= z <= 30 and 0 <= x < 1 << z and 0 <= y < 1 << z):
            return None
        data = self._read(z, x, y)
        if not data:
            return None
        gzipped = self.info.vector and data[:2] == _GZIP_MAGIC
        return Tile(data, self.info.media_type, "gzip" if gzipped else None)

    def close(self) -> None:  # noqa: B027 - a container with nothing to release may keep this
        """Release the file."""


_OPENED: dict[Path, tuple[tuple[int, int], TileFile]] = {}
_OPENED_LOCK = threading.Lock()


def open_tile_file(path: str | Path) -> TileFile:
    """Return the tile file at ``path``, opened once per path, modification time and size.

    Raises
    ------
    TileFileError
        No such file, unreadable, or not an MBTiles or PMTiles (v3) file; the
        message names the file and the reason.
    """
    resolved = Path(path).expanduser().resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise TileFileError(f"basemap file {str(path)!r} cannot be read: {exc.strerror}") from exc
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _OPENED_LOCK:
        cached = _OPENED.get(resolved)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        # a replaced file's old reader is left to the garbage collector: a request in
        # another thread may still be reading from it
        opened = _open(resolved)
        _OPENED[resolved] = (stamp, opened)
        return opened


def _open(path: Path) -> TileFile:
    try:
        with path.open("rb") as f:
            magic = f.read(16)
    except OSError as exc:
        raise TileFileError(f"basemap file {str(path)!r} cannot be read: {exc.strerror}") from exc
    if magic.startswith(_SQLITE_MAGIC):
        return _MBTiles(path)
    if magic.startswith(_PMTILES_MAGIC):
        return _PMTiles(path)
    if magic.startswith(b"PM\x02\x00"):
        raise TileFileError(f"basemap file {str(path)!r} is PMTiles version 2; convert it to "
                            "version 3 (pmtiles convert)")
    raise TileFileError(f"basemap file {str(path)!r} is neither an MBTiles nor a PMTiles file")


def _format(name: str | None, path: Path) -> str:
    found = _FORMAT_ALIASES.get((name or "").strip().lower())
    if found is None:
        raise TileFileError(f"basemap file {str(path)!r} holds tiles of format {name!r}; "
                            f"expected one of {', '.join(MEDIA_TYPES)}")
    return found


def _sniff(data: bytes | None) -> str | None:
    """Guess a tile's format from its first bytes (MBTiles without a ``format`` entry)."""
    if not data:
        return None
    for prefix, name in ((b"\x89PNG", "png"), (b"\xff\xd8", "jpg"), (_GZIP_MAGIC, "pbf")):
        if data.startswith(prefix):
            return name
    return "webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def _bounds(text: Any) -> tuple[float, float, float, float] | None:
    """Parse ``west,south,east,north``; None when absent or not a box on the globe."""
    try:
        west, south, east, north = (float(v) for v in str(text).split(","))
    except ValueError:
        return None
    if -180 <= west < east <= 180 and -90 <= south < north <= 90:
        return west, south, east, north
    return None


def _layer_ids(layers: Any) -> tuple[str, ...]:
    """Return the ``id`` of each entry of a TileJSON ``vector_layers`` list."""
    if not isinstance(layers, list):
        return ()
    return tuple(str(layer["id"]) for layer in layers
                 if isinstance(layer, dict) and isinstance(layer.get("id"), str))


class _MBTiles(TileFile):
    """An MBTiles file, read-only, through one SQLite connection guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            # read-only: the server never writes to an office's map file
            self._db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = self._db.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles")
            low, high = zooms.fetchone()
            first = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        except sqlite3.Error as exc:
            raise TileFileError(f"basemap file {str(path)!r} is not a readable MBTiles file "
                                f"(tables tiles and metadata): {exc}") from exc
        if low is None:
            raise TileFileError(f"basemap file {str(path)!r} holds no tiles")
        fmt = _format(meta.get("format") or _sniff(first[0] if first else None), path)
        try:
            layers = _layer_ids(json.loads(meta.get("json") or "{}").get("vector_layers"))
        except (ValueError, AttributeError):
            layers = ()
        self.info = TileFileInfo(
            path=str(path), container="mbtiles", tile_format=fmt,
            min_zoom=int(low), max_zoom=int(high), bounds=_bounds(meta.get("bounds")),
            name=str(meta.get("name") or ""), attribution=str(meta.get("attribution") or ""),
            vector_layers=layers)

    def _read(self, z: int, x: int, y: int) -> bytes | None:
        tms_row = (1 << z) - 1 - y  # MBTiles counts rows from the south
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                    "AND tile_row = ?", (z, x, tms_row)).fetchone()
        except sqlite3.Error as exc:
            raise TileFileError(f"basemap file {self.info.path!r}: {exc}") from exc
        return None if row is None or row[0] is None else bytes(row[0])

    def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()


def tile_id(z: int, x: int, y: int) -> int:
    """Return the PMTiles v3 tile id of XYZ tile ``z/x/y``.

    Ids count every tile of the lower zoom levels first, then follow the
    Hilbert curve across level ``z``.

    Examples
    --------
    >>> [tile_id(1, x, y) for x, y in [(0, 0), (0, 1), (1, 1), (1, 0)]], tile_id(2, 0, 0)
    ([1, 2, 3, 4], 5)
    """
    before = ((1 << (2 * z)) - 1) // 3  # 4**0 + ... + 4**(z-1)
    index, half = 0, 1 << z >> 1
    while half:
        rx, ry = int(x & half > 0), int(y & half > 0)
        index += half * half * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant so the curve stays continuous
            if rx == 1:
                x, y = half - 1 - (x & (half - 1)), half - 1 - (y & (half - 1))
            x, y = y, x
        half >>= 1
    return before + index


@dataclass(frozen=True)
class _Directory:
    """A PMTiles directory: parallel columns, sorted by tile id."""

    ids: list[int]
    runs: list[int]  # 0: the entry points to a leaf directory
    offsets: list[int]
    lengths: list[int]


def _varints(buf: bytes, count: int, pos: int) -> tuple[list[int], int]:
    """Read ``count`` unsigned LEB128 varints from ``buf`` at ``pos``."""
    values = []
    for _ in range(count):
        value = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        values.append(value)
    return values, pos


def _parse_directory(buf: bytes) -> _Directory:
    """Decode a (decompressed) directory; raises IndexError on truncated bytes."""
    (count,), pos = _varints(buf, 1, 0)
    deltas, pos = _varints(buf, count, pos)
    runs, pos = _varints(buf, count, pos)
    lengths, pos = _varints(buf, count, pos)
    raw_offsets, pos = _varints(buf, count, pos)
    ids: list[int] = []
    offsets: list[int] = []
    last = 0
    for i in range(count):
        last += deltas[i]
        ids.append(last)
        # 0 means "right after the previous entry": the common case of clustered tiles
        offsets.append(offsets[i - 1] + lengths[i - 1] if raw_offsets[i] == 0 and i
                       else raw_offsets[i] - 1)
    return _Directory(ids, runs, offsets, lengths)


_PM_HEADER = struct.Struct("<7sB11Q6B4iB2i")  # 127 bytes, PMTiles v3 specification
_PM_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
_PM_COMPRESSION = {0: None, 1: None, 2: "gzip"}  # 0 unknown, 1 none; 3 brotli, 4 zstd refused
_LEAF_CACHE_SIZE = 64


class _PMTiles(TileFile):
    """A PMTiles v3 file read with plain seeks and reads (portable; no mmap to go stale)."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._leaves: OrderedDict[tuple[int, int], _Directory] = OrderedDict()
        self._file: BinaryIO = path.open("rb")
        self._path = path
        try:
            self._load_header()
        except (struct.error, IndexError, OSError, EOFError, ValueError, zlib.error) as exc:
            self._file.close()
            raise TileFileError(f"basemap file {str(path)!r} is a damaged PMTiles file: "
                                f"{type(exc).__name__}: {exc}") from exc

    def _refuse(self, why: str) -> TileFileError:
        self._file.close()
        return TileFileError(f"basemap file {str(self._path)!r}: {why}")

    def _load_header(self) -> None:
        h = _PM_HEADER.unpack(self._bytes(0, _PM_HEADER.size))
        if h[1] != 3:
            raise self._refuse(f"PMTiles version {h[1]} is not supported; expected 3")
        internal, compression, kind = h[14], h[15], h[16]
        if internal not in (1, 2) or compression not in _PM_COMPRESSION:
            raise self._refuse("its compression is not supported (only none or gzip); "
                               "re-create it with gzip compression")
        if kind not in _PM_TYPES:
            raise self._refuse(f"its tile type {kind} is unknown")
        self._gzip_internal = internal == 2
        (root_off, root_len, meta_off, meta_len, self._leaf_off, _, self._data_off) = h[2:9]
        self._root = _parse_directory(self._internal(root_off, root_len))
        meta = json.loads(self._internal(meta_off, meta_len) or b"{}") if meta_len else {}
        if not isinstance(meta, dict):
            meta = {}
        west, south, east, north = (v / 1e7 for v in h[19:23])
        self.info = TileFileInfo(
            path=str(self._path), container="pmtiles", tile_format=_PM_TYPES[kind],
            min_zoom=h[17], max_zoom=h[18], bounds=_bounds(f"{west},{south},{east},{north}"),
            name=str(meta.get("name") or ""), attribution=str(meta.get("attribution") or ""),
            vector_layers=_layer_ids(meta.get("vector_layers")))

    def _bytes(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._file.seek(offset)
            data = self._file.read(length)
        if len(data) != length:
            raise EOFError(f"{length} bytes at offset {offset} run past the end of the file")
        return data

    def _internal(self, offset: int, length: int) -> bytes:
        data = self._bytes(offset, length)
        return gzip.decompress(data) if self._gzip_internal else data

    def _leaf(self, offset: int, length: int) -> _Directory:
        key = (offset, length)
        with self._lock:
            if key in self._leaves:
                self._leaves.move_to_end(key)
                return self._leaves[key]
        leaf = _parse_directory(self._internal(self._leaf_off + offset, length))
        with self._lock:
            self._leaves[key] = leaf
            if len(self._leaves) > _LEAF_CACHE_SIZE:
                self._leaves.popitem(last=False)
        return leaf

    def _read(self, z: int, x: int, y: int) -> bytes | None:
        wanted, directory = tile_id(z, x, y), self._root
        try:
            for _ in range(4):  # the root and at most three levels of leaves
                i = bisect_right(directory.ids, wanted) - 1
                if i < 0:
                    return None
                if directory.runs[i] == 0:
                    directory = self._leaf(directory.offsets[i], directory.lengths[i])
                    continue
                if wanted >= directory.ids[i] + directory.runs[i]:
                    return None
                return self._bytes(self._data_off + directory.offsets[i], directory.lengths[i])
        except (IndexError, OSError, EOFError, ValueError, zlib.error) as exc:
            raise TileFileError(f"basemap file {self.info.path!r} is damaged: {exc}") from exc
        return None

    def close(self) -> None:
        """Close the file."""
        self._file.close()
