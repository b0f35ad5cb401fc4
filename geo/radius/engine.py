"""The engine: within-radius, nearest-station and priority flags over whole frames."""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.geodesy import check_radius_m
from geo.radius.grid import _build_grid, _Grid
from geo.radius.kernels import _BAND_M, _pair_distance_m, _rank, _remeasure
from geo.radius.nearest import (
    _build_near_grid,
    _covering_pairs,
    _nearest_from_pairs,
    _nearest_in_grid,
    _nearest_points,
)
from geo.radius.shapes import _shape_distances
from geo.radius.sites import (
    _check_frame,
    _point_sites,
    _read_sources,
    _read_stations,
    _Sites,
    _Sources,
    _sources_of,
    _station_radii,
)

_BLOCK = 1 << 15  # points per block: keeps temporaries in cache
_WORKERS = min(2, os.cpu_count() or 1)


# --------------------------------------------------------------------------- public API
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
        src, stn, dist = pairs
        who, best, best_dist = _nearest_from_pairs(src, stn, dist, sta_rank)
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
