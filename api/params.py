"""Parse and check query parameters the OGC way: a bad value is a 400 problem."""

from __future__ import annotations

import math
from collections.abc import Iterable

from fastapi import Request

from geo.errors import InputError

__all__ = ["parse_bbox", "refuse_unknown_params"]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``bbox=minLon,minLat,maxLon,maxLat`` (WGS84); None when absent.

    Raises
    ------
    InputError
        Wrong count, non-numbers, out of range, or min above max.
    """
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]  # drop the heights of a 3D bbox
    if len(parts) != 4:
        raise InputError(f"bbox needs 4 numbers minLon,minLat,maxLon,maxLat; got {len(parts)}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"bbox {text!r} holds a value that is not a number") from None
    min_lon, min_lat, max_lon, max_lat = values
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"bbox {text!r} holds a value that is not finite")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InputError(f"bbox longitudes must lie in -180..180; got {min_lon}, {max_lon}")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InputError(f"bbox latitudes must lie in -90..90; got {min_lat}, {max_lat}")
    if min_lat > max_lat or min_lon > max_lon:
        raise InputError(
            f"bbox {text!r} is in the wrong order; expected minLon,minLat,maxLon,maxLat"
        )
    return min_lon, min_lat, max_lon, max_lat


def refuse_unknown_params(request: Request, allowed: Iterable[str]) -> None:
    """Raise InputError naming any query parameter the endpoint does not define."""
    known = set(allowed)
    unknown = sorted(k for k in request.query_params if k not in known)
    if unknown:
        raise InputError(
            f"unknown query parameter(s): {', '.join(unknown)}; "
            f"this endpoint takes: {', '.join(sorted(known))}"
        )
