"""The station grid: candidate station/source pairs from a lon/lat cell index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.geodesy import A_M, M_MIN_M, box_half_widths
from geo.radius.kernels import _ranges
from geo.radius.sites import _Sites

_MAX_CELLS = 1 << 22
_MAX_ENTRIES = 8_000_000
_MIN_CELL_DEG = 1e-9  # grid cells are an index only: any size is exact, 0 is not


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
