"""A simple Gaussian plume, to synthesise hourly readings with a truth to find.

This is a demonstration and test model, not a regulatory one. For a source
emitting ``Q`` g/s at effective height ``H`` under a wind of ``u`` m/s, the
concentration at a receptor ``x`` m downwind, ``y`` m crosswind and ``z`` m
above ground is the textbook steady-state plume with total reflection at the
ground::

    C = Q / (2 pi u sy sz) * exp(-y^2 / 2 sy^2)
        * [exp(-(z - H)^2 / 2 sz^2) + exp(-(z + H)^2 / 2 sz^2)]

``sy(x)``, ``sz(x)`` are Briggs' (1973) fits to the Pasquill-Gifford curves
for stability classes A (very unstable) to F (stable), in their **urban**
form (McElroy-Pooler, Zonewatch's sources are in towns) by default or the
**rural** (open-country) form with ``terrain="rural"``. Receptors upwind or
abeam (``x <= 0``) get 0. The formula breaks down in calm air, so the
transport speed is floored at 1 m/s, as steady-state regulatory models do.
The wind direction is where the wind comes *from*, degrees clockwise from
north; the plume travels towards ``wd + 180``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from geo.errors import InputError

__all__ = ["STABILITY_CLASSES", "plume_concentration", "random_winds", "synthesise"]

_GEOD = Geod(ellps="WGS84")
MIN_SPEED_MS = 1.0
STABILITY_CLASSES = ("A", "B", "C", "D", "E", "F")

# Briggs (1973): sigma = a x (1 + b x)^c for sy and sz: (a, b, c) per class and terrain.
_SIGMA_URBAN: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "A": ((0.32, 0.0004, -0.5), (0.24, 0.001, 0.5)),
    "B": ((0.32, 0.0004, -0.5), (0.24, 0.001, 0.5)),
    "C": ((0.22, 0.0004, -0.5), (0.20, 0.0, 0.0)),
    "D": ((0.16, 0.0004, -0.5), (0.14, 0.0003, -0.5)),
    "E": ((0.11, 0.0004, -0.5), (0.08, 0.0015, -0.5)),
    "F": ((0.11, 0.0004, -0.5), (0.08, 0.0015, -0.5)),
}
_SIGMA_RURAL: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "A": ((0.22, 0.0001, -0.5), (0.20, 0.0, 0.0)),
    "B": ((0.16, 0.0001, -0.5), (0.12, 0.0, 0.0)),
    "C": ((0.11, 0.0001, -0.5), (0.08, 0.0002, -0.5)),
    "D": ((0.08, 0.0001, -0.5), (0.06, 0.0015, -0.5)),
    "E": ((0.06, 0.0001, -0.5), (0.03, 0.0003, -1.0)),
    "F": ((0.04, 0.0001, -0.5), (0.016, 0.0003, -1.0)),
}


def plume_concentration(
    source_lon: float,
    source_lat: float,
    emission_gs: float,
    receptor_lon: float,
    receptor_lat: float,
    wd_deg: ArrayLike,
    ws_ms: ArrayLike,
    *,
    stability: str = "D",
    height_m: float = 10.0,
    receptor_height_m: float = 0.0,
    terrain: str = "urban",
) -> NDArray[np.float64]:
    """Return the plume's concentration at a receptor, µg/m³, for each wind given.

    Parameters
    ----------
    source_lon, source_lat : float
        The source, degrees.
    emission_gs : float
        Emission rate, g/s (>= 0).
    receptor_lon, receptor_lat : float
        The receptor (the station), degrees.
    wd_deg, ws_ms : array-like
        Wind direction (from, degrees) and speed (m/s); broadcast together.
    stability : {"A", "B", "C", "D", "E", "F"}, default "D"
        Pasquill stability class (D: neutral, overcast or windy).
    height_m : float, default 10
        Effective release height.
    receptor_height_m : float, default 0
        Height of the receptor above ground.
    terrain : {"urban", "rural"}, default "urban"
        Which Briggs dispersion curves to use.

    Returns
    -------
    ndarray of float
        µg/m³, the shape of the broadcast winds (0-d for scalars).

    Examples
    --------
    >>> east = float(plume_concentration(113.65, 34.75, 10, 113.67, 34.75, 270, 3))
    >>> west = float(plume_concentration(113.65, 34.75, 10, 113.67, 34.75, 90, 3))
    >>> round(east, 1), west
    (23.1, 0.0)
    """
    _check_plume(emission_gs, stability, height_m, receptor_height_m, terrain)
    az, _, dist = _GEOD.inv(source_lon, source_lat, receptor_lon, receptor_lat)
    wd, ws = np.broadcast_arrays(np.asarray(wd_deg, dtype=float), np.asarray(ws_ms, dtype=float))
    return _plume_ugm3(float(dist), float(az), wd, ws, float(emission_gs), stability,
                       float(height_m), float(receptor_height_m), terrain)


def synthesise(
    sources: pd.DataFrame,
    station: tuple[float, float],
    hours: pd.DataFrame,
    *,
    background_ugm3: float,
    noise_sd: float,
    seed: int,
    terrain: str = "urban",
) -> pd.Series:
    """Return synthetic hourly readings at a station from a few plumes, a background and noise.

    Parameters
    ----------
    sources : DataFrame
        One row per emitting source: ``emission_gs``, a position (``lon``/``lat``
        or a point ``geometry``; other shapes use their representative point),
        optional ``height_m`` (default 10) and ``stability`` (default "D").
    station : (float, float)
        The station's lon, lat.
    hours : DataFrame
        ``wd_deg`` and ``ws_ms`` per hour, optional ``stability`` per hour
        (overrides the sources'); the result has its index.
    background_ugm3 : float
        Added to every hour.
    noise_sd : float
        Standard deviation of the Gaussian noise added; readings are clipped at 0.
    seed : int
        Seed of the noise: the same seed gives the same readings.
    terrain : {"urban", "rural"}, default "urban"

    Returns
    -------
    Series
        µg/m³ per hour, named ``"synthetic"``; NaN where the wind is missing.

    Examples
    --------
    >>> hours = pd.DataFrame({"wd_deg": [270.0, 90.0], "ws_ms": [3.0, 3.0]})
    >>> src = pd.DataFrame({"lon": [113.65], "lat": [34.75], "emission_gs": [10.0]})
    >>> out = synthesise(src, (113.67, 34.75), hours, background_ugm3=20, noise_sd=0, seed=1)
    >>> out.round(1).tolist()
    [43.1, 20.0]
    """
    if not (_finite(background_ugm3) and _finite(noise_sd) and noise_sd >= 0):
        raise InputError("background_ugm3 and noise_sd must be finite numbers, noise_sd >= 0")
    wd, ws = _winds(hours)
    total = np.full(len(hours), float(background_ugm3))
    for row in sources.to_dict("records"):
        total += _source_series(row, station, hours, wd, ws, terrain)
    noise = np.random.default_rng(seed).normal(0.0, float(noise_sd), len(hours))
    values = np.clip(total + noise, 0.0, None)
    values[~(np.isfinite(wd) & np.isfinite(ws))] = np.nan
    return pd.Series(values, index=hours.index, name="synthetic")


def random_winds(start: str | pd.Timestamp, hours: int, *, seed: int) -> pd.DataFrame:
    """Return ``hours`` hourly winds from ``start`` (UTC): uniform directions, gamma speeds.

    Speeds follow a gamma law with mean 2.5 m/s (shape 2), a plausible urban
    distribution with some calm hours; directions are uniform on [0, 360).

    Examples
    --------
    >>> winds = random_winds("2024-05-01", 720, seed=7)
    >>> len(winds), list(winds.columns), winds.equals(random_winds("2024-05-01", 720, seed=7))
    (720, ['wd_deg', 'ws_ms'], True)
    """
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
        raise InputError(f"hours must be a whole number of 0 or more, got {hours!r}")
    rng = np.random.default_rng(seed)
    index = pd.date_range(pd.Timestamp(start), periods=hours, freq="h", tz="UTC", name="time")
    wd = np.round(rng.uniform(0.0, 360.0, hours), 1)
    ws = np.round(rng.gamma(2.0, 1.25, hours), 1)
    return pd.DataFrame({"wd_deg": wd, "ws_ms": ws}, index=index)


# --------------------------------------------------------------------------- helpers
def _plume_ugm3(
    dist_m: float, az_deg: float, wd: NDArray[np.float64], ws: NDArray[np.float64],
    q_gs: float, stability: str | NDArray[Any], h_m: float, z_m: float, terrain: str,
) -> NDArray[np.float64]:
    """Ground-reflected plume at distance/azimuth (source to receptor) under each wind."""
    towards = np.radians(az_deg - (wd + 180.0))  # receptor's angle off the plume axis
    x = dist_m * np.cos(towards)
    y = dist_m * np.sin(towards)
    u = np.maximum(ws, MIN_SPEED_MS)
    downwind = x > 0
    xs = np.where(downwind, x, 1.0)  # placeholder where the answer is 0 anyway
    sy, sz = _sigmas(xs, stability, terrain)
    vertical = np.exp(-((z_m - h_m) ** 2) / (2 * sz**2)) + np.exp(-((z_m + h_m) ** 2) / (2 * sz**2))
    c_gm3 = q_gs / (2 * math.pi * u * sy * sz) * np.exp(-(y**2) / (2 * sy**2)) * vertical
    return np.where(downwind, c_gm3 * 1e6, 0.0)


def _sigmas(
    x: NDArray[np.float64], stability: str | NDArray[Any], terrain: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    table = _SIGMA_URBAN if terrain == "urban" else _SIGMA_RURAL
    classes = np.broadcast_to(np.asarray(stability, dtype=object), x.shape)
    sy = np.empty_like(x)
    sz = np.empty_like(x)
    for cls in set(classes.ravel().tolist()):
        pick = classes == cls
        (ay, by, cy), (az, bz, cz) = table[cls]
        sy[pick] = ay * x[pick] * (1 + by * x[pick]) ** cy
        sz[pick] = az * x[pick] * (1 + bz * x[pick]) ** cz
    return sy, sz


def _source_series(
    row: Mapping[str, Any], station: tuple[float, float], hours: pd.DataFrame,
    wd: NDArray[np.float64], ws: NDArray[np.float64], terrain: str,
) -> NDArray[np.float64]:
    lon, lat = _position(row)
    stability = (hours["stability"].to_numpy(dtype=object) if "stability" in hours.columns
                 else _value(row, "stability", "D"))
    q = float(_value(row, "emission_gs", math.nan))
    h = float(_value(row, "height_m", 10.0))
    for cls in np.unique(np.asarray(stability, dtype=object)).tolist():
        _check_plume(q, cls, h, 0.0, terrain)
    az, _, dist = _GEOD.inv(lon, lat, station[0], station[1])
    # missing winds give NaN readings in synthesise; here they only must not raise
    wd0, ws0 = np.nan_to_num(wd), np.nan_to_num(ws)
    return _plume_ugm3(float(dist), float(az), wd0, ws0, q, stability, h, 0.0, terrain)


def _position(row: Mapping[str, Any]) -> tuple[float, float]:
    geom = row.get("geometry")
    if geom is not None and not shapely.is_empty(geom):
        point = geom if shapely.get_type_id(geom) == 0 else shapely.point_on_surface(geom)
        return float(point.x), float(point.y)
    lon: Any = row.get("lon")
    lat: Any = row.get("lat")
    if not (_finite(lon) and _finite(lat)):
        raise InputError(f"source {row.get('id', '?')!r} needs lon/lat or a geometry")
    return float(lon), float(lat)


def _value(row: Mapping[str, Any], key: str, default: Any) -> Any:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return value


def _winds(hours: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    missing = [c for c in ("wd_deg", "ws_ms") if c not in hours.columns]
    if missing:
        raise InputError(f"hours have no column {missing[0]!r}; expected wd_deg and ws_ms")
    wd = pd.to_numeric(hours["wd_deg"], errors="coerce").to_numpy(dtype=float)
    ws = pd.to_numeric(hours["ws_ms"], errors="coerce").to_numpy(dtype=float)
    return wd, ws


def _finite(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_plume(q: Any, stability: Any, h: Any, z: Any, terrain: str) -> None:
    if not (_finite(q) and q >= 0):
        raise InputError(f"emission_gs must be a rate of 0 g/s or more, got {q!r}")
    if stability not in STABILITY_CLASSES:
        classes = ", ".join(STABILITY_CLASSES)
        raise InputError(f"stability must be one of {classes}, got {stability!r}")
    if not (_finite(h) and h >= 0 and _finite(z) and z >= 0):
        raise InputError(f"heights must be 0 m or more, got height_m={h!r}")
    if terrain not in ("urban", "rural"):
        raise InputError(f"terrain must be 'urban' or 'rural', got {terrain!r}")
