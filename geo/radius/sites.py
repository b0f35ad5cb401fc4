"""Reading input: checked station and source frames as arrays of sites."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import CoordinateError, ValidationError
from geo.ledger import DEFAULT_RADIUS_M
from geo.radius.kernels import _ecef

_POINT = 0


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
