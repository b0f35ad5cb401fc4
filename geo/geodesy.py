"""Ellipsoid constants and the rules every radius query shares.

Zonewatch measures on the WGS84 ellipsoid; CGCS2000's differs from it by
0.1 mm at most, so stored lon/lat of either is measured alike. Three things
live here so that each has one definition: the constants, the check every
entry point applies to a radius (:func:`check_radius_m`) and the
conservative lon/lat box around a circle (:func:`box_half_widths`,
:func:`search_box`) that indexes narrow a query with before the exact
geodesic test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geo.errors import InputError

__all__ = [
    "A_M",
    "E2",
    "F",
    "M_MIN_M",
    "N_MAX_M",
    "box_half_widths",
    "check_radius_m",
    "search_box",
]

A_M = 6378137.0  #: semi-major axis (WGS84, CGCS2000)
F = 1.0 / 298.257223563  #: flattening (WGS84)
E2 = F * (2.0 - F)  #: first eccentricity squared
M_MIN_M = A_M * (1.0 - E2)  #: meridian radius of curvature at the equator, its smallest value
N_MAX_M = A_M / math.sqrt(1.0 - E2)  #: prime-vertical radius at the poles, its largest value

#: Relative and absolute margins that keep a box conservative under rounding.
_GROW = 1.0 + 1e-6
_SLACK_M = 1.0
_POLAR_LAT = 89.0  # a box reaching past this latitude spans every longitude


def check_radius_m(value: Any, *, max_m: float | None = None, what: str = "radius_m") -> float:
    """Return a radius in metres as a float, or refuse it.

    Parameters
    ----------
    value : Any
        The radius asked for.
    max_m : float, optional
        The largest radius allowed (``ZONEWATCH_MAX_RADIUS_M`` for queries,
        :data:`geo.ledger.MAX_RADIUS_M` for stations).
    what : str, default "radius_m"
        The field or option named in the message (e.g. ``"--radius-m"``).

    Raises
    ------
    InputError
        Unless ``value`` is a finite number of metres, above 0 and at most
        ``max_m``; the message names ``what`` and the limits.

    Examples
    --------
    >>> check_radius_m("3000")
    3000.0
    >>> check_radius_m(1e9, max_m=50_000)
    Traceback (most recent call last):
    ...
    geo.errors.InputError: radius_m 1000000000.0 is above the maximum of 50000 metres
    """
    try:
        radius_m = float(value)
    except (TypeError, ValueError, OverflowError):
        radius_m = math.nan
    if isinstance(value, bool) or not math.isfinite(radius_m) or radius_m <= 0:
        raise InputError(f"{what} must be a number of metres greater than 0, got {value!r}")
    if max_m is not None and radius_m > max_m:
        raise InputError(f"{what} {radius_m!r} is above the maximum of {max_m:g} metres")
    return radius_m


def box_half_widths(lat: Any, radius_m: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the lon/lat half-widths, in degrees, of boxes holding geodesic circles.

    A geodesic of length R spans at most R / M_min of latitude (M_min:
    :data:`M_MIN_M`) and, inside that latitude band, at most R / r of
    longitude, where r is the parallel radius at the band's most poleward
    latitude (the smallest in the band). A band reaching a pole, or a circle
    wider than half the globe, gets 180 degrees of longitude.

    Examples
    --------
    >>> dlat, dlon = box_half_widths(34.75, 3000.0)
    >>> round(float(dlat), 5), round(float(dlon), 5)
    (0.02714, 0.03279)
    """
    lat = np.abs(np.asarray(lat, dtype=float))
    radius = np.asarray(radius_m, dtype=float) * _GROW + _SLACK_M
    dlat = np.degrees(radius / M_MIN_M)
    phi = np.radians(np.minimum(lat + dlat, 90.0))
    parallel_m = A_M * np.cos(phi) / np.sqrt(1.0 - E2 * np.sin(phi) ** 2)
    with np.errstate(divide="ignore"):
        dlon = np.degrees(radius / parallel_m)
    dlon = np.where((lat + dlat >= _POLAR_LAT) | (dlon >= 180.0), 180.0, dlon)
    return dlat, dlon


def search_box(lon: Any, lat: Any, radius_m: Any) -> tuple[float, float, float, float] | None:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` surely holding the circle, or None.

    None means "no useful box": near a pole, across the antimeridian, or for
    a centre or radius the exact query will refuse.

    Examples
    --------
    >>> [round(v, 4) for v in search_box(113.65, 34.75, 3000.0)]
    [113.6172, 34.7229, 113.6828, 34.7771]
    """
    try:
        x, y, r = float(lon), float(lat), float(radius_m)
    except (TypeError, ValueError, OverflowError):
        return None
    if not all(map(math.isfinite, (x, y, r))) or r <= 0 or abs(x) > 180 or abs(y) > 90:
        return None
    dlat, dlon = (float(v) for v in box_half_widths(y, r))
    if dlon >= 180.0 or abs(x) + dlon > 180.0:
        return None
    return x - dlon, y - dlat, x + dlon, y + dlat
