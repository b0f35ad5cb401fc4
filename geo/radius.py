"""Radius and priority engine: exact geodesic distances from stations to sources.

Everything here is decided on the WGS84 ellipsoid and agrees with
``pyproj.Geod(ellps="WGS84").inv`` (the test oracle) to the centimetre for
points and to 0.5 m for lines and polygons. Frames are GeoDataFrames in
EPSG:4326 with an ``id`` column, as stores return them; stations carry
``radius_m`` (missing column or blank values mean 3000 m).

How it stays exact and fast
---------------------------
* Points go to Earth-centred (ECEF) coordinates. For a short geodesic of
  length *s* the chord *c* satisfies ``s = c + c**3 / (24 * rho**2) + ...``
  with *rho* the normal-section radius of curvature. Up to 20 km the mean
  radius ``sqrt(M * N)`` at the station is good to < 0.1 mm; up to 200 km
  Euler's radius for the chord's azimuth at the midpoint is good to
  < 0.05 mm (both measured against Geod). Farther pairs use ``Geod.inv``.
* A pair whose estimate lies within 1 cm of the radius is re-measured with
  ``Geod.inv``, so the in/out decision is exactly the oracle's.
* Candidate pairs come from a lon/lat grid in which each station is
  registered in every cell its conservative bounding box (meridian radius
  at the equator, parallel radius at the extreme latitude) can reach. Polar
  caps and the antimeridian are handled: a box wraps or spans all longitudes.
* Nearest stations come from a k-d tree over station ECEF coordinates; near
  ties are re-measured with geodesic distances.
* Lines and polygons are split into short (<= ~56 m) lon/lat-straight pieces;
  the closest point of each piece near a station is found in ECEF and its
  geodesic distance measured. A station inside a polygon has distance 0.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod
from scipy.spatial import cKDTree

from geo.errors import CoordinateError, ValidationError
from geo.geodesy import A_M, E2, M_MIN_M, N_MAX_M, box_half_widths, check_radius_m
from geo.ledger import DEFAULT_RADIUS_M

__all__ = [
    "FlagResult",
    "flag_priority",
    "geodesic_distance_m",
    "nearest_station",
    "within",
    "within_positions",
]

_GEOD = Geod(ellps="WGS84")
_SHORT_M = 20_000.0  # chord formula with sqrt(M N) at the station up to here
_CHORD_LIMIT_M = 200_000.0  # chord formula with Euler's radius up to here, Geod beyond
_BAND_M = 0.01  # decisions this close to the radius are re-measured with Geod
_PIECE_DEG = 0.0005  # longest line piece in degrees: <= 56 m on the ground
_HALF_PIECE_M = 28.0 + 1.0
_MAX_CELLS = 1 << 22
_MAX_ENTRIES = 8_000_000
_MIN_CELL_DEG = 1e-9  # grid cells are an index only: any size is exact, 0 is not
_BLOCK = 1 << 15  # points per block: keeps temporaries in cache
_WORKERS = min(2, os.cpu_count() or 1)
_POINT = 0
_POLYGONS = (3, 6)  # Polygon, MultiPolygon


# --------------------------------------------------------------------------- public API
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
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    _, _, dist = _GEOD.inv(*flat)
    return np.asarray(dist, dtype=float).reshape(arrays[0].shape)


@dataclass(frozen=True)
class FlagResult:
    """Result of :func:`flag_priority`; arrays are aligned with the input rows.

    Attributes
    ----------
    ids, station_ids : ndarray
        Source and station ids in input order.
    priority : ndarray of bool
        Inside the radius of at least one station.
    nearest : ndarray of int
        Row position of the nearest station (any radius), -1 without stations.
    distance_m : ndarray of float
        Geodesic distance to the nearest station; NaN without stations.
    pair_source, pair_station, pair_distance_m : ndarray
        Coverage pairs: every (source row, station row, distance) with the
        distance within that station's radius; grouped by source row.
    """

    ids: np.ndarray
    station_ids: np.ndarray
    priority: np.ndarray
    nearest: np.ndarray
    distance_m: np.ndarray
    pair_source: np.ndarray
    pair_station: np.ndarray
    pair_distance_m: np.ndarray

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coverage pairs as ``(source_idx, station_idx, distance_m)``."""
        return self.pair_source, self.pair_station, self.pair_distance_m

    def to_frame(self) -> pd.DataFrame:
        """Return one row per source, ordered like the input.

        Columns: ``id``, ``priority``, ``nearest_station`` (id or None),
        ``distance_m`` and ``stations`` (ids of covering stations, nearest
        first, ties by id).
        """
        nearest = np.full(len(self.ids), None, dtype=object)
        found = self.nearest >= 0
        nearest[found] = self.station_ids[self.nearest[found]]
        return pd.DataFrame(
            {
                "id": self.ids,
                "priority": self.priority,
                "nearest_station": nearest,
                "distance_m": self.distance_m,
                "stations": self._station_lists(),
            }
        )

    def _station_lists(self) -> list[list[str]]:
        id_rank = _rank(self.station_ids)
        order = np.lexsort((id_rank[self.pair_station], self.pair_distance_m, self.pair_source))
        names = self.station_ids[self.pair_station[order]].tolist()
        counts = np.bincount(self.pair_source, minlength=len(self.ids)).tolist()
        chunks = iter(names)
        return [list(itertools.islice(chunks, n)) for n in counts]


def within(
    sources: gpd.GeoDataFrame, lon: float, lat: float, *, radius_m: float
) -> gpd.GeoDataFrame:
    """Return the sources within ``radius_m`` of a point, nearest first.

    Parameters
    ----------
    sources : GeoDataFrame
        EPSG:4326 frame with an ``id`` column; any geometry type.
    lon, lat : float
        The centre, degrees.
    radius_m : float
        Geodesic radius in metres; a source counts when its (minimum)
        distance is <= ``radius_m``.

    Returns
    -------
    GeoDataFrame
        The matching rows plus ``distance_m``, sorted by distance, ties by id.

    Examples
    --------
    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"id": ["a", "b"]},
    ...     geometry=[Point(113.65, 34.76), Point(113.65, 34.8)], crs=4326)
    >>> within(frame, 113.65, 34.75, radius_m=3000)[["id", "distance_m"]].round(2)
      id  distance_m
    0  a     1109.36
    """
    positions, distance = within_positions(
        _check_frame(sources, "sources", ("id",)),
        sources["id"].to_numpy(dtype=object),
        lon,
        lat,
        radius_m=radius_m,
    )
    hits = sources.iloc[positions].copy()
    hits["distance_m"] = distance
    return hits.reset_index(drop=True)


def within_positions(
    geometries: np.ndarray, ids: np.ndarray, lon: float, lat: float, *, radius_m: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Return the positions and distances of geometries within ``radius_m``, nearest first.

    The array form of :func:`within`, for callers that keep their own
    columns (a store's in-memory snapshot): the same decisions, without
    building a frame.

    Parameters
    ----------
    geometries : ndarray of shapely geometries
        Lon/lat (EPSG:4326); any geometry type, none missing or empty.
    ids : ndarray
        One id per geometry: ties in distance are ordered by id.
    lon, lat : float
        The centre, degrees.
    radius_m : float
        Geodesic radius in metres.

    Returns
    -------
    positions : ndarray of int
        Indexes into ``geometries``, sorted by distance, ties by id.
    distance_m : ndarray of float
        Their geodesic (minimum) distances, in metres.

    Examples
    --------
    >>> from shapely import Point
    >>> geoms = np.array([Point(113.65, 34.8), Point(113.65, 34.76)])
    >>> pos, dist = within_positions(geoms, np.array(["b", "a"]), 113.65, 34.75, radius_m=3000)
    >>> pos.tolist(), dist.round(2).tolist()
    ([1], [1109.36])
    """
    radius = check_radius_m(radius_m)
    centre = _point_sites(np.array([lon]), np.array([lat]), what="centre")
    src = _sources_of(np.asarray(geometries, dtype=object), np.asarray(ids, dtype=object))
    rows, distance = _within_rows(src, centre, radius)
    order = np.lexsort((_rank(src.ids[rows]), distance))
    return rows[order], distance[order]


def nearest_station(stations: gpd.GeoDataFrame, lon: float, lat: float) -> tuple[str, float] | None:
    """Return ``(station id, distance_m)`` of the station nearest to a point.

    Ties go to the smallest id; None when there are no stations.

    Examples
    --------
    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"id": ["m1", "m2"], "radius_m": [3000.0, 3000.0]},
    ...     geometry=[Point(113.65, 34.76), Point(113.65, 34.8)], crs=4326)
    >>> sid, dist = nearest_station(frame, 113.65, 34.75)
    >>> sid, round(dist, 2)
    ('m1', 1109.36)
    """
    sta_ids, sta = _read_stations(stations)
    if len(sta_ids) == 0:
        return None
    here = _point_sites(np.array([lon]), np.array([lat]), what="point")
    index, dist = _nearest_points(here, sta, _rank(sta_ids))
    return str(sta_ids[index[0]]), float(dist[0])


def flag_priority(
    sources: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, *, radius_m: float | None = None
) -> FlagResult:
    """Flag every source inside the radius of some monitoring station.

    Parameters
    ----------
    sources : GeoDataFrame
        EPSG:4326 frame with ``id``; Point, LineString or Polygon geometry
        (lines and polygons count by their minimum distance).
    stations : GeoDataFrame
        EPSG:4326 Point frame with ``id`` and ``radius_m`` (blank: 3000 m).
    radius_m : float, optional
        Overrides every station's own radius for this run.

    Returns
    -------
    FlagResult
        Arrays aligned with ``sources``; ``.to_frame()`` gives the table.

    Raises
    ------
    ValidationError
        A missing column, a blank geometry, a radius that is not a positive
        finite number.

    Examples
    --------
    >>> from shapely import Point
    >>> stations = gpd.GeoDataFrame({"id": ["m1"], "radius_m": [3000.0]},
    ...     geometry=[Point(113.65, 34.75)], crs=4326)
    >>> sources = gpd.GeoDataFrame({"id": ["a", "b"]},
    ...     geometry=[Point(113.65, 34.76), Point(113.65, 34.8)], crs=4326)
    >>> flag_priority(sources, stations).to_frame()[["id", "priority", "stations"]]
      id  priority stations
    0  a      True     [m1]
    1  b     False       []
    """
    src = _read_sources(sources)
    sta_ids, sta = _read_stations(stations)
    if radius_m is not None:
        radius = np.full(len(sta_ids), check_radius_m(radius_m))
    else:
        radius = _station_radii(stations, sta_ids)
    uniform = len(radius) == 0 or bool(np.all(radius == radius[0]))
    result = _flag(src, sta, radius, uniform=uniform, station_ids=sta_ids)
    return result


# --------------------------------------------------------------------------- reading input
@dataclass(frozen=True)
class _Sites:
    """Points with lon/lat (degrees) and ECEF coordinates (metres, shape 3 x n)."""

    lon: np.ndarray
    lat: np.ndarray
    xyz: np.ndarray

    def __len__(self) -> int:
        return len(self.lon)


@dataclass(frozen=True)
class _Sources:
    ids: np.ndarray
    point_rows: np.ndarray
    point_lon: np.ndarray
    point_lat: np.ndarray
    shape_rows: np.ndarray
    shapes: np.ndarray


def _check_frame(frame: object, what: str, columns: tuple[str, ...]) -> np.ndarray:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ValidationError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what} frame has no column {missing[0]!r}; expected columns "
            f"{', '.join(columns)} and a geometry",
            field=missing[0],
        )
    crs = frame.crs
    if crs is not None and crs.to_epsg() not in (4326, 4490) and not crs.equals("OGC:CRS84"):
        raise CoordinateError(
            f"{what} are in {crs.to_string()}; expected lon/lat EPSG:4326 "
            "(convert with to_crs(4326))"
        )
    geoms = np.asarray(frame.geometry.values, dtype=object)
    return geoms


def _check_blank(what: str, ids: np.ndarray, blank: np.ndarray) -> None:
    if blank.any():
        raise ValidationError(
            f"{what} {ids[np.argmax(blank)]!r} has no geometry; every row needs one",
            field="geometry",
        )


def _point_sites(lon: np.ndarray, lat: np.ndarray, *, what: str, ids: object = None) -> _Sites:
    lon = np.ascontiguousarray(lon, dtype=float)
    lat = np.ascontiguousarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        k = int(np.argmax(bad))
        name = f" {np.asarray(ids)[k]!r}" if ids is not None else ""
        raise CoordinateError(
            f"{what}{name} has lon/lat ({lon[k]}, {lat[k]}); expected lon in "
            "[-180, 180] and lat in [-90, 90]"
        )
    return _Sites(lon, lat, _ecef(lon, lat))


def _read_sources(frame: gpd.GeoDataFrame) -> _Sources:
    geoms = _check_frame(frame, "sources", ("id",))
    return _sources_of(geoms, frame["id"].to_numpy(dtype=object))


def _sources_of(geoms: np.ndarray, ids: np.ndarray) -> _Sources:
    kind = shapely.get_type_id(geoms)
    is_point = kind == _POINT
    if is_point.all():  # the common case: skip the copies
        point_rows, shape_rows, pts = np.arange(len(geoms)), np.empty(0, np.int64), geoms
    else:
        point_rows, shape_rows = np.flatnonzero(is_point), np.flatnonzero(~is_point)
        pts = geoms[point_rows]
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    _check_blank("source", ids[point_rows], np.isnan(lon))  # POINT EMPTY has NaN coordinates
    shapes = geoms[shape_rows]
    _check_blank("source", ids[shape_rows], (kind[shape_rows] < 0) | shapely.is_empty(shapes))
    if len(shapes):
        bounds = shapely.bounds(shapes)
        lo, hi = bounds.min(axis=0), bounds.max(axis=0)
        _point_sites(np.array([lo[0], hi[2]]), np.array([lo[1], hi[3]]), what="source geometry")
    return _Sources(ids, point_rows, lon, lat, shape_rows, shapes)


def _read_stations(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, _Sites]:
    geoms = _check_frame(frame, "stations", ("id",))
    ids = frame["id"].to_numpy(dtype=object)
    _check_blank("station", ids, shapely.is_missing(geoms) | shapely.is_empty(geoms))
    not_point = shapely.get_type_id(geoms) != _POINT
    if not_point.any():
        k = int(np.argmax(not_point))
        raise ValidationError(
            f"station {ids[k]!r} is a {shapely.get_type_id(geoms[k])} geometry type id; "
            "expected a Point",
            field="geometry",
        )
    return ids, _point_sites(shapely.get_x(geoms), shapely.get_y(geoms), what="station", ids=ids)


def _station_radii(frame: gpd.GeoDataFrame, ids: np.ndarray) -> np.ndarray:
    if "radius_m" not in frame.columns:
        return np.full(len(ids), DEFAULT_RADIUS_M)
    raw = pd.to_numeric(frame["radius_m"], errors="coerce").to_numpy(dtype=float)
    blank = frame["radius_m"].isna().to_numpy()
    radius = np.where(blank, DEFAULT_RADIUS_M, raw)
    bad = ~(np.isfinite(radius) & (radius > 0))
    if bad.any():
        k = int(np.argmax(bad))
        raise ValidationError(
            f"station {ids[k]!r} has radius_m {frame['radius_m'].tolist()[k]!r}; expected a "
            "positive finite number of metres",
            field="radius_m",
        )
    return radius


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


# --------------------------------------------------------------------------- station grid
@dataclass(frozen=True)
class _Grid:
    """Stations registered in every lon/lat cell their radius can reach."""

    lon0: float
    lat0: float
    dlon: float
    dlat: float
    nx: int
    ny: int
    indptr: np.ndarray
    members: np.ndarray

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        ix = np.floor((lon - self.lon0) / self.dlon)
        iy = np.floor((lat - self.lat0) / self.dlat)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(inside, ix * self.ny + iy, self.nx * self.ny).astype(np.int64)


def _station_boxes(sta: _Sites, radius: np.ndarray) -> tuple[np.ndarray, ...]:
    """Conservative lon/lat half-widths of each geodesic circle (:mod:`geo.geodesy`).

    Also the cosine of each box's most poleward latitude, for distance bounds.
    """
    dlat, dlon = box_half_widths(sta.lat, radius)
    cos_ext = np.cos(np.radians(np.minimum(np.abs(sta.lat) + dlat, 90.0)))
    return dlat, dlon, cos_ext


def _lon_intervals(lon: np.ndarray, dlon: np.ndarray) -> tuple[np.ndarray, ...]:
    """Split each [lon - dlon, lon + dlon] at the antimeridian: (owner, lo, hi)."""
    lo, hi = lon - dlon, lon + dlon
    full = dlon >= 180.0
    lo, hi = np.where(full, -180.0, lo), np.where(full, 180.0, hi)
    wrap_lo, wrap_hi = lo < -180.0, hi > 180.0
    owner = np.arange(len(lon))
    extra = np.flatnonzero(wrap_lo | wrap_hi)
    extra_lo = np.where(wrap_lo[extra], lo[extra] + 360.0, -180.0)
    extra_hi = np.where(wrap_lo[extra], 180.0, hi[extra] - 360.0)
    return (
        np.concatenate([owner, extra]),
        np.concatenate([np.clip(lo, -180.0, 180.0), extra_lo]),
        np.concatenate([np.clip(hi, -180.0, 180.0), extra_hi]),
    )


def _grid_shape(
    lo: np.ndarray, hi: np.ndarray, lat_lo: np.ndarray, lat_hi: np.ndarray, radius: np.ndarray
) -> tuple[float, float, float, float, int, int]:
    lon0, lon1 = float(lo.min()), float(hi.max())
    lat0, lat1 = float(lat_lo.min()), float(lat_hi.max())
    # the floor: a radius of a few 1e-324 m would make cells of 0 degrees (then 0/0)
    dlat = max(np.degrees(float(np.median(radius)) / 5.0 / A_M), _MIN_CELL_DEG)
    coslat = max(np.cos(np.radians(max(abs(lat0), abs(lat1)))), 0.05)
    dlon = dlat / coslat
    # entries ~ sum over boxes of cells covered; cells ~ extent / cell size
    box_cells = ((hi - lo) / dlon + 2.0) * ((lat_hi - lat_lo) / dlat + 2.0)
    scale = max(
        1.0,
        np.sqrt(float(box_cells.sum()) / _MAX_ENTRIES),
        np.sqrt((lon1 - lon0) / dlon * (lat1 - lat0) / dlat / _MAX_CELLS),
    )
    dlon, dlat = dlon * scale, dlat * scale
    nx = int(np.floor((lon1 - lon0) / dlon)) + 1
    ny = int(np.floor((lat1 - lat0) / dlat)) + 1
    return lon0, lat0, dlon, dlat, nx, ny


def _build_grid(sta: _Sites, radius: np.ndarray) -> _Grid:
    dlat_deg, dlon_deg, cos_ext = _station_boxes(sta, radius)
    owner, lo, hi = _lon_intervals(sta.lon, dlon_deg)
    lat_lo = np.maximum(sta.lat[owner] - dlat_deg[owner], -90.0)
    lat_hi = np.minimum(sta.lat[owner] + dlat_deg[owner], 90.0)
    lon0, lat0, dlon, dlat, nx, ny = _grid_shape(lo, hi, lat_lo, lat_hi, radius)
    ix0 = np.floor((lo - lon0) / dlon).astype(np.int64)
    ix1 = np.minimum(np.floor((hi - lon0) / dlon).astype(np.int64), nx - 1)
    iy0 = np.floor((lat_lo - lat0) / dlat).astype(np.int64)
    iy1 = np.minimum(np.floor((lat_hi - lat0) / dlat).astype(np.int64), ny - 1)
    nxk = ix1 - ix0 + 1
    rows = np.repeat(np.arange(len(owner)), nxk)
    ix = _ranges(ix0, nxk)
    nyk = (iy1 - iy0 + 1)[rows]
    iy = _ranges(iy0[rows], nyk)
    ix, rows = np.repeat(ix, nyk), np.repeat(rows, nyk)
    station = owner[rows]
    # drop cells the circle cannot reach: a lower bound on the distance to the cell
    dphi = np.maximum(np.abs(lat0 + (iy + 0.5) * dlat - sta.lat[station]) - dlat / 2, 0.0)
    wrapped = (lon0 + (ix + 0.5) * dlon - sta.lon[station] + 180.0) % 360.0 - 180.0
    dlam = np.maximum(np.abs(wrapped) - dlon / 2, 0.0)
    bound = np.hypot(M_MIN_M * np.radians(dphi), A_M * cos_ext[station] * np.radians(dlam))
    keep = bound <= radius[station] * (1.0 + 1e-9) + 1e-6
    key = np.unique((ix[keep] * ny + iy[keep]) * len(sta) + station[keep])
    cell, members = np.divmod(key, len(sta))
    members = members.astype(np.int32)
    indptr = np.zeros(nx * ny + 2, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=indptr[1 : nx * ny + 1])
    indptr[-1] = indptr[-2]
    return _Grid(lon0, lat0, dlon, dlat, nx, ny, indptr, members)


# --------------------------------------------------------------------------- point sources
def _covering_pairs(
    pts: _Sites, sta: _Sites, radius: np.ndarray, grid: _Grid, *, uniform: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (point, station, distance_m) for every point inside a station's radius."""
    cell = grid.cells(pts.lon, pts.lat)
    start = grid.indptr[cell]
    count = grid.indptr[cell + 1] - start
    stn = grid.members[_ranges(start, count)]
    c2 = np.zeros(len(stn))
    for axis in range(3):  # repeat, not gather: candidates come out point by point
        d = np.repeat(pts.xyz[axis], count)
        d -= sta.xyz[axis][stn]
        d *= d
        c2 += d
    reach2 = (radius + _BAND_M) ** 2
    near = np.flatnonzero(c2 <= (reach2[0] if uniform else reach2[stn]))  # chord <= geodesic
    src = np.repeat(np.arange(len(pts), dtype=np.int32), count)[near]
    stn = stn[near]
    c = np.sqrt(c2[near])
    if c.size and c.max() > _SHORT_M:
        s = _pair_distance_m(pts, src, sta, stn, c)
    else:  # the hot path of _pair_distance_m, inlined
        s = c * c
        s *= _inv_24_mn(sta.lat)[stn]
        s += 1.0
        s *= c
    r = radius[0] if uniform else radius[stn]
    s = _remeasure(pts, src, sta, stn, s, r)
    inside = np.flatnonzero(s <= r)
    return src[inside], stn[inside], s[inside]


def _tie_tolerance_m(c: np.ndarray) -> np.ndarray:
    """How far apart two chords may be while their geodesic order is still in doubt."""
    half = np.minimum(c / 2.0, M_MIN_M)
    spread = 2 * N_MAX_M * np.arcsin(np.minimum(half / N_MAX_M, 1.0))
    spread = 2 * M_MIN_M * np.arcsin(np.minimum(half / M_MIN_M, 1.0)) - spread
    return spread + 1e-3


def _nearest_points(
    pts: _Sites, sta: _Sites, sta_rank: np.ndarray, tree: cKDTree | None = None
) -> tuple[np.ndarray, ...]:
    """Nearest station (ties by id) and its geodesic distance for every point."""
    tree = cKDTree(sta.xyz.T) if tree is None else tree
    k = min(2, len(sta))
    chord, index = tree.query(pts.xyz.T, k=k)
    chord, index = chord.reshape(len(pts), k), index.reshape(len(pts), k)
    best = index[:, 0].astype(np.int64)
    if k == 2:
        doubt = np.flatnonzero(chord[:, 1] - chord[:, 0] <= _tie_tolerance_m(chord[:, 0]))
        if len(doubt):
            best[doubt] = _settle_ties(pts, sta, sta_rank, tree, doubt, chord[doubt, 0])
    dist = _pair_distance_m(pts, np.arange(len(pts)), sta, best, None)
    return best, dist


def _settle_ties(
    pts: _Sites,
    sta: _Sites,
    sta_rank: np.ndarray,
    tree: cKDTree,
    rows: np.ndarray,
    chord: np.ndarray,
) -> np.ndarray:
    """Resolve near-equidistant stations with Geod distances; ties by station id."""
    reach = chord + _tie_tolerance_m(chord) + 1e-3
    found = tree.query_ball_point(pts.xyz[:, rows].T, r=reach)
    sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(rows))
    owner = np.repeat(np.arange(len(rows)), sizes)
    cand = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=sizes.sum())
    return _closest_by_geod(pts, rows[owner], sta, cand, sta_rank)


def _nearest_from_pairs(
    src: np.ndarray, stn: np.ndarray, dist: np.ndarray, sta_rank: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per source with pairs (grouped by source): the closest station, ties by id."""
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    best_dist = np.minimum.reduceat(dist, starts)
    sizes = np.diff(np.r_[starts, len(src)])
    hit = np.flatnonzero(dist == np.repeat(best_dist, sizes))
    if len(hit) == len(starts):  # no exact ties: one hit per source
        return src[starts], stn[hit], best_dist
    rank = np.full(len(src), np.iinfo(np.int64).max)
    rank[hit] = sta_rank[stn[hit]]
    best_rank = np.minimum.reduceat(rank, starts)
    return src[starts], np.argsort(sta_rank)[best_rank], best_dist


# --------------------------------------------------------------------------- nearest station
def _s_upper_m(chord: np.ndarray) -> np.ndarray:
    """Largest geodesic length a chord can have (sphere with the smallest radius)."""
    return 2.0 * M_MIN_M * np.arcsin(np.minimum(chord / (2.0 * M_MIN_M), 1.0))


def _build_near_grid(lon: np.ndarray, lat: np.ndarray, sta: _Sites, tree: cKDTree) -> _Grid:
    """Cells over the points, each listing every station that can be nearest inside it."""
    lon0, lat0 = float(lon.min()), float(lat.min())
    coslat = max(np.cos(np.radians(max(abs(lat0), abs(float(lat.max()))))), 0.05)
    area = max(float(np.ptp(lon)) * coslat, 1e-5) * max(float(np.ptp(lat)), 1e-5)
    dlat = np.sqrt(area / min(16 * len(sta) + 64, _MAX_CELLS))
    dlon = dlat / coslat
    nx = int(np.ptp(lon) // dlon) + 1
    ny = int(np.ptp(lat) // dlat) + 1
    ix, iy = np.divmod(np.arange(nx * ny), ny)
    lon_c, lat_c = lon0 + (ix + 0.5) * dlon, lat0 + (iy + 0.5) * dlat
    centre = _ecef(lon_c, np.clip(lat_c, -90, 90))
    half = np.zeros(nx * ny)  # farthest chord from the centre to the cell's rim
    for fx, fy in itertools.product((-0.5, 0.0, 0.5), repeat=2):
        rim = _ecef(lon_c + fx * dlon, np.clip(lat_c + fy * dlat, -90, 90)) - centre
        half = np.maximum(half, np.sqrt(np.einsum("ij,ij->j", rim, rim)))
    half = half * 1.01 + 1.0
    chord, _ = tree.query(centre.T, k=1)
    # a point p of the cell has its nearest station within s_upper(chord + half) of p
    found = tree.query_ball_point(centre.T, r=half + _s_upper_m(chord + half) + 1.0)
    sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=nx * ny)
    members = np.fromiter(itertools.chain.from_iterable(found), np.int64, int(sizes.sum()))
    indptr = np.zeros(nx * ny + 2, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1 : nx * ny + 1])
    indptr[-1] = indptr[-2]
    return _Grid(lon0, lat0, dlon, dlat, nx, ny, indptr, members)


def _nearest_in_grid(
    pts: _Sites, sta: _Sites, sta_rank: np.ndarray, grid: _Grid
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest station (ties by id) and geodesic distance, candidates from ``grid``."""
    cell = grid.cells(pts.lon, pts.lat)
    start = grid.indptr[cell]
    count = grid.indptr[cell + 1] - start
    stn = grid.members[_ranges(start, count)]
    c2 = np.zeros(len(stn))
    for axis in range(3):
        d = np.repeat(pts.xyz[axis], count)
        d -= sta.xyz[axis][stn]
        c2 += d * d
    rho = np.sqrt(1.0 / (24.0 * _inv_24_mn(sta.lat)))[stn]
    s_est = 2.0 * rho * np.arcsin(np.minimum(np.sqrt(c2) / (2.0 * rho), 1.0))
    first = np.cumsum(count) - count
    best = np.minimum.reduceat(s_est, first)
    close = s_est <= np.repeat(best + 2.0 * _tie_tolerance_m(best), count)
    doubt = np.add.reduceat(close, first) > 1
    chosen = stn[np.flatnonzero(close & ~np.repeat(doubt, count))]
    result = np.empty(len(pts), dtype=np.int64)
    result[~doubt] = chosen
    rows = np.flatnonzero(doubt)
    if len(rows):
        pick = np.flatnonzero(close & np.repeat(doubt, count))
        owner = np.repeat(np.arange(len(pts)), count)[pick]
        result[rows] = _closest_by_geod(pts, owner, sta, stn[pick], sta_rank)
    return result, _pair_distance_m(pts, np.arange(len(pts)), sta, result)


def _closest_by_geod(
    pts: _Sites, owner: np.ndarray, sta: _Sites, cand: np.ndarray, sta_rank: np.ndarray
) -> np.ndarray:
    """For candidates (owner point, station) grouped by owner: the Geod-closest, ties by id."""
    dist = geodesic_distance_m(pts.lon[owner], pts.lat[owner], sta.lon[cand], sta.lat[cand])
    order = np.lexsort((sta_rank[cand], dist, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]]
    return cand[order][first]


# --------------------------------------------------------------------------- lines and polygons
def _pieces(shapes: np.ndarray) -> tuple[_Sites, np.ndarray, np.ndarray]:
    """Vertices of short lon/lat-straight pieces: (vertices, vertex->shape, segment starts)."""
    parts, owner = shapely.get_parts(shapes, return_index=True)
    is_poly = np.isin(shapely.get_type_id(parts), _POLYGONS)
    lines = np.where(is_poly, shapely.boundary(parts), parts)
    lines, owner2 = shapely.get_parts(lines, return_index=True)
    lines = shapely.segmentize(lines, _PIECE_DEG)
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    verts = _point_sites(coords[:, 0], coords[:, 1], what="source vertex")
    seg = np.flatnonzero(line_of[1:] == line_of[:-1])
    return verts, owner[owner2[line_of]], seg


def _group_min(key: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum ``dist`` per distinct ``key``: (keys, minima)."""
    order = np.lexsort((dist, key))
    key, dist = key[order], dist[order]
    first = np.r_[True, key[1:] != key[:-1]]
    return key[first], dist[first]


def _shape_candidates(
    verts: _Sites,
    shape_of: np.ndarray,
    n_shapes: int,
    sta: _Sites,
    radius: np.ndarray,
    tree: cKDTree,
) -> tuple[np.ndarray, np.ndarray]:
    """(vertex, station) pairs close enough to matter for coverage or nearest."""
    chord, nn = tree.query(verts.xyz.T, k=1)
    approx = _pair_distance_m(verts, np.arange(len(verts)), sta, nn.astype(np.int64), chord)
    upper = np.full(n_shapes, np.inf)
    np.minimum.at(upper, shape_of, approx)
    reach = np.maximum(upper, radius.max())[shape_of] + _HALF_PIECE_M
    found = tree.query_ball_point(verts.xyz.T, r=reach)
    sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(verts))
    vert = np.repeat(np.arange(len(verts)), sizes)
    stn = np.fromiter(itertools.chain.from_iterable(found), dtype=np.int64, count=sizes.sum())
    return vert, stn


def _segment_distance_m(verts: _Sites, seg: np.ndarray, sta: _Sites, stn: np.ndarray) -> np.ndarray:
    """Minimum geodesic distance from stations to pieces (seg -> seg + 1)."""
    a, b, q = verts.xyz[:, seg], verts.xyz[:, seg + 1], sta.xyz[:, stn]
    ab = b - a
    t = np.einsum("ij,ij->j", q - a, ab) / np.maximum(np.einsum("ij,ij->j", ab, ab), 1e-300)
    t = np.clip(t, 0.0, 1.0)  # closest point in ECEF; the piece is straight to < 0.1 mm
    lon = verts.lon[seg] + t * (verts.lon[seg + 1] - verts.lon[seg])
    lat = verts.lat[seg] + t * (verts.lat[seg + 1] - verts.lat[seg])
    inner = _Sites(lon, lat, _ecef(lon, lat))
    mid = _pair_distance_m(inner, np.arange(len(seg)), sta, stn)
    ends = np.minimum(
        _pair_distance_m(verts, seg, sta, stn), _pair_distance_m(verts, seg + 1, sta, stn)
    )
    return np.minimum(mid, ends)


def _shape_distances(
    shapes: np.ndarray, sta: _Sites, radius: np.ndarray, tree: cKDTree
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shape, station, minimum distance) for every station that may matter to a shape."""
    verts, shape_of, seg = _pieces(shapes)
    vert, stn = _shape_candidates(verts, shape_of, len(shapes), sta, radius, tree)
    is_seg = np.zeros(len(verts) + 1, dtype=bool)
    is_seg[seg] = True
    # every piece touching a candidate vertex: the one ending there and the one starting there
    s_vert = np.concatenate([vert[is_seg[vert]], vert[is_seg[vert - 1] & (vert > 0)] - 1])
    s_stn = np.concatenate([stn[is_seg[vert]], stn[is_seg[vert - 1] & (vert > 0)]])
    key = np.unique(s_vert * len(sta) + s_stn)
    s_vert, s_stn = np.divmod(key, len(sta))
    dist = _segment_distance_m(verts, s_vert, sta, s_stn)
    v_dist = _pair_distance_m(verts, vert, sta, stn)
    m = len(sta)
    shape_key = np.concatenate([shape_of[s_vert] * m + s_stn, shape_of[vert] * m + stn])
    hit_sta, hit_shape = shapely.STRtree(shapes).query(
        shapely.points(sta.lon, sta.lat), predicate="intersects"
    )
    shape_key = np.concatenate([shape_key, hit_shape * len(sta) + hit_sta])
    all_dist = np.concatenate([dist, v_dist, np.zeros(len(hit_sta))])
    key, best = _group_min(shape_key, all_dist)
    shape, station = np.divmod(key, len(sta))
    return shape, station, best


# --------------------------------------------------------------------------- the engine
def _within_rows(
    src: _Sources, centre: _Sites, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``src`` within ``radius_m`` of the one point ``centre`` and their distances.

    The decisions of :func:`_flag` for a single station, without its grid and
    nearest-station search: with one centre every candidate is one pair.
    """
    radius = np.array([radius_m])
    rows, dist = [np.empty(0, dtype=np.int64)], [np.empty(0)]
    if len(src.point_rows):
        pts = _point_sites(src.point_lon, src.point_lat, what="source", ids=src.ids[src.point_rows])
        d = pts.xyz - centre.xyz
        c = np.sqrt(np.einsum("ij,ij->j", d, d))
        near = np.flatnonzero(c <= radius_m + _BAND_M)  # a chord never exceeds its geodesic
        zero = np.zeros(len(near), dtype=np.int64)
        s = _pair_distance_m(pts, near, centre, zero, c[near])
        s = _remeasure(pts, near, centre, zero, s, radius_m)
        inside = s <= radius_m
        rows.append(src.point_rows[near[inside]])
        dist.append(s[inside])
    if len(src.shapes):
        shape, _, s = _shape_distances(src.shapes, centre, radius, cKDTree(centre.xyz.T))
        inside = s <= radius_m
        rows.append(src.shape_rows[shape[inside]])
        dist.append(s[inside])
    return np.concatenate(rows), np.concatenate(dist)


def _flag(
    src: _Sources,
    sta: _Sites,
    radius: np.ndarray,
    *,
    uniform: bool,
    station_ids: np.ndarray | None = None,
) -> FlagResult:
    n = len(src.ids)
    station_ids = (
        np.array([f"#{i}" for i in range(len(sta))], dtype=object)
        if station_ids is None
        else station_ids
    )
    nearest = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    empty = np.empty(0, dtype=np.int64)
    if len(sta) == 0 or n == 0:
        return FlagResult(
            src.ids,
            station_ids,
            np.zeros(n, dtype=bool),
            nearest,
            distance,
            empty,
            empty.copy(),
            np.empty(0),
        )
    sta_rank = _rank(station_ids)
    parts = [_flag_points(src, sta, radius, sta_rank, uniform=uniform, out=(nearest, distance))]
    if len(src.shapes):
        parts.append(_flag_shapes(src, sta, radius, sta_rank, out=(nearest, distance)))
    pair_src, pair_stn, pair_dist = parts[0]
    if len(src.shapes):
        pair_src, pair_stn, pair_dist = (np.concatenate(x) for x in zip(*parts, strict=True))
        order = np.argsort(pair_src, kind="stable")
        pair_src, pair_stn, pair_dist = pair_src[order], pair_stn[order], pair_dist[order]
    priority = np.zeros(n, dtype=bool)
    priority[pair_src] = True
    return FlagResult(
        src.ids, station_ids, priority, nearest, distance, pair_src, pair_stn, pair_dist
    )


def _flag_points(
    src: _Sources,
    sta: _Sites,
    radius: np.ndarray,
    sta_rank: np.ndarray,
    *,
    uniform: bool,
    out: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, ...]:
    """Coverage pairs of point sources; fills nearest station and distance in ``out``.

    Points go through in blocks so that temporaries stay in cache (a loop over
    blocks of tens of thousands of points, not over points).
    """
    if len(src.point_rows) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0)
    grid = _build_grid(sta, radius)
    near = _build_near_grid(src.point_lon, src.point_lat, sta, cKDTree(sta.xyz.T))

    def block(lo: int) -> tuple[np.ndarray, ...]:
        rows = src.point_rows[lo : lo + _BLOCK]
        pts = _point_sites(
            src.point_lon[lo : lo + _BLOCK],
            src.point_lat[lo : lo + _BLOCK],
            what="source",
            ids=src.ids[rows],
        )
        p_src, p_stn, p_dist = _covering_pairs(pts, sta, radius, grid, uniform=uniform)
        _nearest_block(
            pts, rows, (p_src, p_stn, p_dist), sta, sta_rank, near, uniform=uniform, out=out
        )
        return rows[p_src], p_stn, p_dist

    starts = range(0, len(src.point_rows), _BLOCK)
    if len(starts) == 1 or _WORKERS == 1:
        found = [block(lo) for lo in starts]
    else:  # numpy releases the GIL in the heavy loops; blocks write disjoint rows of ``out``
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            found = list(pool.map(block, starts))
    return tuple(np.concatenate(x) for x in zip(*found, strict=True))


def _nearest_block(
    pts: _Sites,
    rows: np.ndarray,
    pairs: tuple[np.ndarray, ...],
    sta: _Sites,
    sta_rank: np.ndarray,
    near: _Grid,
    *,
    uniform: bool,
    out: tuple[np.ndarray, np.ndarray],
) -> None:
    nearest, distance = out
    todo = np.ones(len(pts), dtype=bool)
    if uniform and len(pairs[0]):
        # with one radius for all, no uncovering station can be nearer than a covering one
        who, best, best_dist = _nearest_from_pairs(*pairs, sta_rank)
        nearest[rows[who]], distance[rows[who]] = best, best_dist
        todo[who] = False
    rest = np.flatnonzero(todo)
    if len(rest):
        sub = _Sites(pts.lon[rest], pts.lat[rest], pts.xyz[:, rest])
        nearest[rows[rest]], distance[rows[rest]] = _nearest_in_grid(sub, sta, sta_rank, near)


def _flag_shapes(
    src: _Sources,
    sta: _Sites,
    radius: np.ndarray,
    sta_rank: np.ndarray,
    *,
    out: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, ...]:
    """Coverage pairs of lines and polygons; fills nearest and distance in ``out``."""
    nearest, distance = out
    tree = cKDTree(sta.xyz.T)
    shape, station, dist = _shape_distances(src.shapes, sta, radius, tree)
    who, best, best_dist = _nearest_from_pairs(shape, station, dist, sta_rank)
    nearest[src.shape_rows[who]], distance[src.shape_rows[who]] = best, best_dist
    inside = dist <= radius[station]
    return src.shape_rows[shape[inside]], station[inside], dist[inside]
