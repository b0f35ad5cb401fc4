"""Point sources: the stations covering each point and the nearest station."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.spatial import cKDTree

from geo.geodesy import M_MIN_M, N_MAX_M
from geo.radius.grid import _MAX_CELLS, _Grid
from geo.radius.kernels import (
    _BAND_M,
    _SHORT_M,
    _ecef,
    _inv_24_mn,
    _pair_distance_m,
    _ranges,
    _remeasure,
    geodesic_distance_m,
)
from geo.radius.sites import _Sites


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
