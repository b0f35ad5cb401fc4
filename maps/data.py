"""The map's data: sources, stations and backdrop as compact JSON columns.

One object of column arrays instead of one GeoJSON feature per source keeps
1e5 sources to a few megabytes; repeated texts (category, community, grid,
...) are sent once in a lookup list and referenced by index.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from geo.crs import from_lonlat, geometry_from_lonlat
from geo.errors import InputError
from geo.ledger import CATEGORIES
from geo.priority import flagged_sources
from geo.store.base import Store

__all__ = ["MapFilter", "map_data", "select_sources"]

_CODED = ("category", "status", "fume_purifier", "community", "grid", "last_inspected",
          "nearest_station")
_PLAIN = ("id", "name", "address")
_DECIMALS = 6  # ~0.1 m: finer than any basemap pixel


class MapFilter:
    """Which sources the map shows; every argument is optional."""

    def __init__(self, *, station: str | None = None, category: str | None = None,
                 priority: bool = False, community: str | None = None) -> None:
        if category is not None and category not in CATEGORIES:
            raise InputError(
                f"category must be one of {', '.join(CATEGORIES)}; got {category!r}")
        self.station, self.category = station, category
        self.priority, self.community = priority, community

    def as_params(self) -> dict[str, str]:
        """Return the filter as query parameters (only those that are set)."""
        params = {"station": self.station, "category": self.category,
                  "community": self.community, "priority": "true" if self.priority else None}
        return {k: v for k, v in params.items() if v}


def select_sources(store: Store, flt: MapFilter) -> pd.DataFrame:
    """Return the flagged sources the filter keeps, ordered by id.

    Raises
    ------
    NotFoundError
        ``flt.station`` names no station.
    """
    if flt.station is not None:
        store.get("stations", flt.station)
    return _kept(flagged_sources(store), flt)


def _kept(frame: pd.DataFrame, flt: MapFilter) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if flt.category:
        keep &= (frame["category"] == flt.category).to_numpy()
    if flt.community:
        keep &= (frame["community"] == flt.community).to_numpy()
    if flt.priority:
        keep &= frame["priority"].fillna(False).astype(bool).to_numpy()
    if flt.station:
        keep &= np.array([flt.station in (s or []) for s in frame["stations"]], dtype=bool)
    return frame[keep].reset_index(drop=True)


def map_data(store: Store, flt: MapFilter, *, datum: str = "wgs84") -> dict[str, Any]:
    """Return everything the map draws, in ``datum`` (``wgs84`` or ``gcj02``).

    Returns
    -------
    dict
        ``sources`` (column arrays plus lookup lists), ``stations`` (each
        with ``counts``: its priority targets by category, ``priority``:
        their number, and ``recheck``: closed sources inside its radius,
        over the whole ledger whatever the filter), ``districts`` and
        ``grids`` (GeoJSON), ``count`` and ``station``.

    Raises
    ------
    NotFoundError
        ``flt.station`` names no station.
    """
    if flt.station is not None:
        store.get("stations", flt.station)
    flagged = flagged_sources(store)
    sources = _kept(flagged, flt)
    stations = store.read("stations")
    return {
        "count": len(sources),
        "station": flt.station,
        "datum": datum,
        "sources": _source_columns(sources, datum),
        "stations": _station_rows(stations, datum, _inside_counts(flagged)),
        "districts": _outline(store.read("districts"), datum, ("name",)),
        "grids": _outline(store.read("grids"), datum, ("name", "community")),
    }


def _source_columns(frame: pd.DataFrame, datum: str) -> dict[str, Any]:
    geoms = frame.geometry.to_numpy()
    lon, lat = _anchors(geoms)
    lon, lat = _shift(lon, lat, datum)
    out: dict[str, Any] = {name: _texts(frame[name]) for name in _PLAIN}
    for name in _CODED:
        codes, values = pd.factorize(frame[name].astype(object).where(frame[name].notna()))
        out[name] = {"codes": codes.tolist(), "values": [str(v) for v in values]}
    out["lon"] = np.round(lon, _DECIMALS).tolist()
    out["lat"] = np.round(lat, _DECIMALS).tolist()
    out["priority"] = frame["priority"].fillna(False).astype(int).tolist()
    # closed but inside a radius: drawn apart, as the re-check list (shut stalls come back)
    out["recheck"] = frame["recheck"].fillna(False).astype(int).tolist()
    dist = pd.to_numeric(frame["distance_m"], errors="coerce").round(0).astype("Int64")
    out["distance_m"] = dist.astype(object).where(dist.notna(), None).tolist()
    out["shapes"] = _shapes(geoms, datum)
    return out


def _anchors(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return lon/lat of each marker: the point itself, else a point on the shape."""
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)  # NaN for non-points
    shaped = np.flatnonzero(np.isnan(lon))
    if len(shaped):
        inner = shapely.point_on_surface(geoms[shaped])
        lon[shaped], lat[shaped] = shapely.get_x(inner), shapely.get_y(inner)
    return lon, lat


def _texts(column: pd.Series) -> list[str | None]:
    return column.astype(object).where(column.notna(), None).astype(object).tolist()


def _shift(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    if datum == "wgs84" or len(lon) == 0:
        return np.asarray(lon, float), np.asarray(lat, float)
    x, y = from_lonlat(lon, lat, crs=datum)
    return np.asarray(x, float), np.asarray(y, float)


def _shapes(geoms: np.ndarray, datum: str) -> dict[str, Any]:
    """Lines and polygons by row index (points are drawn from lon/lat alone)."""
    kinds = shapely.get_type_id(geoms) if len(geoms) else np.array([], dtype=int)
    rows = np.flatnonzero((kinds >= 1) & (kinds != 4))  # -1 missing, 0 point, 4 multipoint
    return {str(i): _geojson(geoms[i], datum) for i in rows}


def _geojson(geom: Any, datum: str) -> dict[str, Any]:
    if datum != "wgs84":
        geom = geometry_from_lonlat(geom, crs=datum)
    return mapping(shapely.set_precision(geom, 10.0**-_DECIMALS))


def _station_rows(frame: pd.DataFrame, datum: str,
                  inside: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    lon, lat = _shift(shapely.get_x(frame.geometry.to_numpy()),
                      shapely.get_y(frame.geometry.to_numpy()), datum)
    radius = pd.to_numeric(frame["radius_m"], errors="coerce").fillna(3000.0)
    empty = {"counts": {}, "priority": 0, "recheck": 0}
    return [
        {"id": str(r["id"]), "name": str(r["name"]), "level": r.get("level"),
         "radius_m": float(rad), "lon": round(float(x), _DECIMALS),
         "lat": round(float(y), _DECIMALS), **inside.get(str(r["id"]), empty)}
        for (_, r), rad, x, y in zip(frame.iterrows(), radius, lon, lat, strict=True)
    ]


def _inside_counts(flagged: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per station id: priority targets by category, their total, and the re-check count.

    From the flags' ``stations`` lists, as ``/priority`` and the reports count: a source
    inside several radii counts for each of those stations.
    """
    priority = flagged["priority"].fillna(False).astype(bool).to_numpy()
    recheck = flagged["recheck"].fillna(False).astype(bool).to_numpy()
    rows = flagged.loc[priority | recheck, ["category", "stations"]].assign(
        priority=priority[priority | recheck], recheck=recheck[priority | recheck])
    rows = rows.explode("stations").dropna(subset=["stations"])
    by_cat = rows[rows["priority"]].groupby(["stations", "category"]).size()
    rechecks = rows[rows["recheck"]].groupby("stations").size()
    order = {cat: k for k, cat in enumerate(CATEGORIES)}  # the legend's order
    out: dict[str, dict[str, Any]] = {
        str(sid): {"counts": {}, "priority": 0, "recheck": int(rechecks.get(sid, 0))}
        for sid in rows["stations"].unique()}
    for (sid, cat), n in sorted(by_cat.items(), key=lambda kv: order.get(kv[0][1], 99)):
        out[str(sid)]["counts"][str(cat)] = int(n)
        out[str(sid)]["priority"] += int(n)
    return out


def _outline(frame: pd.DataFrame, datum: str, fields: tuple[str, ...]) -> dict[str, Any]:
    features = [
        {"type": "Feature", "properties": {f: _plain(row.get(f)) for f in fields},
         "geometry": _geojson(row.geometry, datum)}
        for _, row in frame.iterrows() if row.geometry is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
