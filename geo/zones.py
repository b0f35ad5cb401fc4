"""Radius zones: each station's geodesic circle as a polygon, for display.

The vertices lie exactly on the geodesic circle (``Geod.fwd``); the edges
between them are straight in lon/lat, so the polygon is for drawing, not for
deciding membership — :mod:`geo.radius` does that exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from geo.geodesy import check_radius_m

__all__ = ["station_zones"]

_GEOD = Geod(ellps="WGS84")


def station_zones(
    stations: pd.DataFrame, *, radius_m: float | None = None, vertices: int = 128
) -> gpd.GeoDataFrame:
    """Return one circle polygon per station.

    Parameters
    ----------
    stations : GeoDataFrame
        Stations with ``id``, ``name``, ``radius_m`` and Point geometry.
    radius_m : float, optional
        Overrides every station's own radius.
    vertices : int, default 128
        Vertices per circle.

    Returns
    -------
    GeoDataFrame
        ``id`` (the station id), ``station``, ``name``, ``radius_m`` and a
        counter-clockwise Polygon, EPSG:4326.

    Examples
    --------
    >>> from shapely import Point
    >>> st = gpd.GeoDataFrame({"id": ["M1"], "name": ["站"], "radius_m": [3000.0]},
    ...                       geometry=[Point(113.65, 34.75)], crs=4326)
    >>> station_zones(st).geometry.iloc[0].exterior.is_ccw
    True
    """
    radii = np.full(len(stations), check_radius_m(radius_m)) if radius_m is not None else (
        pd.to_numeric(stations["radius_m"], errors="coerce").fillna(3000.0).to_numpy(float)
    )
    circles = [_circle(pt.x, pt.y, r, vertices) for pt, r in
               zip(stations.geometry, radii, strict=True)]
    return gpd.GeoDataFrame(
        {
            "id": stations["id"].to_numpy(),
            "station": stations["id"].to_numpy(),
            "name": stations["name"].to_numpy(),
            "radius_m": radii,
        },
        geometry=circles,
        crs="EPSG:4326",
    )


def _circle(lon: float, lat: float, radius_m: float, vertices: int) -> shapely.Polygon:
    # Azimuths run clockwise; walking them backwards gives a CCW ring.
    azimuths = np.linspace(360.0, 0.0, vertices, endpoint=False)
    lons, lats, _ = _GEOD.fwd(
        np.full(vertices, lon), np.full(vertices, lat), azimuths, np.full(vertices, radius_m)
    )
    return shapely.Polygon(np.column_stack([lons, lats]))
