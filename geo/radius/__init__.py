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

Modules, each a banner of the former single module: ``kernels`` (ellipsoid maths and
:func:`geodesic_distance_m`), ``sites`` (reading the frames), ``grid`` (the station
grid), ``nearest`` (point sources and the nearest station), ``shapes`` (lines and
polygons) and ``engine`` (the public functions and the loops that drive the rest).

May import: numpy, scipy, shapely, pyproj, geopandas and ``geo.geodesy``,
``geo.ledger``, ``geo.errors``; never a store, the web layer or maps.
"""

from geo.radius.engine import FlagResult, flag_priority, nearest_station, within, within_positions
from geo.radius.kernels import geodesic_distance_m

__all__ = [
    "FlagResult",
    "flag_priority",
    "geodesic_distance_m",
    "nearest_station",
    "within",
    "within_positions",
]
