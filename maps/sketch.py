"""A small location sketch for a source's page: the source, the nearest station, its radius.

The page shows it as inline SVG: no tiles, no script, nothing fetched, so it
works offline and prints. Positions are drawn on a local plane around the
station (metres east and north, the radius as a circle); it is a sketch for
orientation, and the page prints the engine's geodesic distance beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from shapely.geometry.base import BaseGeometry

__all__ = ["Sketch", "location_sketch"]

_SIZE = 240.0  # the SVG's viewBox width and height
_MARGIN = 14.0
_M_PER_DEG_LAT = 110_574.0  # metres per degree of latitude near 35° N (sketch only)
_M_PER_DEG_LON_EQ = 111_320.0


@dataclass(frozen=True)
class Sketch:
    """Positions in the SVG's viewBox (0..240, y down) and what they are."""

    size: float
    source_x: float
    source_y: float
    station_x: float
    station_y: float
    radius_px: float
    station_id: str
    station_name: str
    radius_m: float
    scale_px: float
    scale_m: int
    path: str | None  # an SVG path for a line or polygon source


def _plane(lon0: float, lat0: float) -> Any:
    cos0 = math.cos(math.radians(lat0))

    def to_m(lon: float, lat: float) -> tuple[float, float]:
        return (lon - lon0) * _M_PER_DEG_LON_EQ * cos0, (lat - lat0) * _M_PER_DEG_LAT

    return to_m


def _nice_metres(span_m: float) -> int:
    """Return a round length near a quarter of the span, for the scale bar."""
    target = max(span_m / 4, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return int(max(step * power for step in (1, 2, 5) if step * power <= target))


def location_sketch(geometry: BaseGeometry | None, stations: pd.DataFrame,
                    station_id: Any) -> Sketch | None:
    """Return the sketch of ``geometry`` beside station ``station_id`` (None without either)."""
    if geometry is None or geometry.is_empty or station_id is None or not len(stations):
        return None
    rows = stations[stations["id"] == station_id]
    if not len(rows):
        return None
    station = rows.iloc[0]
    to_m = _plane(station.geometry.x, station.geometry.y)
    anchor = geometry.representative_point()
    sx, sy = to_m(anchor.x, anchor.y)
    radius_m = float(station["radius_m"])
    half_m = max(radius_m, abs(sx), abs(sy)) * 1.08
    scale = (_SIZE / 2 - _MARGIN) / half_m

    def px(x_m: float, y_m: float) -> tuple[float, float]:
        return round(_SIZE / 2 + x_m * scale, 1), round(_SIZE / 2 - y_m * scale, 1)

    source_x, source_y = px(sx, sy)
    bar_m = _nice_metres(2 * half_m)
    return Sketch(size=_SIZE, source_x=source_x, source_y=source_y, station_x=_SIZE / 2,
                  station_y=_SIZE / 2, radius_px=round(radius_m * scale, 1),
                  station_id=str(station["id"]), station_name=str(station["name"]),
                  radius_m=radius_m, scale_px=round(bar_m * scale, 1), scale_m=bar_m,
                  path=_path(geometry, to_m, px))


def _path(geometry: BaseGeometry, to_m: Any, px: Any) -> str | None:
    if geometry.geom_type == "Point":
        return None
    parts = getattr(geometry, "geoms", [geometry])
    commands = []
    for part in parts:
        ring = part.exterior.coords if part.geom_type == "Polygon" else part.coords
        points = [px(*to_m(x, y)) for x, y, *_ in ring]
        commands.append("M" + " L".join(f"{x},{y}" for x, y in points)
                        + (" Z" if part.geom_type == "Polygon" else ""))
    return " ".join(commands)
