"""Coordinate labels and conversions to and from the stored lon/lat.

Zonewatch stores geometry as lon/lat on WGS84, treated as identical to
CGCS2000 (they agree at the centimetre level). Inputs carry a label:

``wgs84``, ``cgcs2000``
    Stored as given.
``gcj02``
    The Chinese obfuscated datum used by Amap and Tencent. The forward
    offset is the publicly known algorithm (metre offsets on the Krasovsky
    ellipsoid); the inverse is found by iteration to ~1e-11 degrees.
``bd09``
    Baidu's offset applied on top of GCJ-02; inverted the same way.
``EPSG:n``
    Any geographic or projected CRS pyproj knows (e.g. ``EPSG:4547``,
    CGCS2000 3-degree Gauss-Krüger CM 114°E); projected CRSs take
    x = easting, y = northing.

``EPSG:4326`` normalises to ``wgs84`` and ``EPSG:4490`` to ``cgcs2000``, so a
label has exactly one spelling and those two never go through pyproj.

GCJ-02 and BD-09 apply only inside the rough China box used by the public
algorithm (lon 72.004..137.8347, lat 0.8293..55.8271, inclusive); outside
it they pass through unchanged in both directions.
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.errors import CoordinateError

__all__ = [
    "LABELS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_lonlat",
    "from_lonlat",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometry_from_lonlat",
    "geometry_to_lonlat",
    "normalize_label",
    "to_lonlat",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

LABELS = ("wgs84", "cgcs2000", "gcj02", "bd09")

FloatArray = NDArray[np.float64]
Pair = tuple[FloatArray, FloatArray]
G = TypeVar("G")

# GCJ-02 offsets are metres on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A_M = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# BD-09: a small polar wobble around the origin, then a fixed shift.
_BD_RAD_PER_DEG = np.pi * 3000.0 / 180.0
_BD_SHIFT_LON = 0.0065
_BD_SHIFT_LAT = 0.006
# The offsets are smooth and small, so fixed-point inversion contracts fast.
_INVERSE_TOL_DEG = 1e-11
_INVERSE_MAX_ITER = 40
# A projected point may lie a little outside the CRS's published area of use.
_AREA_MARGIN_DEG = 2.0
_WGS84_LONLAT = "EPSG:4326"

_ALIASES = {
    "wgs84": "wgs84",
    "gps": "wgs84",
    "epsg:4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    # The names bureau sheets use for the same systems.
    "百度": "bd09",
    "百度坐标": "bd09",
    "高德": "gcj02",
    "高德坐标": "gcj02",
    "腾讯": "gcj02",
    "腾讯坐标": "gcj02",
    "火星坐标": "gcj02",
    "国家2000": "cgcs2000",
}
# A bare code ("4547") is an EPSG code too.
_EPSG_RE = re.compile(r"(?:epsg:?)?(\d{1,6})")


# -- labels -------------------------------------------------------------------


def normalize_label(label: str) -> str:
    """Return the canonical spelling of a coordinate label.

    Case, spaces, hyphens and underscores are ignored. ``amap``/``gaode``/
    ``tencent`` (高德, 腾讯) mean ``gcj02``, ``baidu``/``bd09ll`` (百度) mean
    ``bd09``, ``gps`` means ``wgs84``. EPSG codes, with or without the
    ``EPSG:`` prefix, come back as ``"EPSG:n"``, except
    ``EPSG:4326`` -> ``"wgs84"`` and ``EPSG:4490`` -> ``"cgcs2000"``.

    Parameters
    ----------
    label : str
        A label as a user or a file wrote it.

    Returns
    -------
    str
        One of :data:`LABELS` or ``"EPSG:n"``.

    Raises
    ------
    CoordinateError
        If the label is unknown, or the EPSG code is unknown to pyproj or is
        neither a geographic nor a projected CRS.

    Examples
    --------
    >>> normalize_label("GCJ-02"), normalize_label("epsg 4547")
    ('gcj02', 'EPSG:4547')
    """
    if not isinstance(label, str):
        raise CoordinateError(f"coordinate label must be a string; got {label!r}")
    key = re.sub(r"[\s_\-]", "", label.lower())
    if key in _ALIASES:
        return _ALIASES[key]
    match = _EPSG_RE.fullmatch(key)
    if match is None:
        raise CoordinateError(
            f"unknown coordinate label {label!r}; expected one of "
            f"{', '.join(LABELS)} or EPSG:<code>"
        )
    code = int(match.group(1))
    canonical = f"EPSG:{code}"
    if canonical.lower() in _ALIASES:
        return _ALIASES[canonical.lower()]
    _epsg_crs(code)
    return canonical


@functools.lru_cache(maxsize=128)
def _epsg_crs(code: int) -> CRS:
    try:
        crs = CRS.from_epsg(code)
    except CRSError as exc:
        raise CoordinateError(
            f"unknown coordinate label 'EPSG:{code}': pyproj knows no such EPSG code"
        ) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise CoordinateError(
            f"EPSG:{code} ({crs.name}) is a {crs.type_name}; expected a geographic or projected CRS"
        )
    return crs


@functools.lru_cache(maxsize=128)
def _transformers(code: int) -> tuple[Transformer, Transformer]:
    """(to lon/lat, from lon/lat) for one EPSG code; built once, reused."""
    crs = _epsg_crs(code)
    to_ll = Transformer.from_crs(crs, _WGS84_LONLAT, always_xy=True)
    from_ll = Transformer.from_crs(_WGS84_LONLAT, crs, always_xy=True)
    return to_ll, from_ll


def _epsg_code(label: str) -> int:
    return int(label.split(":", 1)[1])


def _is_geographic(label: str) -> bool:
    return label in LABELS or bool(_epsg_crs(_epsg_code(label)).is_geographic)


# -- array plumbing -------------------------------------------------------------


def _as_arrays(x: ArrayLike, y: ArrayLike) -> Pair:
    try:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CoordinateError(
            f"coordinates must be numbers; got x={reprlib.repr(x)}, y={reprlib.repr(y)}"
        ) from exc
    if xa.shape != ya.shape:
        raise CoordinateError(f"x and y must have the same shape; got {xa.shape} and {ya.shape}")
    return xa, ya


def _out(a: FloatArray) -> FloatArray:
    """Give 0-d results back as numpy float scalars, so scalars in, scalars out."""
    return a[()] if a.ndim == 0 else a


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _where(record: str | None, index: int, size: int) -> str:
    parts = [record] if record else []
    if size > 1:
        parts.append(f"coordinate {index}")
    return ", ".join(parts) + ": " if parts else ""


# -- validation -------------------------------------------------------------------


def check_lonlat(lon: ArrayLike, lat: ArrayLike, *, record: str | None = None) -> None:
    """Raise if any lon/lat pair is not a usable WGS84 position.

    Parameters
    ----------
    lon, lat : float or array_like
        Degrees; scalars or arrays of one shape.
    record : str, optional
        Names the record in the message, e.g. ``"row 7"``. For arrays the
        0-based index of the first bad pair is added.

    Raises
    ------
    CoordinateError
        For NaN or infinite values, longitude outside -180..180, latitude
        outside -90..90; when the pair would be valid the other way round the
        message says the two look swapped.

    Examples
    --------
    >>> check_lonlat([113.65, 113.66], [34.75, 34.76])  # fine: returns None
    >>> check_lonlat(34.75, 113.65, record="row 7")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.CoordinateError: row 7: latitude 113.65 is outside -90..90 and ...
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a))
    bad |= (np.abs(lon_a) > 180.0) | (np.abs(lat_a) > 90.0)
    if not bad.any():
        return
    flat = np.flatnonzero(bad)
    i = int(flat[0])
    reason = _lonlat_reason(float(lon_a.flat[i]), float(lat_a.flat[i]))
    more = f" ({flat.size - 1} more bad coordinate(s))" if flat.size > 1 else ""
    raise CoordinateError(_where(record, i, lon_a.size) + reason + more)


def _lonlat_reason(lon: float, lat: float) -> str:
    if not np.isfinite(lon):
        return f"longitude {lon!r} is not a finite number; expected degrees in -180..180"
    if not np.isfinite(lat):
        return f"latitude {lat!r} is not a finite number; expected degrees in -90..90"
    if abs(lat) > 90.0 and abs(lon) <= 90.0 and abs(lat) <= 180.0:
        return (
            f"latitude {lat!r} is outside -90..90 and longitude {lon!r} would be a "
            "valid latitude: lat/lon look swapped; expected (lon, lat) order"
        )
    if abs(lat) > 90.0:
        return f"latitude {lat!r} is outside -90..90"
    return f"longitude {lon!r} is outside -180..180"


def _check_converted(
    label: str,
    x: FloatArray,
    y: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    record: str | None,
) -> None:
    """Projected input: the converted lon/lat must be finite and near the CRS's area."""
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    bad |= (np.abs(lon) > 180.0) | (np.abs(lat) > 90.0)
    area = _epsg_crs(_epsg_code(label)).area_of_use
    if area is not None:
        west, south, east, north = area.bounds
        m = _AREA_MARGIN_DEG
        bad |= (lat < south - m) | (lat > north + m)
        if west <= east:  # areas crossing the antimeridian get no lon test
            bad |= (lon < west - m) | (lon > east + m)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    xi, yi = float(x.flat[i]), float(y.flat[i])
    lon_i, lat_i = float(lon.flat[i]), float(lat.flat[i])
    where_ok = f" (area of use {area.name})" if area is not None else ""
    raise CoordinateError(
        f"{_where(record, i, x.size)}{label} x={xi!r}, y={yi!r} converts to lon/lat "
        f"({lon_i!r}, {lat_i!r}); expected easting, northing inside the CRS's area"
        f"{where_ok}; swapped x/y or lon/lat given with a projected label?"
    )


# -- GCJ-02 -------------------------------------------------------------------------


def _gcj_offset_m(x: FloatArray, y: FloatArray) -> Pair:
    """Raw GCJ-02 offsets (east, north) in metres; x, y are degrees from (105E, 35N)."""
    pi = np.pi
    ripple_x = 20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)
    east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    east += (2.0 / 3.0) * (
        ripple_x
        + 20.0 * np.sin(pi * x)
        + 40.0 * np.sin(pi * x / 3.0)
        + 150.0 * np.sin(pi * x / 12.0)
        + 300.0 * np.sin(pi * x / 30.0)
    )
    north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    north += (2.0 / 3.0) * (
        ripple_x
        + 20.0 * np.sin(pi * y)
        + 40.0 * np.sin(pi * y / 3.0)
        + 160.0 * np.sin(pi * y / 12.0)
        + 320.0 * np.sin(pi * y / 30.0)
    )
    return east, north


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> Pair:
    """WGS84 -> GCJ-02 everywhere (no China test): metre offsets turned into degrees."""
    east_m, north_m = _gcj_offset_m(lon - 105.0, lat - 35.0)
    phi = np.radians(lat)
    w = 1.0 - _KRASOVSKY_EE * np.sin(phi) ** 2
    meridian_radius_m = _KRASOVSKY_A_M * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w))
    parallel_radius_m = _KRASOVSKY_A_M / np.sqrt(w) * np.cos(phi)
    dlon_deg = np.degrees(east_m / parallel_radius_m)
    dlat_deg = np.degrees(north_m / meridian_radius_m)
    return lon + dlon_deg, lat + dlat_deg


def _bd_forward(lon: FloatArray, lat: FloatArray) -> Pair:
    """GCJ-02 -> BD-09 everywhere (no China test)."""
    radius = np.hypot(lon, lat) + 2e-5 * np.sin(lat * _BD_RAD_PER_DEG)
    theta = np.arctan2(lat, lon) + 3e-6 * np.cos(lon * _BD_RAD_PER_DEG)
    return radius * np.cos(theta) + _BD_SHIFT_LON, radius * np.sin(theta) + _BD_SHIFT_LAT


def _invert(
    forward: Callable[[FloatArray, FloatArray], Pair], lon: FloatArray, lat: FloatArray, guess: Pair
) -> Pair:
    """Solve forward(p) = (lon, lat) by fixed-point steps p += target - forward(p)."""
    p_lon, p_lat = guess[0].copy(), guess[1].copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = forward(p_lon, p_lat)
        r_lon, r_lat = lon - f_lon, lat - f_lat
        if lon.size == 0 or max(np.abs(r_lon).max(), np.abs(r_lat).max()) < _INVERSE_TOL_DEG:
            return p_lon, p_lat
        p_lon += r_lon
        p_lat += r_lat
    i = int(np.argmax(np.abs(r_lon) + np.abs(r_lat)))
    raise CoordinateError(
        f"inverse offset did not converge for ({float(lon[i])!r}, {float(lat[i])!r}) "
        f"after {_INVERSE_MAX_ITER} iterations"
    )


def _apply_in_china(
    fn: Callable[[FloatArray, FloatArray], Pair], lon: ArrayLike, lat: ArrayLike
) -> Pair:
    """Apply ``fn`` to the pairs inside the China box; others pass through."""
    lon_a, lat_a = _as_arrays(lon, lat)
    out_lon, out_lat = lon_a.copy(), lat_a.copy()
    inside = _in_china(lon_a, lat_a)
    if inside.any():
        out_lon[inside], out_lat[inside] = fn(lon_a[inside], lat_a[inside])
    return _out(out_lon), _out(out_lat)


def _gcj_inverse(lon: FloatArray, lat: FloatArray) -> Pair:
    f_lon, f_lat = _gcj_forward(lon, lat)
    return _invert(_gcj_forward, lon, lat, guess=(2.0 * lon - f_lon, 2.0 * lat - f_lat))


def _bd_inverse(lon: FloatArray, lat: FloatArray) -> Pair:
    return _invert(_bd_forward, lon, lat, guess=(lon - _BD_SHIFT_LON, lat - _BD_SHIFT_LAT))


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS84 lon/lat to GCJ-02 (Amap, Tencent); vectorised.

    Examples
    --------
    >>> [round(float(v), 6) for v in wgs84_to_gcj02(116.404, 39.915)]
    [116.410244, 39.916404]
    """
    return _apply_in_china(_gcj_forward, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 lon/lat to WGS84 by iterating the forward offset to ~1e-11 degrees.

    Examples
    --------
    >>> [round(float(v), 9) for v in gcj02_to_wgs84(116.41024449916938, 39.91640428150164)]
    [116.404, 39.915]
    """
    return _apply_in_china(_gcj_inverse, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu); vectorised.

    Examples
    --------
    >>> [round(float(v), 6) for v in gcj02_to_bd09(116.404, 39.915)]
    [116.410369, 39.921337]
    """
    return _apply_in_china(_bd_forward, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert BD-09 lon/lat to GCJ-02 by iterating the forward offset; vectorised."""
    return _apply_in_china(_bd_inverse, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS84 lon/lat to BD-09 (via GCJ-02); vectorised."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert BD-09 lon/lat to WGS84 (via GCJ-02); vectorised."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# -- any label ------------------------------------------------------------------------


def _identity(x: FloatArray, y: FloatArray) -> Pair:
    return _out(x.copy()), _out(y.copy())


_TO_LONLAT = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_LONLAT = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _pyproj(transformer: Transformer, x: FloatArray, y: FloatArray) -> Pair:
    out_x, out_y = transformer.transform(np.atleast_1d(x), np.atleast_1d(y), errcheck=False)
    return np.reshape(out_x, x.shape), np.reshape(out_y, y.shape)


def to_lonlat(
    x: ArrayLike, y: ArrayLike, *, crs: str, record: str | None = None
) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates labelled ``crs`` to stored WGS84 lon/lat.

    Parameters
    ----------
    x, y : float or array_like
        Longitude/latitude for geographic labels, easting/northing in metres
        for projected EPSG codes. Scalars or arrays of one shape.
    crs : str
        A label accepted by :func:`normalize_label`.
    record : str, optional
        Names the record in error messages, e.g. ``"row 7"``.

    Returns
    -------
    lon, lat : numpy.ndarray
        Same shape as the input; numpy float scalars for scalar input.

    Raises
    ------
    CoordinateError
        Unknown label; NaN, out-of-range or swapped geographic input (checked
        before conversion); projected input that does not land on a usable
        lon/lat (checked after conversion).

    Examples
    --------
    >>> lon, lat = to_lonlat(467952.197, 3846914.124, crs="EPSG:4547")
    >>> round(float(lon), 6), round(float(lat), 6)
    (113.65, 34.75)
    """
    label = normalize_label(crs)
    xa, ya = _as_arrays(x, y)
    if label in _TO_LONLAT:
        check_lonlat(xa, ya, record=record)
        return _TO_LONLAT[label](xa, ya)
    if _is_geographic(label):
        check_lonlat(xa, ya, record=record)
    lon, lat = _pyproj(_transformers(_epsg_code(label))[0], xa, ya)
    if not _is_geographic(label):
        _check_converted(label, xa, ya, lon, lat, record)
    return _out(lon), _out(lat)


def from_lonlat(
    lon: ArrayLike, lat: ArrayLike, *, crs: str, record: str | None = None
) -> tuple[FloatArray, FloatArray]:
    """Convert stored WGS84 lon/lat to coordinates labelled ``crs``.

    The inverse of :func:`to_lonlat`; same parameters, with ``lon``/``lat``
    in, ``x``/``y`` (easting/northing for projected CRSs) out.

    Raises
    ------
    CoordinateError
        Unknown label; NaN, out-of-range or swapped lon/lat; a position the
        target CRS cannot express (non-finite result).

    Examples
    --------
    >>> [round(float(v), 6) for v in from_lonlat(116.404, 39.915, crs="gcj02")]
    [116.410244, 39.916404]
    """
    label = normalize_label(crs)
    lon_a, lat_a = _as_arrays(lon, lat)
    check_lonlat(lon_a, lat_a, record=record)
    if label in _FROM_LONLAT:
        return _FROM_LONLAT[label](lon_a, lat_a)
    x, y = _pyproj(_transformers(_epsg_code(label))[1], lon_a, lat_a)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CoordinateError(
            f"{_where(record, i, x.size)}lon/lat ({float(lon_a.flat[i])!r}, "
            f"{float(lat_a.flat[i])!r}) cannot be expressed in {label}"
        )
    return _out(x), _out(y)


# -- geometries --------------------------------------------------------------------------


def _transform_geometry(geom: G, convert: Callable[..., Pair], label: str, record: str | None) -> G:
    def _coords(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        a, b = convert(xy[:, 0], xy[:, 1], crs=label, record=record)
        return np.column_stack([a, b])

    return shapely.transform(geom, _coords)


def geometry_to_lonlat(geom: G, *, crs: str, record: str | None = None) -> G:
    """Convert a shapely geometry (or array of them) in ``crs`` to lon/lat.

    All coordinates go through :func:`to_lonlat` in one vectorised call;
    Z values are dropped. Errors name ``record`` and the 0-based coordinate
    index within the geometry.

    Examples
    --------
    >>> from shapely import Point
    >>> point = geometry_to_lonlat(Point(467952.197, 3846914.124), crs="EPSG:4547")
    >>> [round(v, 6) for v in point.coords[0]]
    [113.65, 34.75]
    """
    return _transform_geometry(geom, to_lonlat, normalize_label(crs), record)


def geometry_from_lonlat(geom: G, *, crs: str, record: str | None = None) -> G:
    """Convert a lon/lat shapely geometry (or array of them) to ``crs``.

    Maps use this to shift overlays onto a GCJ-02 basemap (Amap).

    Examples
    --------
    >>> from shapely import Point
    >>> geometry_from_lonlat(Point(116.404, 39.915), crs="gcj02").wkt
    'POINT (116.41024449916938 39.91640428150164)'
    """
    return _transform_geometry(geom, from_lonlat, normalize_label(crs), record)
