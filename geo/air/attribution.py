"""Upwind attribution: which sources within a station's radius lie where the high hours came from.

A source at bearing *b* from the station (the geodesic forward azimuth from
the station to the source, 0..360 clockwise from north) is upwind when the
wind comes from *b*; so it takes the CPF of the rose's sector containing *b*
(the same sector rule as :mod:`geo.air.rose`).

The score
---------
``score = cpf * category_weight * status_weight`` with ``cpf`` None read as 0.
The CPF comes first: with the default weights (all in 0..1) a score never
exceeds its sector's CPF, and it reads "how often the window's high hours
came from this source's direction, discounted by how likely this kind of
source is to emit the pollutant and whether it is running". Sources in the
same sector share the CPF, so the weights mostly order the sources of one
sector; equal scores go nearer first, then by id.

* **Category** weights depend on the pollutant (:func:`default_weights`):
  dust sources (construction sites, muck-truck routes) dominate PM10 and
  weigh heavily on PM2.5; charcoal barbecues and cooking fumes emit fine
  particles and CO; industry burns fuel (SO2, NO2, CO, PM) and is rated
  highest for gases; diesel trucks and machinery emit NO2. ``other`` is
  always 0.5: unknown, neither dismissed nor favoured. They are judgement
  calls to order candidates for inspection, not emission factors; pass
  ``weights`` to override any of them.
* **Status**: ``operating`` 1, ``rectifying`` 0.5 (still there but under
  orders to cut its emissions), ``closed`` 0 (it cannot emit, so it scores 0
  and sinks, though it is still listed for re-checks). A blank status is
  read as ``operating``, the ledger's default.

Where a source is
-----------------
Its distance is the geodesic minimum distance from the station, as the
radius engine measures it (:func:`geo.radius.within_positions`: the same
in/out decision as the priority flags). For a line or polygon the bearing
goes to the geometry's point nearest the station (found in an azimuthal
equidistant projection centred on the station, where distances from the
centre are geodesic), because the near edge is what the station breathes;
a polygon containing the station has distance 0 and takes the bearing of
its representative point.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from geo.air.rose import Rose
from geo.errors import CoordinateError, InputError, ValidationError
from geo.ledger import CATEGORIES
from geo.radius import within_positions

__all__ = ["STATUS_WEIGHTS", "Attribution", "attribute", "default_weights"]

_GEOD = Geod(ellps="WGS84")
_PIECE_DEG = 0.0005  # follow lon/lat-straight edges in pieces of <= ~56 m before projecting

#: Category weights per pollutant (order: catering, bbq, night_market,
#: construction_site, muck_route, industrial, other); reasons in the module text.
_WEIGHT_ROWS: dict[str, tuple[float, ...]] = {
    "pm25": (0.6, 0.8, 0.6, 0.9, 0.9, 1.0, 0.5),
    "pm10": (0.4, 0.6, 0.5, 1.0, 1.0, 0.9, 0.5),
    "so2": (0.3, 0.4, 0.3, 0.2, 0.2, 1.0, 0.5),
    "no2": (0.4, 0.3, 0.3, 0.7, 0.8, 1.0, 0.5),
    "co": (0.6, 0.8, 0.6, 0.4, 0.6, 1.0, 0.5),
    "o3": (0.6, 0.5, 0.5, 0.5, 0.5, 1.0, 0.5),  # precursors (VOC, NOx): O3 is formed downwind
}
#: Status weights: a closed source scores 0.
STATUS_WEIGHTS: Mapping[str, float] = {"operating": 1.0, "rectifying": 0.5, "closed": 0.0}


@dataclass(frozen=True)
class Attribution:
    """One source within the radius, where it lies from the station and its score."""

    id: str
    name: str | None
    category: str
    status: str
    bearing_deg: float
    distance_m: float
    sector: int
    cpf: float | None
    weight: float  #: category weight x status weight
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return dict(self.__dict__)


def default_weights(pollutant: str) -> dict[str, float]:
    """Return the default category weights for a pollutant (PM2.5's for an unknown one).

    Examples
    --------
    >>> default_weights("pm10")["construction_site"], default_weights("so2")["industrial"]
    (1.0, 1.0)
    """
    row = _WEIGHT_ROWS.get(pollutant.lower(), _WEIGHT_ROWS["pm25"])
    return dict(zip(CATEGORIES, row, strict=True))


def attribute(
    sources: pd.DataFrame,
    station_lon: float,
    station_lat: float,
    radius_m: float,
    rose: Rose,
    *,
    weights: Mapping[str, float] | None = None,
    status_weights: Mapping[str, float] | None = None,
) -> list[Attribution]:
    """Rank the sources within ``radius_m`` of a station by how upwind of its high hours they lie.

    Parameters
    ----------
    sources : DataFrame
        Columns ``id``, ``category``, optional ``status`` and ``name``, and a
        geometry (a GeoDataFrame in EPSG:4326, any geometry type) or
        ``lon``/``lat`` columns.
    station_lon, station_lat : float
        The station, degrees.
    radius_m : float
        The station's radius in metres.
    rose : Rose
        The station's rose for the window and pollutant (:func:`pollution_rose`).
    weights : mapping, optional
        Category weights replacing the defaults of :func:`default_weights`
        for the categories named; others keep theirs.
    status_weights : mapping, optional
        Likewise for :data:`STATUS_WEIGHTS`.

    Returns
    -------
    list of Attribution
        Highest score first; equal scores nearer first, then by id.

    Examples
    --------
    >>> from geo.air.rose import pollution_rose
    >>> rows = pd.DataFrame({"wd_deg": [90] * 3 + [270] * 3, "ws_ms": [2] * 6,
    ...                      "pm25": [90, 80, 70, 10, 20, 10]})
    >>> rose = pollution_rose(rows, pollutant="pm25", sectors=4)
    >>> srcs = pd.DataFrame({"id": ["e", "w"], "category": ["bbq", "bbq"],
    ...                      "lon": [113.66, 113.64], "lat": [34.75, 34.75]})
    >>> [(a.id, a.sector, round(a.score, 3)) for a in attribute(srcs, 113.65, 34.75, 3000, rose)]
    [('e', 1, 0.533), ('w', 3, 0.0)]
    """
    geoms = _geometries(sources)
    cat_w = _merged(default_weights(rose.pollutant), weights, "weights")
    status_w = _merged(dict(STATUS_WEIGHTS), status_weights, "status_weights")
    ids = sources["id"].astype(str).to_numpy(dtype=object)
    pos, dist = within_positions(geoms, ids, station_lon, station_lat, radius_m=radius_m)
    bearing = _bearings(geoms[pos], dist, station_lon, station_lat)
    rows = sources.iloc[pos]
    out = [
        _attribution(row, float(b), float(d), rose, cat_w, status_w)
        for row, b, d in zip(rows.to_dict("records"), bearing, dist, strict=True)
    ]
    out.sort(key=lambda a: (-a.score, a.distance_m, a.id))
    return out


# --------------------------------------------------------------------------- helpers
def _attribution(
    row: Mapping[str, Any], bearing_deg: float, distance_m: float, rose: Rose,
    cat_w: Mapping[str, float], status_w: Mapping[str, float],
) -> Attribution:
    category = str(row["category"])
    status = _text(row.get("status")) or "operating"
    sector = rose.sector_of(bearing_deg)
    cpf = rose.sectors[sector].cpf
    weight = cat_w.get(category, cat_w.get("other", 0.5)) * status_w.get(status, 1.0)
    return Attribution(str(row["id"]), _text(row.get("name")), category, status, bearing_deg,
                       distance_m, sector, cpf, weight, (cpf or 0.0) * weight)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value) or None


def _merged(
    base: dict[str, float], extra: Mapping[str, float] | None, what: str
) -> dict[str, float]:
    for key, value in (extra or {}).items():
        is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        number = float(value) if is_number else -1.0
        if not 0 <= number < math.inf:
            raise InputError(f"{what}[{key!r}] must be a number of 0 or more, got {value!r}")
        base[str(key)] = number
    return base


def _geometries(sources: pd.DataFrame) -> np.ndarray:
    """Return the sources' lon/lat shapes: the geometry column, else points from lon/lat."""
    for column in ("id", "category"):
        if column not in sources.columns:
            raise ValidationError(f"sources frame has no column {column!r}", field=column)
    if isinstance(sources, gpd.GeoDataFrame) and sources.geometry.name in sources.columns:
        crs = sources.crs
        if crs is not None and crs.to_epsg() not in (4326, 4490) and not crs.equals("OGC:CRS84"):
            raise CoordinateError(f"sources are in {crs.to_string()}; expected lon/lat EPSG:4326")
        return np.asarray(sources.geometry.values, dtype=object)
    if not {"lon", "lat"} <= set(sources.columns):
        raise ValidationError("sources need a geometry or lon and lat columns", field="geometry")
    lon = pd.to_numeric(sources["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(sources["lat"], errors="coerce").to_numpy(dtype=float)
    return np.asarray(shapely.points(lon, lat), dtype=object)


def _bearings(geoms: np.ndarray, dist_m: np.ndarray, lon: float, lat: float) -> np.ndarray:
    """Forward azimuth (0..360) from the station to each source's point nearest to it."""
    targets = geoms.copy()
    shape = shapely.get_type_id(geoms) != 0
    inside = shape & (dist_m == 0)
    outside = shape & ~inside
    targets[inside] = shapely.point_on_surface(geoms[inside])
    if outside.any():
        targets[outside] = _nearest_points(geoms[outside], lon, lat)
    az, _, _ = _GEOD.inv(np.full(len(geoms), lon), np.full(len(geoms), lat),
                         shapely.get_x(targets), shapely.get_y(targets))
    return np.mod(np.asarray(az, dtype=float), 360.0)


def _nearest_points(shapes: np.ndarray, lon: float, lat: float) -> np.ndarray:
    """Return the points of lines and polygons nearest a station outside them.

    Found in the azimuthal equidistant plane centred on the station, where the
    distance from the centre is the geodesic one.
    """
    # float(): a numpy scalar's repr (np.float64(34.7)) is no number to PROJ
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={float(lat)!r} +lon_0={float(lon)!r} "
                          "+ellps=WGS84 +units=m")
    fwd = Transformer.from_crs(4326, aeqd, always_xy=True)
    back = Transformer.from_crs(aeqd, 4326, always_xy=True)
    flat = shapely.transform(shapely.segmentize(shapes, _PIECE_DEG),
                             lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    lines = shapely.shortest_line(flat, shapely.Point(0.0, 0.0))
    near = shapely.get_coordinates(shapely.get_point(lines, 0))
    x, y = back.transform(near[:, 0], near[:, 1])
    return np.asarray(shapely.points(x, y), dtype=object)
