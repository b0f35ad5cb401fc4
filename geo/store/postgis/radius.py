"""Geodesic radius SQL for the PostGIS store.

Distances are ``ST_Distance(geography, geography, true)``: on the WGS84
spheroid (GeographicLib for point pairs), measured on the stored ``geog``
column (the geometry cut into lon/lat-straight pieces of at most
``PIECE_DEG``, so lines and polygons mean what they mean in lon/lat, as in
:mod:`geo.radius`). The index filter is
``ST_DWithin(..., use_spheroid => false)`` on the sphere with a widened
radius, then the exact spheroid distance decides. The sphere of PostGIS
(mean radius 6371008.8 m) and the ellipsoid disagree by less than 0.7 %
on any distance, so widening by 1 % plus a metre never drops a feature, and
membership and ``distance_m`` can never contradict each other.
"""

from __future__ import annotations

import math

from psycopg import sql

from geo.errors import CoordinateError
from geo.ledger import DEFAULT_RADIUS_M, Layer
from geo.store.postgis.sql import select_list, table

__all__ = [
    "check_point",
    "flag_sql",
    "largest_radius_sql",
    "widened",
    "within_sql",
]

_SPHERE_SLACK = 1.01
_SLACK_M = 1.0


def widened(radius_m: float) -> float:
    """Return the sphere-distance radius that safely contains ``radius_m``."""
    return radius_m * _SPHERE_SLACK + _SLACK_M


def check_point(lon: float, lat: float) -> tuple[float, float]:
    """Return (lon, lat) as floats; raise CoordinateError when out of range."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise CoordinateError(f"({lon!r}, {lat!r}) are not numbers (lon, lat)") from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise CoordinateError(
            f"({lon!r}, {lat!r}) is not a lon/lat position (lon in [-180, 180], lat in [-90, 90])"
        )
    return x, y


_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"


def within_sql(schema: str, layer: Layer) -> sql.Composed:
    """Return the radius query; parameters ``lon``, ``lat``, ``radius_m``, ``wide_m``."""
    return sql.SQL(
        "SELECT {cols}, d.distance_m FROM {t} AS t "
        "CROSS JOIN LATERAL (SELECT ST_Distance(t.geog, {p}, true) AS distance_m) d "
        "WHERE ST_DWithin(t.geog, {p}, %(wide_m)s, false) "
        "AND d.distance_m <= %(radius_m)s "
        'ORDER BY d.distance_m, t.id COLLATE "C"'
    ).format(cols=select_list(layer, "t"), t=table(schema, layer.name), p=sql.SQL(_POINT))


def flag_sql(schema: str) -> sql.Composed:
    """Return the priority query.

    Parameters: ``radius_m`` (None: each station's own), ``wide_m``, the
    widened largest radius in play (a constant, so the index serves the
    search), and ``ids`` (None: every source; else only these, found by the
    primary key). For each source the candidates are the stations within the
    larger of ``wide_m`` and a bound on the nearest station's distance (the
    index-nearest station on the sphere, widened twice: once from sphere to
    spheroid, once back); each candidate's spheroid distance is measured
    once and gives the nearest station (ties by id), its distance and the
    covering stations, nearest first. ``inside`` and the ``status`` come apart
    so that the one rule for priority (geo.priority.split_closed) applies.
    """
    return sql.SQL(
        "SELECT s.id, coalesce(array_length(c.ids, 1), 0) > 0 AS inside, "
        "s.status, "
        "c.nearest AS nearest_station, c.distance_m, coalesce(c.ids, '{{}}') AS stations "
        "FROM {sources} AS s "
        "LEFT JOIN LATERAL (SELECT s.geog <-> k.geog AS sphere_m FROM {stations} AS k "
        "  ORDER BY s.geog <-> k.geog LIMIT 1) AS k0 ON true "
        "LEFT JOIN LATERAL (SELECT "
        '  (array_agg(x.id ORDER BY x.d, x.id COLLATE "C"))[1] AS nearest, '
        "  min(x.d) AS distance_m, "
        '  array_agg(x.id ORDER BY x.d, x.id COLLATE "C") FILTER (WHERE x.d <= x.r) AS ids '
        "  FROM (SELECT m.id, ST_Distance(s.geog, m.geog, true) AS d, "
        "    coalesce(%(radius_m)s, m.radius_m, {default}) AS r FROM {stations} AS m "
        "    WHERE ST_DWithin(s.geog, m.geog, "
        "      greatest(%(wide_m)s, k0.sphere_m * {slack} * {slack} + {pad}), false)"
        "  ) AS x) AS c ON true "
        "WHERE %(ids)s::text[] IS NULL OR s.id = ANY(%(ids)s::text[]) "
        'ORDER BY s.id COLLATE "C"'
    ).format(
        sources=table(schema, "sources"),
        stations=table(schema, "stations"),
        slack=sql.Literal(_SPHERE_SLACK),
        pad=sql.Literal(_SLACK_M),
        default=sql.Literal(DEFAULT_RADIUS_M),
    )


def largest_radius_sql(schema: str) -> sql.Composed:
    """Return the query for the largest station radius (the default when none)."""
    return sql.SQL("SELECT coalesce(max(coalesce(radius_m, {d})), {d}) FROM {}").format(
        table(schema, "stations"), d=sql.Literal(DEFAULT_RADIUS_M)
    )
