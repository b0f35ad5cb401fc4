"""Lines and polygons: minimum distances from stations to their short pieces."""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.radius.kernels import _ecef, _pair_distance_m
from geo.radius.sites import _point_sites, _Sites

_PIECE_DEG = 0.0005  # longest line piece in degrees: <= 56 m on the ground
_HALF_PIECE_M = 28.0 + 1.0
_POLYGONS = (3, 6)  # Polygon, MultiPolygon


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
