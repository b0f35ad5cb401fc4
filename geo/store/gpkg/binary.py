"""GeoPackage geometry blobs (GeoPackage 1.3, clause 2.1.3) and their SQL functions.

A blob is an 8-byte header (``GP``, version 0, flags, int32 ``srs_id``), an
optional envelope of doubles, then standard WKB. We always write
little-endian blobs with an XY envelope ``[minx, maxx, miny, maxy]``; we
read any header GDAL or QGIS may write (no envelope, XYZ/XYM/XYZM
envelopes, big-endian header, empty flag).

The ``ST_MinX`` ... ``ST_IsEmpty`` functions registered by
:func:`register_functions` are the ones the GeoPackage R-tree triggers call;
plain ``sqlite3`` lacks them, GDAL and QGIS bring their own.
"""

from __future__ import annotations

import functools
import sqlite3
import struct
from collections.abc import Callable, Sequence

import numpy as np
import shapely

from geo.errors import StoreError

__all__ = ["decode_geometries", "encode_geometries", "envelope", "register_functions"]

_MAGIC = b"GP"
# Flags: bit 0 = little-endian, bits 1-3 = envelope kind (1: XY), bit 4 = empty.
_FLAGS_LE_XY = 0b0000_0011
_FLAGS_EMPTY = 0b0001_0000
# Envelope bytes for envelope kinds 0..4 (none, XY, XYZ, XYM, XYZM).
_ENVELOPE_BYTES = (0, 32, 48, 48, 64)
_LE_ENVELOPE = struct.Struct("<4d")
_BE_ENVELOPE = struct.Struct(">4d")
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("env", "<f8", 4)]
)


def encode_geometries(
    geometries: Sequence[object] | np.ndarray, *, srs_id: int
) -> list[bytes | None]:
    """Return GeoPackage blobs for shapely geometries (None stays None).

    Vectorised: one call builds every header and every WKB.

    Examples
    --------
    >>> blob = encode_geometries([shapely.Point(113.6, 34.7)], srs_id=4326)[0]
    >>> blob[:2], len(blob)
    (b'GP', 61)
    """
    geoms = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(geoms)
    headers = np.zeros(len(geoms), dtype=_HEADER)
    headers["magic"] = _MAGIC
    headers["srs_id"] = srs_id
    headers["flags"] = _FLAGS_LE_XY
    empty = present & shapely.is_empty(geoms)
    headers["flags"][empty] |= _FLAGS_EMPTY
    bounds = shapely.bounds(geoms)  # NaN for empty geometries, as the spec asks
    headers["env"] = bounds[:, [0, 2, 1, 3]]
    wkbs = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    raw = headers.tobytes()
    size = _HEADER.itemsize
    return [
        raw[i * size : (i + 1) * size] + wkb if ok else None
        for i, (wkb, ok) in enumerate(zip(wkbs, present, strict=True))
    ]


def _wkb_offset(blob: bytes) -> int:
    if blob[:2] != _MAGIC:
        raise StoreError(f"not a GeoPackage geometry blob: starts with {blob[:2]!r}, not b'GP'")
    kind = (blob[3] >> 1) & 0b111
    if kind >= len(_ENVELOPE_BYTES):
        raise StoreError(f"bad GeoPackage envelope indicator {kind}; expected 0 to 4")
    return 8 + _ENVELOPE_BYTES[kind]


def decode_geometries(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Return an array of shapely geometries (None for NULL blobs)."""
    wkbs = [None if b is None else bytes(b[_wkb_offset(b) :]) for b in blobs]
    return shapely.from_wkb(np.asarray(wkbs, dtype=object))


@functools.lru_cache(maxsize=16)
def envelope(blob: bytes) -> tuple[float, float, float, float] | None:
    """Return ``(minx, maxx, miny, maxy)`` of a blob, None when it is empty.

    Read from the header when it has an envelope, else from the WKB
    (GDAL writes points without an envelope). Cached: an R-tree trigger asks
    five functions about the same blob in a row.
    """
    flags = blob[3]
    if flags & _FLAGS_EMPTY:
        return None
    if (flags >> 1) & 0b111:
        minx, maxx, miny, maxy = (_LE_ENVELOPE if flags & 1 else _BE_ENVELOPE).unpack_from(blob, 8)
    else:
        geom = shapely.from_wkb(bytes(blob[_wkb_offset(blob) :]))
        if geom.is_empty:
            return None
        minx, miny, maxx, maxy = geom.bounds
    if minx != minx or maxx != maxx or miny != miny or maxy != maxy:  # NaN: an empty geometry
        return None
    return minx, maxx, miny, maxy


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(envelope(blob) is None)


def _coordinate(index: int) -> Callable[[bytes | None], float | None]:
    def value(blob: bytes | None) -> float | None:
        if blob is None:
            return None
        env = envelope(blob)
        return None if env is None else env[index]

    return value


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ``ST_MinX/MaxX/MinY/MaxY/IsEmpty`` on ``conn`` for the R-tree triggers."""
    for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _coordinate(index), deterministic=True)
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
