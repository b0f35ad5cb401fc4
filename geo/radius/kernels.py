"""Ellipsoid maths: geodesic distances, ECEF coordinates and the chord formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from geo.geodesy import A_M, E2

if TYPE_CHECKING:
    from geo.radius.sites import _Sites

_GEOD = Geod(ellps="WGS84")
_SHORT_M = 20_000.0  # chord formula with sqrt(M N) at the station up to here
_CHORD_LIMIT_M = 200_000.0  # chord formula with Euler's radius up to here, Geod beyond
_BAND_M = 0.01  # decisions this close to the radius are re-measured with Geod


def geodesic_distance_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Return exact geodesic distances on the WGS84 ellipsoid, in metres.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Degrees; broadcast against each other.

    Returns
    -------
    ndarray of float
        ``Geod(ellps="WGS84").inv`` distances.

    Examples
    --------
    >>> round(float(geodesic_distance_m(113.65, 34.75, 113.65, 34.76)), 2)
    1109.36
    """
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    lon1_, lat1_, lon2_, lat2_ = (np.ascontiguousarray(a).ravel() for a in arrays)
    _, _, dist = _GEOD.inv(lon1_, lat1_, lon2_, lat2_)
    return np.asarray(dist, dtype=float).reshape(arrays[0].shape)


# --------------------------------------------------------------------------- ellipsoid maths
def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam = np.radians(lon)
    phi = np.radians(lat)
    sin_phi = np.sin(phi)
    n = A_M / np.sqrt(1.0 - E2 * sin_phi * sin_phi)
    ncos = n * np.cos(phi)
    return np.stack([ncos * np.cos(lam), ncos * np.sin(lam), n * (1.0 - E2) * sin_phi])


def _inv_24_mn(lat: np.ndarray) -> np.ndarray:
    """Return 1 / (24 M N), the cubic chord coefficient at latitude ``lat``."""
    w = 1.0 - E2 * np.sin(np.radians(lat)) ** 2
    return w * w / (24.0 * A_M * A_M * (1.0 - E2))


def _euler_s(c: np.ndarray, d: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Geodesic length from chord ``c`` (vector ``d``) using Euler's radius at the midpoint."""
    mid = 0.5 * (p + q)
    lam = np.arctan2(mid[1], mid[0])
    phi = np.arctan2(mid[2], np.hypot(mid[0], mid[1]) * (1.0 - E2))  # ~geodetic, ample here
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    w = 1.0 - E2 * sp * sp
    n = A_M / np.sqrt(w)
    m = n * (1.0 - E2) / w
    north = -sp * cl * d[0] - sp * sl * d[1] + cp * d[2]
    up = cp * cl * d[0] + cp * sl * d[1] + sp * d[2]
    cos2 = north * north / np.maximum(c * c - up * up, 1e-300)
    k = cos2 / m + (1.0 - cos2) / n
    return c + c**3 * k * k / 24.0 + 3.0 * c**5 * k**4 / 640.0


def _pair_distance_m(
    a: _Sites, ia: np.ndarray, b: _Sites, ib: np.ndarray, c: np.ndarray | None = None
) -> np.ndarray:
    """Geodesic distance of pairs (a[ia], b[ib]) to < 0.1 mm; ``c`` is their chord if known."""
    if c is None:
        d = a.xyz[:, ia] - b.xyz[:, ib]
        c = np.sqrt(np.einsum("ij,ij->j", d, d))
    s = c + c**3 * _inv_24_mn(b.lat)[ib]
    mid = np.flatnonzero(c > _SHORT_M)
    if len(mid):
        p, q = a.xyz[:, ia[mid]], b.xyz[:, ib[mid]]
        s[mid] = _euler_s(c[mid], p - q, p, q)
        far = mid[c[mid] > _CHORD_LIMIT_M]
        s[far] = geodesic_distance_m(a.lon[ia[far]], a.lat[ia[far]], b.lon[ib[far]], b.lat[ib[far]])
    return s


def _remeasure(
    a: _Sites, ia: np.ndarray, b: _Sites, ib: np.ndarray, s: np.ndarray, radius: np.ndarray | float
) -> np.ndarray:
    """Replace estimates within the safety band of ``radius`` by Geod distances."""
    close = np.flatnonzero(np.abs(s - radius) <= _BAND_M)
    if len(close):
        s = s.copy()
        s[close] = geodesic_distance_m(
            a.lon[ia[close]], a.lat[ia[close]], b.lon[ib[close]], b.lat[ib[close]]
        )
    return s


def _rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value in sorted order (ties between equal ids keep input order)."""
    order = np.argsort(values.astype(str), kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for every (s, n) without a Python loop."""
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
